"""Feature units: the code that turns raw inputs into model inputs, fingerprinted once per file.

A feature unit is a function, or a run of consecutive top-level statements of a script or
notebook, holding *feature statements*: column assignments (`df["x"] = …`, `df.assign(x=…)`),
dict and row builders (`{"x": row["a"] / 12, …}`), transforms of raw fields
(`age = math.log1p(payload["age"])`) and encodings (`pd.get_dummies`). For each unit the
collector stores, as plain data, everything the project phase needs, so no file is parsed twice:

* per feature statement a *skeleton* (tokens with local names renamed in order of appearance
  and every constant and operator replaced by a typed slot), the slot values (`52.3`, `>= 65`),
  a one-line text and a position — two statements are copies when their skeletons are equal,
  and a diverged copy when their slot values differ;
* hashed token 3-grams of the skeletons (`grams`), which the pairing stage vectorises;
* per feature *name* (a column or dict key) a canonical form of the expression computing it,
  the same whether it is written with pandas or row by row (`np.log1p(df["a"])` and
  `math.log1p(row["a"])` both read `log1p(col(a))`).

Column names, dict keys and called functions stay in the skeleton: units that compute
different columns never look alike, however similar their boilerplate.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from typing import Any

import libcst as cst

from debtscan.catalog import CatalogIndex
from debtscan.model import MODULE_SCOPE
from debtscan.rule import Collector
from debtscan.traversal import code_children as _children, walk_code as _walk
from ._calls import literal, UNKNOWN

KEY = "features"
GRAM_BITS = 18
NGRAM = 3
MIN_BLOCK_STATEMENTS = 2
TEXT_LIMIT = 90

_EMPTY = cst.Module(body=[])
_ARITHMETIC = {cst.Add: "+", cst.Subtract: "-", cst.Multiply: "*", cst.Divide: "/", cst.FloorDivide: "//",
               cst.Modulo: "%", cst.Power: "**", cst.MatrixMultiply: "@", cst.BitAnd: "&", cst.BitOr: "|",
               cst.BitXor: "^", cst.LeftShift: "<<", cst.RightShift: ">>"}
_COMPARE = {cst.Equal: "==", cst.NotEqual: "!=", cst.LessThan: "<", cst.LessThanEqual: "<=", cst.GreaterThan: ">",
            cst.GreaterThanEqual: ">=", cst.In: "in", cst.NotIn: "not in", cst.Is: "is", cst.IsNot: "is not"}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_AUGMENTED = {cst.AddAssign: "+", cst.SubtractAssign: "-", cst.MultiplyAssign: "*", cst.DivideAssign: "/",
              cst.FloorDivideAssign: "//", cst.ModuloAssign: "%", cst.PowerAssign: "**"}
# Attributes of a frame or a row object that are not fields of the input.
_NOT_FIELDS = {"values", "index", "columns", "shape", "dtypes", "dtype", "T", "loc", "iloc", "at", "iat", "str",
               "dt", "size", "empty", "ndim", "cat", "array", "name"}
_CASTS_SAME = {"float", "to_numeric", "float32", "float64", "asarray", "array", "to_datetime", "fromisoformat",
               "Timestamp"}
_CASTS = {"int": "int", "int32": "int", "int64": "int", "str": "str", "bool": "bool", "round": "round"}


class FeatureIndex(CatalogIndex):
    """The catalog's knowledge of feature code."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        features = catalog.get("features", {})
        self.transforms = frozenset(features.get("transforms", []))
        self.column_keywords = frozenset(features.get("column_keywords", []))
        self.column_methods = frozenset(features.get("column_methods", []))
        self.generic_names = frozenset(features.get("generic_names", []))
        self.containers = frozenset(features.get("not_feature_containers", []))
        self.record_bases = frozenset(features.get("record_bases", []))


# -- small questions about expressions -------------------------------------------------------------

def _string(node: cst.CSTNode) -> str | None:
    kind = type(node)
    if kind is cst.SimpleString:
        raw = node.value
        # the common case without evaluating (libcst's evaluated_value compiles the literal)
        if raw[:1] in "'\"" and "\\" not in raw and raw[:3] not in ('"""', "'''"):
            return raw[1:-1]
    if kind is cst.SimpleString or kind is cst.ConcatenatedString:
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _key_of(node: cst.Subscript, index: "FeatureIndex | None" = None) -> str | None:
    """The string key of `x["key"]`, if that is what the subscript is (and `x` may hold
    features: with `index`, keys of settings and results containers do not count)."""
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        if index is not None and _container(node.value) in index.containers:
            return None
        return _string(node.slice[0].slice.value)
    return None


