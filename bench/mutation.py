"""Mutation testing of the critical modules (issue 23), with mutmut: ``make mutation``.

Not part of the test suite or CI's default run: it takes a long while on two cores.

Each group names the modules to mutate and the fast tests that exercise them. For each,
this copies ``src/``, ``tests/``, ``docs/`` (some tests read it) and ``pyproject.toml``
into ``var/mutation/<group>/`` with a ``[tool.mutmut]`` section for the group, runs
``mutmut run`` there (under ``nice``, two workers; mutmut runs for each mutant only the
selected tests that reach the mutated function, and stops at the first failure), writes
``var/mutation/<group>.json``: every mutant's status and each survivor's diff.
``--summary`` prints the per-module table of docs/mutation-testing.md from those files.

    python bench/mutation.py                 # every group
    python bench/mutation.py signing expiry  # some groups
    python bench/mutation.py --sample 40     # at most 40 mutants per module (seeded)
    python bench/mutation.py --summary       # the table, from the last runs
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "mutation"
MUTMUT = Path(sys.executable).with_name("mutmut")
GW = "src/openams/gateway"


@dataclass(frozen=True)
class Group:
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    #: pytest -k expression: what of the selected files to leave out (slow, unrelated)
    deselect: str = ""


GROUPS = {
    "signing": Group(
        ("src/openams/protocol/signing.py", f"{GW}/web/api/auth.py"),
        (
            "tests/protocol/test_signing.py",
            "tests/gateway/integration/test_signature_header_forms.py",
            "tests/gateway/integration/test_auth_and_envelope.py",
            "tests/gateway/integration/test_request_time_tolerance.py",
        ),
    ),
    "money-rules": Group(
        (
            f"{GW}/domain/transitions.py",
            f"{GW}/domain/transactions.py",
            f"{GW}/services/refunds.py",
            f"{GW}/services/captures.py",
        ),
        (
            "tests/gateway/unit/test_transactions_rules.py",
            "tests/gateway/integration/test_refunds.py",
            "tests/gateway/integration/test_authorization_capture.py",
            "tests/gateway/integration/test_cross_merchant.py",
            # the asynchronous refund and capture paths (settling, completeCapture, ...)
            "tests/gateway/integration/test_async_refunds_captures.py",
            # the payment methods' refund rules (how many refunds a method takes)
            "tests/gateway/integration/test_refund_codes.py",
        ),
        deselect="concurrent",
    ),
    "payments": Group(
        (f"{GW}/services/payments.py", f"{GW}/store/payment_writer.py", f"{GW}/domain/payment.py"),
        (
            "tests/gateway/unit/test_fingerprint.py",
            "tests/gateway/integration/test_idempotency.py",
            "tests/gateway/integration/test_new_payment_writer.py",
            "tests/gateway/integration/test_expiry_boundary.py",
            "tests/gateway/integration/test_payment_lifecycle.py",
            # cancelling a captured card payment (the cancel window's "captured")
            "tests/gateway/integration/test_authorization_capture.py",
        ),
    ),
    "card-data": Group(
        (f"{GW}/services/cards.py",),
        (
            "tests/gateway/integration/test_card_data_protection.py",
            "tests/gateway/integration/test_card_payments.py",
            # the card helpers (read_card, holder_name, card_flag, scrub_card_data) alone
            "tests/gateway/unit/test_transactions_rules.py",
        ),
    ),
    "console-auth": Group(
        (f"{GW}/web/console/security.py", f"{GW}/web/cashier/csrf.py"),
        ("tests/console/test_signin.py", "tests/console/test_route_guard.py"),
    ),
    "notify-schedule": Group(
        (f"{GW}/services/notifications.py", f"{GW}/domain/notification.py"),
        (
            "tests/notify/test_dispatch.py",
            "tests/gateway/unit/test_notification_ids.py",
            # the chaos delay's attempt record; PAYMENT_PENDING for a pending payment
            "tests/notify/test_chaos_and_guard.py",
            "tests/gateway/integration/test_pending_payments.py",
        ),
    ),
}

#: Generate a group's mutants without running anything (mutmut's own steps, in order).
_GENERATE = """
import os
from mutmut.__main__ import create_mutants, set_mutant_under_test
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths
set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
create_mutants(2)
"""

_RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+)$")


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(item) for item in items) + "]"


def prepare(name: str, group: Group, tests_from: str | None) -> Path:
    """A fresh copy of the project for the group, with mutmut's configuration; its tests
    as committed at ``tests_from`` when given (the score "before" a change to them)."""
    work = OUT / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    if tests_from is None:
        shutil.copytree(
            ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__")
        )
    else:
        archive = subprocess.run(
            ["git", "archive", tests_from, "tests"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(work)], input=archive.stdout, check=True)
    # Some tests read docs/ (the test-card table, ...): it goes into mutmut's copy too.
    shutil.copytree(ROOT / "docs", work / "docs")
    selection = [test for test in group.tests if (work / test).exists()]
    if group.deselect:
        selection += ["-k", f"not ({group.deselect})"]
    config = f"""
