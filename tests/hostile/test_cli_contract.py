"""What stops debtscan itself -- a path that does not exist, a broken or unknown-key config, an
unknown rule id, a report that cannot be written -- is one line on stderr naming the culprit and
exit status 2; a report is written whole or not at all, never truncated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.report import write_atomically

from helpers import write_project

GOOD = {"train.py": 'TRAIN = "/data/train.csv"\n'}
OLD_REPORT = '{"findings": [], "note": "the report of an earlier, successful run"}\n'


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(arg) for arg in args] + ["--no-cache"], **kwargs)


def stderr_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_path_that_does_not_exist_is_an_error_and_the_rest_is_scanned(tmp_path):
    write_project(tmp_path / "repo", GOOD)
    result = invoke(tmp_path / "repo", tmp_path / "no_such_dir", "--format", "json")
    assert result.exit_code == 2
    assert stderr_lines(result) == [f"debtscan: error: {tmp_path / 'no_such_dir'}: path does not exist: "
                                    f"{tmp_path / 'no_such_dir'}"]
    assert [f["rule"] for f in json.loads(result.stdout)["findings"]] == ["DS201"]


@pytest.mark.parametrize("config,needle", [
    ("[tool.debtscan\nselect = [", "invalid TOML"),
    ("[tool.debtscan]\nselekt = ['DS1']\n", "unknown key(s) in [tool.debtscan]: selekt"),
    ("[tool.debtscan]\nfail-on = 3\n", "fail-on must be a string"),
    ("[tool.debtscan]\nselect = ['DS999']\n", "DS999"),
    ("[tool.debtscan]\ncatalog = { no_such_section = [] }\n", "no_such_section"),
    (b"[tool.debtscan]\nselect = ['\xff']\n", "not UTF-8"),
    # catalog entries have the shapes of the rule pack's own entries, and name what it knows
    ("[[tool.debtscan.catalog.seed_setters]]\nnames = 5\n",
     "catalog.seed_setters[1].names must be a list of strings, not 5"),
    ("[[tool.debtscan.catalog.seed_setters]]\nnames = ['a.seed']\nstreams = ['pythn']\n",
     "catalog.seed_setters[1].streams: 'pythn' is not one of the catalog's streams (numpy, python,"),
    ("[[tool.debtscan.catalog.seed_setters]]\nnames = ['a.seed']\nstream = ['python']\n",
     "catalog.seed_setters[1]: unknown key(s) stream"),
    ("[tool.debtscan]\ncatalog = { seed_setters = [3] }\n", "catalog.seed_setters[1] must be a table"),
    ("[tool.debtscan.catalog.paths]\nuser_roots = '/home'\n", "catalog.paths.user_roots must be a list of strings"),
    # globs that cannot match anything, or cannot be compiled, are errors rather than silent no-ops
    ("[tool.debtscan]\nextend-exclude = ['x/[b-a]/y']\n", "extend-exclude: 'x/[b-a]/y' is not a valid pattern"),
    ("[tool.debtscan]\nextend-exclude = ['data/[raw']\n", "extend-exclude: 'data/[raw' is not a valid pattern"),
    ("[tool.debtscan]\nexclude = ['build\\']\n", "exclude: 'build\\\\' is not a valid pattern"),
    ("[tool.debtscan.per-file-ignores]\n'!' = ['DS2']\n", "per-file-ignores: '!' is not a valid pattern"),
    ("[tool.debtscan.roles]\nserving = ['[z-a].py']\n", "roles.serving: '[z-a].py' is not a valid pattern"),
])
def test_a_config_that_cannot_be_used_is_one_line_and_exit_2(tmp_path, config, needle):
    write_project(tmp_path, {**GOOD, "pyproject.toml": config})
    result = invoke(tmp_path)
    assert result.exit_code == 2, result.output
    lines = stderr_lines(result)
    assert len(lines) == 1 and needle in lines[0] and "pyproject.toml" in lines[0], lines
    assert "Traceback" not in result.output and result.stdout == ""


@pytest.mark.parametrize("args", [("--select", "DS999"), ("--ignore", "DS9999"), ("--select", "XYZ1")])
def test_an_unknown_rule_id_is_one_line_and_exit_2(tmp_path, args):
    write_project(tmp_path, GOOD)
    result = invoke(tmp_path, *args)
    assert result.exit_code == 2
    lines = stderr_lines(result)
    assert len(lines) == 1 and args[1] in lines[0], lines


def test_explaining_an_unknown_rule_is_one_line_and_exit_2():
    result = CliRunner().invoke(main, ["rules", "--explain", "DS999"])
    assert result.exit_code == 2 and len(stderr_lines(result)) == 1 and "DS999" in result.stderr


def test_an_internal_error_exits_2_not_1(tmp_path, monkeypatch):
    """Exit status 1 means "debt found" to CI; a crash must never read as that."""
    write_project(tmp_path, GOOD)

    def broken(*args, **kwargs):
        raise RuntimeError("reporter bug")

    monkeypatch.setattr("debtscan.report.render", broken)
    result = invoke(tmp_path, "--format", "json")
    assert result.exit_code == 2
    assert stderr_lines(result)[-1] == "debtscan: error: internal error: RuntimeError: reporter bug"


# -- --output ------------------------------------------------------------------------------------------

def leftovers(directory: Path, keep: str) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name != keep)


def test_a_run_that_fails_leaves_an_earlier_report_untouched(tmp_path):
    write_project(tmp_path / "repo", {**GOOD, "pyproject.toml": "[tool.debtscan]\nselekt = 1\n"})
    report = tmp_path / "out" / "debt.json"
    report.parent.mkdir()
    report.write_text(OLD_REPORT)
    result = invoke(tmp_path / "repo", "--format", "json", "--output", report)
    assert result.exit_code == 2
    assert report.read_text() == OLD_REPORT and leftovers(report.parent, "debt.json") == []


class _DiskFullAfterHalf:
    """A stream that writes half of what it is given, then fails as a full disk does."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        self.stream.write(text[: len(text) // 2])
        self.stream.flush()
        raise OSError(28, "No space left on device")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stream.close()
        return False


