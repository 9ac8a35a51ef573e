"""libcst's parser, without checking each node it builds.

Every libcst node checks itself when it is made (`CSTNode.__post_init__` calls `_validate`):
that whitespace is whitespace, that parentheses pair up, that a keyword is followed by a
space. The checks guard trees that code builds by hand. A tree the parser built from text
passes them by construction, and they cost about a fifth of the parse, itself over half of
a scan's time. So while the parser runs, nodes skip them; nodes made at any other time, in
any thread, are checked as usual. (libcst's own comment on `__post_init__` names this cost.)

Code that CPython accepts is what reaches the parser (`debtscan.source.syntax_problem`
decides that first), and the parser still refuses what it cannot parse.
"""

from __future__ import annotations

import threading

import libcst as cst
from libcst._nodes.base import CSTNode

_CHECKED = CSTNode.__dict__["__post_init__"]
_lock = threading.Lock()
_parsing = 0  # parses under way, in any thread


def _unchecked(self: CSTNode) -> None:
    """A node the parser builds is valid by construction."""


def parse_module(code: str) -> cst.Module:
    """`libcst.parse_module(code)`, with the per-node checks off while it runs."""
    global _parsing
    with _lock:
        if _parsing == 0:
            CSTNode.__post_init__ = _unchecked
        _parsing += 1
    try:
        return cst.parse_module(code)
    finally:
        with _lock:
            _parsing -= 1
            if _parsing == 0:
                CSTNode.__post_init__ = _CHECKED
