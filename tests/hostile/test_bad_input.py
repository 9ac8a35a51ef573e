"""Whatever a repository holds, the scan goes on: each file debtscan cannot check becomes one
finding with its path (DS001 unparsable, DS002 unreadable), the rest is checked as usual, and
the exit code follows the contract (1 here: there are findings; never a crash).

The tree is scanned once, by `python -m debtscan` in a child process, so that even a crash of
a native parser would fail these tests instead of killing the test run.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.report import FORMATS

from debtscan.runner import analyse_file
from debtscan.model import FileProblem
from debtscan.source import MAX_CODE_CHARS, MAX_CODE_TOKENS

GOOD = 'import numpy as np\nTRAIN = "/data/train.csv"\nnoise = np.random.rand(3)\n'
NOTEBOOK = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
    {"cell_type": "code", "metadata": {}, "outputs": [], "source": "import numpy as np\na = np.random.rand(1)"},
    {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["b = np.random.rand(2)\n", "print(a, b)"]},
]})


def generated(size: int) -> bytes:
    """A module of the kind code generators write: one huge table."""
    rows, total, index = [b"TABLE = {\n"], 0, 0
    while total < size:
        row = b"    'key_%d': (%d, %d.5, 'value_%d'),\n" % (index, index, index, index)
        rows.append(row)
        total += len(row)
        index += 1
    rows.append(b"}\n")
    return b"".join(rows)


def one_line_list(size: int) -> bytes:
    """`DATA = [0, 1, 2, …]` on one line, `size` bytes: a data table pasted into code (before the
    token limit, 1.9 MB of it took half a minute and 2.6 GB, as much per token as code does)."""
    count = (size - 9) // 3
    return b"DATA = [" + b", ".join(b"%d" % (index % 10) for index in range(count)) + b"]\n"


# name -> (bytes, expected rule, words the message must contain; a finding's rule for readable files)
BAD_FILES: dict[str, tuple[bytes, str, tuple[str, ...]]] = {
    "half_written.py": (b"def train(:\n    pass\n", "DS001", ("not valid Python",)),
    "legacy_py2.py": (b'import os\nprint "done", os.getcwd()\n', "DS001", ("print", "Python 2")),
    "py2_except.py": (b"try:\n    pass\nexcept ValueError, error:\n    pass\n", "DS001", ("Python 2",)),
    "module_nonlocal.py": (b"import numpy as np\nnonlocal seed\nnp.random.seed(seed)\n", "DS001",
                           ("nonlocal declaration not allowed at module level",)),
    "invalid_utf8.py": (b'LABEL = "caf\xe9"\n', "DS002", ("cannot be decoded as utf-8", "line 1")),
    "bad_cookie.py": (b"# -*- coding: klingon -*-\nx = 1\n", "DS002", ("coding declaration", "klingon")),
    "nul_bytes.py": (b"x = 1\n\x00\x00\x00\n", "DS002", ("NUL bytes",)),
    "generated_5mb.py": (generated(5_000_000), "DS002", ("too large to analyse", "MB")),
    # under the size limit, but a list literal costs the parser as much per token as code does
    "one_line_list.py": (one_line_list(1_900_000), "DS002", ("too large to analyse", "tokens")),
    "nested_parentheses.py": (b"x = " + b"(" * 5000 + b"1" + b")" * 5000 + b"\n", "DS001", ("nested too deeply",)),
    "nested_lists.py": (b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "DS001", ("nested too deeply",)),
    "long_sum.py": (b"x = " + b" + ".join([b"1"] * 100_000) + b"\n", "DS001", ("nested too deeply",)),
    "unary_chain.py": (b"x = " + b"-" * 100_000 + b"1\n", "DS001", ("nested too deeply",)),
    "long_condition.py": (b"ok = " + b" and ".join([b"a"] * 20_000) + b"\n", "DS001", ("`and`/`or` chain",)),
    # valid Python, which libcst cannot parse: a limit of the parser, not an error in the file
    "adjacent_strings.py": (b"x = (" + b" ".join([b'"a"'] * 100_000) + b")\n", "DS001",
                            ("beyond the parser's limits", "valid Python")),
    "deep_blocks.py": (b"".join(b" " * depth + b"if x:\n" for depth in range(150)) + b" " * 150 + b"pass\n",
                       "DS001", ("nested too deeply",)),
    "not_json.ipynb": (b"{'cells': [", "DS002", ("invalid JSON",)),
    "json_not_notebook.ipynb": (b'{"data": [1, 2, 3]}', "DS002", ("not a Jupyter notebook",)),
    "json_list.ipynb": (b"[1, 2, 3]", "DS002", ("not a Jupyter notebook",)),
    "json_too_deep.ipynb": (b"[" * 200_000 + b"]" * 200_000, "DS002", ("nested too deeply",)),
    "utf16.ipynb": ('{"cells": []}'.encode("utf-16"), "DS002", ("not UTF-8",)),
}

# name -> (bytes, [(line, rule)] expected): files that must be read correctly despite their shape
GOOD_FILES: dict[str, tuple[bytes, list[tuple[int, str]]]] = {
    "good.py": (GOOD.encode(), [(2, "DS201"), (3, "DS101")]),
    "latin1_cookie.py": (b'# -*- coding: latin-1 -*-\nDATA = "/data/caf\xe9.csv"\n', [(2, "DS201")]),
    "bom.py": (b"\xef\xbb\xbf" + GOOD.encode(), [(2, "DS201"), (3, "DS101")]),
    "crlf.py": (GOOD.replace("\n", "\r\n").encode(), [(2, "DS201"), (3, "DS101")]),
    "mixed_endings.py": (b'import numpy as np\r\nTRAIN = "/data/train.csv"\rnoise = np.random.rand(3)\n',
                         [(2, "DS201"), (3, "DS101")]),
    "empty.py": (b"", []),
    "only_comments.py": (b"# nothing to see\n", []),
    "top_level_await.py": (b"import numpy as np\nrows = await fetch()\nnoise = np.random.rand(3)\n", [(3, "DS101")]),
    "cells_as_text_and_lists.ipynb": (NOTEBOOK.encode(), [(2, "DS101")]),  # one cause; the other draw is related
    "x.py/inside.py": (b'OUT = "/data/out.csv"\n', [(1, "DS201")]),
    "unknown_rule_in_suppression.py": (b"x = 1  # debtscan: ignore[DS999]\n", [(1, "DS004")]),
}


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name, (data, *_rest) in {**BAD_FILES, **GOOD_FILES}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "loop.py").symlink_to("loop.py")
    (root / "dangling.py").symlink_to("does_not_exist.py")
    (root / "zeros.py").symlink_to(os.devnull.replace("null", "zero"))
    (root / "sub").mkdir()
    (root / "sub" / "parent_loop").symlink_to("..", target_is_directory=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "socket.py"))
    yield root
    listener.close()


SPECIAL = {
    "loop.py": ("DS002", ("symlink loop",)),
    "dangling.py": ("DS002", ("broken symlink",)),
    "zeros.py": ("DS002", ("not a regular file",)),
    "socket.py": ("DS002", ("not a regular file",)),
}


def run_debtscan(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "debtscan", *args, "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def in_process(monkeypatch, cwd: Path, *args: str):
    """The command line run in this process (for inputs that cannot crash or hang it)."""
    monkeypatch.chdir(cwd)
    return CliRunner().invoke(main, [*args, "--no-cache"])


@pytest.fixture(scope="module")
def reports(hostile_tree):
    as_json = run_debtscan(".", "--format", "json", "--min-confidence", "low", cwd=hostile_tree)
    if as_json.returncode not in (0, 1, 2):  # it crashed: running it in this process would crash the tests
        pytest.fail(f"debtscan died with status {as_json.returncode}: {as_json.stderr[-2000:]}")
    old = os.getcwd()
    os.chdir(hostile_tree)
    try:
        as_text = CliRunner().invoke(main, [".", "--min-confidence", "low", "--no-cache"])
    finally:
        os.chdir(old)
    return as_json, as_text


def test_the_scan_survives_and_exits_with_findings(reports):
    as_json, as_text = reports
    assert as_json.returncode == 1 and as_text.exit_code == 1, as_json.stderr[-2000:] + as_text.stderr[-2000:]
    assert as_json.stderr == "" and as_text.stderr == ""
    assert "Traceback" not in as_json.stdout + as_text.stdout
    assert json.loads(as_json.stdout)["errors"] == []


@pytest.mark.parametrize("name", sorted({**BAD_FILES, **SPECIAL}))
def test_each_bad_file_is_one_finding_with_its_path(reports, name):
    document = json.loads(reports[0].stdout)
    rule, words = BAD_FILES[name][1:] if name in BAD_FILES else SPECIAL[name]
    mine = [finding for finding in document["findings"] if finding["path"] == name]
    assert [finding["rule"] for finding in mine] == [rule], mine
    assert all(word.lower() in mine[0]["message"].lower() for word in words), mine[0]["message"]
    assert "\n" not in mine[0]["message"]
    assert name in reports[1].stdout  # the text report names it too


@pytest.mark.parametrize("name", sorted(GOOD_FILES))
def test_odd_but_valid_files_are_checked_as_usual(reports, name):
    document = json.loads(reports[0].stdout)
    mine = sorted((finding["line"], finding["rule"]) for finding in document["findings"] if finding["path"] == name)
    assert mine == sorted(GOOD_FILES[name][1])


def test_a_declared_encoding_is_honoured_in_the_report(reports):
    document = json.loads(reports[0].stdout)
    finding = next(finding for finding in document["findings"] if finding["path"] == "latin1_cookie.py")
    assert "/data/café.csv" in finding["message"]
    assert finding["snippet"] == 'DATA = "/data/café.csv"'


def test_a_byte_order_mark_does_not_shift_columns(reports):
    document = json.loads(reports[0].stdout)
    columns = {(finding["path"], finding["rule"]): finding["column"] for finding in document["findings"]}
    assert columns[("bom.py", "DS201")] == columns[("good.py", "DS201")] == 9


def test_every_file_is_counted_and_symlinked_directories_are_not_followed(reports):
    summary = json.loads(reports[0].stdout)["summary"]
    assert summary["files"] == len(BAD_FILES) + len(GOOD_FILES) + len(SPECIAL)


def test_the_size_limit_sits_far_above_hand_written_code():
    assert MAX_CODE_CHARS >= 1_000_000  # pandas' frame.py, among the largest real modules, is 0.7 MB
    assert MAX_CODE_TOKENS >= 200_000  # numpy's test_multiarray.py, 0.4 MB, holds about 110,000


def test_the_token_limit_is_what_the_parser_would_meet():
    from debtscan.source import load_source

    assert len(one_line_list(1_900_000)) < MAX_CODE_CHARS
    below = b"DATA = [" + b", ".join([b"1"] * (MAX_CODE_TOKENS // 2 - 10)) + b"]\n"
    assert not isinstance(load_source(below, "below.py"), FileProblem)
    strings = 'x = """' + "long text " * 50_000 + '"""\n# ' + "a comment " * 50_000 + "\n"  # a token each
    assert not isinstance(load_source(strings.encode(), "strings.py"), FileProblem)
    over = load_source(one_line_list(1_900_000), "list.py")
    assert isinstance(over, FileProblem) and over.kind == "size" and f"{MAX_CODE_TOKENS:,} tokens" in over.message


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.py"
    os.mkfifo(fifo)
    result = analyse_file(str(fifo), "pipe.py", setup=None)  # returns before any analysis is needed
    assert [problem.message for problem in result.problems] == ["is not a regular file (a pipe, socket or device)"]


@pytest.mark.parametrize("reported_size", [0, 10])
def test_a_file_longer_than_its_reported_size_is_read_whole_and_still_limited(tmp_path, monkeypatch, reported_size):
    """Reads are sized by fstat; a file that grew since, or whose system reports no size
    (some mounted file systems), is read on to the limit, never past it."""
    from debtscan import source

    path = tmp_path / "grows.py"
    path.write_bytes(b"x = 1\n" * 100)
    real_fstat = os.fstat

    def shrunk(descriptor):
        info = real_fstat(descriptor)
        return os.stat_result((info.st_mode, info.st_ino, info.st_dev, info.st_nlink, info.st_uid, info.st_gid,
                               reported_size, info.st_atime, info.st_mtime, info.st_ctime))

    monkeypatch.setattr(source.os, "fstat", shrunk)
    assert source.read_regular_file(path, 1000)[0] == b"x = 1\n" * 100
    assert source.read_regular_file(path, 600)[0] == b"x = 1\n" * 100
    assert source.read_regular_file(path, 599) == "is too large to read (over 0.0 MB)"


def test_a_named_pipe_in_a_scanned_tree_does_not_hang_the_scan(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "good.py").write_text(GOOD)
    completed = run_debtscan(".", "--format", "json", cwd=tmp_path, timeout=30)
    findings = {(f["path"], f["rule"]) for f in json.loads(completed.stdout)["findings"]}
    assert {("pipe.py", "DS002"), ("good.py", "DS201")} <= findings


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_one_finding(tmp_path, monkeypatch):
    secret = tmp_path / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    (tmp_path / "good.py").write_text(GOOD)
    try:
        completed = in_process(monkeypatch, tmp_path, ".", "--format", "json")
    finally:
        secret.chmod(0o600)
    findings = json.loads(completed.stdout)["findings"]
    mine = [f for f in findings if f["path"] == "secret.py"]
    assert [f["rule"] for f in mine] == ["DS002"] and "Permission denied" in mine[0]["message"]


def test_a_file_the_system_refuses_to_read_is_one_problem(tmp_path, monkeypatch):
    """The same path as a file without read permission, for runs where the mode is not enforced."""
    secret = tmp_path / "secret.py"
    secret.write_text("x = 1\n")

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "open", refuse)
    result = analyse_file(str(secret), "secret.py", setup=None)
    assert [problem.message for problem in result.problems] == ["cannot be read (Permission denied)"]


def test_a_symlink_loop_named_on_the_command_line_is_one_finding(tmp_path, monkeypatch):
    (tmp_path / "loop.py").symlink_to("loop.py")
    (tmp_path / "good.py").write_text(GOOD)
    completed = in_process(monkeypatch, tmp_path, "loop.py", "good.py", "--format", "json")
    findings = sorted((f["path"], f["rule"]) for f in json.loads(completed.stdout)["findings"])
    assert completed.exit_code == 1 and ("loop.py", "DS002") in findings and ("good.py", "DS201") in findings


def test_a_directory_named_like_a_module_is_walked_not_read(tmp_path, monkeypatch):
    (tmp_path / "x.py").mkdir()
    (tmp_path / "x.py" / "inside.py").write_text('OUT = "/data/out.csv"\n')
    completed = in_process(monkeypatch, tmp_path, "x.py", "--format", "json")
    document = json.loads(completed.stdout)
    assert [(f["path"], f["rule"]) for f in document["findings"]] == [("inside.py", "DS201")]
    assert document["errors"] == []


# -- every file debtscan opens is checked like a source file: pipes never block it ------------------------

READS_DATA = 'import pandas as pd\ndf = pd.read_csv("data/train.csv")\nTRAIN = "/data/train.csv"\n'
# a pipe in place of each kind of file debtscan reads besides code -> the rule that reports it
PIPES = {"pyproject.toml": "DS305", "dvc.yaml": "DS305", "dvc.lock": "DS305", "params.yaml": "DS305",
         "MLproject": "DS305", "model.dvc": "DS305", "conf/base/catalog.yml": "DS305", "conf/model.yaml": "DS305",
         ".gitignore": "DS002", "data/.gitignore": "DS002"}


@pytest.mark.parametrize("name", sorted(PIPES))
def test_a_named_pipe_among_configs_and_manifests_is_reported_without_blocking(tmp_path, name):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("a\n1\n")  # so git-ignore rules are asked about it
    (tmp_path / "train.py").write_text(READS_DATA)
    pipe = tmp_path / name
    pipe.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(pipe)
    completed = run_debtscan(".", "--format", "json", cwd=tmp_path, timeout=60)
    assert completed.returncode == 1 and completed.stderr == "", completed.stderr[-2000:]
    mine = [finding for finding in json.loads(completed.stdout)["findings"] if finding["path"] == name]
    assert [finding["rule"] for finding in mine] == [PIPES[name]], mine
    assert "not a regular file" in mine[0]["message"]


def test_a_named_pipe_given_as_the_config_is_one_error_line(tmp_path):
    (tmp_path / "train.py").write_text(READS_DATA)
    os.mkfifo(tmp_path / "settings.toml")
    completed = run_debtscan(".", "--config", "settings.toml", cwd=tmp_path, timeout=60)
    assert completed.returncode == 2 and completed.stdout == ""
    assert completed.stderr.splitlines() == [
        "debtscan: error: settings.toml: is not a regular file (a pipe, socket or device)"]


# -- what cannot be looked at is reported with its path, and the scan goes on ---------------------------

def refuse_inside(monkeypatch, directory: Path, calls=("stat", "lstat", "open", "scandir")) -> None:
    """What the system answers for a directory with read but no execute permission: its names can
    be listed, nothing in it can be looked at or opened. Root is never refused, and CI runs as
    root, so the refusal is simulated in this process."""
    inside = str(directory) + os.sep

    def guarded(real):
        def call(path, *args, **kwargs):
            if not isinstance(path, int) and os.fsdecode(os.fspath(path)).startswith(inside):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real(path, *args, **kwargs)
        return call

    for name in calls:
        monkeypatch.setattr(os, name, guarded(getattr(os, name)))


def locked_tree(root: Path) -> Path:
    (root / "good.py").write_text(GOOD)
    locked = root / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "hidden.py").write_text(GOOD)
    (locked / "inner" / "deeper.py").write_text(GOOD)
    return locked


def assert_reported_and_scanned(completed, path: str) -> None:
    assert completed.exit_code == 1 and completed.stderr == "", (completed.stderr, completed.exception)
    document = json.loads(completed.stdout)
    assert document["errors"] == []
    rules = sorted((finding["path"], finding["rule"]) for finding in document["findings"])
    assert (path, "DS002") in rules and ("good.py", "DS201") in rules, rules
    mine = [finding for finding in document["findings"] if finding["path"] == path]
    assert len(mine) == 1 and "Permission denied" in mine[0]["message"], mine


def test_a_directory_that_cannot_be_searched_is_one_finding_and_the_scan_goes_on(tmp_path, monkeypatch):
    locked = locked_tree(tmp_path)
    (locked / ".gitignore").write_text("*.tmp\n")  # asked about first, where the walk used to stop
    refuse_inside(monkeypatch, locked)
    assert_reported_and_scanned(in_process(monkeypatch, tmp_path, ".", "--format", "json"), "locked")


def test_a_directory_that_cannot_be_searched_named_on_the_command_line(tmp_path, monkeypatch):
    locked = locked_tree(tmp_path)
    refuse_inside(monkeypatch, locked)
    completed = in_process(monkeypatch, tmp_path, "locked", "good.py", "--format", "json")
    assert_reported_and_scanned(completed, "locked")


def scanned_with_mode(monkeypatch, root, path, mode, restored):
    """The JSON scan of `root` while `path` has `mode` (put back to `restored` afterwards)."""
    path.chmod(mode)
    try:
        return in_process(monkeypatch, root, ".", "--format", "json")
    finally:
        path.chmod(restored)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root searches directories whatever their mode")
def test_a_directory_without_execute_permission_is_one_finding(tmp_path, monkeypatch):
    completed = scanned_with_mode(monkeypatch, tmp_path, locked_tree(tmp_path), 0o644, 0o755)
    assert_reported_and_scanned(completed, "locked")


def test_an_unreadable_gitignore_is_one_finding_and_the_scan_goes_on(tmp_path, monkeypatch):
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".gitignore").write_text("scratch.py\n")
    (tmp_path / "sub" / "scratch.py").write_text(GOOD)
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if os.fspath(path).endswith(".gitignore"):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    assert_reported_and_scanned(in_process(monkeypatch, tmp_path, ".", "--format", "json"), "sub/.gitignore")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_gitignore_without_read_permission_is_one_finding(tmp_path, monkeypatch):
    (tmp_path / "good.py").write_text(GOOD)
    gitignore = tmp_path / ".gitignore"
    gitignore.write_text("scratch.py\n")
    assert_reported_and_scanned(scanned_with_mode(monkeypatch, tmp_path, gitignore, 0, 0o644), ".gitignore")


def test_a_file_the_memory_does_not_suffice_for_is_one_problem_not_an_error(tmp_path, monkeypatch):
    from debtscan import engine

    def exhausted(code):
        raise MemoryError

    (tmp_path / "big.py").write_text(GOOD)
    monkeypatch.setattr(engine, "parse_module", exhausted)
    completed = in_process(monkeypatch, tmp_path, ".", "--format", "json", "-j", "1")
    document = json.loads(completed.stdout)
    assert completed.exit_code == 1 and document["errors"] == []
    assert [(f["path"], f["rule"]) for f in document["findings"]] == [("big.py", "DS002")]
    assert "memory ran out" in document["findings"][0]["message"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_symlink_out_of_the_tree_is_reported_and_never_read(tmp_path, monkeypatch, fmt):
    """A pull request could otherwise copy lines of any file on the CI machine into the report."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text('TOKEN_FILE = "/home/alice/.ssh/id_rsa_outside"\n')
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "real.py").write_text(GOOD)
    (tree / "pkg" / "steal.py").symlink_to(outside / "secret.py")
    (tree / "steal_relative.py").symlink_to(Path("..") / "outside" / "secret.py")
    (tree / "alias.py").symlink_to("real.py")  # inside the tree: read as usual
    completed = in_process(monkeypatch, tree, ".", "--format", fmt, "-o", str(tmp_path / "report"))
    report = (tmp_path / "report").read_text(encoding="utf-8")
    assert completed.exit_code == 1 and "id_rsa_outside" not in report
    document = json.loads(in_process(monkeypatch, tree, ".", "--format", "json").stdout)
    found = sorted((f["path"], f["rule"]) for f in document["findings"])
    assert ("pkg/steal.py", "DS002") in found and ("steal_relative.py", "DS002") in found
    assert ("alias.py", "DS201") in found and ("real.py", "DS201") in found
    refused = [f["message"] for f in document["findings"] if f["path"].startswith(("pkg/steal", "steal"))]
    assert refused and all("outside the scanned tree" in message for message in refused)


def test_what_the_parser_cannot_parse_is_never_called_invalid(hostile_tree, reports):
    message = next(f["message"] for f in json.loads(reports[0].stdout)["findings"] if f["path"] == "adjacent_strings.py")
    assert "not valid" not in message and "syntax" not in message.lower()