def writes_failing_with(wrapper, real_fdopen):
    """os.fdopen whose streams opened for writing fail; reading (the scanned files) is untouched."""
    def fdopen(fd, mode="r", *args, **kwargs):
        stream = real_fdopen(fd, mode, *args, **kwargs)
        return wrapper(stream) if "w" in mode else stream
    return fdopen


def test_a_write_that_fails_halfway_leaves_no_truncated_report(tmp_path, monkeypatch):
    write_project(tmp_path / "repo", GOOD)
    report = tmp_path / "out" / "debt.json"
    report.parent.mkdir()
    report.write_text(OLD_REPORT)
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", writes_failing_with(_DiskFullAfterHalf, real_fdopen))
    result = invoke(tmp_path / "repo", "--format", "json", "--output", report)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert stderr_lines(result) == [f"debtscan: error: cannot write {report}: No space left on device"]
    assert report.read_text() == OLD_REPORT and leftovers(report.parent, "debt.json") == []


def test_an_interrupted_write_leaves_no_truncated_report(tmp_path, monkeypatch):
    report = tmp_path / "debt.json"
    report.write_text(OLD_REPORT)
    real_fdopen = os.fdopen

    class Interrupted(_DiskFullAfterHalf):
        def write(self, text):
            self.stream.write(text[:10])
            raise KeyboardInterrupt

    monkeypatch.setattr(os, "fdopen", writes_failing_with(Interrupted, real_fdopen))
    with pytest.raises(KeyboardInterrupt):
        write_atomically(report, json.dumps({"findings": [1, 2, 3]}))
    monkeypatch.undo()
    assert report.read_text() == OLD_REPORT and leftovers(tmp_path, "debt.json") == []


