"""Where to send the buyer after a ``pay`` answer: :func:`buyer_redirect`.

A payment that waits for the buyer (``U`` / ``PAYMENT_IN_PROCESS``) comes back with one or
more continuations: ``normalUrl`` (an HTTPS page), ``applinkUrl`` (an App Link /
Universal Link: the wallet app when installed, else its H5 page), ``schemeUrl`` (a custom
scheme: the wallet app only) and ``redirectActionForm`` (``method``, ``redirectUrl`` and
optional ``parameters``: ALIPAY_CN answers only with this, a GET form with parameters).
Which one to use depends on the terminal the payment was made on (Antom's integration
guide, "Handle the redirect URL"):

- ``WEB``: ``normalUrl``, then ``redirectActionForm``;
- ``WAP``: ``applinkUrl``, then ``normalUrl``, then ``redirectActionForm``;
- ``APP``: ``applinkUrl``, then ``schemeUrl`` (with ``normalUrl`` as its fallback for a
  buyer without the wallet app), then ``normalUrl``, then ``redirectActionForm``.

``paymentActionForm`` (a JSON string holding a redirect form) is the last resort.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from openams.protocol.models import RedirectActionForm

TerminalType = Literal["WEB", "WAP", "APP"]
#: The answer field a :class:`BuyerRedirect` was taken from.
RedirectSource = Literal[
    "normalUrl", "applinkUrl", "schemeUrl", "redirectActionForm", "paymentActionForm"
]
#: The form field that carries ``redirectActionForm.parameters`` (what the AlipayCN
#: cashier, Antom's and the openams gateway's, reads).
PARAMETERS_FIELD = "parameters"


@dataclass(frozen=True)
class BuyerRedirect:
    """Where to send the buyer, and how.

    ``method`` ``"GET"``: send the browser to ``url`` (an HTTP 303, ``location.href``, or
    the app's ``openURL``/``startActivity``); form parameters are already in its query.
    ``method`` ``"POST"``: the browser must submit ``fields`` to ``url`` as a form; render
    :meth:`auto_submit_form` (or your own form with the same fields).
    """

    url: str
    method: Literal["GET", "POST"] = "GET"
    #: Form fields to submit to ``url`` (``POST``; for ``GET`` they are in ``url`` too).
    fields: Mapping[str, str] = field(default_factory=dict)
    source: RedirectSource = "normalUrl"
    #: For ``schemeUrl``: where to go when the wallet app is not installed.
    fallback_url: str | None = None

    @property
    def is_form(self) -> bool:
        """True when the browser has to POST a form (a plain redirect will not do)."""
        return self.method == "POST"

    def auto_submit_form(self) -> str:
        """An HTML document whose form submits itself to ``url`` (a button without
        JavaScript); works for GET and POST alike. Every value is HTML-escaped."""
        action, fields = (
            (self.url, list(self.fields.items()))
            if self.method == "POST"
            else _split_query(self.url)
        )
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
            for name, value in fields
        )
        return (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            "<title>Redirecting to payment</title></head><body>"
            f'<form id="openams-redirect" method="{self.method.lower()}" '
            f'action="{html.escape(action)}">{inputs}'
            '<noscript><button type="submit">Continue to payment</button></noscript></form>'
            '<script>document.getElementById("openams-redirect").submit();</script>'
            "</body></html>"
        )


def buyer_redirect(answer: object, terminal_type: str = "WEB") -> BuyerRedirect | None:
    """Where to send the buyer for a pay answer on ``terminal_type`` (``WEB``, ``WAP`` or
    ``APP``, as sent in ``env.terminalType``); None when there is nowhere to go (an ``S``
    or ``F`` answer, an in-store payment code, an order code the merchant shows).

    ``answer`` is a ``PayResponse`` (or any response model with these fields, such as
    ``InquiryPaymentResponse``); absent fields are skipped.
    """
    terminal = terminal_type.upper()
    normal = _text(answer, "normal_url")
    applink = _text(answer, "applink_url")
    scheme = _text(answer, "scheme_url")
    form = _form(getattr(answer, "redirect_action_form", None))
    action_form = _payment_action_form(_text(answer, "payment_action_form"))
    candidates: list[BuyerRedirect | None]
    if terminal == "APP":
        candidates = [
            _link(applink, "applinkUrl"),
            BuyerRedirect(scheme, source="schemeUrl", fallback_url=normal or _url_of(form))
            if scheme
            else None,
            _link(normal, "normalUrl"),
        ]
    elif terminal == "WAP":
        candidates = [_link(applink, "applinkUrl"), _link(normal, "normalUrl")]
    else:
        candidates = [_link(normal, "normalUrl")]
    candidates += [form, action_form]
    return next((candidate for candidate in candidates if candidate is not None), None)


def _text(answer: object, name: str) -> str | None:
    value = getattr(answer, name, None)
    return value if isinstance(value, str) and value else None


def _link(url: str | None, source: RedirectSource) -> BuyerRedirect | None:
    return BuyerRedirect(url, source=source) if url else None


def _url_of(redirect: BuyerRedirect | None) -> str | None:
    return redirect.url if redirect is not None else None


def _form(
    form: RedirectActionForm | None, source: RedirectSource = "redirectActionForm"
) -> BuyerRedirect | None:
    if form is None or not form.redirect_url:
        return None
    method: Literal["GET", "POST"] = "POST" if (form.method or "").upper() == "POST" else "GET"
    fields = {PARAMETERS_FIELD: form.parameters} if form.parameters is not None else {}
    url = form.redirect_url if method == "POST" else _with_query(form.redirect_url, fields)
    return BuyerRedirect(url, method, fields, source)


def _payment_action_form(text: str | None) -> BuyerRedirect | None:
    """``paymentActionForm``: a JSON string such as
    ``{"method":"GET","paymentActionFormType":"RedirectActionForm","redirectUrl":...}``."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("redirectUrl"), str):
        return None
    parameters = data.get("parameters")
    form = RedirectActionForm(
        method=data.get("method") if isinstance(data.get("method"), str) else None,
        parameters=parameters if isinstance(parameters, str) else None,
        redirect_url=data["redirectUrl"],
    )
    return _form(form, "paymentActionForm")


def _with_query(url: str, fields: Mapping[str, str]) -> str:
    """``url`` with ``fields`` added to its query (what submitting a GET form does)."""
    if not fields:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(fields.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _split_query(url: str) -> tuple[str, list[tuple[str, str]]]:
    """A GET form's action and fields for ``url``: a browser replaces the action's query
    with the form's fields, so every query parameter becomes a field."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query="")), parse_qsl(parts.query, keep_blank_values=True)
