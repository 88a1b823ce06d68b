"""The evidence template of a dispute (downloadDisputeEvidence DISPUTE_EVIDENCE_TEMPLATE):
a one-page PDF naming the dispute and what a defense should contain."""

from __future__ import annotations

from openams.gateway.domain.clock import iso
from openams.gateway.domain.disputes import Dispute, reason_message

_GUIDANCE = (
    "Attach to your defense, as one PDF or JPEG file:",
    "- the order and its invoice, with the buyer's name and address;",
    "- proof of delivery (carrier tracking) or of the service given;",
    "- your messages with the buyer and your refund policy.",
)


def _pdf_text(text: str) -> str:
    """A PDF literal string: ASCII only, with ``\\``, ``(`` and ``)`` escaped."""
    ascii_text = text.encode("ascii", "replace").decode("ascii")
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def minimal_pdf(lines: list[str]) -> bytes:
    """A valid one-page PDF (Helvetica, one text line per entry) with a correct xref."""
    text = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
    text += [f"({_pdf_text(line)}) '" for line in lines]
    text.append("ET")
    stream = "\n".join(text).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode()
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def evidence_template(dispute: Dispute) -> bytes:
    lines = [
        "Dispute defense template",
        "",
        f"disputeId: {dispute.dispute_id}",
        f"paymentId: {dispute.payment_id}",
        f"paymentRequestId: {dispute.payment_request_id}",
        f"Type: {dispute.dispute_type.value}",
        f"Amount: {dispute.amount}",
        f"Reason: {dispute.reason_code} {reason_message(dispute.reason_code)}",
        f"Defend before: {iso(dispute.defense_due_at)}",
        "",
        *_GUIDANCE,
    ]
    return minimal_pdf(lines)
