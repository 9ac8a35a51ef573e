"""Baselines: accepted debt stays quiet, new debt fails the gate, paid-off debt is counted and pruned."""

from __future__ import annotations

import json
import os
import shlex
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan.baseline import normalise_snippet
from debtscan.cli import main

from helpers import write_project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# rules of the families under test only, so other families' rules cannot change exact expectations
CONFIG = "[tool.debtscan]\nselect = ['DS0', 'DS1', 'DS2']\n"
HELPERS = "".join(f"def helper_{n}(frame):\n    return frame.dropna()\n\n" for n in range(5))  # 15 lines
NEW_DRAW = '    log.info("noise %s", np.random.rand(3))\n'  # goes into main() of the churn fixture's train.py


def add_a_draw(text: str) -> str:
    text = text.replace("import pandas as pd\n", "import numpy as np\nimport pandas as pd\n", 1)
    return text.replace("    model.fit(X_train, y_train)\n", "    model.fit(X_train, y_train)\n" + NEW_DRAW, 1)


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


def report(*args) -> dict:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.fixture
def churn(tmp_path) -> Path:
    """A copy of the churn fixture with a baseline of all its debt written next to it."""
    repo = tmp_path / "churn"
    shutil.copytree(FIXTURES / "churn_sklearn", repo)
    written = run("baseline", "write", repo, "-o", tmp_path / "baseline.json")
    assert written.exit_code == 0, written.output
    return repo


def entries(path: Path) -> list[dict]:
    return json.loads(path.read_text())["findings"]


def gone(baseline: Path, repo: Path) -> Counter:
    """Rules of the baseline entries whose finding a full scan no longer reports (fixme included)."""
    document = report(repo, "--min-confidence", "low")
    present = Counter(f["fingerprint"] for f in document["findings"] + document["fixme"])
    missing = Counter()
    for entry in entries(baseline):
        if present[entry["fingerprint"]]:
            present[entry["fingerprint"]] -= 1
        else:
            missing[entry["rule"]] += 1
    return missing


def test_baseline_file_lists_every_finding_at_every_confidence(churn, tmp_path):
    document = json.loads((tmp_path / "baseline.json").read_text())
    assert document["version"] == 1 and document["tool"] == "debtscan"
    everything = report(churn, "--min-confidence", "low")["findings"]
    assert sorted(e["fingerprint"] for e in document["findings"]) == sorted(f["fingerprint"] for f in everything)
    assert set(document["findings"][0]) == {"rule", "path", "symbol", "snippet", "fingerprint", "line"}


def test_baselined_repository_passes_the_gate(churn, tmp_path):
    result = run(churn, "--baseline", tmp_path / "baseline.json", "--min-confidence", "low")
    assert result.exit_code == 0, result.output
    assert "accepted by the baseline" in result.output


def test_one_new_finding_fails_the_gate_with_exactly_that_finding(churn, tmp_path):
    train = churn / "train.py"
    train.write_text(add_a_draw(train.read_text()))
    result = run(churn, "--baseline", tmp_path / "baseline.json", "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    assert [(f["path"], f["rule"], f["symbol"], f["snippet"]) for f in findings] == [
        ("train.py", "DS101", "main", NEW_DRAW.rstrip("\n"))]


def test_moving_code_by_20_lines_keeps_every_finding_accepted(churn, tmp_path):
    train = churn / "train.py"
    text = train.read_text()
    moved = text.replace("def load(", "# five more lines of notes\n#\n#\n#\n#\n" + HELPERS + "def load(", 1)
    assert moved.count("\n") == text.count("\n") + 20
    train.write_text(moved)
    config = churn / "config.py"
    config.write_text("\n" * 20 + config.read_text())  # and code moving down at the top of a module
    result = run(churn, "--baseline", tmp_path / "baseline.json", "--min-confidence", "low")
    assert result.exit_code == 0, result.output
    assert report(churn, "--baseline", tmp_path / "baseline.json")["summary"]["fixed_since_baseline"] == 0


def test_third_copy_of_a_finding_accepted_twice_is_new(tmp_path):
    head = "from sklearn.ensemble import RandomForestClassifier\n\ndef f():\n"
    forest = "    model = RandomForestClassifier()\n"
    write_project(tmp_path / "repo", {"m.py": head + forest * 2, "pyproject.toml": CONFIG})
    run("baseline", "write", tmp_path / "repo", "-o", tmp_path / "b.json")
    (tmp_path / "repo" / "m.py").write_text(head + forest * 3)
    document = report(tmp_path / "repo", "--baseline", tmp_path / "b.json", "--min-confidence", "low")
    assert [(f["line"], f["rule"]) for f in document["findings"]] == [(6, "DS103")]
    assert document["summary"]["baseline"] == 2


