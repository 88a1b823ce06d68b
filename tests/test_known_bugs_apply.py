"""The patches of `bench/known_bugs/` (issue 23's five bugs, put back on purpose by
`bench/known_bugs/check.sh`) still apply to today's `src/`: a patch that no longer
applies would leave its bug unchecked until someone ran the script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATCHES = sorted((ROOT / "bench" / "known_bugs").glob("*.patch"))


def test_there_is_a_patch_per_bug() -> None:
    assert [p.name[:2] for p in PATCHES] == ["1-", "2-", "3-", "4-", "5a", "5b"]


@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: p.name)
def test_the_patch_applies_to_todays_source(patch: Path) -> None:
    checked = subprocess.run(
        ["git", "apply", "--check", str(patch)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
