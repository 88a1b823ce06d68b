"""Text-only logos for consult's ``logo.logoUrl``: a rounded badge per method.

The files under ``web/static/logos/`` are this module's output; regenerate them with
``python -m openams.gateway.methods.logos`` after changing the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from openams.gateway.domain.cards import BRAND_LOGO_NAMES
from openams.gateway.domain.payment_methods import MethodCategory, PaymentMethodSpec

LOGO_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "logos"

#: Badge colour per category; all dark enough for white text.
CATEGORY_COLOURS: dict[MethodCategory, str] = {
    MethodCategory.WALLET: "#1F5FBF",
    MethodCategory.CARD: "#2B2F36",
    MethodCategory.ONLINE_BANKING: "#17703A",
    MethodCategory.BANK_TRANSFER: "#0F5A45",
    MethodCategory.ALIPAY_PLUS: "#0B4A9E",
    MethodCategory.MOBILE_BANKING_APP: "#6A3FB5",
    MethodCategory.OTC: "#A84300",
    MethodCategory.VA: "#0C5C66",
    MethodCategory.BNPL: "#A3296F",
    MethodCategory.REAL_TIME_PAYMENT: "#005F8F",
    MethodCategory.CARRIER_BILLING: "#5B4A8A",
}


def _font_size(text: str) -> int:
    if len(text) <= 6:
        return 16
    if len(text) <= 9:
        return 14
    return 12


def render_logo(spec: PaymentMethodSpec) -> str:
    """A 120x40 SVG badge showing ``spec.logo_name`` in the category colour."""
    return render_badge(spec.logo_name, spec.name, CATEGORY_COLOURS[spec.category])


def render_badge(label: str, title: str, colour: str) -> str:
    """A 120x40 SVG badge showing ``label`` in white on ``colour``."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" '
        f'viewBox="0 0 120 40" role="img" aria-label={quoteattr(title)}>\n'
        f"  <title>{escape(title)}</title>\n"
        f'  <rect x="0.5" y="0.5" width="119" height="39" rx="8" '
        f'fill="{colour}" stroke="#FFFFFF" stroke-opacity="0.4"/>\n'
        f'  <text x="60" y="25.5" text-anchor="middle" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="{_font_size(label)}" '
        f'font-weight="700" fill="#FFFFFF">{escape(label)}</text>\n'
        "</svg>\n"
    )


def logo_path(spec: PaymentMethodSpec, directory: Path = LOGO_DIR) -> Path:
    return directory / f"{spec.type}.svg"


def write_logos(specs: Iterable[PaymentMethodSpec], directory: Path = LOGO_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in specs:
        path = logo_path(spec, directory)
        path.write_text(render_logo(spec), encoding="utf-8")
        written.append(path)
    return written


def write_brand_logos(directory: Path = LOGO_DIR) -> list[Path]:
    """consult's card brand logos (``paymentOptionDetail.supportCardBrands[].logo``)."""
    from openams.gateway.methods.catalogue import CARD_BRAND_LOGO_DIR

    target = directory / CARD_BRAND_LOGO_DIR
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for brand, name in BRAND_LOGO_NAMES.items():
        path = target / f"{brand}.svg"
        path.write_text(
            render_badge(name, name, CATEGORY_COLOURS[MethodCategory.CARD]), encoding="utf-8"
        )
        written.append(path)
    return written


if __name__ == "__main__":
    from openams.gateway.methods.catalogue import DEFAULT_CATALOGUE

    for path in [*write_logos(DEFAULT_CATALOGUE), *write_brand_logos()]:
        print(path)
