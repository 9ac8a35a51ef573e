"""The accuracy harness's matching and scoring (bench/accuracy), on small synthetic reports."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "bench" / "accuracy"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"accuracy_{name}", HARNESS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


score = load("score")
materialise = sys.modules["materialise"]  # as score.py imports it


def finding(path, line, rule, family, confidence="high", cell=None, message="m", suppressed=None):
    return {"path": path, "line": line, "column": 1, "rule": rule, "family": family, "confidence": confidence,
            "cell": cell, "message": message, "suppressed": suppressed}


def label(path, line, family, verdict, rule=None, cell=None, repo="o/r"):
    return score.Label(repo=repo, path=path, line=line, family=family, verdict=verdict, reason="r", rule=rule, cell=cell)


def test_a_finding_matches_a_label_of_its_path_family_and_line_within_two():
    f = finding("a.py", 10, "DS101", "randomness")
    assert score.matches(f, label("a.py", 12, "randomness", "yes"))
    assert score.matches(f, label("a.py", 8, "randomness", "yes"))
    assert not score.matches(f, label("a.py", 13, "randomness", "yes"))
    assert not score.matches(f, label("b.py", 10, "randomness", "yes"))
    assert not score.matches(f, label("a.py", 10, "dead-code", "yes"))


def test_a_label_naming_a_rule_or_a_cell_matches_only_that_rule_or_cell():
    f = finding("n.ipynb", 3, "DS103", "randomness", cell=4)
    assert score.matches(f, label("n.ipynb", 3, "randomness", "yes", rule="DS103"))
    assert not score.matches(f, label("n.ipynb", 3, "randomness", "yes", rule="DS101"))
    assert score.matches(f, label("n.ipynb", 3, "randomness", "yes", cell=4))
    assert not score.matches(f, label("n.ipynb", 3, "randomness", "yes", cell=5))


def test_a_finding_takes_the_verdict_of_the_nearest_label_and_a_named_rule_wins_a_tie():
    f = finding("a.py", 10, "DS101", "randomness")
    far_yes, near_no = label("a.py", 12, "randomness", "yes"), label("a.py", 9, "randomness", "no")
    assert score.verdict_of(f, [far_yes, near_no]) is near_no
    family_only, named = label("a.py", 10, "randomness", "no"), label("a.py", 10, "randomness", "yes", rule="DS101")
    assert score.verdict_of(f, [family_only, named]) is named
    assert score.verdict_of(f, [label("a.py", 10, "randomness", "?")]) is None


def synthetic():
    reports = {
        "o/r": [
            finding("a.py", 10, "DS101", "randomness", "high"),     # TP (yes at 11)
            finding("a.py", 30, "DS101", "randomness", "high"),     # FP (no at 30)
            finding("a.py", 50, "DS101", "randomness", "medium"),   # unlabelled
            finding("a.py", 70, "DS103", "randomness", "low"),      # TP, but below medium
            finding("b.py", 5, "DS201", "hardcoded-path", "medium"),  # FP
            finding("b.py", 9, "DS201", "hardcoded-path", "high", suppressed={"by": "comment"}),  # ignored
        ],
        "o/s": [
            finding("c.py", 1, "DS201", "hardcoded-path", "high"),  # TP
        ],
    }
    labels = {
        "o/r": [
            label("a.py", 11, "randomness", "yes"),
            label("a.py", 30, "randomness", "no"),
            label("a.py", 70, "randomness", "yes", rule="DS103"),
            label("a.py", 90, "randomness", "yes", rule="DS101"),  # missed
            label("b.py", 5, "hardcoded-path", "no"),
            label("b.py", 9, "hardcoded-path", "yes"),  # only a suppressed finding there: missed
            label("b.py", 40, "hardcoded-path", "?"),
        ],
        "o/s": [label("c.py", 1, "hardcoded-path", "yes", rule="DS201", repo="o/s")],
    }
    return reports, labels


def test_labels_written_for_sampled_findings_are_tallied_apart():
    reports = {"o/r": [finding("a.py", 1, "DS101", "randomness"), finding("a.py", 10, "DS101", "randomness"),
                       finding("a.py", 20, "DS101", "randomness")]}
    labels = {"o/r": [score.Label("o/r", "a.py", 1, "randomness", "no", "r"),
                      score.Label("o/r", "a.py", 10, "randomness", "yes", "r", sampled=True),
                      score.Label("o/r", "a.py", 20, "randomness", "no", "r", sampled=True)]}
    result = score.score(reports, labels)
    assert as_tuple(result.sampled) == (2, 1, 1, 0, 0, 0)
    assert as_tuple(result.total) == (3, 1, 2, 0, 1, 1)


def as_tuple(tally):
    return (tally.findings, tally.tp, tally.fp, tally.unlabelled, tally.yes_labels, tally.recalled)


def test_scoring_at_medium_counts_families_rules_levels_and_recall():
    result = score.score(*synthetic(), min_confidence="medium")
    assert as_tuple(result.families["randomness"]) == (3, 1, 1, 1, 3, 1)
    assert as_tuple(result.families["hardcoded-path"]) == (2, 1, 1, 0, 2, 1)
    assert as_tuple(result.rules["DS101"]) == (3, 1, 1, 1, 1, 0)
    assert as_tuple(result.rules["DS201"]) == (2, 1, 1, 0, 1, 1)
    assert as_tuple(result.rules["DS103"]) == (0, 0, 0, 0, 1, 0)  # its finding is low; its label is missed
    assert as_tuple(result.total) == (5, 2, 2, 1, 5, 2)
    assert as_tuple(result.levels["high"]) == (3, 2, 1, 0, 0, 0)
    assert as_tuple(result.levels["medium"]) == (2, 0, 1, 1, 0, 0)
    assert as_tuple(result.levels["low"]) == (1, 1, 0, 0, 0, 0)
    assert result.pending_labels == 1
    assert [(repo, f["path"], f["line"]) for repo, f in result.unlabelled] == [("o/r", "a.py", 50)]
    # DS101: 3 findings at 0.5; DS201: 2 findings at 0.5
    assert result.weighted_precision() == (0.5, 100)


def test_scoring_at_low_counts_the_low_finding_and_recalls_its_label():
    result = score.score(*synthetic(), min_confidence="low")
    assert as_tuple(result.total) == (6, 3, 2, 1, 5, 3)
    assert as_tuple(result.rules["DS103"]) == (1, 1, 0, 0, 1, 1)
    assert result.weighted_precision() == (round((3 * 0.5 + 1 * 1.0 + 2 * 0.5) / 6, 4), 100)


def test_weighted_precision_leaves_out_rules_without_labelled_findings():
    reports = {"o/r": [finding("a.py", i, "DS704", "dead-code") for i in range(0, 40, 10)]
               + [finding("b.py", 1, "DS101", "randomness")]}
    labels = {"o/r": [label("a.py", 0, "dead-code", "yes"), label("a.py", 10, "dead-code", "no")]}
    result = score.score(reports, labels)
    assert result.weighted_precision() == (0.5, 80)  # DS704 holds 4 of the 5 findings


def test_the_sample_is_seeded_sorted_and_no_larger_than_the_pool():
    reports = {"o/r": [finding("a.py", i, "DS101", "randomness") for i in range(100)]}
    result = score.score(reports, {})
    first, again = score.sample(result, 10, 3), score.sample(result, 10, 3)
    assert first == again and len(first) == 10
    assert [f["line"] for _, f in first] == sorted(f["line"] for _, f in first)
    assert score.sample(result, 10, 4) != first
    assert len(score.sample(result, 500, 0)) == 100


def test_sample_and_template_lines():
    f = finding("n.ipynb", 2, "DS303", "data-dependency", "medium", cell=4, message="loads x")
    assert score.sample_line("o/r", f) == "o/r n.ipynb:2 DS303 medium (cell 4) loads x"
    entry = json.loads(score.template_line("o/r", f))
    assert entry == {"repo": "o/r", "path": "n.ipynb", "line": 2, "cell": 4, "family": "data-dependency",
                     "rule": "DS303", "verdict": "?", "reason": "", "sampled": True}
    assert score.parse_label("o/r", json.dumps(entry), "t:1").verdict == "?"


@pytest.mark.parametrize("text, problem", [
    ('{"path": "a.py", "line": 1, "family": "randomness", "verdict": "yes"}', "lacks reason"),
    ('{"path": "a.py", "line": 1, "family": "randomness", "verdict": "maybe", "reason": ""}', "verdict"),
    ('{"path": "a.py", "line": "1", "family": "randomness", "verdict": "no", "reason": ""}', "line must be a number"),
    ('{"path": "a.py", "line": 1, "family": "randomness", "verdict": "no", "reason": "", "why": 1}', "unknown why"),
    ('{"repo": "x/y", "path": "a.py", "line": 1, "family": "randomness", "verdict": "no", "reason": ""}', "not o/r"),
    ('[1]', "not a JSON object"),
])
def test_bad_labels_are_refused_with_the_reason(text, problem):
    with pytest.raises(score.Failure, match=problem):
        score.parse_label("o/r", text, "o+r.jsonl:1")


def test_labels_of_missing_files_or_unknown_families_are_reported(tmp_path):
    (tmp_path / "a.py").write_text("")
    labels = {"o/r": [label("a.py", 1, "randomness", "yes"), label("gone.py", 1, "randomness", "no"),
                      label("a.py", 1, "randomnes", "no")]}
    problems = score.stale_labels(labels, {"o/r": tmp_path}, {"randomness"})
    assert len(problems) == 2
    assert "gone.py is not in the tree" in problems[0] and "'randomnes'" in problems[1]


FAKE_DEBTSCAN = """
import json, pathlib, sys
count = pathlib.Path(sys.argv[1])
count.write_text(str(int(count.read_text() or 0) + 1) if count.exists() else "1")
if "broken" in sys.argv[3]:
    print("Traceback: boom", file=sys.stderr)
    sys.exit(2)
