"""Line and column of chosen nodes, equal to libcst's `PositionProvider`, at a fraction of its cost.

`PositionProvider` splits every emitted token with a regular expression and builds two
position objects per node, which costs about two parses. Here code generation records, per
node, only how many tokens had been emitted when it started and ended (two integers), and
only the nodes someone asked about are turned into lines and columns, in one sweep over the
tokens at the end. The rules for which whitespace a node's span includes are libcst's own:
this state implements the same hooks (`before_codegen`, `after_codegen`,
`record_syntactic_position`) with the same semantics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import libcst as cst
from libcst._nodes import whitespace as _whitespace
from libcst._nodes.internal import CodegenState


_NEWLINE = re.compile(r"\r\n?|\n")


# Expressions and whitespace are never the start or end node of another node's span, so
# their offsets are kept only when asked for.
_IGNORABLE = frozenset(
    kind for kind in vars(cst).values()
    if isinstance(kind, type) and issubclass(kind, cst.CSTNode)
    and (issubclass(kind, cst.BaseExpression) or kind.__module__ == _whitespace.__name__))


class _AllPlaced(Exception):
    """Raised to stop code generation once every node asked about has its span."""


@dataclass(frozen=False)
class _TokenOffsetState(CodegenState):
    wanted: set[int] = field(default_factory=set)
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)  # id(node) -> token offsets
    stack: list[int] = field(default_factory=list)
    unplaced: set[int] = field(default_factory=set)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.stack.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        start = self.stack.pop()
        key = id(node)
        if key in self.wanted:
            if key not in self.spans:  # a syntactic position recorded inside wins, as in libcst
                self.spans[key] = (start, len(self.tokens))
            self.unplaced.discard(key)
            if not self.unplaced:
                raise _AllPlaced  # the rest of the file would only be generated to be thrown away
        elif key not in self.spans and type(node) not in _IGNORABLE:
            self.spans[key] = (start, len(self.tokens))

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> "_SyntacticPosition":
        return _SyntacticPosition(self, node, start_node, end_node)


class _SyntacticPosition:
    """`record_syntactic_position` as a plain context manager: it runs for most nodes, and a
    generator-based one costs several times more."""

    __slots__ = ("state", "node", "start_node", "end_node", "start")

    def __init__(self, state: _TokenOffsetState, node, start_node, end_node) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(self, error_type, *exc_info) -> None:
        if error_type is not None:
            return  # generation stopped early: outer spans are not needed
        state = self.state
        start, end = self.start, len(state.tokens)
        if self.start_node is not None:
            start = state.spans[id(self.start_node)][0]
        if self.end_node is not None:
            end = state.spans[id(self.end_node)][1]
        state.spans[id(self.node)] = (start, end)


def node_positions(module: cst.Module, nodes: Iterable[cst.CSTNode],
                   text: str | None = None) -> dict[int, tuple[int, int, int, int]]:
    """id(node) -> (start line, start column, end line, end column) for each node of `module`.

    Lines are 1-based and columns 0-based, as libcst's `PositionProvider` reports them; a node
    that is not part of `module` is left out. `text`, the code `module` was parsed from, places
    the module itself without generating all of it (libcst reproduces its input exactly).
    """
    nodes = list(nodes)
    whole = None
    if text is not None and any(node is module for node in nodes):
        nodes = [node for node in nodes if node is not module]
        whole = (1, 0, *_places([text], [1])[1])
        if not nodes:
            return {id(module): whole}
    state = _TokenOffsetState(default_indent=module.default_indent, default_newline=module.default_newline,
                              wanted={id(node) for node in nodes}, unplaced={id(node) for node in nodes})
    try:
        module._codegen(state)
    except _AllPlaced:
        pass
    requests = []
    offsets: set[int] = set()
    for node in nodes:
        span = state.spans.get(id(node))
        if span is not None:
            requests.append((id(node), span))
            offsets.update(span)
    places = _places(state.tokens, sorted(offsets))
    found = {key: (*places[start], *places[end]) for key, (start, end) in requests}
    if whole is not None:
        found[id(module)] = whole
    return found


def _places(tokens: list[str], offsets: list[int]) -> dict[int, tuple[int, int]]:
    """(line, column) reached after emitting tokens[:offset], for each sorted offset."""
    line, column, done = 1, 0, 0
    places: dict[int, tuple[int, int]] = {}
    for offset in offsets:
        if offset > done:
            chunk = "".join(tokens[done:offset])
            if "\r" in chunk:  # token by token, as libcst counts a "\r" and a "\n" split across tokens
                for token in tokens[done:offset]:
                    line, column = _advance(line, column, _NEWLINE.split(token), token)
            else:
                line, column = _advance(line, column, chunk.split("\n"), chunk)
            done = offset
        places[offset] = (line, column)
    return places


def _advance(line: int, column: int, parts: list[str], text: str) -> tuple[int, int]:
    if len(parts) == 1:
        return line, column + len(text)
    return line + len(parts) - 1, len(parts[-1])
