"""A batched traversal of a libcst tree that costs a fraction of `libcst.visit_batched`.

libcst's own traversal rebuilds every node it passes (`_visit_and_replace_children` constructs
and validates a copy, even for a read-only visitor) and looks up each visitor's methods with
`inspect.getmembers` on every call; together that costs about as much as parsing the file.
This walker calls exactly the same `visit_<Node>`, `visit_<Node>_<field>`,
`leave_<Node>_<field>` and `leave_<Node>` methods in exactly the same order, but reads the
children in place and finds each visitor class's methods once per process.

The order of a node's fields is learned from libcst itself, once per node class, by letting
`_visit_and_replace_children` announce its fields to a visitor that does not descend. Nodes
that only hold whitespace and punctuation are skipped unless a visitor asks for one of them,
and then so are the fields that, by libcst's annotations, hold nothing else (most of a node's
fields: `lpar`, `comma`, `whitespace_after_func`), unless a visitor hooks the field itself.
"""

from __future__ import annotations

import ast
import collections.abc
import inspect
import textwrap
import typing
from typing import Callable, Iterable, Iterator, Sequence

import libcst as cst
from libcst._nodes import op as _op
from libcst._nodes import whitespace as _whitespace

from debtscan import profiling

_FIELDS: dict[type, tuple[str, ...] | None] = {}  # None: the fields depend on the node
_TRIVIA_FIELDS: dict[type, frozenset[str]] = {}
_METHODS: dict[type, tuple[str, ...]] = {}
_BRACKETS = ("LeftParen", "RightParen", "LeftSquareBracket", "RightSquareBracket", "LeftCurlyBrace", "RightCurlyBrace")


def _trivia_classes() -> frozenset[type]:
    """Node classes holding only whitespace, comments and punctuation (and only such nodes)."""
    found = set()
    for module in (_whitespace, _op):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, cst.CSTNode) and value.__module__ == module.__name__:
                found.add(value)
    found.update(getattr(cst, name) for name in _BRACKETS)
    return frozenset(found)


TRIVIA = _trivia_classes()
# What a visited field holds when it holds no node: an absent optional child, or a default.
_EMPTY = frozenset({type(None), type(cst.MaybeSentinel.DEFAULT)})
TRIVIA_NAMES = frozenset(kind.__name__ for kind in TRIVIA)


class _FieldSpy(cst.CSTVisitor):
    """Records the fields `_visit_and_replace_children` walks, without entering them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        pass

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        pass


def _spy(node: cst.CSTNode) -> tuple[str, ...]:
    spy = _FieldSpy()
    node._visit_and_replace_children(spy)
    return tuple(spy.fields)


def _helper_fields(parts) -> set[str]:
    """Fields named by the visit helpers called in `parts` (`visit_required(self, "field", …)`)."""
    found = set()
    for part in parts if isinstance(parts, list) else [parts]:
        for node in ast.walk(part):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("visit")
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)):
                found.add(node.args[1].value)
    return found


def _varies(kind: type) -> bool:
    """Whether libcst visits a different list of fields depending on the node's values.

    Most node classes visit a fixed list (an absent optional child still gets its attribute
    hooks); a few skip a field when it is None (`FormattedStringExpression.format_spec`).
    Reading the class's `_visit_and_replace_children` tells them apart; when it cannot be
    read, every instance is asked, which is always exact, only slower.
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(kind._visit_and_replace_children)))
    except (OSError, TypeError, SyntaxError):
        return True
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp)):
            if _helper_fields(node.body) != _helper_fields(node.orelse):
                return True
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.GeneratorExp, ast.SetComp,
                               ast.DictComp, ast.Try)):
            if _helper_fields(node):
                return True
    return False


