"""Builds a repository an attacker (or a careless user) could hand to debtscan: pipes where
configs and manifests go, directories and files it may not read, symlinks into and out of the
tree, literals and files too large to analyse, and names and string literals that carry
terminal escapes and CI workflow commands.

`build(root)` writes it under `root` (with a sibling `outside/` the tree's symlinks point
into) and returns what a report must never show; `snapshot(root)` records every entry of a
tree without opening anything but regular files, so a test can tell that nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
from pathlib import Path

# Text a report must never carry raw: the start of a GitHub workflow command or of its legacy
# form, terminal controls (ANSI, OSC, BEL), a bidi override, CR and NUL.
WORKFLOW_COMMANDS = ["::error file=x,line=1::forged", "::add-mask::secret", "::stop-commands::tok",
                     "::warning::forged", "##[error]forged"]
CONTROLS = ["\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;evil\x1b\\", "\u202e", "\r", "\x00"]
RAW = ["\x1b", "\x07", "\u202e", "\r", "\x00", "##["]
# A line of a file outside the tree, which a symlink in the tree points at.
OUTSIDE_SECRET = "OUTSIDE_SECRET_4f1b"

GOOD = 'import numpy as np\nTRAIN = "/data/train.csv"\nnoise = np.random.rand(3)\n'


def build(root: Path) -> Path:
    """Write the hostile tree at `root/tree`; returns the tree."""
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(f'KEY = "/home/alice/{OUTSIDE_SECRET}.pem"\n')
    (outside / "pkg").mkdir()
    (outside / "pkg" / "inner.py").write_text(f'KEY = "/home/alice/{OUTSIDE_SECRET}_dir.pem"\n')
    tree = root / "tree"
    tree.mkdir()
    (tree / "pyproject.toml").write_text('[tool.debtscan]\nextend-exclude = ["scratch/"]\n')
    (tree / "train.py").write_text(GOOD)
    _pipes(tree)
    _permissions(tree)
    _symlinks(tree, outside)
    _too_large(tree)
    _injections(tree)
    _notebooks(tree)
    return tree


def _pipes(tree: Path) -> None:
    """Pipes and a socket wherever debtscan opens files: code, manifests, configs, ignore files."""
    for name in ("pipe.py", "dvc.yaml", "params.yaml", "MLproject", "conf/base/catalog.yml", "conf/model.yaml",
                 "sub/.gitignore"):
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
    (tree / "sub" / "code.py").write_text(GOOD)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tree / "socket.py"))
    listener.close()  # the socket file stays


def _permissions(tree: Path) -> None:
    """What it may not read (root reads all the same, so these also exercise the paths that read)."""
    locked = tree / "locked"
    locked.mkdir()
    (locked / "inside.py").write_text(GOOD)
    locked.chmod(0o644)  # listable, not searchable
    secret = tree / "unreadable.py"
    secret.write_text(GOOD)
    secret.chmod(0)
    private = tree / "private"
    private.mkdir()
    (private / ".gitignore").write_text("*.tmp\n")
    (private / ".gitignore").chmod(0)
    (private / "code.py").write_text(GOOD)


def _symlinks(tree: Path, outside: Path) -> None:
    (tree / "alias.py").symlink_to("train.py")  # within the tree: read
    (tree / "steal.py").symlink_to(outside / "secret.py")  # out of it: refused
    (tree / "steal_relative.py").symlink_to(Path("..") / "outside" / "secret.py")
    (tree / "outside_dir").symlink_to(outside / "pkg", target_is_directory=True)  # never walked
    (tree / "loop.py").symlink_to("loop.py")
    (tree / "dangling.py").symlink_to("does_not_exist.py")
    (tree / "zeros.py").symlink_to("/dev/zero")
    (tree / "sub" / "up").symlink_to("..", target_is_directory=True)


def _too_large(tree: Path) -> None:
    count = (1_900_000 - 9) // 3
    (tree / "one_line_list.py").write_bytes(b"DATA = [" + b", ".join(b"%d" % (i % 10) for i in range(count)) + b"]\n")
    (tree / "adjacent_strings.py").write_bytes(b"x = (" + b" ".join([b'"a"'] * 100_000) + b")\n")
    (tree / "generated.py").write_bytes(b"TABLE = {\n" + b"".join(b"    'k%d': %d,\n" % (i, i) for i in range(250_000))
                                        + b"}\n")
    (tree / "nested.py").write_bytes(b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n")


def _injections(tree: Path) -> None:
    """File and directory names, and string literals, that hold every payload."""
    for number, payload in enumerate(WORKFLOW_COMMANDS):
        (tree / f"{payload}.py").write_text(GOOD)
        (tree / f"dir{number} {payload}").mkdir()
        (tree / f"dir{number} {payload}" / "mod.py").write_text(GOOD)
    for number, payload in enumerate(CONTROLS):
        if "\x00" not in payload:
            (tree / f"name{number}{payload}.py").write_text(GOOD)
    lines = ["import pandas as pd", "from transformers import AutoModel"]
    for number, payload in enumerate(WORKFLOW_COMMANDS + CONTROLS):
        lines += [f"df{number} = pd.read_csv({repr(f'data/in/{chr(10)}{payload}.csv')})",
                  f"df{number}.to_csv({repr(f'data/out/{chr(10)}{payload}.csv')})",
                  f"model{number} = AutoModel.from_pretrained({repr(f'org/model{chr(10)}{payload}')})",
                  f"x{number} = 1  # debtscan: ignore[DS999] {payload.replace(chr(10), ' ').replace(chr(13), ' ')}"
                  if "\x00" not in payload else f"x{number} = 1"]
    (tree / "literals.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _notebooks(tree: Path) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": f"import numpy as np\nP = {repr('/home/bob/' + chr(10) + WORKFLOW_COMMANDS[0])}\n"}]
    (tree / "hostile.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))
    (tree / "not_objects.ipynb").write_text(json.dumps({"cells": [1, "x", None], "metadata": {}, "nbformat": 4}))


def snapshot(root: Path) -> dict[str, tuple]:
    """path -> (kind, mode, content hash or link target) of every entry under `root`, symlinks
    not followed and nothing but regular files opened (a pipe would block)."""
    entries: dict[str, tuple] = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(directory) / name
            rel = path.relative_to(root).as_posix()
            try:
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    entries[rel] = ("link", os.readlink(path))
                elif stat.S_ISREG(info.st_mode):
                    entries[rel] = ("file", stat.S_IMODE(info.st_mode), hashlib.sha256(path.read_bytes()).hexdigest())
                else:
                    entries[rel] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode))
            except OSError as error:  # what the test's own user may not read either
                entries[rel] = ("unreadable", error.errno)
    return entries
