"""``buyer_redirect``: where to send the buyer, for each answer shape.

Against a real sandbox gateway (openams.testing) where it answers that shape: normalUrl
(WEB), a GET redirectActionForm with parameters (ALIPAY_CN), applinkUrl (WAP and APP).
The gateway never answers a POST form or a schemeUrl without an applinkUrl; those
shapes are built from the response model as Antom documents them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from openams.protocol.models import PayResponse
from openams.sdk import BuyerRedirect, Client, buyer_redirect
from openams.testing import SandboxGateway

_counter = iter(range(1_000_000))


def pay_body(method: str, terminal: str, **extra: Any) -> dict[str, Any]:
    number = next(_counter)
    env: dict[str, Any] = {"terminalType": terminal}
    if terminal != "WEB":
        env["osType"] = "ANDROID"
    return {
        "productCode": "CASHIER_PAYMENT",
        "paymentRequestId": f"PAY-REDIRECT-{number}",
        "order": {
            "referenceOrderId": f"ORDER-REDIRECT-{number}",
            "orderDescription": "Cappuccino",
            "orderAmount": {"currency": "HKD", "value": "1000"},
        },
        "paymentAmount": {"currency": "HKD", "value": "1000"},
        "paymentMethod": {"paymentMethodType": method},
        "paymentRedirectUrl": "https://shop.example/return",
        "env": env,
        **extra,
    }


def answer(body: dict[str, Any]) -> PayResponse:
    return PayResponse.model_validate(
        {"result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U"}, **body}
    )


def test_web_goes_to_normal_url(openams_client: Client, openams_gateway: SandboxGateway) -> None:
    paid = openams_client.pay(pay_body("ALIPAY_HK", "WEB"))
    redirect = buyer_redirect(paid, "WEB")
    assert redirect == BuyerRedirect(str(paid.normal_url), "GET", {}, "normalUrl")
    assert redirect.url.startswith(f"{openams_gateway.url}/cashier/") and not redirect.is_form
    page = httpx.get(redirect.url, trust_env=False)
    assert page.status_code == 200


def test_alipaycn_get_form_goes_with_its_parameters(
    openams_client: Client, openams_gateway: SandboxGateway
) -> None:
    paid = openams_client.pay(
        pay_body("ALIPAY_CN", "WEB", settlementStrategy={"settlementCurrency": "HKD"})
    )
    assert paid.normal_url is None and paid.redirect_action_form is not None
    redirect = buyer_redirect(paid, "WEB")
    assert redirect is not None
    assert redirect.source == "redirectActionForm" and redirect.method == "GET"
    assert redirect.fields == {"parameters": paid.redirect_action_form.parameters}
    url = urlsplit(redirect.url)
    assert url._replace(query="").geturl() == f"{openams_gateway.url}/alipaycn/pc/cashier"
    (parameters,) = parse_qs(url.query)["parameters"]
    assert json.loads(parameters)["paymentId"] == paid.payment_id
    # The gateway's AlipayCN cashier opens at that URL: the parameters arrived.
    cashier = httpx.get(redirect.url, trust_env=False)
    assert cashier.status_code == 200 and "HKD" in cashier.text
    # The auto-submitting form moves the query into fields (a GET form replaces it).
    form = redirect.auto_submit_form()
    assert f'method="get" action="{openams_gateway.url}/alipaycn/pc/cashier"' in form
    assert 'name="parameters"' in form and ".submit()" in form


@pytest.mark.parametrize("terminal", ["WAP", "APP"])
def test_phones_prefer_the_applink(
    terminal: str, openams_client: Client, openams_gateway: SandboxGateway
) -> None:
    paid = openams_client.pay(pay_body("ALIPAY_HK", terminal))
    assert paid.applink_url and paid.scheme_url and paid.normal_url
    redirect = buyer_redirect(paid, terminal)
    assert redirect == BuyerRedirect(paid.applink_url, source="applinkUrl")
    assert redirect.url.startswith(f"{openams_gateway.url}/app/")
    # On a WEB terminal the same kind of answer goes to normalUrl.
    assert buyer_redirect(paid, "WEB") == BuyerRedirect(str(paid.normal_url))


def test_app_without_applink_uses_the_scheme_with_a_fallback() -> None:
    paid = answer(
        {
            "schemeUrl": "alipayhk://platformapi/startApp?orderCode=X",
            "normalUrl": "https://wallet.example/h5?orderCode=X",
        }
    )
    assert buyer_redirect(paid, "APP") == BuyerRedirect(
        "alipayhk://platformapi/startApp?orderCode=X",
        source="schemeUrl",
        fallback_url="https://wallet.example/h5?orderCode=X",
    )
    # A mobile browser cannot rely on the app: normalUrl.
    wap = buyer_redirect(paid, "WAP")
    assert wap is not None and wap.source == "normalUrl"


def test_a_post_form_is_submitted_by_the_browser() -> None:
    paid = answer(
        {
            "redirectActionForm": {
                "method": "POST",
                "redirectUrl": "https://acs.example/challenge?step=1",
                "parameters": '{"creq":"a<b&c"}',
            }
        }
    )
    redirect = buyer_redirect(paid, "WEB")
    assert redirect == BuyerRedirect(
        "https://acs.example/challenge?step=1",
        "POST",
        {"parameters": '{"creq":"a<b&c"}'},
        "redirectActionForm",
    )
    assert redirect.is_form
    form = redirect.auto_submit_form()
    assert 'method="post" action="https://acs.example/challenge?step=1"' in form
    assert 'value="{&quot;creq&quot;:&quot;a&lt;b&amp;c&quot;}"' in form  # escaped


def test_payment_action_form_is_the_last_resort_and_nothing_means_none() -> None:
    paid = answer(
        {
            "paymentActionForm": json.dumps(
                {
                    "method": "GET",
                    "paymentActionFormType": "RedirectActionForm",
                    "redirectUrl": "https://wallet.example/pay",
                }
            )
        }
    )
    assert buyer_redirect(paid, "WAP") == BuyerRedirect(
        "https://wallet.example/pay", source="paymentActionForm"
    )
    assert buyer_redirect(answer({"paymentActionForm": "not json"}), "WEB") is None
    settled = PayResponse.model_validate(
        {"result": {"resultCode": "SUCCESS", "resultStatus": "S"}, "paymentId": "P1"}
    )
    assert buyer_redirect(settled, "WEB") is None