def _container(node: cst.BaseExpression) -> str:
    """The last name of what is subscripted: `params` in `self.params["lr"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return ""


def _get_key(node: cst.Call, index: "FeatureIndex | None" = None) -> str | None:
    """The key of `row.get("key")` / `row.get("key", default)`."""
    if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and node.args \
            and node.args[0].keyword is None and len(node.args) <= 2:
        if index is not None and _container(node.func.value) in index.containers:
            return None
        return _string(node.args[0].value)
    return None


def reads_key(node: cst.CSTNode, index: "FeatureIndex | None" = None, records: frozenset[str] = frozenset()) -> bool:
    """Whether an expression reads a named field: `df["a"]`, `row.get("a")`, or `order.a` where
    `order` is one of `records`, parameters annotated with a request model (pydantic)."""
    for item in _walk(node):
        kind = type(item)
        if kind is cst.Subscript and _key_of(item, index) is not None:
            return True
        if kind is cst.Call and _get_key(item, index) is not None:
            return True
        if records and kind is cst.Attribute and type(item.value) is cst.Name and item.value.value in records:
            return True
    return False


def _callee_name(node: cst.Call) -> str:
    func = node.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return ""


def _computes(node: cst.CSTNode, index: FeatureIndex) -> bool:
    """Whether an expression transforms what it reads (a call, arithmetic, a test)."""
    for item in _walk(node):
        if isinstance(item, (cst.BinaryOperation, cst.Comparison, cst.IfExp)):
            return True
        if isinstance(item, cst.Call) and _callee_name(item) in index.transforms:
            return True
    return False


_READS_NOTHING = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Name})


def _builder(node: cst.CSTNode, index: FeatureIndex, records: frozenset[str] = frozenset()) -> bool:
    """A dict, list or tuple literal with at least two entries read from named fields."""
    if isinstance(node, cst.Dict):
        values = [element.value for element in node.elements
                  if isinstance(element, cst.DictElement) and _string(element.key) is not None]
    elif isinstance(node, (cst.List, cst.Tuple)):
        values = [element.value for element in node.elements if isinstance(element, cst.Element)]
    else:
        return False
    # a number, a string or a bare name reads no field: literal tables need no walk per entry
    reading = [value for value in values if type(value) not in _READS_NOTHING and reads_key(value, index, records)]
    return len(reading) >= 2 and any(_computes(value, index) for value in reading)


def _column_target(target: cst.BaseExpression, index: FeatureIndex) -> bool:
    """`df["x"] = …` or `row["x"] = …`, but not `params["lr"] = …` or `os.environ["X"] = …`."""
    return isinstance(target, cst.Subscript) and _key_of(target, index) is not None


def is_feature_statement(statement: cst.CSTNode, index: FeatureIndex, records: frozenset[str] = frozenset()) -> bool:
    """Whether a statement (or a block holding one) computes model inputs from raw fields."""
    for item in _walk(statement):
        if isinstance(item, (cst.FunctionDef, cst.ClassDef)) and item is not statement:
            continue
        if isinstance(item, cst.Assign):
            if any(_column_target(target.target, index) for target in item.targets) and (
                    reads_key(item.value, index, records) or _computes(item.value, index)):
                return True
            if any(isinstance(target.target, cst.Subscript) for target in item.targets) and _computes(item.value, index):
                return True
            if reads_key(item.value, index, records) and _computes(item.value, index):
                return True
        elif isinstance(item, cst.AugAssign) and _column_target(item.target, index):
            return True
        elif isinstance(item, cst.AnnAssign) and item.value is not None and reads_key(item.value, index, records) \
                and _computes(item.value, index):
            return True
        elif isinstance(item, (cst.Dict, cst.List, cst.Tuple)) and _builder(item, index, records):
            return True
        elif isinstance(item, cst.Call) and _is_feature_call(item):
            return True
    return False


def _is_feature_call(node: cst.Call) -> bool:
    name = _callee_name(node)
    if name == "assign" and isinstance(node.func, cst.Attribute):
        return any(arg.keyword is not None for arg in node.args)
    return name in ("get_dummies", "withColumn")


def code_text(node: cst.CSTNode, limit: int = TEXT_LIMIT) -> str:
    """One line of source for messages: whitespace collapsed, long code cut with `…`."""
    text = " ".join(_EMPTY.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _literal_text(node: cst.CSTNode, limit: int = 40) -> str:
    """Source text of a literal without code generation (which costs more than the parse)."""
    kind = type(node)
    if kind is cst.Integer or kind is cst.Float or kind is cst.SimpleString:
        text = node.value
        return text if len(text) <= limit else text[: limit - 1] + "…"
    if kind is cst.UnaryOperation and type(node.expression) in (cst.Integer, cst.Float):
        return "-" + node.expression.value if type(node.operator) is cst.Minus else node.expression.value
    return code_text(node, limit)


def span_text(span: dict, node: cst.CSTNode, limit: int = TEXT_LIMIT) -> str:
    """A node's text cut from its resolved span's source line (one line), else generated."""
    line, end = span.get("line", 0), span.get("end_line", 0)
    snippet = span.get("snippet", "")
    if line and line == end and snippet:
        text = " ".join(snippet[span.get("column", 0):span.get("end_column", 0)].split())
        if text:
            return text if len(text) <= limit else text[: limit - 1] + "…"
    return code_text(node, limit)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    try:
        return repr(float(value))
    except OverflowError:  # an integer literal too large for a float
        return repr(value)


# -- skeletons and slots ----------------------------------------------------------------------------

class _Skeleton:
    """Tokens of one unit's statements: names renamed, constants and operators in typed slots."""

    def __init__(self, locals_: set[str], globals_: dict[str, str], constants: dict[str, Any],
                 index: FeatureIndex) -> None:
        self.locals = locals_
        self.globals = globals_
        self.constants = constants
        self.index = index
        self.renamed: dict[str, str] = {}
        self.tokens: list[str] = []
        self.values: list[list[str]] = []

    def statement(self, node: cst.CSTNode) -> tuple[list[str], list[list[str]]]:
        self.tokens, self.values = [], []
        self._node(node, False)
        return self.tokens, self.values

    def _slot(self, kind: str, canon: str, display: str) -> None:
        self.tokens.append(kind)
        self.values.append([canon, display])

    def _name(self, name: str) -> None:
        if name in ("True", "False", "None"):
            self._slot("#B", name, name)
        elif name in self.locals:
            self.tokens.append(self.renamed.setdefault(name, f"v{len(self.renamed)}"))
        elif name in self.constants:
            value = self.constants[name]
            canon = _number(value) if isinstance(value, (int, float)) else repr(value)
            self._slot("#N" if isinstance(value, (int, float)) else "#S", canon, f"{name} = {value!r}")
        else:
            self.tokens.append(self.globals.get(name, name))

    def _node(self, node: cst.CSTNode, identity: bool) -> None:  # noqa: C901 - one case per node type
        if isinstance(node, cst.Name):
            self._name(node.value)
        elif isinstance(node, cst.Attribute):
            self._node(node.value, False)
            self.tokens.append("." + node.attr.value)
        elif isinstance(node, (cst.Integer, cst.Float)):
            if identity:
                self.tokens.append(node.value)
            else:
                self._slot("#N", _number(node.evaluated_value), node.value)
        elif isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = _string(node)
            text = _literal_text(node)
            if identity or value is None:
                self.tokens.append(repr(value) if value is not None else text)
            else:
                self._slot("#S", repr(value), text)
        elif isinstance(node, cst.UnaryOperation) and isinstance(node.expression, (cst.Integer, cst.Float)) \
                and isinstance(node.operator, cst.Minus):
            self._slot("#N", _number(-node.expression.evaluated_value), _literal_text(node))
        elif isinstance(node, cst.Subscript):
            self._node(node.value, False)
            self.tokens.append("[")
            for element in node.slice:
                self._node(element.slice, True)
            self.tokens.append("]")
        elif isinstance(node, cst.Index):
            self._node(node.value, identity)
        elif isinstance(node, cst.Call):
            self._call(node)
        elif isinstance(node, cst.BinaryOperation):
            symbol = _ARITHMETIC.get(type(node.operator), "?")
            self._node(node.left, False)
            self._slot("#A", symbol, symbol)
            self._node(node.right, False)
        elif isinstance(node, cst.BooleanOperation):
            symbol = "and" if isinstance(node.operator, cst.And) else "or"
            self._node(node.left, False)
            self._slot("#L", symbol, symbol)
            self._node(node.right, False)
        elif isinstance(node, cst.Comparison):
            self._node(node.left, False)
            for target in node.comparisons:
                symbol = _COMPARE.get(type(target.operator), "?")
                value = literal(target.comparator)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    self._slot("#C", f"{symbol} {_number(value)}", f"{symbol} {_literal_text(target.comparator, 30)}")
                else:
                    self._slot("#C", symbol, symbol)
                    self._node(target.comparator, False)
        elif isinstance(node, cst.DictElement):
            self._node(node.key, True)
            self.tokens.append(":")
            self._node(node.value, False)
        elif isinstance(node, cst.Lambda):
            for param in node.params.params:
                self.locals.add(param.name.value)
            self.tokens.append("lambda")
            for param in node.params.params:
                self._name(param.name.value)
            self._node(node.body, False)
        else:
            self.tokens.append(type(node).__name__)
            for child in _children(node):
                self._node(child, identity and isinstance(node, (cst.List, cst.Tuple, cst.Element)))

    def _call(self, node: cst.Call) -> None:
        self._node(node.func, False)
        self.tokens.append("(")
        method = _callee_name(node)
        for position, arg in enumerate(node.args):
            if arg.keyword is not None:
                self.tokens.append(arg.keyword.value + "=")
                identity = arg.keyword.value in self.index.column_keywords
            else:
                identity = position == 0 and method in self.index.column_methods
            if arg.star:
                self.tokens.append(arg.star)
            self._node(arg.value, identity)
        self.tokens.append(")")


