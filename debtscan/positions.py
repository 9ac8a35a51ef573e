"""Line and column of chosen nodes, equal to libcst's `PositionProvider`, at a fraction of its cost.

`PositionProvider` splits every emitted token with a regular expression and builds two
position objects per node, which costs about two parses. Here code generation records, per
node, only how many tokens had been emitted when it started and ended (two integers), and
only the nodes someone asked about are turned into lines and columns, in one sweep over the
tokens at the end. The rules for which whitespace a node's span includes are libcst's own:
this state implements the same hooks (`before_codegen`, `after_codegen`,
`record_syntactic_position`) with the same semantics.

Nor is the whole module generated: each node is placed by generating only the statement it
was met in (at any depth, with its block's indentation) and finding that code in the file's
text. A place is only taken from the text when it is certain: the code (or, for a repeated
statement, the code of the statements before it followed by its own) occurs exactly once.
Otherwise the node goes to the enclosing statement, and at last to the module, generated up
to the last node left.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

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


_DEFINITIONS = (cst.FunctionDef, cst.ClassDef)


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


def node_positions(module: cst.Module, nodes: Iterable[cst.CSTNode], text: str | None = None,
                   hints: dict[int, "Statement"] | None = None) -> dict[int, tuple[int, int, int, int]]:
    """id(node) -> (start line, start column, end line, end column) for each node of `module`.

    Lines are 1-based and columns 0-based, as libcst's `PositionProvider` reports them; a node
    that is not part of `module` is left out. `text`, the code `module` was parsed from, places
    the module itself without generating all of it (libcst reproduces its input exactly).
    `hints` (id(node) -> the statement the node was met in, see `statements_of`) let each node
    be placed by generating that statement alone, found in `text` by its code; a node the hint
    is wrong for, or whose statement's code is not in `text` exactly once, is placed from the
    whole module, generated up to the last such node.
    """
    nodes = list(nodes)
    found: dict[int, tuple[int, int, int, int]] = {}
    if text is not None and any(node is module for node in nodes):
        nodes = [node for node in nodes if node is not module]
        found[id(module)] = (1, 0, *_places([text], [1])[1])
    if text is not None and hints:
        nodes = _place_by_statement(module, nodes, _Lines(text), hints, found)
    if nodes:
        # without a final newline, libcst drops the last one it generated only at the very end
        found.update(_resolve(_generate(module, module, nodes, [], stop_early=module.has_trailing_newline),
                              nodes, 0, 0))
    return found


@dataclass(frozen=True, eq=False)
class Statement:
    """A statement at any depth, with what it takes to generate its code on its own."""

    node: cst.CSTNode
    indent: tuple[str, ...]  # the indentation its lines are generated with
    parent: "Statement | None"  # the statement whose block holds it
    previous: "Statement | None"  # the statement before it in the same block
    depth: int


def statements_of(module: cst.Module) -> dict[int, Statement]:
    """id(statement) -> Statement, for every statement on a line of its own, at any depth."""
    found: dict[int, Statement] = {}
    pending: list[tuple[Sequence[cst.CSTNode], tuple[str, ...], Statement | None]] = [(module.body, (), None)]
    while pending:  # a stack, not recursion: blocks nest as deep as the tokenizer allows
        statements, indent, parent = pending.pop()
        depth = parent.depth + 1 if parent is not None else 0
        previous = None
        for statement in statements:
            entry = previous = found[id(statement)] = Statement(statement, indent, parent, previous, depth)
            for block in _blocks(statement):
                inner = block.indent if block.indent is not None else module.default_indent
                pending.append((block.body, (*indent, inner), entry))
    return found


def _blocks(statement: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    """The indented blocks a compound statement owns: its body, `elif`/`else`, handlers, `finally`, cases."""
    parts: list = [statement]
    while parts:
        part = parts.pop()
        body = getattr(part, "body", None)
        if isinstance(body, cst.IndentedBlock):
            yield body
        orelse = getattr(part, "orelse", None)
        if orelse is not None:
            parts.append(orelse)  # an `else:`, or an `elif` with blocks of its own
        parts.extend(getattr(part, "handlers", ()))
        parts.extend(getattr(part, "cases", ()))
        final = getattr(part, "finalbody", None)
        if final is not None:
            parts.append(final)


def _place_by_statement(module: cst.Module, nodes: list[cst.CSTNode], text: "_Lines",
                        hints: dict[int, Statement], found: dict) -> list[cst.CSTNode]:
    """Place nodes by the statements they were met in, deepest first; a statement whose code is
    not in `text` exactly once hands its nodes to the statement around it. Returns the nodes
    left for the whole module."""
    groups: dict[int, tuple[Statement, list[cst.CSTNode]]] = {}
    left: list[cst.CSTNode] = []
    for node in nodes:
        statement = hints.get(id(node))
        if statement is None:
            left.append(node)
        else:
            groups.setdefault(id(statement.node), (statement, []))[1].append(node)
    while groups:
        deepest = max(statement.depth for statement, _ in groups.values())
        for key in [key for key, (statement, _) in groups.items() if statement.depth == deepest]:
            statement, group = groups.pop(key)
            placed = _place_statement(module, statement, group, text)
            if placed is None:
                if statement.parent is None:
                    left.extend(group)
                else:
                    groups.setdefault(id(statement.parent.node), (statement.parent, []))[1].extend(group)
                continue
            found.update(placed)
            left.extend(node for node in group if id(node) not in placed)
    return left


# A statement's code that occurs more than once (`return None`) is told apart by the code of up
# to this many statements before it in its block, which the text must hold right before it.
_MAX_PRECEDING = 3


def _place_statement(module: cst.Module, statement: Statement, nodes: list[cst.CSTNode],
                     text: "_Lines") -> dict[int, tuple[int, int, int, int]] | None:
    """Place `nodes` by generating `statement` and finding its code in `text`; None when the
    code cannot be placed with certainty."""
    # A definition's code up to its name (`def test_fit`) is nearly always unique where its
    # decorators and parameters alone (`@pytest.mark.parametrize(...)`) are not.
    through = getattr(statement.node, "name", None) if isinstance(statement.node, _DEFINITIONS) else None
    for stop_early in (True, False):  # the code up to the last node may be ambiguous where the whole is not
        state = _generate(module, statement.node, nodes, list(statement.indent), stop_early, through)
        if not any(id(node) in state.spans for node in nodes):
            return {}  # met elsewhere: the hint was wrong
        code = "".join(state.tokens)
        line = text.unique_line(code)
        preceding, before = "", statement.previous
        for _ in range(_MAX_PRECEDING):
            if line != -1 or before is None:
                break
            preceding = _plain_code(module, before) + preceding
            line = text.unique_line(preceding + code)
            line, before = (line + preceding.count("\n") if line >= 0 else line), before.previous
        if line >= 0:
            return _resolve(state, nodes, line, 0)
    return None


class _Lines:
    """A file's text indexed by its lines, to find where a statement's code starts without
    scanning the whole text for each statement (statements start at the start of a line)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0]
        self.numbers: dict[str, list[int]] = {}  # line text -> numbers (0-based) of the lines holding it
        for number, line in enumerate(text.split("\n")):
            self.numbers.setdefault(line, []).append(number)
            self.starts.append(self.starts[-1] + len(line) + 1)

    def unique_line(self, code: str, anchors: int = 6) -> int:
        """The 0-based line where `code` starts, if it starts exactly one line of the text; else -1.
        Only the lines holding the rarest of its first few lines are compared."""
        pieces = code.split("\n", anchors)[:-1]  # whole lines (the last piece may end mid-line)
        if not pieces:
            at = self.text.find(code) if code else -1
            if at < 0 or self.text.find(code, at + 1) >= 0 or (at and self.text[at - 1] != "\n"):
                return -1
            return self.text.count("\n", 0, at)
        offset, candidates = min(((offset, self.numbers.get(piece, ())) for offset, piece in enumerate(pieces)),
                                 key=lambda item: len(item[1]))
        found = -1
        for number in candidates:
            start = number - offset
            if start >= 0 and self.text.startswith(code, self.starts[start]):
                if found >= 0:
                    return -1  # twice
                found = start
        return found


