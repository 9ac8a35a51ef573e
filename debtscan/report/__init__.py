"""Reporters: a ScanResult in, bytes for a terminal, a file or a CI system out.

Every reporter escapes what it quotes from scanned files for its own medium (terminal
control sequences, rich markup, JSON, XML/HTML), so a hostile repository cannot inject
anything into the report or the terminal that shows it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

FORMATS = ("text", "json")


def render(result, fmt: str, settings, *, color: bool = False, width: int | None = None) -> str:
    if fmt == "json":
        from debtscan.report.json_format import render_json

        return render_json(result, settings)
    from debtscan.report.text import render_text

    return render_text(result, settings, color=color, width=width)


def write_atomically(path: Path, text: str) -> None:
    """Write the whole report or nothing: a failed run never leaves a truncated file."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
