"""Hosted payment pages: QR code, wallet simulator, card form with 3-D Secure, bank transfer,
and the hosted checkout of createPaymentSession."""
