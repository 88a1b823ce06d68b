"""Code 128 barcode images of a payment code, drawn as SVG.

python-barcode encodes the value (start code, character set switching, checksum); this
module draws its modules with a viewBox, so the image scales to any width the page gives it.
"""

from __future__ import annotations

from itertools import groupby

import barcode

#: quiet zone either side, in modules (the symbology asks for at least 10)
QUIET_ZONE = 10
HEIGHT = 50


def code128_svg(value: str) -> bytes:
    [modules] = barcode.get("code128", value).build()
    width = len(modules) + 2 * QUIET_ZONE
    bars = []
    x = QUIET_ZONE
    for bit, run in groupby(modules):
        length = len(list(run))
        if bit == "1":
            bars.append(f'<rect x="{x}" y="0" width="{length}" height="{HEIGHT}"/>')
        x += length
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" '
        f'preserveAspectRatio="none" shape-rendering="crispEdges">'
        f'<rect width="{width}" height="{HEIGHT}" fill="#fff"/><g fill="#000">'
        + "".join(bars)
        + "</g></svg>"
    )
    return svg.encode("ascii")