def _bound_names(node: cst.FunctionDef | None, statements: list[cst.CSTNode]) -> set[str]:
    """Names a unit binds itself: parameters, assignment and loop targets, `with … as`."""
    names: set[str] = set()
    if node is not None:
        params = node.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            names.add(param.name.value)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                names.add(star.name.value)

    def targets(target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                targets(element.value)
        elif isinstance(target, cst.StarredElement):
            targets(target.value)

    for statement in statements:
        for item in _walk(statement):
            if isinstance(item, cst.Assign):
                for target in item.targets:
                    targets(target.target)
            elif isinstance(item, (cst.AnnAssign, cst.AugAssign)):
                targets(item.target)
            elif isinstance(item, (cst.For, cst.CompFor)):
                targets(item.target)
            elif isinstance(item, cst.WithItem) and item.asname is not None:
                targets(item.asname.name)
            elif isinstance(item, cst.NamedExpr):
                targets(item.target)
    return names


# -- canonical feature expressions ------------------------------------------------------------------

class _Canonical:
    """Feature expressions in one notation for pandas and row-wise code.

    A field read is `col(name)` however it is written (`df["a"]`, `row["a"]`, `row.get("a")`,
    `req.a`, a parameter `a`); calls read `f(receiver, args)` with module prefixes dropped;
    casts to float vanish; `log(1 + x)` is `log1p(x)`; `clip(lower=a)` is `max(x, a)`;
    `(c).astype(int)`, `int(c)`, `1 if c else 0` and `np.where(c, 1, 0)` are `int(c)`;
    string building with `+`, `%` or f-strings is `concat(...)`.
    """

    def __init__(self, locals_: set[str], constants: dict[str, Any], globals_: dict[str, str],
                 index: FeatureIndex) -> None:
        self.index = index
        self.locals = locals_
        self.constants = constants
        self.globals = globals_
        self.names: dict[str, str] = {}    # local variable -> canonical value
        self.columns: dict[str, str] = {}  # column or key assigned earlier in the unit -> value

    def of(self, node: cst.CSTNode) -> str:  # noqa: C901 - one case per node type
        if isinstance(node, cst.Name):
            name = node.value
            if name in self.names:
                return self.names[name]
            if name in self.locals:
                return f"col({name})"
            if name in self.constants:
                value = self.constants[name]
                return _number(value) if isinstance(value, (int, float)) else repr(value)
            return self.globals.get(name, name)
        if isinstance(node, (cst.Integer, cst.Float)):
            return _number(node.evaluated_value)
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = _string(node)
            return repr(value) if value is not None else code_text(node)
        if isinstance(node, cst.UnaryOperation):
            inner = self.of(node.expression)
            if isinstance(node.operator, cst.Minus):
                return _number(-float(inner)) if _is_number(inner) else f"-{inner}"
            return f"{code_text(node.operator)}{inner}" if not isinstance(node.operator, cst.Not) else f"not {inner}"
        if isinstance(node, cst.Subscript):
            key = _key_of(node, self.index)
            if key is not None:
                return self.columns.get(key, f"col({key})")
            return f"{self.of(node.value)}[{', '.join(code_text(element) for element in node.slice)}]"
        if isinstance(node, cst.Attribute):
            base = node.value
            if isinstance(base, cst.Name) and base.value in self.locals and node.attr.value not in _NOT_FIELDS:
                return f"col({node.attr.value})"
            if node.attr.value in ("dt", "str"):
                return self.of(base)
            return f"{self.of(base)}.{node.attr.value}"
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            target = node.comparisons[0]
            symbol = _COMPARE.get(type(target.operator), "?")
            left, right = self.of(node.left), self.of(target.comparator)
            if _is_number(left) and not _is_number(right) and symbol in _MIRROR:
                left, right, symbol = right, left, _MIRROR[symbol]
            return f"({left} {symbol} {right})"
        if isinstance(node, cst.IfExp):
            body, orelse = self.of(node.body), self.of(node.orelse)
            if (body, orelse) == ("1.0", "0.0"):
                return f"int({_bare(self.of(node.test))})"
            return f"where({_bare(self.of(node.test))}, {body}, {orelse})"
        if isinstance(node, cst.FormattedString):
            parts = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(repr(part.value))
                elif isinstance(part, cst.FormattedStringExpression):
                    parts.append(_as_str(self.of(part.expression)))
            return f"concat({', '.join(parts)})"
        return code_text(node, 200)

    def _binary(self, node: cst.BinaryOperation) -> str:
        symbol = _ARITHMETIC.get(type(node.operator), "?")
        if symbol == "%" and _string(node.left) is not None:
            return self._percent_format(_string(node.left), node.right)
        if symbol == "+" and _concatenates(node):
            return f"concat({', '.join(_as_str(part) if not part.startswith(chr(39)) else part for part in self._flatten(node))})"
        left, right = self.of(node.left), self.of(node.right)
        if symbol in ("+", "*") and right < left:
            left, right = right, left
        return f"({left} {symbol} {right})"

    def _flatten(self, node: cst.BaseExpression) -> list[str]:
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self._flatten(node.left) + self._flatten(node.right)
        return [self.of(node)]

    def _percent_format(self, template: str, args: cst.BaseExpression) -> str:
        values = [element.value for element in args.elements] if isinstance(args, cst.Tuple) else [args]
        pieces = re.split(r"(%[-+ #0-9.]*[sdifr])", template)
        parts, position = [], 0
        for piece in pieces:
            if re.fullmatch(r"%[-+ #0-9.]*[sdifr]", piece) and position < len(values):
                parts.append(_as_str(self.of(values[position])))
                position += 1
            elif piece:
                parts.append(repr(piece))
        return f"concat({', '.join(parts)})"

    def _call(self, node: cst.Call) -> str:  # noqa: C901 - one case per known call
        key = _get_key(node, self.index)
        if key is not None:
            read = self.columns.get(key, f"col({key})")
            if len(node.args) == 2:
                return f"fillna({read}, {self.of(node.args[1].value)})"
            return read
        name = _callee_name(node)
        receiver = None
        if isinstance(node.func, cst.Attribute):
            base = self.of(node.func.value)
            # a call on a module (np.log1p, math.log1p) takes no receiver; a call on data does
            if not _is_module(node.func.value, self.globals):
                receiver = base
        args = [self.of(arg.value) for arg in node.args if arg.keyword is None]
        keywords = {arg.keyword.value: self.of(arg.value) for arg in node.args if arg.keyword is not None}
        operands = ([receiver] if receiver is not None else []) + args
        if name in _CASTS_SAME and len(operands) == 1:
            return operands[0]
        if name == "astype" and receiver is not None and len(args) == 1:
            kind = args[0].strip("'").split(".")[-1]
            if kind in _CASTS_SAME or kind.startswith("float"):
                return receiver
            cast = _CASTS.get(kind) or ("int" if kind.startswith(("int", "uint")) else None)
            return f"{cast}({_bare(receiver)})" if cast else f"astype({receiver}, {args[0]})"
        if name in _CASTS and len(operands) == 1:
            if _CASTS[name] == "str":
                return _as_str(operands[0])
            return f"{_CASTS[name]}({_bare(operands[0])})"
        if name == "log" and len(operands) == 1:
            inner = operands[0]
            for prefix, suffix in (("(1.0 + ", ")"),):
                if inner.startswith(prefix) and inner.endswith(suffix):
                    return f"log1p({inner[len(prefix):-len(suffix)]})"
        if name == "clip" and receiver is not None:
            lower = keywords.get("lower", args[0] if args else None)
            upper = keywords.get("upper", args[1] if len(args) > 1 else None)
            value = receiver
            if lower not in (None, "None"):
                value = _minmax("max", value, lower)
            if upper not in (None, "None"):
                value = _minmax("min", value, upper)
            return value
        if name in ("max", "min", "maximum", "minimum") and len(operands) == 2 and receiver is None:
            return _minmax("max" if name.startswith("max") else "min", *operands)
        if name == "fillna" and receiver is not None and len(args) == 1:
            return f"fillna({receiver}, {args[0]})"
        if name == "where" and receiver is None and len(args) == 3:
            return f"int({_bare(args[0])})" if args[1:] == ["1.0", "0.0"] else f"where({_bare(args[0])}, {args[1]}, {args[2]})"
        if name in ("apply", "map") and receiver is not None and len(node.args) == 1:
            function = node.args[0].value
            if isinstance(function, cst.Lambda) and len(function.params.params) == 1:
                inner = _Canonical(self.locals, self.constants, self.globals, self.index)
                inner.names = {**self.names, function.params.params[0].name.value: receiver}
                inner.columns = self.columns
                return inner.of(function.body)
            if isinstance(function, (cst.Name, cst.Attribute)):
                return f"{_last(self.of(function))}({receiver})"
        rendered = ", ".join(operands + [f"{word}={value}" for word, value in sorted(keywords.items())])
        return f"{name or code_text(node.func)}({rendered})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bare(text: str) -> str:
    """`(a > b)` without its outer parentheses (only when they enclose the whole text)."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for position, char in enumerate(text):
        depth += (char == "(") - (char == ")")
        if depth == 0 and position < len(text) - 1:
            return text
    return text[1:-1]


def _last(text: str) -> str:
    return text.rsplit(".", 1)[-1]


def _as_str(text: str) -> str:
    return text if text.startswith(("str(", "'", "concat(")) else f"str({text})"


def _minmax(kind: str, first: str, second: str) -> str:
    return f"{kind}({', '.join(sorted((first, second)))})"


def _concatenates(node: cst.BinaryOperation) -> bool:
    """`a + "_" + b`: a sum with a string literal in it builds a string."""
    stack: list[cst.BaseExpression] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.BinaryOperation) and isinstance(item.operator, cst.Add):
            stack.extend((item.left, item.right))
        elif _string(item) is not None or isinstance(item, cst.FormattedString):
            return True
    return False


def _is_module(node: cst.BaseExpression, globals_: dict[str, str]) -> bool:
    """Whether the receiver of a call is an imported module (`np`, `math`, `pd`)."""
    root = node
    while isinstance(root, cst.Attribute):
        root = root.value
    return isinstance(root, cst.Name) and root.value in globals_


# -- the collector ----------------------------------------------------------------------------------

class FeatureCollector(Collector):
    """Feature units of one file, stored as `ctx.facts.data["features"] = {"units": [...]}`."""

    key = KEY
    triggers = (b'["', b"['", b".get(", b"assign(", b"get_dummies", b"withColumn")

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = FeatureIndex.of(ctx.catalog)
        self.functions: list[list] = []  # [node, scope, marked, parameters that are request models]
        self.record_types: set[str] = set()
        self.top_level: dict[int, cst.CSTNode] = {}
        self.current_top: cst.CSTNode | None = None
        self.marked_top: set[int] = set()
        self.blocks: list[list[cst.CSTNode]] = []
        self.constants: dict[str, Any] = {}
        self._module_assigned: set[str] | None = None
        self.units: list[dict] = []
        self.texts: list[tuple[list, int, cst.CSTNode, dict, int]] = []  # filled in once spans are known

    # where we are ---------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        blocks = [list(node.body)]
        for statement in node.body:
            if isinstance(statement, cst.If) and _main_guard(statement):
                blocks.append(list(statement.body.body))
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._note_constant(small)
        self.blocks = blocks
        for block in blocks:
            for statement in block:
                self.top_level[id(statement)] = statement

    @property
    def module_assigned(self) -> set[str]:
        """Names the script binds at its top level (computed once, only for files with units)."""
        if self._module_assigned is None:
            self._module_assigned = set()
            for block in self.blocks:
                self._module_assigned |= _bound_names(None, [statement for statement in block if not isinstance(
                    statement, (cst.FunctionDef, cst.ClassDef))])
        return self._module_assigned

    def _note_constant(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            value = literal(small.value)
            if value is not UNKNOWN and isinstance(value, (int, float, str)) and not isinstance(value, bool):
                self.constants[small.targets[0].target.value] = value

    def _enter_statement(self, node: cst.CSTNode) -> None:
        if not self.functions and id(node) in self.top_level:
            self.current_top = node

    visit_SimpleStatementLine = visit_If = visit_For = visit_While = visit_With = visit_Try = _enter_statement

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append([node, self.ctx.scope, False, self._record_parameters(node)])

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        function, scope, marked, records = self.functions.pop()
        if marked:
            self._function_unit(function, scope, records)

    @property
    def _records(self) -> frozenset[str]:
        return self.functions[-1][3] if self.functions else frozenset()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self.ctx.symbols[:-1] and any(self.ctx.qualify(base.value) in self.index.record_bases
                                             for base in node.bases):
            self.record_types.add(node.name.value)

    def _record_parameters(self, node: cst.FunctionDef) -> frozenset[str]:
        """Parameters annotated with a request model class of this module (`order: Order`)."""
        found = set()
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            if type(annotation) is cst.Name and annotation.value in self.record_types:
                found.add(param.name.value)
        return frozenset(found)

    def _mark(self) -> None:
        if self.functions:
            self.functions[-1][2] = True
        elif self.current_top is not None and not self.ctx.symbols:
            self.marked_top.add(id(self.current_top))

    # what marks a feature statement ---------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if any(isinstance(target.target, cst.Subscript) for target in node.targets) or \
                reads_key(node.value, self.index, self._records):
            if is_feature_statement(node, self.index, self._records):
                self._mark()

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if _column_target(node.target, self.index):
            self._mark()

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and is_feature_statement(node, self.index, self._records):
            self._mark()

    def visit_Dict(self, node: cst.Dict) -> None:
        if _builder(node, self.index, self._records):
            self._mark()

    visit_List = visit_Tuple = visit_Dict

    def visit_Call(self, node: cst.Call) -> None:
        if _is_feature_call(node):
            self._mark()

    # units --------------------------------------------------------------------------------------
    def _globals(self) -> dict[str, str]:
        """Imported names -> what they import (`np` -> `numpy`); the file's own names stay as written."""
        own = f"{self.ctx.module}." if self.ctx.module else ""
        table = self.ctx.scopes.stack[0][1]
        return {name: target for name, target in table.items()
                if target and not (own and target.startswith(own)) and name not in self.module_assigned}

    def _function_unit(self, node: cst.FunctionDef, scope: str, records: frozenset[str]) -> None:
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        statements = [statement for statement in body if not _is_docstring(statement)
                      and not isinstance(statement, (cst.FunctionDef, cst.ClassDef))]
        kept = [statement for statement in statements if is_feature_statement(statement, self.index, records)]
        if kept:
            self._unit(scope, node.name.value, "function", node.name, statements, kept, node, records)

    def leave_Module(self, node: cst.Module) -> None:
        for block in self.blocks:
            run: list[cst.CSTNode] = []
            for statement in [*block, None]:
                if statement is not None and id(statement) in self.marked_top \
                        and not isinstance(statement, (cst.FunctionDef, cst.ClassDef)) \
                        and is_feature_statement(statement, self.index):
                    run.append(statement)
                    continue
                if len(run) >= MIN_BLOCK_STATEMENTS or (run and _is_builder_statement(run[0], self.index)):
                    self._unit(MODULE_SCOPE, "", "block", run[0], run, run, None)
                run = []

    def finish(self) -> None:
        for holder, position, node, span, limit in self.texts:
            holder[position] = span_text(span, node, limit)
        self.ctx.facts.data[KEY] = {"units": self.units}

    def _unit(self, scope: str, name: str, kind: str, anchor: cst.CSTNode, statements: list[cst.CSTNode],
              kept: list[cst.CSTNode], function: cst.FunctionDef | None, records: frozenset[str] = frozenset()) -> None:
        locals_ = _bound_names(function, statements)
        if function is None:  # a script's names are its own, like a function's locals
            locals_ |= self.module_assigned - set(self.constants)
        globals_ = self._globals()
        skeleton = _Skeleton(set(locals_), globals_, self.constants, self.index)
        rows = []
        stream: list[str] = []
        for statement in kept:
            tokens, values = skeleton.statement(statement)
            digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=8).hexdigest()
            span = self.ctx.span(statement)
            row = [digest, values, "", span, len(tokens), _target(statement, self.index)]
            self.texts.append((row, 2, statement, span, TEXT_LIMIT))
            rows.append(row)
            stream.extend(tokens)
            stream.append("|")
        self.units.append({
            "scope": scope,
            "name": name,
            "kind": kind,
            "span": self.ctx.span(anchor),
            "statements": rows,
            "grams": _grams(stream),
            "size": len(stream) - len(kept),
            "features": self._features(statements, locals_, globals_, records),
        })

    def _features(self, statements: list[cst.CSTNode], locals_: set[str], globals_: dict[str, str],
                  records: frozenset[str]) -> list[list]:
        """[name, canonical expression, source text, span] for every named feature computed."""
        canonical = _Canonical(locals_, self.constants, globals_, self.index)
        found: list[list] = []

        def note(key: str, value: cst.BaseExpression, where: cst.CSTNode) -> str:
            form = canonical.of(value)
            span = self.ctx.span(where)
            found.append([key, form, "", span])
            self.texts.append((found[-1], 2, value, self.ctx.span(value), 70))
            return form

        for statement in statements:
            smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
            for small in smalls:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target = small.targets[0].target
                    if _column_target(target, self.index):
                        canonical.columns[_key_of(target)] = note(_key_of(target), small.value, small)
                        continue
                    if isinstance(target, cst.Name):
                        canonical.names[target.value] = canonical.of(small.value)
                elif isinstance(small, cst.AugAssign) and _column_target(small.target, self.index):
                    key = _key_of(small.target)
                    symbol = _AUGMENTED.get(type(small.operator))
                    if symbol is not None:
                        before = canonical.columns.get(key, f"col({key})")
                        form = f"({before} {symbol} {canonical.of(small.value)})"
                        canonical.columns[key] = form
                        span = self.ctx.span(small)
                        found.append([key, form, "", span])
                        self.texts.append((found[-1], 2, small, span, 70))
            for item in _walk(statement):
                if isinstance(item, cst.Dict) and _builder(item, self.index, records):
                    for element in item.elements:
                        if isinstance(element, cst.DictElement) and _string(element.key) is not None:
                            note(_string(element.key), element.value, element)
                elif isinstance(item, cst.Call) and _callee_name(item) == "assign":
                    for arg in item.args:
                        if arg.keyword is not None and not isinstance(arg.value, cst.Lambda):
                            note(arg.keyword.value, arg.value, arg)
        return found


