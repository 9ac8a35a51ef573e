"""The whole hostile corpus, scanned by `python -m debtscan` in a child process in every
format: the run ends (no hang), exits 1 as the README's table says for a tree with findings,
prints no traceback, shows no payload raw, quotes nothing from outside the tree, and leaves
every file of the tree (and outside it) as it was."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from debtscan.report import FORMATS

from hostile_corpus import OUTSIDE_SECRET, RAW, build, snapshot

GITHUB_COMMAND = re.compile(r"::(error|warning|notice) [^:]*::")
TIMEOUT = 300  # seconds: far above what the scan takes, far below a hang


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    tree = build(root)
    yield root, tree
    for path in (tree / "locked", tree / "unreadable.py", tree / "private" / ".gitignore"):
        path.chmod(0o755)  # so the temporary directory can be removed


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hostile_tree_is_scanned_safely_in_every_format(corpus, tmp_path, fmt):
    root, tree = corpus
    before = snapshot(root)
    completed = subprocess.run([sys.executable, "-m", "debtscan", "check", str(tree), "--format", fmt,
                                "--cache-dir", str(tmp_path / "cache"), "--min-confidence", "low"],
                               cwd=root, capture_output=True, text=True, timeout=TIMEOUT, errors="surrogateescape")
    assert "Traceback" not in completed.stderr and completed.stderr == "", completed.stderr[-3000:]
    assert completed.returncode == 1, completed.stdout[-3000:]
    output = completed.stdout
    assert [raw for raw in RAW if raw in output] == []
    assert OUTSIDE_SECRET not in output
    for line in output.splitlines():
        if fmt == "github":
            assert GITHUB_COMMAND.match(line), line  # debtscan's own command; its properties encode every ':'
        else:
            assert not line.lstrip().startswith("::"), line
    assert snapshot(root) == before  # nothing in the tree, nor outside it, was changed
    for name in ("one_line_list.py", "adjacent_strings.py", "not_objects.ipynb", "steal.py", "pipe.py"):
        assert name in output  # each is reported, not skipped


def test_a_cache_dir_inside_the_hostile_tree_changes_nothing_but_its_own_folder(corpus):
    """`--cache-dir .` in the scanned tree itself: two scans (the second prunes, every entry
    aged past its limit) leave every file outside debtscan's marked cache folder as it was."""
    import os
    import time

    from debtscan.cache import STORE_NAME

    root, tree = corpus
    before = snapshot(root)
    for _ in range(2):
        completed = subprocess.run([sys.executable, "-m", "debtscan", "check", ".", "--cache-dir", "."],
                                   cwd=tree, capture_output=True, text=True, timeout=TIMEOUT, errors="surrogateescape")
        assert completed.returncode == 1 and "Traceback" not in completed.stderr, completed.stderr[-3000:]
        store = tree / STORE_NAME
        old = time.time() - 400 * 24 * 3600
        for folder, _dirs, names in os.walk(store):
            for name in names:
                os.utime(Path(folder) / name, (old, old))
        (store / ".last-prune").unlink(missing_ok=True)
    after = {path: digest for path, digest in snapshot(root).items() if STORE_NAME not in Path(path).parts}
    assert after == before
