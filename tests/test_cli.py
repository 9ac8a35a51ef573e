"""The command line as users and CI run it: exit codes, formats, errors, escaping, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan.cli import main

from helpers import write_project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(*args, cwd=None):
    runner = CliRunner()
    if cwd is not None:
        old = os.getcwd()
        os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        if cwd is not None:
            os.chdir(old)


def test_fixture_repository_exits_1_and_lists_expected_findings():
    from expectations import read_expectations

    root = FIXTURES / "churn_sklearn"
    result = run(str(root), "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.output)
    reported = {(f["path"], f["cell"], f["line"], f["rule"]) for f in document["findings"]}
    expected = set(read_expectations(root).expect)
    assert reported and reported <= expected  # default confidence shows a subset of all expected


def test_clean_directory_exits_0(tmp_path):
    write_project(tmp_path, {"clean.py": "import numpy as np\nrng = np.random.default_rng(0)\nprint(rng.normal())\n"})
    result = run(str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "No debt found in 1 file." in result.output


def test_default_command_is_check_and_explicit_check_works(tmp_path):
    write_project(tmp_path, {"a.py": "P = '/data/a.csv'\n"})
    assert run(str(tmp_path)).output == run("check", str(tmp_path)).output


@pytest.mark.parametrize("args,needle", [
    (["--select", "DS999"], "matches no rule"),
    (["--fail-on", "fatal"], "Invalid value for '--fail-on'"),
    (["--no-such-option"], "No such option"),
    (["--config", "missing.toml"], "no such file"),
])
def test_bad_options_exit_2_with_a_reason(tmp_path, args, needle):
    write_project(tmp_path, {"a.py": "x = 1\n"})
    result = CliRunner().invoke(main, [str(tmp_path), *args])
    assert result.exit_code == 2
    assert needle in result.output


def test_broken_config_exits_2_with_one_line(tmp_path):
    write_project(tmp_path, {"pyproject.toml": "[tool.debtscan]\nselekt = ['DS1']\n", "a.py": "x = 1\n"})
    result = CliRunner().invoke(main, [str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown key(s) in [tool.debtscan]: selekt" in lines[0]


def test_missing_path_is_an_error_but_the_rest_is_scanned(tmp_path):
    write_project(tmp_path, {"a.py": "P = '/data/a.csv'\n"})
    result = CliRunner().invoke(main, [str(tmp_path / "a.py"), str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "path does not exist" in result.output and "DS201" in result.output


def test_fail_on_and_exit_zero(tmp_path):
    write_project(tmp_path, {"a.py": "P = '/data/a.csv'\n"})
    assert run(str(tmp_path), "--fail-on", "error").exit_code == 0
    assert run(str(tmp_path), "--exit-zero").exit_code == 0
    assert run(str(tmp_path)).exit_code == 1


def test_json_contract(tmp_path):
    write_project(tmp_path, {"pkg/m.py": "import numpy as np\n\ndef f():\n    return np.random.rand(3)\n\n"
                                         "if __name__ == '__main__':\n    f()\n"})
    document = json.loads(run(str(tmp_path), "--format", "json").output)
    assert set(document) >= {"version", "root", "findings", "errors", "summary"}
    finding = document["findings"][0]
    assert set(finding) >= {"rule", "name", "family", "severity", "confidence", "path", "line", "column", "end_line",
                            "end_column", "cell", "message", "fix", "symbol", "related", "fingerprint"}
    assert finding["path"] == "pkg/m.py" and finding["line"] == 4 and finding["column"] == 12
    assert finding["symbol"] == "f" and finding["cell"] is None and finding["family"] == "randomness"
    assert document["summary"]["by_family"] == {"randomness": 1}


def test_output_file_is_written(tmp_path):
    write_project(tmp_path / "src", {"a.py": "P = '/data/a.csv'\n"})
    out = tmp_path / "report.json"
    result = run(str(tmp_path / "src"), "--format", "json", "--output", str(out))
    assert result.exit_code == 1 and result.output == ""
    assert json.loads(out.read_text())["summary"]["findings"] == 1


def test_hostile_strings_are_escaped_in_text_output(tmp_path):
    write_project(tmp_path, {"evil.py": 'P = "/data/\\x1b[2J[bold red]x[/bold red].csv"  # \x1b]0;pwned\x07\n'})
    result = run(str(tmp_path), "--color", "always")
    assert "\x1b[" in result.output  # colour is on, so escapes exist, but none from the scanned file:
    assert "\x1b[2J" not in result.output and "\x1b]" not in result.output and "\x07" not in result.output
    assert "[bold red]x" in result.output  # shown literally, not interpreted as markup


def test_output_is_deterministic_across_runs_and_jobs():
    first = run(str(FIXTURES / "vision_torch"), "--format", "json", "--jobs", "1").output
    second = run(str(FIXTURES / "vision_torch"), "--format", "json", "--jobs", "2").output
    assert first == second


def test_python_dash_m_and_console_script_agree():
    completed = subprocess.run([sys.executable, "-m", "debtscan", "rules"], capture_output=True, text=True, check=True)
    assert "DS101" in completed.stdout and "unseeded-global-random" in completed.stdout


def test_rules_explain_and_unknown_rule():
    result = run("rules", "--explain", "DS202")
    assert result.exit_code == 0 and "## Why is this bad?" in result.output
    assert CliRunner().invoke(main, ["rules", "--explain", "DS999"]).exit_code == 2


def test_baseline_reports_only_new_findings(tmp_path):
    write_project(tmp_path / "repo", {"a.py": "import numpy as np\nx = np.random.rand()\n"})
    baseline = tmp_path / "baseline.json"
    run(str(tmp_path / "repo"), "--format", "json", "--output", str(baseline))
    assert run(str(tmp_path / "repo"), "--baseline", str(baseline)).exit_code == 0
    # a draw from another generator is a new cause (one from NumPy again would join the accepted finding)
    (tmp_path / "repo" / "a.py").write_text("import numpy as np, random\n\n\nx = np.random.rand()\ny = random.random()\n")
    document = json.loads(run(str(tmp_path / "repo"), "--baseline", str(baseline), "--format", "json").output)
    assert [(f["line"], f["rule"]) for f in document["findings"]] == [(5, "DS101")]