def _target(statement: cst.CSTNode, index: FeatureIndex) -> str:
    """What a statement assigns (`'x'` for a column or key, the name for a variable), else ""."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        targets = [target.target for target in small.targets] if isinstance(small, cst.Assign) else \
            [small.target] if isinstance(small, (cst.AugAssign, cst.AnnAssign)) else []
        if len(targets) == 1:
            if _column_target(targets[0], index):
                return repr(_key_of(targets[0]))
            if isinstance(targets[0], cst.Name):
                return targets[0].value
    return ""


def _grams(tokens: list[str]) -> list[list[int]]:
    """Hashed token 3-grams (and the field names on their own), as sorted [bucket, count]."""
    mask = (1 << GRAM_BITS) - 1
    counts: Counter[int] = Counter()
    for start in range(max(1, len(tokens) - NGRAM + 1)):
        gram = "\x1f".join(tokens[start:start + NGRAM])
        counts[zlib.crc32(gram.encode()) & mask] += 1
    for token in tokens:
        if token.startswith("'"):
            counts[zlib.crc32(b"key\x1f" + token.encode()) & mask] += 1
    return [[bucket, count] for bucket, count in sorted(counts.items())]


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _is_builder_statement(statement: cst.CSTNode, index: FeatureIndex) -> bool:
    return any(isinstance(item, cst.Dict) and len(item.elements) >= 3 and _builder(item, index)
               for item in _walk(statement))


def _main_guard(statement: cst.If) -> bool:
    test = statement.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    return any(isinstance(side, cst.Name) and side.value == "__name__" for side in sides) and \
        any(_string(side) == "__main__" for side in sides)


__all__ = ["FeatureCollector", "FeatureIndex", "is_feature_statement", "reads_key", "code_text", "KEY"]
