"""Every fixture root is scanned with every rule at every confidence; the findings must equal
the inline expectations exactly: each expected finding reported, nothing else reported."""

from __future__ import annotations

from collections import Counter

import pytest

from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.runner import scan

from conftest import CONFUSION
from expectations import fixture_roots, read_expectations

ROOTS = fixture_roots()


def scan_all(root):
    settings = Settings(min_confidence=Confidence.LOW)
    return scan([root], root, settings, jobs=1)


@pytest.mark.parametrize("root", ROOTS, ids=[f"{root.parent.name}/{root.name}" if root.parent.name == "rules" else root.name for root in ROOTS])
def test_fixture_findings_match_expectations_exactly(root):
    expected = read_expectations(root)
    result = scan_all(root)
    assert not result.errors, result.errors
    actual = Counter((f.path, f.location.cell, f.location.line, f.rule) for f in result.findings)
    known_misses = expected.todo_expect
    known_false = expected.todo_ok

    missing = expected.expect - actual
    unexpected = Counter({key: count for key, count in (actual - expected.expect).items() if key not in known_false})
    wrongly_found_todo = [key for key in known_misses if actual[key]]

    for (path, cell, line, rule), count in expected.expect.items():
        CONFUSION[rule]["tp"] += min(count, actual[(path, cell, line, rule)])
    for key, count in missing.items():
        CONFUSION[key[3]]["fn"] += count
    for key, count in unexpected.items():
        CONFUSION[key[3]]["fp"] += count
    for key in expected.ok:
        if not actual[key]:
            CONFUSION[key[3]]["tn"] += 1
    for key in known_misses:
        CONFUSION[key[3]]["known_fn"] += 1
    for key in known_false:
        CONFUSION[key[3]]["known_fp"] += 1

    def show(keys):
        lines = []
        by_key = {(f.path, f.location.cell, f.location.line, f.rule): f for f in result.findings}
        for key in sorted(keys, key=lambda k: (k[0], k[1] or 0, k[2], k[3])):
            path, cell, line, rule = key
            where = f"{path}:{'cell %d:' % cell if cell else ''}{line}"
            message = by_key[key].message if key in by_key else ""
            lines.append(f"  {where} {rule} {message}")
        return "\n".join(lines)

    # related locations, exact both ways for every rule a fixture marks any for
    marked_rules = {key[3] for key in expected.related}
    related = {(place.path, place.cell, place.line, f.rule) for f in result.findings if f.rule in marked_rules
               for place in f.related}
    problems = []
    if expected.related - related:
        problems.append("expected as a related location but not:\n" + "\n".join(
            f"  {path}:{'cell %d:' % cell if cell else ''}{line} {rule}" for path, cell, line, rule in sorted(
                expected.related - related, key=lambda k: (k[0], k[1] or 0, k[2], k[3]))))
    if related - expected.related:
        problems.append("a related location not marked `related:`:\n" + "\n".join(
            f"  {path}:{'cell %d:' % cell if cell else ''}{line} {rule}" for path, cell, line, rule in sorted(
                related - expected.related, key=lambda k: (k[0], k[1] or 0, k[2], k[3]))))
    if missing:
        problems.append("expected but not reported:\n" + show(missing))
    if unexpected:
        problems.append("reported but not expected:\n" + show(unexpected))
    if wrongly_found_todo:
        problems.append("marked todo-expect but now reported (promote to expect):\n" + show(wrongly_found_todo))
    assert not problems, "\n".join(problems)