[tool.mutmut]
source_paths = ["src"]
also_copy = ["docs"]
only_mutate = {_toml_list(list(group.modules))}
pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"]
pytest_add_cli_args_test_selection = {_toml_list(selection)}
process_isolation = "forkserver"
use_git_change_detection = false
"""
    text = (ROOT / "pyproject.toml").read_text()
    (work / "pyproject.toml").write_text(text + config)
    return work


def run(
    name: str,
    group: Group,
    sample: int | None,
    workers: int,
    tests_from: str | None,
    only: list[str],
) -> dict[str, object]:
    label = name if tests_from is None else f"{name}@{tests_from}"
    if only:
        label += "+only"
    work = prepare(label, group, tests_from)
    names: list[str] = list(only)
    if sample is not None and not only:
        subprocess.run([sys.executable, "-c", _GENERATE], cwd=work, check=True)
        by_module: dict[str, list[str]] = defaultdict(list)
        for meta in sorted((work / "mutants").rglob("*.py.meta")):
            for mutant in json.loads(meta.read_text())["exit_code_by_key"]:
                by_module[module_of(mutant)].append(mutant)
        chooser = random.Random(23)  # the same sample every run, before and after
        for found in by_module.values():
            names += sorted(chooser.sample(sorted(found), min(sample, len(found))))
    subprocess.run(
        ["nice", "-n", "10", str(MUTMUT), "run", "--max-children", str(workers), *names],
        cwd=work,
        check=False,
    )
    listed = subprocess.run(
        [str(MUTMUT), "results", "--all", "true"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    status = {
        m.group(1): m.group(2) for line in listed.stdout.splitlines() if (m := _RESULT.match(line))
    }
    if names:
        status = {mutant: status.get(mutant, "not checked") for mutant in names}
    survivors = {}
    for mutant, verdict in status.items():
        if verdict == "survived":
            shown = subprocess.run(
                [str(MUTMUT), "show", mutant], cwd=work, capture_output=True, text=True, check=False
            )
            survivors[mutant] = shown.stdout
    report: dict[str, object] = {
        "group": name,
        "tests_from": tests_from,
        "modules": list(group.modules),
        "tests": list(group.tests),
        "sampled": sample,
        "status": status,
        "survivors": survivors,
    }
    path = OUT / f"{label}.json"
    if only and path.exists():  # an --only re-run adds to the group's earlier ones
        earlier = json.loads(path.read_text())
        status = {**earlier["status"], **status}
        survivors = {
            mutant: diff
            for mutant, diff in {**earlier["survivors"], **survivors}.items()
            if status[mutant] == "survived"
        }
        report = {**report, "status": status, "survivors": survivors}
    path.write_text(json.dumps(report, indent=2))
    return report


def module_of(mutant: str) -> str:
    """``openams.protocol.signing.x_sign__mutmut_3`` -> ``openams.protocol.signing``."""
    head = mutant.split("__mutmut_")[0]
    parts = head.split(".")
    while parts and (parts[-1].startswith(("x_", "x\u01c1")) or parts[-1][:1].isupper()):
        parts.pop()
    return ".".join(parts)


def _verdicts() -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Per test source ("this tree" or a revision): every mutant's verdict and the diff of
    each survivor; an ``--only`` re-run's verdicts replace the earlier ones."""
    merged: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    paths = sorted(OUT.glob("*.json"), key=lambda path: ("+only" in path.name, path.name))
    for path in paths:
        report = json.loads(path.read_text())
        status, diffs = merged.setdefault(report.get("tests_from") or "this tree", ({}, {}))
        status.update(report["status"])
        diffs.update(report["survivors"])
    return {
        tests: (status, {m: d for m, d in diffs.items() if status.get(m) == "survived"})
        for tests, (status, diffs) in merged.items()
    }


def summary() -> str:
    rows = [
        "| tests | module | mutants | killed | survived | other | score |",
        "|---|---|---|---|---|---|---|",
    ]
    for tests, (status, _diffs) in sorted(_verdicts().items()):
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for mutant, verdict in status.items():
            counts[module_of(mutant)][verdict] += 1
        for module, seen in sorted(counts.items()):
            total = sum(seen.values())
            killed = seen["killed"]
            survived = seen["survived"]
            other = total - killed - survived
            scored = killed + survived
            score = f"{100 * killed / scored:.0f}%" if scored else "-"
            rows.append(
                f"| {tests} | `{module}` | {total} | {killed} | {survived} | {other} | {score} |"
            )
    return "\n".join(rows)


def survivors() -> str:
    """Each survivor of the runs on this tree, with its diff, for the report."""
    _status, diffs = _verdicts().get("this tree", ({}, {}))
    parts = []
    for mutant, diff in sorted(diffs.items()):
        body = "\n".join(line for line in diff.splitlines() if line.startswith(("+", "-")))
        parts.append(f"`{mutant}`\n\n```diff\n{body}\n```\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", help=f"some of: {', '.join(GROUPS)}")
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--summary", action="store_true")
    parser.add_argument("--survivors", action="store_true")
    parser.add_argument(
        "--only", nargs="+", default=[], help="these mutants (names or globs) of one group"
    )
    parser.add_argument(
        "--tests-from", default=None, help="a git revision: run its tests, not the working tree's"
    )
    parser.add_argument(
        "--deselect",
        default="",
        help="a pytest -k expression of tests to leave out as well (with --tests-from: "
        "old tests that fail against today's code)",
    )
    args = parser.parse_args()
    if args.summary or args.survivors:
        print(summary() if args.summary else survivors())
        return
    unknown = set(args.groups) - set(GROUPS)
    if unknown:
        parser.error(f"no such group: {', '.join(sorted(unknown))}")
    for name in args.groups or list(GROUPS):
        group = GROUPS[name]
        if args.deselect:
            either = f"{group.deselect} or {args.deselect}" if group.deselect else args.deselect
            group = replace(group, deselect=either)
        report = run(name, group, args.sample, args.workers, args.tests_from, args.only)
        verdicts = Counter(report["status"].values())  # type: ignore[arg-type]
        print(f"{name}: {dict(verdicts)}", flush=True)
    print(summary())


if __name__ == "__main__":
    main()
