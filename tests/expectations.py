"""Inline expectations in fixture files, in the style of semgrep's ruleid/ok/todoruleid:

    x = np.random.rand(3)            # expect: DS101
    rng = np.random.default_rng(0)   # ok: DS102
    y = exotic_sampler()             # todo-expect: DS101   (a known miss)
    z = looks_random()               # todo-ok: DS101       (a known false positive)
    w = np.random.rand(3)            # related: DS101       (not reported alone: a related
                                     #   location of a finding of that rule with the same cause)

In notebooks the comments sit in code cells and lines count within the cell.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

MARK = re.compile(r"#\s*(?P<kind>expect|ok|todo-expect|todo-ok|related)\s*:\s*(?P<codes>DS\d+(?:\s*,\s*DS\d+)*)")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Data manifests (dvc.yaml, MLproject, catalogs) carry expectations in their own `#` comments.
MANIFEST_SUFFIXES = (".yaml", ".yml", ".dvc", ".lock", ".toml")
MANIFEST_NAMES = ("MLproject",)


@dataclass
class Expectations:
    expect: Counter = field(default_factory=Counter)  # (path, cell, line, rule) -> count
    ok: set = field(default_factory=set)
    todo_expect: set = field(default_factory=set)
    todo_ok: set = field(default_factory=set)
    related: set = field(default_factory=set)  # (path, cell, line, rule): a related location of a finding of rule


def _lines(path: Path):
    """(cell, line, text) for a .py file or a notebook's code cells."""
    if path.suffix == ".ipynb":
        document = json.loads(path.read_text(encoding="utf-8"))
        for number, cell in enumerate(document.get("cells", []), start=1):
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else source
            for index, text in enumerate(source.split("\n"), start=1):
                yield number, index, text
    else:
        for index, text in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
            yield None, index, text


def read_expectations(root: Path) -> Expectations:
    found = Expectations()
    for path in sorted(root.rglob("*")):
        if not (path.suffix in (".py", ".ipynb") or path.suffix in MANIFEST_SUFFIXES or path.name in MANIFEST_NAMES) \
                or not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        for cell, line, text in _lines(path):
            for match in MARK.finditer(text):
                codes = [code.strip() for code in match.group("codes").split(",")]
                for code in codes:
                    key = (rel, cell, line, code)
                    kind = match.group("kind")
                    if kind == "expect":
                        found.expect[key] += 1
                    elif kind == "ok":
                        found.ok.add(key)
                    elif kind == "related":
                        found.related.add(key)
                    elif kind == "todo-expect":
                        found.todo_expect.add(key)
                    else:
                        found.todo_ok.add(key)
    return found


def fixture_roots() -> list[Path]:
    roots = []
    for child in sorted(FIXTURES.iterdir()):
        if not child.is_dir():
            continue
        if child.name == "rules":
            roots.extend(sorted(path for path in child.iterdir() if path.is_dir()))
        else:
            roots.append(child)
    return roots