def test_editing_a_comment_on_the_line_keeps_the_fingerprint(tmp_path):
    write_project(tmp_path / "repo", {"m.py": "import numpy as np\nx = np.random.rand(3)  # old note\n",
                                      "pyproject.toml": CONFIG})
    run("baseline", "write", tmp_path / "repo", "-o", tmp_path / "b.json")
    (tmp_path / "repo" / "m.py").write_text("import numpy as np\nx  =  np.random.rand(3)  # new note, '#' too\n")
    assert run(tmp_path / "repo", "--baseline", tmp_path / "b.json").exit_code == 0


def test_snippet_normalisation_keeps_hashes_inside_strings():
    assert normalise_snippet('  url = f"#{x}"   # anchor  ') == 'url = f"#{x}"'
    assert normalise_snippet("model = Forest(  # noqa: DS103") == "model = Forest("
    assert normalise_snippet('s = """# not a comment') == 's = """# not a comment'


def test_paid_off_debt_is_shown_in_every_summary(churn, tmp_path):
    train = churn / "train.py"
    train.write_text(train.read_text().replace('joblib.dump(model, "/opt/models/churn/churn_rf.joblib")',
                                               "joblib.dump(model, config.MODEL_PATH)"))
    expected = gone(tmp_path / "baseline.json", churn)
    assert expected["DS201"] == 1  # the hard-coded path, and whatever other rule saw that literal
    document = report(churn, "--baseline", tmp_path / "baseline.json")
    assert document["summary"]["fixed_since_baseline"] == sum(expected.values())
    assert document["summary"]["paid_off_by_rule"] == dict(sorted(expected.items()))
    text = run(churn, "--baseline", tmp_path / "baseline.json").output
    assert f"Paid off since the baseline: {sum(expected.values())} finding" in text and "DS201 ×1" in text


def test_narrower_scans_do_not_count_accepted_debt_as_paid_off(churn, tmp_path):
    baseline = tmp_path / "baseline.json"
    assert report(churn, "--baseline", baseline, "--min-confidence", "high")["summary"]["fixed_since_baseline"] == 0
    assert report(churn, "--baseline", baseline, "--select", "DS2")["summary"]["fixed_since_baseline"] == 0
    assert report(churn / "train.py", "--baseline", baseline, "--config", churn / "pyproject.toml",
                  )["summary"]["fixed_since_baseline"] == 0


def test_suppressed_debt_is_not_paid_off_but_fixed_or_deleted_debt_is(tmp_path):
    write_project(tmp_path / "repo", {"a.py": "import numpy as np\nx = np.random.rand(3)\n",
                                      "b.py": "P = '/data/b.csv'\n", "c.py": "Q = '/data/c.csv'\n",
                                      "pyproject.toml": CONFIG})
    run("baseline", "write", tmp_path / "repo", "-o", tmp_path / "b.json")
    (tmp_path / "repo" / "a.py").write_text("import numpy as np\nx = np.random.rand(3)  # debtscan: fixme[DS101]\n")
    (tmp_path / "repo" / "b.py").write_text("P = 'data/b.csv'\n")
    (tmp_path / "repo" / "c.py").unlink()
    document = report(tmp_path / "repo", "--baseline", tmp_path / "b.json")
    assert document["summary"]["paid_off_by_rule"] == {"DS201": 2}


def test_a_file_that_no_longer_parses_has_not_paid_its_debt(tmp_path):
    write_project(tmp_path / "repo", {"a.py": "P = '/data/a.csv'\n", "pyproject.toml": CONFIG})
    run("baseline", "write", tmp_path / "repo", "-o", tmp_path / "b.json")
    (tmp_path / "repo" / "a.py").write_text("P = '/data/a.csv'\nprint 'py2'\n")
    document = report(tmp_path / "repo", "--baseline", tmp_path / "b.json")
    assert [f["rule"] for f in document["findings"]] == ["DS001"]
    assert document["summary"]["fixed_since_baseline"] == 0


def test_prune_only_removes_paid_off_entries(churn, tmp_path):
    baseline = tmp_path / "baseline.json"
    before = entries(baseline)
    train = churn / "train.py"
    train.write_text(add_a_draw(train.read_text().replace('"/opt/models/churn/churn_rf.joblib"', "config.MODEL_PATH")))
    expected = gone(baseline, churn)
    result = run("baseline", "prune", churn, "--baseline", baseline)
    assert result.exit_code == 0, result.output
    after = entries(baseline)
    removed = sum(expected.values())
    assert f"Removed {removed} paid-off entr" in result.output and expected["DS201"] == 1
    assert Counter(e["rule"] for e in before if e not in after) == expected
    assert all(entry in before for entry in after)  # the new DS101 was not added
    assert run(churn, "--baseline", baseline, "--format", "json").exit_code == 1  # and is still new


