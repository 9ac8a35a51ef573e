"""Prints the per-rule confusion matrix of the fixture corpus after the run."""

from __future__ import annotations

from collections import defaultdict

CONFUSION: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "known_fn": 0, "known_fp": 0})


def pytest_terminal_summary(terminalreporter):
    if not CONFUSION:
        return
    terminalreporter.section("debtscan fixture confusion matrix")
    terminalreporter.write_line(f"{'rule':<8}{'tp':>6}{'fp':>6}{'fn':>6}{'tn(ok)':>8}{'todo-fn':>9}{'todo-fp':>9}")
    for rule in sorted(CONFUSION):
        row = CONFUSION[rule]
        terminalreporter.write_line(f"{rule:<8}{row['tp']:>6}{row['fp']:>6}{row['fn']:>6}{row['tn']:>8}"
                                    f"{row['known_fn']:>9}{row['known_fp']:>9}")
