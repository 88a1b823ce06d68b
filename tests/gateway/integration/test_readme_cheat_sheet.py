"""README.md's sandbox cheat sheet is what the gateway's catalogues say today."""

from __future__ import annotations

from openams.gateway.app import Gateway, gateway_operations
from tests.gateway.integration.cheat_sheet import BEGIN, END, README, helper_names, render


def test_the_readme_cheat_sheet_matches_the_catalogues(gateway: Gateway) -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1, "the cheat sheet's markers"
    shown = text[text.index(BEGIN) : text.index(END) + len(END)]
    expected = render(helper_names(gateway_operations(gateway)))
    assert shown == expected, "run: .venv/bin/python -m tests.gateway.integration.cheat_sheet"
