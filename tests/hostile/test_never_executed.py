"""Scanned code is read, never run: not imported, not executed, not able to shadow debtscan's
own imports, not through the cache. Every module here would leave a marker file (and kill the
process) if anything ran it."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from debtscan.config import Settings
from debtscan.runner import scan

PAYLOAD = (
    "import os, pathlib\n"
    "pathlib.Path(__file__).with_name('RAN-' + pathlib.Path(__file__).stem).write_text('executed')\n"
    "os._exit(97)\n"
)
# modules a Python process imports when it starts or when debtscan loads its dependencies
SHADOWS = ("sitecustomize", "usercustomize", "conftest", "setup", "__main__", "json", "typing", "dataclasses",
           "hashlib", "tempfile", "pathlib", "tomllib", "click", "rich", "libcst", "pathspec", "networkx",
           "platformdirs", "yaml")


def hostile_project(root: Path) -> Path:
    package = root / "pipeline"
    package.mkdir(parents=True)
    for name in SHADOWS:
        (root / f"{name}.py").write_text(PAYLOAD)
    (package / "__init__.py").write_text(PAYLOAD)
    (package / "train.py").write_text(PAYLOAD + 'DATA = "/data/train.csv"\n')
    (root / "evil.pth").write_text("import os; os._exit(97)\n")
    (root / "pyproject.toml").write_text('[build-system]\nrequires = []\nbuild-backend = "setup"\nbackend-path = ["."]\n'
                                         "[tool.debtscan]\nselect = ['DS']\n")
    (root / "run_me.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "!touch RAN-notebook-shell\n%run setup.py\n"
                                                                       "import pipeline.train"},
    ]}))
    return root


def markers(root: Path) -> list[str]:
    return sorted(path.name for path in root.rglob("RAN-*"))


def run(command: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "user-cache")}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, env=environment)


def test_python_dash_m_in_the_scanned_checkout_imports_none_of_its_modules_and_writes_nothing_there(tmp_path):
    root = hostile_project(tmp_path / "repo")
    before = sorted(str(path.relative_to(root)) for path in root.rglob("*"))
    completed = run([sys.executable, "-m", "debtscan", ".", "--format", "json"], root, tmp_path)  # default cache
    assert markers(root) == []
    assert completed.returncode == 1, completed.stderr  # 97 if a payload had run
    assert ("pipeline/train.py", "DS201") in {(f["path"], f["rule"]) for f in json.loads(completed.stdout)["findings"]}
    assert sorted(str(path.relative_to(root)) for path in root.rglob("*")) == before
    assert list((tmp_path / "user-cache").rglob("*.json")), "the cache lives in the user's cache directory"


def test_the_console_script_in_the_scanned_checkout_imports_none_of_its_modules(tmp_path):
    script = Path(sys.executable).with_name("debtscan")
    if not script.exists():
        pytest.skip("the console script is not installed next to this interpreter")
    root = hostile_project(tmp_path / "repo")
    completed = run([str(script), ".", "--format", "json"], root, tmp_path)
    assert markers(root) == [] and completed.returncode == 1, completed.stderr


def test_scanning_in_process_imports_nothing_from_the_scanned_tree(tmp_path):
    root = hostile_project(tmp_path / "repo")
    loaded_before = set(sys.modules)
    result = scan([root], root, Settings(), jobs=1)
    new = {name for name in set(sys.modules) - loaded_before
           if getattr(sys.modules[name], "__file__", None) and str(root) in sys.modules[name].__file__}
    assert new == set() and markers(root) == []
    assert any(f.path == "pipeline/train.py" for f in result.findings)


# -- the cache ------------------------------------------------------------------------------------------

cache = pytest.importorskip("debtscan.cache")


class _Planted:
    """Unpickling this runs code: the payload an attacker would put in a pickle-based cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "unpickled"))


def cache_entries(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*.json") if path.is_file())


def scan_with_cache(root: Path, directory: Path):
    return scan([root], root, Settings(), jobs=1, cache_dir=directory)


def plain(result) -> list[tuple]:
    return [(f.path, f.location.line, f.rule, f.message) for f in result.findings]


@pytest.fixture
def cached_project(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "train.py").write_text('import numpy as np\nDATA = "/data/train.csv"\nx = np.random.rand(3)\n')
    (root / "serve.py").write_text('MODEL = "/opt/models/model.joblib"\n')
    (root / "evaluate.py").write_text('REPORT = "/srv/reports/metrics.json"\n')
    directory = tmp_path / "cache"
    expected = plain(scan([root], root, Settings(), jobs=1))
    scan_with_cache(root, directory)
    assert len(cache_entries(directory)) == 3
    return root, directory, expected


def test_the_default_cache_is_outside_the_scanned_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    assert cache.default_cache_dir().is_relative_to(tmp_path / "user-cache")


@pytest.mark.parametrize("plant", ["pickle", "garbage", "truncated", "other_key", "forged_body", "empty"])
def test_a_planted_or_corrupted_entry_is_ignored_and_never_run(cached_project, tmp_path, plant):
    root, directory, expected = cached_project
    marker = tmp_path / "UNPICKLED"
    for entry in cache_entries(directory):
        original = entry.read_bytes()
        header, _, body = original.partition(b"\n")
        if plant == "pickle":
            entry.write_bytes(pickle.dumps(_Planted(marker)))
        elif plant == "garbage":
            entry.write_bytes(os.urandom(512))
        elif plant == "truncated":
            entry.write_bytes(original[: len(original) // 2])
        elif plant == "other_key":
            parts = header.split(b" ")
            parts[2] = b"0" * len(parts[2])
            entry.write_bytes(b" ".join(parts) + b"\n" + body)
        elif plant == "forged_body":  # findings removed, checksum left as it was
            payload = json.loads(body)
            payload["findings"] = []
            entry.write_bytes(header + b"\n" + json.dumps(payload).encode())
        else:
            entry.write_bytes(b"")
    assert plain(scan_with_cache(root, directory)) == expected
    assert not marker.exists()


def _at_most_3_gb() -> None:
    """Endless reads (of /dev/zero) end in a MemoryError in the child, not in the machine's swap."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 * 1024 ** 3, 3 * 1024 ** 3))


def test_an_entry_that_is_not_a_file_does_not_hang_the_scan(cached_project, tmp_path):
    """A pipe that nobody writes, an endless device and a directory where the entries belong."""
    root, directory, expected = cached_project
    for entry, plant in zip(cache_entries(directory), ("fifo", "device", "directory")):
        entry.unlink()
        if plant == "fifo":
            os.mkfifo(entry)
        elif plant == "device":
            entry.symlink_to(os.devnull.replace("null", "zero"))
        else:
            entry.mkdir()
    code = ("import json, sys; from pathlib import Path; from debtscan.config import Settings; "
            "from debtscan.runner import scan; root = Path(sys.argv[1]); "
            "print(json.dumps([(f.path, f.location.line, f.rule, f.message) for f in "
            "scan([root], root, Settings(), jobs=1, cache_dir=Path(sys.argv[2])).findings]))")
    completed = subprocess.run([sys.executable, "-c", code, str(root), str(directory)], capture_output=True, text=True,
                               timeout=20, preexec_fn=_at_most_3_gb)
    assert [tuple(item) for item in json.loads(completed.stdout)] == expected