def test_prune_writes_elsewhere_and_accepts_a_json_report(churn, tmp_path):
    json_report = tmp_path / "report.json"
    run(churn, "--format", "json", "-o", json_report)
    result = run("baseline", "prune", churn, "-b", json_report, "-o", tmp_path / "pruned.json")
    assert result.exit_code == 0, result.output
    assert "Removed 0 paid-off entries" in result.output
    assert len(entries(tmp_path / "pruned.json")) == len(entries(json_report))
    assert run(churn, "--baseline", tmp_path / "pruned.json").exit_code == 0


@pytest.mark.parametrize("content,needle", [
    ("not json", "not a readable baseline"),
    ('{"findings": [{"rule": "DS101"}]}', "not a debtscan baseline"),
    ('[1, 2]', "not a debtscan baseline"),
    ('{"version": 99, "tool": "debtscan", "findings": []}', "format version 99 is not supported"),
])
def test_a_bad_baseline_file_exits_2_with_a_reason(tmp_path, content, needle):
    write_project(tmp_path / "repo", {"a.py": "x = 1\n", "pyproject.toml": CONFIG})
    (tmp_path / "b.json").write_text(content)
    for args in ([tmp_path / "repo", "--baseline", tmp_path / "b.json"],
                 ["baseline", "prune", tmp_path / "repo", "-b", tmp_path / "b.json"]):
        result = CliRunner().invoke(main, [str(arg) for arg in args])
        assert result.exit_code == 2 and needle in result.output, result.output


def test_baseline_write_refuses_a_scan_with_errors(tmp_path):
    result = CliRunner().invoke(main, ["baseline", "write", str(tmp_path / "missing"), "-o", str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "path does not exist" in result.output
    assert not (tmp_path / "b.json").exists()


def test_readme_baseline_commands_work_as_written(churn, tmp_path):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Baselines\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.strip()]
    assert [command[:3] for command in commands] == [["debtscan", "baseline", "write"], ["debtscan", ".", "--baseline"],
                                                     ["debtscan", "baseline", "prune"]]
    old = os.getcwd()
    os.chdir(churn)
    try:
        for command in commands:
            result = CliRunner().invoke(main, command[1:])
            assert result.exit_code == 0, (command, result.output)
    finally:
        os.chdir(old)
    assert len(entries(churn / "debtscan-baseline.json")) == len(entries(tmp_path / "baseline.json"))


# -- one root for baseline paths, whatever is scanned and from where ------------------------------

NESTED = {"pyproject.toml": CONFIG, ".git/HEAD": "ref: refs/heads/main\n",
          "top.py": "P = '/data/top.csv'\n",
          "pkg/a.py": "import numpy as np\nx = np.random.rand(3)\n",
          "pkg/deep/b.py": "Q = '/data/b.csv'\n"}


@pytest.fixture
def nested(tmp_path) -> Path:
    """A checkout with no config: the project root is the checkout's top."""
    repo = write_project(tmp_path / "repo", {**NESTED, "pyproject.toml": "[project]\nname = 'nested'\n"})
    assert run("baseline", "write", repo, "-o", repo / "baseline.json").exit_code == 0
    assert len(entries(repo / "baseline.json")) == 3
    return repo


def in_directory(directory: Path, *args):
    old = os.getcwd()
    os.chdir(directory)
    try:
        return CliRunner().invoke(main, [str(arg) for arg in args])
    finally:
        os.chdir(old)


@pytest.mark.parametrize("config", [True, False], ids=["config", "git-top"])
def test_prune_from_a_subdirectory_or_on_one_keeps_every_unpaid_entry(tmp_path, config):
    """`baseline prune` run from a subdirectory, or on one, once emptied the baseline
    ("Removed 12 paid-off entries; 0 remain.", exit 0)."""
    files = dict(NESTED) if config else {key: value for key, value in NESTED.items() if key != "pyproject.toml"}
    repo = write_project(tmp_path / "repo", files)
    assert run("baseline", "write", repo, "-o", repo / "baseline.json").exit_code == 0
    before = entries(repo / "baseline.json")
    assert len(before) >= 3
    for where, args in [(repo / "pkg", ["baseline", "prune", "-b", "../baseline.json"]),
                        (repo / "pkg", ["baseline", "prune", ".", "-b", repo / "baseline.json"]),
                        (repo, ["baseline", "prune", "pkg", "-b", "baseline.json"]),
                        (repo, ["baseline", "prune", "pkg/deep", "-b", "baseline.json"]),
                        (repo / "pkg" / "deep", ["baseline", "prune", "b.py", "-b", repo / "baseline.json"])]:
        result = in_directory(where, *args)
        assert result.exit_code == 0, (where, args, result.output)
        assert "Removed 0 paid-off entries" in result.output, (where, args, result.output)
        assert entries(repo / "baseline.json") == before


def test_check_from_a_subdirectory_accepts_the_baselined_findings(nested):
    """`check --baseline` from a subdirectory once reported every accepted finding as new."""
    for where, args in [(nested / "pkg", [".", "--baseline", "../baseline.json"]),
                        (nested, ["pkg/deep", "--baseline", "baseline.json"]),
                        (nested / "pkg", ["deep/b.py", "--baseline", nested / "baseline.json", "--format", "json"])]:
        result = in_directory(where, *args, "--min-confidence", "low")
        assert result.exit_code == 0, (where, args, result.output)
        assert "debtscan: warning" not in result.output


def test_paid_off_debt_in_a_subdirectory_is_pruned_from_it(nested):
    (nested / "pkg" / "deep" / "b.py").write_text("Q = 'data/b.csv'\n")
    result = in_directory(nested / "pkg", "baseline", "prune", "-b", "../baseline.json")
    assert result.exit_code == 0 and "Removed 1 paid-off entry; 2 remain." in result.output, result.output
    assert sorted(entry["path"] for entry in entries(nested / "baseline.json")) == ["pkg/a.py", "top.py"]


def test_the_baseline_records_its_root_relative_to_itself(nested, tmp_path):
    assert json.loads((nested / "baseline.json").read_text())["root"] == "."
    (tmp_path / "elsewhere").mkdir()
    result = in_directory(nested / "pkg", "baseline", "write", ".", "-o", tmp_path / "elsewhere" / "b.json")
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "elsewhere" / "b.json").read_text())
    assert document["root"] == "../repo" and [entry["path"] for entry in document["findings"]] == ["pkg/a.py", "pkg/deep/b.py"]
    assert run(nested, "--baseline", tmp_path / "elsewhere" / "b.json", "--select", "DS1").exit_code == 0


