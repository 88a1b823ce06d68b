"""docs/shop.md's merchant duty table: every row quotes its guide, names a shop function
that exists and a test that exists. No row without a test."""

from __future__ import annotations

import ast
import importlib
import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: The four guides, beside the checkout (issue 22: ``../shared/seeds/``).
SEEDS = Path(os.environ.get("OPENAMS_SEEDS", REPO.parent / "shared" / "seeds"))
GUIDES = {
    "APM": "apm-payments.txt",
    "QS": "quickstart-checkout-payment.txt",
    "CN": "alipaycn-cashier-payment.txt",
    "EC": "entry-code-payment.txt",
}
HEADING = "## Merchant duties, where the shop does them, and the test that proves it"


def rows() -> list[tuple[str, str, str]]:
    text = (REPO / "docs" / "shop.md").read_text()
    section = text[text.index(HEADING) :].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("Duty (guide: its words)", "---"):
            found.append((cells[0], cells[1], cells[2]))
    return found


def resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise AssertionError(f"{dotted}: no such module")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_every_duty_names_an_existing_test_and_function() -> None:
    table = rows()
    assert len(table) >= 25
    for duty, where, test in table:
        assert test.startswith("`tests/") and "::" in test, (duty, test)
        file_name, test_name = test.strip("`").split("::")
        assert test_name in functions_in(REPO / file_name), (duty, test)
        function = re.match(r"`([\w.]+)`", where)
        assert function, (duty, where)
        assert callable(resolve(function.group(1))), (duty, where)


def test_every_duty_names_one_of_the_four_guides() -> None:
    for duty, _, _ in rows():
        guide, _, words = duty.partition(": ")
        assert guide in GUIDES and words.strip(), duty


@pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason=f"the guides are not in this checkout's reach ({SEEDS}); set OPENAMS_SEEDS",
)
def test_every_duty_quotes_its_guide() -> None:
    """The guides live beside the checkout, not in it (they are Antom's text): where they
    can be read, every quoted word must stand in its guide."""
    for duty, _, _ in rows():
        guide, _, words = duty.partition(": ")
        seed = " ".join((SEEDS / GUIDES[guide]).read_text().split())
        for quote in re.findall(r'"([^"]+)"', words):
            for fragment in quote.split(" ... "):
                assert fragment.strip() in seed, (guide, fragment)