def _generate(module: cst.Module, root: cst.CSTNode, nodes: list[cst.CSTNode], indent: list[str],
              stop_early: bool, through: cst.CSTNode | None = None) -> "_TokenOffsetState":
    """Generate `root`'s code, noting where `nodes` start and end; with `stop_early`, only up to
    the last of them (and of `through`, a node the code must reach anyway)."""
    wanted = {id(node) for node in nodes}
    unplaced = wanted | {id(through)} if through is not None else set(wanted)
    state = _TokenOffsetState(default_indent=module.default_indent, default_newline=module.default_newline,
                              indent_tokens=indent, wanted=wanted | unplaced,
                              unplaced=unplaced if stop_early else {-1})  # no node's id
    try:
        root._codegen(state)
    except _AllPlaced:
        pass
    return state


def _resolve(state: "_TokenOffsetState", nodes: list[cst.CSTNode], line: int,
             column: int) -> dict[int, tuple[int, int, int, int]]:
    """Lines and columns of the nodes `state` placed, shifted by where its code starts."""
    requests = []
    offsets: set[int] = set()
    for node in nodes:
        span = state.spans.get(id(node))
        if span is not None:
            requests.append((id(node), span))
            offsets.update(span)
    places = _places(state.tokens, sorted(offsets))
    return {key: (*_shift(places[start], line, column), *_shift(places[end], line, column))
            for key, (start, end) in requests}


def _plain_code(module: cst.Module, statement: Statement) -> str:
    state = _PlainState(default_indent=module.default_indent, default_newline=module.default_newline,
                        indent_tokens=list(statement.indent))
    statement.node._codegen(state)
    return "".join(state.tokens)


class _PlainState(CodegenState):
    """Code generation without positions (libcst's default state opens a generator per node)."""

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _NO_POSITION


_NO_POSITION = contextlib.nullcontext()


def _shift(place: tuple[int, int], line: int, column: int) -> tuple[int, int]:
    return place[0] + line, place[1] + column if place[0] == 1 else place[1]


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
