"""The floor: parse every .py file under a directory with libcst, and nothing else.

    python bench/parse_only.py DIR

This is what any libcst-based tool pays at least once per file; `run.py` times it beside
debtscan. Files are parsed from bytes, one after another, in one process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import libcst


def main(directory: str) -> int:
    files = sorted(Path(directory).rglob("*.py"))
    failed = 0
    for path in files:
        try:
            libcst.parse_module(path.read_bytes())
        except (libcst.ParserSyntaxError, RecursionError, UnicodeDecodeError, SyntaxError):
            failed += 1
    print(f"parsed {len(files) - failed} of {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