def test_a_report_into_a_missing_directory_is_one_line_and_exit_2(tmp_path):
    write_project(tmp_path / "repo", GOOD)
    report = tmp_path / "no_such_dir" / "debt.json"
    result = invoke(tmp_path / "repo", "--output", report)
    assert result.exit_code == 2
    lines = stderr_lines(result)
    assert len(lines) == 1 and "cannot write" in lines[0] and str(report) in lines[0]
    assert not report.parent.exists()


def test_a_successful_run_replaces_the_report_whole(tmp_path):
    write_project(tmp_path / "repo", GOOD)
    report = tmp_path / "debt.json"
    report.write_text(OLD_REPORT * 1000)  # longer than the new report: nothing of it may remain
    result = invoke(tmp_path / "repo", "--format", "json", "--output", report)
    assert result.exit_code == 1 and result.stdout == ""
    assert [f["rule"] for f in json.loads(report.read_text())["findings"]] == ["DS201"]
    assert leftovers(tmp_path, "debt.json") == ["repo"]


# -- Ctrl-C: exit status 130 and one line, whenever it comes --------------------------------------------

INTERRUPTED = ["debtscan: interrupted"]


def start(*args: str, cwd: Path, **options) -> subprocess.Popen:
    """debtscan in a session of its own, so Ctrl-C can be sent to all its processes as a
    terminal sends it (to the whole process group)."""
    return subprocess.Popen([sys.executable, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, **options)


def ctrl_c(process: subprocess.Popen) -> tuple[str, str]:
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def group_is_gone(process: subprocess.Popen) -> bool:
    """Whether every process of the run (the workers too) has ended."""
    for _ in range(100):
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_in_the_middle_of_a_scan_exits_130_with_one_line(tmp_path, jobs):
    module = (Path(__file__).resolve().parents[2] / "fixtures" / "churn_sklearn" / "train.py").read_text()
    write_project(tmp_path / "repo", {f"module_{number}.py": module * 4 for number in range(300)})
    cache = tmp_path / "cache"
    process = start("-m", "debtscan", "repo", "--format", "json", "-j", jobs, "--cache-dir", str(cache), cwd=tmp_path)
    began = time.monotonic()
    # files are being analysed once their cache entries appear (the tree takes far longer to scan)
    while sum(path.is_file() for path in cache.rglob("*")) < 6 and process.poll() is None \
            and time.monotonic() - began < 120:
        time.sleep(0.05)
    assert process.poll() is None, "the scan ended before it could be interrupted"
    stdout, stderr = ctrl_c(process)
    assert process.returncode == 130, stderr[-3000:]
    assert stderr.splitlines() == INTERRUPTED and stdout == ""
    assert group_is_gone(process)  # no worker is left running


def test_ctrl_c_while_debtscan_starts_exits_130_with_one_line(tmp_path):
    write_project(tmp_path, GOOD)
    # `-X importtime` reports each import as it completes: once click is in, the command line
    # (and the parser and rule pack behind it) is still loading
    process = start("-X", "importtime", "-m", "debtscan", ".", "--no-cache", cwd=tmp_path)
    seen = []
    for line in process.stderr:
        seen.append(line)
        if line.rstrip().endswith(" click") and line.startswith("import time:"):
            break
    stdout, stderr = ctrl_c(process)
    lines = [line for line in (*seen, *stderr.splitlines()) if not line.startswith("import time:")]
    assert process.returncode == 130, "".join(lines)[-3000:]
    assert [line.rstrip("\n") for line in lines] == INTERRUPTED and stdout == ""


def test_ctrl_c_is_130_in_process_too(tmp_path, monkeypatch):
    """Wherever the scan is when Ctrl-C comes, the command line turns it into exit status 130."""
    write_project(tmp_path, GOOD)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("debtscan.runner.scan", interrupted)
    result = invoke(tmp_path)
    assert result.exit_code == 130 and stderr_lines(result) == INTERRUPTED
