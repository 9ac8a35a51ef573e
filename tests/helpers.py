"""Scan small projects written inline in tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.runner import scan


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def scan_project(root: Path, files: dict[str, str] | None = None, **settings):
    if files:
        write_project(root, files)
    settings.setdefault("min_confidence", Confidence.LOW)
    return scan([root], root, Settings(**settings), jobs=1)


def found(result, rule: str | None = None) -> list[tuple[str, int, str]]:
    """(path, line, rule) of each finding, optionally of one rule."""
    return [(f.path, f.location.line, f.rule) for f in result.findings if rule is None or f.rule == rule]


def lines_of(result, rule: str, path: str | None = None) -> list[int]:
    return [f.location.line for f in result.findings if f.rule == rule and (path is None or f.path == path)]
