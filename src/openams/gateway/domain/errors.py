"""Business refusals, each carrying the AMS result code that reports it."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal the merchant must see as an AMS result (``code`` from the catalogue)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def param_illegal(message: str) -> DomainError:
    return DomainError("PARAM_ILLEGAL", message)
