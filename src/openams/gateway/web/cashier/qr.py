"""QR images of a payment's code value (orderCodeForm BIGIMAGE / MIDDLEIMAGE / SMALLIMAGE)."""

from __future__ import annotations

import io

import segno

#: picSize -> pixels per module (L, M, S as in Antom's showQrImage.htm?picSize=).
SCALES = {"L": 8, "M": 5, "S": 3}


def qr_png(value: str, size: str) -> bytes:
    scale = SCALES.get(size.upper(), SCALES["L"])
    buffer = io.BytesIO()
    segno.make(value, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
