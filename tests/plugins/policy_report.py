"""``pytest --policy-report``: each privacy-policy clause with the tests that prove it.

Clause ids come from ``../shared/policy/CLAUSES.md`` when it is beside the project, and
from the ``@pytest.mark.policy("Pnn")`` markers otherwise.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

CLAUSES = Path(__file__).resolve().parents[2].parent / "shared" / "policy" / "CLAUSES.md"
_ID = re.compile(r"^\|\s*(P\d\d)\s*\|\s*([^|]+)\|", re.MULTILINE)


def pytest_addoption(parser):
    parser.addoption(
        "--policy-report", action="store_true", help="list policy clauses and their tests"
    )


def _clauses() -> dict[str, str]:
    if CLAUSES.exists():
        return {m[0]: m[1].strip() for m in _ID.findall(CLAUSES.read_text())}
    return {}


class _Report:
    def __init__(self):
        self.tests: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.summary = ""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when != "call" and not (report.when == "setup" and report.outcome != "passed"):
            return
        for marker in item.iter_markers("policy"):
            for clause in marker.args:
                self.tests[clause].append((item.nodeid, report.outcome))

    def pytest_terminal_summary(self, terminalreporter):
        clauses = _clauses() or {c: "" for c in self.tests}
        terminalreporter.section("policy clauses")
        kept = 0
        for clause in sorted(set(clauses) | set(self.tests)):
            results = self.tests.get(clause, [])
            outcomes = {o for _n, o in results}
            # A test this run skips (it needs Redis or PostgreSQL, run by CI's second run)
            # proves nothing here but breaks nothing: a clause is kept when at least one of
            # its tests passed and none failed.
            ok = "passed" in outcomes and outcomes <= {"passed", "skipped"}
            kept += ok
            if ok:
                state = "kept"
            elif outcomes - {"passed", "skipped"}:
                state = "FAILING"
            else:
                state = "not run" if results else "no test"
            terminalreporter.write_line(f"{clause} {state:8} {clauses.get(clause, '')[:70]}")
            for nodeid, outcome in results:
                terminalreporter.write_line(f"      {outcome:7} {nodeid}")
        self.summary = f"policy clauses kept: {kept} of {len(clauses)}"
        terminalreporter.write_line(self.summary)

    def pytest_unconfigure(self, config):
        # pytest prints its "N passed in Ns" line after every terminal summary; repeat the
        # count after it so the very last line of the run is the report's (CI greps it).
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if self.summary and reporter is not None:
            reporter.write_line(self.summary)


def pytest_configure(config):
    if config.getoption("--policy-report"):
        config.pluginmanager.register(_Report(), "mailsoftly-policy-report")