print(json.dumps({"findings": [], "errors": [], "summary": {"files": 1}}))
"""


def test_a_kept_report_is_reused_until_debtscan_or_the_tree_changes_or_rescan_is_asked(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text(FAKE_DEBTSCAN)
    counter = tmp_path / "count"
    command = [sys.executable, str(fake), str(counter)]
    work = tmp_path / "work"
    (work / "o+r").mkdir(parents=True)
    (work / "o+r.commit").write_text("a" * 40 + "\n")
    pin = {"name": "o/r", "commit": "a" * 40}
    identity = {"version": "1.0", "digest": "0123456789abcdef"}
    runs = lambda: int(counter.read_text())  # noqa: E731
    assert score.report_for(pin, work, command, identity, False, None)["report"]["summary"]["files"] == 1
    assert (work / "reports" / "1.0-0123456789ab" / "o+r.json").is_file()
    score.report_for(pin, work, command, identity, False, None)
    assert runs() == 1
    score.report_for(pin, work, command, identity, True, None)
    assert runs() == 2
    score.report_for(pin, work, command, {"version": "1.0", "digest": "fedcba9876543210"}, False, None)
    assert runs() == 3
    (work / "o+r.commit").write_text("b" * 40 + "\n")
    score.report_for(pin, work, command, identity, False, None)
    assert runs() == 4
    (work / "o+r" / "new.py").write_text("x = 1\n")
    score.report_for(pin, work, command, identity, False, None)
    assert runs() == 5
    score.report_for(pin, work, command, {"version": "1.0", "digest": None}, False, None)
    score.report_for(pin, work, command, {"version": "1.0", "digest": None}, False, None)
    assert runs() == 7  # no digest: never reused


def test_a_failing_scan_is_recorded_not_raised(tmp_path):
    fake = tmp_path / "fake.py"
    fake.write_text(FAKE_DEBTSCAN)
    tree = tmp_path / "broken"
    tree.mkdir()
    kept = score.scan([sys.executable, str(fake), str(tmp_path / "count")], tree, None)
    assert kept["report"] is None and kept["exit"] == 2
    assert kept["error"] == "exit 2; Traceback: boom"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_materialise_writes_a_tree_or_its_subdir_once_from_a_mirror(tmp_path):
    source = tmp_path / "src"
    (source / "examples").mkdir(parents=True)
    (source / "examples" / "train.py").write_text("import random\n")
    (source / "top.py").write_text("x = 1\n")
    git = ["git", "-C", str(source), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "c"], check=True)
    commit = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    mirrors = tmp_path / "mirrors"
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(mirrors / "o+r" / "repo")], check=True)
    work = tmp_path / "work"
    pin = {"name": "o/r", "commit": commit, "kind": "k", "subdir": "examples"}
    assert "written from the mirror" in materialise.materialise(pin, work, mirrors)
    assert sorted(p.relative_to(work / "o+r").as_posix() for p in (work / "o+r").rglob("*")) == \
        ["examples", "examples/train.py"]
    assert materialise.materialise(pin, work, mirrors) == "already at its commit"
    whole = {"name": "o/r", "commit": commit, "kind": "k"}
    materialise.materialise(whole, work, mirrors)
    assert (work / "o+r" / "top.py").is_file() and not (work / "o+r" / ".git").exists()
    with pytest.raises(materialise.Failure, match="is not in"):
        materialise.materialise({**whole, "commit": "0" * 40}, work, mirrors)


def test_a_yes_label_at_a_related_location_is_recalled():
    """A finding that names several places (draws one missing seed explains) reports each."""
    grouped = dict(finding("train.py", 10, "DS101", "randomness"),
                   related=[{"path": "model.py", "line": 30, "cell": None}])
    labels = {"o/r": [label("model.py", 31, "randomness", "yes", rule="DS101"),
                      label("data.py", 5, "randomness", "yes")]}
    result = score.score({"o/r": [grouped]}, labels)
    assert (result.total.yes_labels, result.total.recalled) == (2, 1)
    assert (result.total.tp, result.total.fp, result.total.unlabelled) == (0, 0, 1)  # precision: its own place only
