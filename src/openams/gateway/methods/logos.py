"""Logos for consult's ``logo.logoUrl`` and the cashier: a rounded badge per method.

Each badge is drawn for the size it is shown at: 32 px high, as wide as its label needs
at a 13 px bold type (the pages show it at its own size, never squeezed). The files under
``web/static/logos/`` are this module's output; regenerate them with
``python -m openams.gateway.methods.logos`` after changing the catalogue.
"""

from __future__ import annotations

import math
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


#: The badge's height in CSS pixels, its type size and the room either side of the label.
HEIGHT = 32
FONT_SIZE = 13
PADDING = 8
MIN_WIDTH = 40

#: Advance widths of Helvetica Bold (= Arial Bold) in 1/1000 em, from its AFM metrics:
#: enough to size a badge without a font engine. Other characters count as wide.
_BOLD_WIDTHS: dict[str, int] = {
    " ": 278,
    "-": 333,
    ".": 278,
    "&": 722,
    "+": 584,
    "'": 238,
    **dict.fromkeys("0123456789", 556),
    **dict(
        zip(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            (
                722,
                722,
                722,
                722,
                667,
                611,
                778,
                722,
                278,
                556,
                722,
                611,
                833,
                722,
                778,
                667,
                778,
                722,
                667,
                611,
                722,
                667,
                944,
                667,
                667,
                611,
            ),
            strict=True,
        )
    ),
    **dict(
        zip(
            "abcdefghijklmnopqrstuvwxyz",
            (
                556,
                611,
                556,
                611,
                556,
                333,
                611,
                611,
                278,
                278,
                556,
                278,
                889,
                611,
                611,
                611,
                611,
                389,
                556,
                333,
                611,
                556,
                778,
                556,
                556,
                500,
            ),
            strict=True,
        )
    ),
}


def label_width(label: str, font_size: int = FONT_SIZE) -> int:
    """The label's width in pixels at ``font_size`` bold, rounded up."""
    units = sum(_BOLD_WIDTHS.get(char, 1000) for char in label)
    return math.ceil(units * font_size / 1000)


def render_logo(spec: PaymentMethodSpec) -> str:
    """The badge of ``spec.logo_name`` in its category's colour."""
    return render_badge(spec.logo_name, spec.name, CATEGORY_COLOURS[spec.category])


def render_badge(label: str, title: str, colour: str) -> str:
    """A 32 px high SVG badge showing ``label`` in white on ``colour``, as wide as it needs.

    ``textLength`` holds the label to the measured width, so a fallback font can neither
    overflow the badge nor leave it half empty.
    """
    text = label_width(label)
    width = max(MIN_WIDTH, text + 2 * PADDING)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" role="img" aria-label={quoteattr(title)}>\n'
        f"  <title>{escape(title)}</title>\n"
        f'  <rect width="{width}" height="{HEIGHT}" rx="6" fill="{colour}"/>\n'
        f'  <text x="{width / 2:g}" y="{HEIGHT / 2 + FONT_SIZE * 0.36:g}" text-anchor="middle" '
        f'textLength="{text}" lengthAdjust="spacingAndGlyphs" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="{FONT_SIZE}" '
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