def _annotated_kinds(annotation) -> Iterator:
    """The classes a field's annotation admits (`Union`, `Optional` and sequences unwrapped)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin in (collections.abc.Sequence, tuple, list):
        for argument in typing.get_args(annotation):
            if argument is not Ellipsis:
                yield from _annotated_kinds(argument)
    else:
        yield annotation


def trivia_fields(kind: type) -> frozenset[str]:
    """Fields of a node class that, by libcst's annotations, only ever hold whitespace and
    punctuation (or nothing): a walk that skips such nodes need not even look at these."""
    found = _TRIVIA_FIELDS.get(kind)
    if found is None:
        try:
            hints = typing.get_type_hints(kind)
        except Exception:  # an annotation that cannot be resolved: look at every field
            hints = {}
        quiet = (*TRIVIA, *_EMPTY)
        found = _TRIVIA_FIELDS[kind] = frozenset(
            name for name, annotation in hints.items()
            if all(isinstance(admitted, type) and issubclass(admitted, quiet)
                   for admitted in _annotated_kinds(annotation)))
    return found


def fields_of(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields libcst visits for `node`, in its (source) order."""
    kind = type(node)
    try:
        fields = _FIELDS[kind]
    except KeyError:
        fields = _FIELDS[kind] = None if _varies(kind) else _spy(node)
    return fields if fields is not None else _spy(node)


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children` (in source order), without rebuilding the node."""
    out: list[cst.CSTNode] = []
    for name in fields_of(node):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            out.extend(value)
        elif kind not in _EMPTY:
            out.append(value)
    return out


_CODE_FIELDS: dict[type, tuple[str, ...]] = {}


def code_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`children(node)` without whitespace and punctuation, whose fields are not even read."""
    kind = type(node)
    names = _CODE_FIELDS.get(kind)
    if names is None:
        quiet = trivia_fields(kind)
        names = tuple(name for name in fields_of(node) if name not in quiet)
        if _FIELDS[kind] is not None:  # a class whose fields vary is read afresh each time
            _CODE_FIELDS[kind] = names
    out: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            out.extend(item for item in value if type(item) not in TRIVIA)
        elif kind not in _EMPTY and kind not in TRIVIA:
            out.append(value)
    return out


def walk(node: cst.CSTNode, *, code_only: bool = False) -> Iterator[cst.CSTNode]:
    """Every node from `node` down, in source order (pre-order); with `code_only`, without
    whitespace and punctuation (see `code_children`)."""
    children_of = code_children if code_only else children
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children_of(current)))


def walk_code(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Every node from `node` down but whitespace and punctuation, in source order."""
    return walk(node, code_only=True)


def _hook_names(visitor_class: type) -> tuple[str, ...]:
    """The visit_/leave_ methods a visitor class really defines (libcst's no-op stubs excluded)."""
    names = _METHODS.get(visitor_class)
    if names is None:
        found = []
        for name in dir(visitor_class):
            if name.startswith(("visit_", "leave_")):
                method = getattr(visitor_class, name, None)
                if callable(method) and not getattr(method, "_is_no_op", False):
                    found.append(name)
        names = _METHODS[visitor_class] = tuple(found)
    return names


class _Plan:
    """For one node class: the methods to call and the fields to enter."""

    __slots__ = ("visit", "leave", "fields")

    def __init__(self, visit, leave, fields) -> None:
        self.visit: tuple[Callable, ...] = visit
        self.leave: tuple[Callable, ...] = leave
        # (field name, visit_<Node>_<field> methods, leave_<Node>_<field> methods)
        self.fields: tuple[tuple[str, tuple[Callable, ...], tuple[Callable, ...]], ...] = fields


class BatchedWalk:
    """Runs several `BatchableCSTVisitor`s over one tree in a single pass."""

    def __init__(self, visitors: Sequence[cst.BatchableCSTVisitor]) -> None:
        self.methods: dict[str, list[Callable]] = {}
        for visitor in visitors:
            label = visitor_label(type(visitor))
            for name in _hook_names(type(visitor)):
                self.methods.setdefault(name, []).append(profiling.timed(getattr(visitor, name), label))
        wants_trivia = any(name.split("_")[1] in TRIVIA_NAMES for name in self.methods)
        self.skip = frozenset() if wants_trivia else TRIVIA
        self.plans: dict[type, _Plan] = {}

    def _plan(self, node: cst.CSTNode) -> _Plan:
        kind = type(node)
        name = kind.__name__
        methods = self.methods
        quiet = trivia_fields(kind) if self.skip else frozenset()
        fields = []
        for field in fields_of(node):
            before, after = methods.get(f"visit_{name}_{field}", ()), methods.get(f"leave_{name}_{field}", ())
            if before or after or field not in quiet:
                fields.append((field, tuple(before), tuple(after)))
        plan = _Plan(tuple(methods.get(f"visit_{name}", ())), tuple(methods.get(f"leave_{name}", ())), tuple(fields))
        if _FIELDS[kind] is not None:  # a class whose fields vary gets a plan per node
            self.plans[kind] = plan
        return plan

    def run(self, node: cst.CSTNode) -> None:
        plan = self.plans.get(type(node)) or self._plan(node)
        for method in plan.visit:
            method(node)
        skip = self.skip
        run = self.run
        for field, before, after in plan.fields:
            for method in before:
                method(node)
            value = getattr(node, field)
            kind = type(value)  # exact types: isinstance against libcst's abstract classes is slow
            if kind is tuple or kind is list:
                for item in value:
                    if type(item) not in skip:
                        run(item)
            elif kind not in _EMPTY and kind not in skip:
                run(value)
            for method in after:
                method(node)
        for method in plan.leave:
            method(node)


def visitor_label(kind: type) -> str:
    """How `--profile` names a visitor class: `module.Class`."""
    return f"visitor:{kind.__module__}.{kind.__qualname__}"


def visit_batched(tree: cst.CSTNode, visitors: Iterable[cst.BatchableCSTVisitor]) -> None:
    """The drop-in for `libcst.visit_batched` on read-only visitors."""
    BatchedWalk(list(visitors)).run(tree)