def test_prune_refuses_a_scan_that_reads_none_of_the_baselined_files(nested, tmp_path):
    other = write_project(tmp_path / "other", {"pyproject.toml": CONFIG, "c.py": "x = 1\n"})
    result = run("baseline", "prune", other, "-b", nested / "baseline.json")
    assert result.exit_code == 2, result.output
    assert "none of the 3 baseline entries names a file this scan read" in result.output
    assert len(entries(nested / "baseline.json")) == 3
    checked = run(other, "--baseline", nested / "baseline.json")
    assert checked.exit_code == 0 and "warning: " in checked.output and "none of the 3" in checked.output


def test_a_file_that_cannot_be_read_keeps_the_entries_other_files_owe_it(tmp_path):
    """Prune once trusted a scan in which a file could not be read: it dropped entries of other
    files (a train/serve copy is judged by both sides), and the gate failed once the file was
    readable again."""
    source = FIXTURES / "rules" / "skew" / "exact_copy"
    repo = write_project(tmp_path / "repo", {name: (source / name).read_text() for name in ("train.py", "serve.py")})
    assert run("baseline", "write", repo, "-o", tmp_path / "b.json").exit_code == 0
    before = entries(tmp_path / "b.json")
    assert [entry["rule"] for entry in before] == ["DS401"] and before[0]["path"] == "serve.py"
    train = repo / "train.py"
    readable = train.read_bytes()
    train.write_bytes(b'NAME = "caf\xe9"\n' + readable)  # DS002: cannot be decoded, so not analysed
    result = run("baseline", "prune", repo, "-b", tmp_path / "b.json")
    assert result.exit_code == 0 and "Removed 0 paid-off entries" in result.output, result.output
    train.write_bytes(readable)
    assert run(repo, "--baseline", tmp_path / "b.json").exit_code == 0


@pytest.mark.parametrize("content", ['{"version": 7, "findings": []}', '{"findings": [{"fingerprint": "x"}]}',
                                     '{"version": 1, "tool": "other", "findings": []}'])
def test_a_baseline_of_an_unknown_version_or_tool_is_refused(tmp_path, content):
    write_project(tmp_path / "repo", {"a.py": "x = 1\n", "pyproject.toml": CONFIG})
    (tmp_path / "b.json").write_text(content)
    result = CliRunner().invoke(main, [str(tmp_path / "repo"), "--baseline", str(tmp_path / "b.json")])
    assert result.exit_code == 2 and "is not supported" in result.output, result.output
