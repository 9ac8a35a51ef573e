"""Small helpers for reading call arguments and literals out of libcst nodes."""

from __future__ import annotations

from typing import Any

import libcst as cst

from debtscan.literals import string_value
from debtscan.traversal import walk_code as walk  # for expressions: seeds, arguments

UNKNOWN = object()


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call) -> list[cst.Arg]:
    out = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        out.append(arg)
    return out


def has_star(call: cst.Call) -> bool:
    """`f(*args)` or `f(**kwargs)`: any argument may be hiding in there."""
    return any(arg.star for arg in call.args)


def argument(call: cst.Call, position: int | None, name: str | None) -> cst.Arg | None:
    if name is not None:
        found = keyword(call, name)
        if found is not None:
            return found
    if position is not None and position >= 0:
        args = positional(call)
        if position < len(args):
            return args[position]
    return None


def literal(node: cst.BaseExpression) -> Any:
    """The Python value of a simple literal, or UNKNOWN."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = string_value(node) if isinstance(node, cst.SimpleString) else node.evaluated_value
        return value if isinstance(value, str) else UNKNOWN
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = literal(node.expression)
        return -inner if isinstance(inner, (int, float)) and not isinstance(inner, bool) else UNKNOWN
    return UNKNOWN


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def conditions_hold(call: cst.Call, when: dict, defaults: dict, positions: dict | None = None) -> bool | None:
    """Whether keyword conditions like {shuffle: [true]} hold: True, False, or None (unknown)."""
    unknown = False
    for name, allowed in when.items():
        arg = argument(call, (positions or {}).get(name), name)
        if arg is None:
            value = defaults.get(name)
            value = None if value == "None" else value
        else:
            value = literal(arg.value)
        if value is UNKNOWN:
            unknown = True
            continue
        if value not in allowed:
            return False
    return None if unknown else True


def call_text(call: cst.Call) -> str:
    """How a call reads in the source, for messages: `np.random.rand`, `.shuffle`."""
    func = call.func
    shell = _notebook_shell_word(call)
    if shell is not None:
        return shell
    parts = []
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    if isinstance(func, cst.Name):
        parts.append(func.value)
        return ".".join(reversed(parts))
    return "." + ".".join(reversed(parts)) if parts else "call"


def _notebook_shell_word(call: cst.Call) -> str | None:
    """`!wget` for the call a notebook's `!wget …` line is read as (`get_ipython().system(…)`)."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in ("system", "getoutput")
            and isinstance(func.value, cst.Call) and isinstance(func.value.func, cst.Name)
            and func.value.func.value == "get_ipython" and call.args):
        return None
    value = call.args[0].value
    parts = value.parts if isinstance(value, cst.FormattedString) else ()
    head = parts[0].value if parts and isinstance(parts[0], cst.FormattedStringText) else ""
    words = head.split()
    return "!" + words[0] if words else "!"


def shown_call(text: str) -> str:
    """A call as a message quotes it: `np.load(...)`, or a notebook's shell line as `!wget`."""
    return f"`{text}`" if text.startswith("!") else f"`{text}(...)`"
