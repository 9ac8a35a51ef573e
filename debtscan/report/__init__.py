"""Reporters: a ScanResult in, bytes for a terminal, a file or a CI system out.

Every reporter escapes what it quotes from scanned files for its own medium (terminal
control sequences, rich markup, JSON, XML/HTML), so a hostile repository cannot inject
anything into the report or the terminal that shows it.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from pathlib import Path

# format -> (module, function); imported on use, so a plain scan loads no XML or HTML code
RENDERERS = {
    "text": ("debtscan.report.text", "render_text"),
    "json": ("debtscan.report.json_format", "render_json"),
    "sarif": ("debtscan.report.sarif", "render_sarif"),
    "github": ("debtscan.report.github", "render_github"),
    "gitlab": ("debtscan.report.gitlab", "render_gitlab"),
    "junit": ("debtscan.report.junit", "render_junit"),
    "html": ("debtscan.report.html", "render_html"),
}
FORMATS = tuple(RENDERERS)


def render(result, fmt: str, settings, *, color: bool = False, width: int | None = None) -> str:
    if fmt == "text":
        from debtscan.report.text import render_text

        return render_text(result, settings, color=color, width=width)
    module, function = RENDERERS[fmt]
    return getattr(importlib.import_module(module), function)(result, settings)


def shown_path(result, path: str) -> str:
    """A finding's path as CI systems and people see it: relative to where debtscan ran.

    Findings hold paths relative to the scanned root; the root is shown relative to the
    working directory when it lies inside it (as in CI, run from the repository root).
    """
    root = result.root.rstrip("/")
    return path if root in (".", "") else f"{root}/{path}"


def write_atomically(path: Path, text: str) -> None:
    """Write the whole report or nothing: a failed run never leaves a truncated file.

    A path that exists but is no regular file (`/dev/null`, `/dev/stdout`, a pipe) is written
    through: renaming over it would replace the device with a file.
    """
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide a CI artifact from its readers
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
