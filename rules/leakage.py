"""Data leakage (DS9xx): test rows that reach training, so the evaluation measures nothing.

Yang et al. (ASE 2022, "Data Leakage in Notebooks: Static Detection and Better Processes")
found preprocessing leakage, overlap leakage and multi-test leakage in a large share of public
notebooks, with a datalog analysis over a full Python type inference. debtscan aims for their
precision with much less: the shared traversal records which qualified name each call refers to
and where each module-level function is defined; when it leaves the module, a small abstract
interpreter walks the statements of the module and of its functions in order, following values
through assignments, tuple unpacking and calls to the module's own functions.

Every value is one of: data (which sources its rows come from, which splits carved it out, and
which fitted steps shaped it), a step (a preprocessor, resampler, search, pipeline or model, and
the rows it was fitted on), fold indices, a statistic of some rows, or a constant. Leakage is a
relation between rows a step was fitted on and rows it is later applied to or evaluated on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.model import Confidence, Severity
from debtscan.names import dotted
from debtscan.rule import FileRule
from ._calls import argument, keyword, literal
from .config_debt import name_words
from .roles import is_test_file

FAMILY = "data-leakage"
LEARNS = {"nothing": 0, "vocabulary": 1, "statistics": 2, "labels": 3}
REPORTED_LEARNS = frozenset({"vocabulary", "statistics", "labels"})
TRAIN_WORDS = frozenset({"train", "training", "trn"})
TEST_WORDS = frozenset({"test", "testing", "tst", "holdout"})
NAMED = "named"
MAX_DEPTH = 3
MAX_STEPS = 200_000
WORTH_INTERPRETING = ("split", "cross_val", "SearchCV", "CV(", "test", "sample", "resample", "_curve")
REFITTED_ATTRIBUTES = frozenset({"best_estimator_"})
SPLIT_KEYS = {"train": "train", "training": "train", "test": "test", "testing": "test"}
CARVING_METHODS = frozenset({"head", "tail", "query", "take", "nlargest", "nsmallest"})


class LeakageIndex(CatalogIndex):
    """The leakage catalog, indexed once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        self.preprocessors = index_by_name(catalog.get("leakage_preprocessors", []))
        self.fitting_functions = index_by_name(catalog.get("leakage_fitting_functions", []))
        self.resamplers = index_by_name(catalog.get("leakage_resamplers", []))
        self.splitters = index_by_name(catalog.get("leakage_splitters", []))
        self.cross_validation = index_by_name(catalog.get("leakage_cross_validation", []))
        self.searches = index_by_name(catalog.get("leakage_searches", []))
        self.pipelines = index_by_name(catalog.get("leakage_pipelines", []))
        methods = catalog.get("leakage_methods", {})
        self.fit = frozenset(methods.get("fit", []))
        self.transform = frozenset(methods.get("transform", []))
        self.evaluate = frozenset(methods.get("evaluate", []))
        self.sample = frozenset(methods.get("sample", []))
        self.complement = frozenset(methods.get("complement", []))
        self.statistics = frozenset(methods.get("statistics", []))
        self.combine = frozenset(methods.get("combine", []))

def side_of_name(name: str) -> str | None:
    found = set(name_words(name.split(".")[-1]))
    if found & TEST_WORDS and not found & TRAIN_WORDS:
        return "test"
    if found & TRAIN_WORDS and not found & TEST_WORDS:
        return "train"
    return None


def code_of(node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(cst.Module(body=()).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the abstract values ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rows:
    """Which rows a value holds: the sources they come from and the splits that carved them out.

    `parts` is the path from the whole data down: (split id, side) per split, where side is
    "train", "test", "sample" (a random draw) or "rest" (what a draw left).
    """

    tokens: frozenset
    parts: tuple[tuple[str, str], ...] = ()

    @property
    def named(self) -> bool:
        return any(split.startswith(NAMED) for split, _ in self.parts)

    def covers(self, other: "Rows") -> bool:
        """Did something fitted on these rows see every row of `other`?"""
        return bool(self.tokens & other.tokens) and other.parts[: len(self.parts)] == self.parts

    def relation_to_fitted(self, fitted: "Rows") -> str | None:
        """"inside" when these rows are a test part carved out of `fitted`; "independent" when
        both come from separate random draws of the same data, so they may share rows."""
        if not self.tokens & fitted.tokens:
            return None
        common = 0
        while common < min(len(self.parts), len(fitted.parts)) and self.parts[common] == fitted.parts[common]:
            common += 1
        if common == len(fitted.parts):
            return "inside" if len(self.parts) > common and self.parts[common][1] == "test" else None
        if common < len(self.parts):
            (mine, my_side), (theirs, their_side) = self.parts[common], fitted.parts[common]
            if (mine != theirs and not mine.startswith(NAMED) and not theirs.startswith(NAMED)
                    and my_side in ("test", "sample", "rest") and their_side in ("train", "sample", "rest")):
                return "independent"
        return None


@dataclass(frozen=True, eq=False)
class Fit:
    """One call that fitted a step (or computed a statistic) on some rows."""

    node: cst.CSTNode
    label: str
    learns: str
    rows: Rows
    symbol: str
    # "step" (a fitted object), "function" (`scale(X)`) or "column" (a statistic such as `df.mean()`)
    kind: str = "step"


@dataclass(frozen=True, eq=False)
class Value:
    kind: str  # const, data, stat, step, tuple, index, folds
    rows: Rows | None = None
    prepped: tuple[Fit, ...] = ()  # fitted steps (and statistics) whose output shaped this data
    resampled: tuple[Fit, ...] = ()  # resamplers that added rows derived from these rows
    role: str = ""  # for steps: preprocessor, resampler, search, pipeline, model
    label: str = ""
    learns: str = "nothing"
    fit: Fit | None = None
    items: tuple["Value", ...] = ()
    split: tuple[str, str] | None = None  # for fold indices: (split id, side)
    source: bool = False  # data read or made right here, not carved out of other data
    weak: bool = False  # a name this module never binds: maybe data, more often a function or constant


CONST = Value("const")
LITERALS = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString,
                      cst.FormattedString, cst.Ellipsis, cst.Lambda, cst.Dict, cst.Set, cst.DictComp, cst.SetComp})


def flatten(values) -> list[Value]:
    out = []
    for value in values:
        if value.kind == "tuple":
            out.extend(flatten(value.items))
        else:
            out.append(value)
    return out


def common_parts(parts: list[tuple]) -> tuple:
    if not parts:
        return ()
    prefix = parts[0]
    for other in parts[1:]:
        length = 0
        while length < min(len(prefix), len(other)) and prefix[length] == other[length]:
            length += 1
        prefix = prefix[:length]
    return prefix


def derived(inputs, fresh_token: Any = None) -> Value:
    """Data computed from `inputs`: the union of their rows' sources and of what shaped them."""
    values = flatten(inputs)
    data = [value for value in values if value.kind == "data" and value.rows is not None]
    if any(not value.weak for value in data):
        data = [value for value in data if not value.weak]  # `ds.map(normalize)` keeps the rows of `ds`
    stats = [value for value in values if value.kind == "stat" and value.fit is not None]
    if not data:
        if stats:
            return Value("stat", fit=stats[0].fit, prepped=tuple(fit for value in stats for fit in value.prepped))
        if fresh_token is not None:
            return Value("data", rows=Rows(frozenset({fresh_token})), source=True)
        return CONST
    tokens = frozenset().union(*(value.rows.tokens for value in data))
    parts = common_parts([value.rows.parts for value in data])
    prepped = _unique([fit for value in data for fit in value.prepped] + [value.fit for value in stats])
    resampled = _unique([fit for value in data for fit in value.resampled])
    return Value("data", rows=Rows(tokens, parts), prepped=prepped, resampled=resampled)


def _unique(fits) -> tuple[Fit, ...]:
    seen, out = set(), []
    for fit in fits:
        if id(fit) not in seen:
            seen.add(id(fit))
            out.append(fit)
    return tuple(out)


def fold_pair(split: str) -> Value:
    """What one fold of a cross-validation splitter yields: training and held-out indices."""
    return Value("tuple", items=(Value("index", split=(split, "train")), Value("index", split=(split, "test"))))


def unsourced(value: Value) -> Value:
    """The same rows, no longer fresh from a source (a selection or view of them)."""
    return replace(value, source=False) if value.source else value


def with_part(value: Value, split: str, side: str) -> Value:
    if value.kind != "data" or value.rows is None:
        return value
    return replace(value, rows=Rows(value.rows.tokens, value.rows.parts + ((split, side),)), source=False)


class Frame:
    """The variables of one running function (or of the module)."""

    def __init__(self, globals_: dict[str, Value] | None, symbol: str, depth: int = 0) -> None:
        self.locals: dict[str, Value] = {}
        self.globals = globals_
        self.symbol = symbol
        self.depth = depth
        self.returns: list[Value] = []

    def lookup(self, name: str) -> Value | None:
        if name in self.locals:
            return self.locals[name]
        if self.globals is not None:
            return self.globals.get(name)
        return None

    def store(self, name: str, value: Value) -> None:
        self.locals[name] = value

    def update(self, name: str, value: Value) -> None:
        """Rebind a variable wherever it lives: a fitted object changes in place."""
        if name not in self.locals and self.globals is not None and name in self.globals:
            self.globals[name] = value
        else:
            self.locals[name] = value


class _Budget(Exception):
    """The file is too large to interpret within the step budget; stop quietly."""


# -- the scanner ----------------------------------------------------------------------------------

class LeakageScanner(FileRule):
    """Records callee names and functions in the shared traversal, then interprets the module."""

    # every leak needs something fitted on rows: a `fit*` method, a `scale`-style function, or
    # data that cross-validation will divide
    triggers = (b"fit", b"scale(", b"cross_val")

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = LeakageIndex.of(ctx.catalog)
        self.callees: dict[int, str] = {}
        self.functions: dict[str, tuple[cst.FunctionDef, str, bool]] = {}
        self.reported: set[tuple[str, int]] = set()
        self.enabled = set(ctx.options.get("enabled", [rule.code for rule in LEAKAGE_RULES]))
        self.steps = 0
        self.stack: list[str] = []

    # traversal ------------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualify(node.func)
        if name:
            self.callees[id(node)] = name

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        symbols = self.ctx.symbols
        if any(kind == "function" for kind, _ in symbols[:-1]):
            return  # nested functions are not reachable by qualified name
        symbol = self.ctx.symbol
        prefix = f"{self.ctx.module}." if self.ctx.module else ""
        is_method = len(symbols) >= 2 and symbols[-2][0] == "class"
        self.functions[prefix + symbol] = (node, symbol, is_method)

    def leave_Module(self, node: cst.Module) -> None:
        if is_test_file(self.ctx.path) or not any(word in self.ctx.source.text for word in WORTH_INTERPRETING):
            return
        try:
            module = Frame(None, "")
            self.run_block(node.body, module)
            for key in sorted(self.functions):
                function, symbol, is_method = self.functions[key]
                frame = Frame(dict(module.locals), symbol, depth=1)
                self.bind_parameters(function, frame, [], {}, key, is_method)
                self.stack = [key]
                self.run_function(function, frame)
        except (_Budget, RecursionError):
            return

    # statements -----------------------------------------------------------------------------
    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Budget()

    def run_function(self, function: cst.FunctionDef, frame: Frame) -> None:
        body = function.body
        if isinstance(body, cst.IndentedBlock):
            self.run_block(body.body, frame)
        else:
            for small in body.body:
                self.run_small(small, frame)

    def run_block(self, statements, frame: Frame) -> None:
        for statement in statements:
            self.tick()
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self.run_small(small, frame)
            elif isinstance(statement, cst.If):
                self.eval(statement.test, frame)
                self.run_suite(statement.body, frame)
                if statement.orelse is not None:
                    if isinstance(statement.orelse, cst.If):
                        self.run_block([statement.orelse], frame)
                    else:
                        self.run_suite(statement.orelse.body, frame)
            elif isinstance(statement, cst.For):
                self.run_for(statement, frame)
            elif isinstance(statement, cst.While):
                self.eval(statement.test, frame)
                self.run_suite(statement.body, frame)
            elif isinstance(statement, cst.With):
                for item in statement.items:
                    value = self.eval(item.item, frame)
                    if item.asname is not None:
                        self.bind(item.asname.name, value, frame, item.item)
                self.run_suite(statement.body, frame)
            elif isinstance(statement, (cst.Try, cst.TryStar)):
                self.run_suite(statement.body, frame)
                for handler in statement.handlers:
                    self.run_suite(handler.body, frame)
                for part in (statement.orelse, statement.finalbody):
                    if part is not None:
                        self.run_suite(part.body, frame)

    def run_suite(self, suite, frame: Frame) -> None:
        if isinstance(suite, cst.IndentedBlock):
            self.run_block(suite.body, frame)
        elif isinstance(suite, cst.SimpleStatementSuite):
            for small in suite.body:
                self.run_small(small, frame)

    def run_small(self, small: cst.BaseSmallStatement, frame: Frame) -> None:
        if isinstance(small, cst.Assign):
            value = self.eval(small.value, frame)
            for target in small.targets:
                self.bind(target.target, value, frame, small.value)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self.bind(small.target, self.eval(small.value, frame), frame, small.value)
        elif isinstance(small, cst.AugAssign):
            value = self.eval(small.value, frame)
            current = self.eval(small.target, frame)
            self.bind(small.target, derived([current, value]), frame, None)
        elif isinstance(small, cst.Expr):
            self.eval(small.value, frame)
        elif isinstance(small, cst.Return) and small.value is not None:
            frame.returns.append(self.eval(small.value, frame))

    def run_for(self, statement: cst.For, frame: Frame) -> None:
        iterable = statement.iter
        enumerated = False
        if isinstance(iterable, cst.Call) and self.callees.get(id(iterable)) == "builtins.enumerate" and iterable.args:
            iterable, enumerated = iterable.args[0].value, True
        value = self.eval(iterable, frame)
        if value.kind == "folds" and value.split is not None:
            element = fold_pair(value.split[0])
        elif value.kind == "tuple" and value.items:
            element = derived(value.items)
        else:
            element = derived([value])
        if enumerated:
            element = Value("tuple", items=(CONST, element))
        self.bind(statement.target, element, frame, None)
        self.run_suite(statement.body, frame)

    # bindings -------------------------------------------------------------------------------
    def bind(self, target: cst.BaseExpression, value: Value, frame: Frame, rhs: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            frame.store(target.value, self.named(target.value, value, rhs))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = [element.value for element in target.elements]
            rhs_items = ([element.value for element in rhs.elements]
                         if isinstance(rhs, (cst.Tuple, cst.List)) and len(rhs.elements) == len(elements) else None)
            starred = any(isinstance(element, cst.StarredElement) for element in target.elements)
            if value.kind == "tuple" and len(value.items) == len(elements) and not starred:
                for index, (element, item) in enumerate(zip(elements, value.items)):
                    # an element unpacked from a call's tuple counts as carved by that call
                    carved_by = target if rhs is not None else None
                    self.bind(element, item, frame, rhs_items[index] if rhs_items else carved_by)
            else:
                # unpacking something opaque (a project function's split, a generator): each
                # name gets the rows of the whole, and its name may say which part it is
                for element in elements:
                    self.bind(element, value if value.kind != "tuple" else derived(value.items), frame,
                              target if rhs is not None else None)
        elif isinstance(target, cst.Attribute):
            name = dotted(target)
            if name is not None:
                frame.store(name, value)
        elif isinstance(target, cst.Subscript):
            base = target.value
            while isinstance(base, (cst.Subscript, cst.Attribute)) and dotted(base) is None:
                base = base.value
            name = dotted(base) if not isinstance(base, cst.Subscript) else None
            current = frame.lookup(name) if name else None
            if name and current is not None and current.kind == "data" and value.kind in ("data", "stat"):
                merged = derived([current, value])
                frame.update(name, replace(current, prepped=merged.prepped, resampled=merged.resampled))
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, value, frame, None)

    def named(self, name: str, value: Value, rhs: cst.BaseExpression | None) -> Value:
        """Let a variable's name say which part it holds where the code carves rows by hand."""
        if value.kind != "data" or value.rows is None:
            return value
        side = side_of_name(name)
        if side is None:
            return value
        parts = value.rows.parts
        if parts and parts[-1][1] in ("sample", "rest"):
            return replace(value, rows=Rows(value.rows.tokens, parts[:-1] + ((parts[-1][0], side),)))
        # `X_test = X[800:]`, `test = df[df.year == 2024]`, or unpacking what a function split;
        # not `X_test = test_file[features]`, which selects columns of a whole (test) table
        carving = isinstance(rhs, (cst.Tuple, cst.List)) or is_row_selection(rhs)
        if value.source or not carving:
            return value
        if not parts or (side == "test" and parts[-1][1] == "train" and not parts[-1][0].startswith(NAMED)):
            carved = with_part(value, NAMED, side)
            if side == "test":
                self.check_split(rhs, value, f"before `{name}` is carved out of them", named=True)
            return carved
        return value

    # expressions ----------------------------------------------------------------------------
    def eval(self, node: cst.BaseExpression, frame: Frame) -> Value:
        self.tick()
        if type(node) in LITERALS:
            return CONST
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return CONST
            found = frame.lookup(node.value)
            if found is not None:
                return found
            # a name bound nowhere in this module: an import, a builtin, a global set elsewhere
            return Value("data", rows=Rows(frozenset({f"name:{node.value}"})), weak=True)
        if isinstance(node, cst.Attribute):
            name = dotted(node)
            if name is not None and frame.lookup(name) is not None:
                return frame.lookup(name)  # type: ignore[return-value]
            base = self.eval(node.value, frame)
            if base.kind == "step" and node.attr.value in REFITTED_ATTRIBUTES:
                return base  # a search's best model was refitted on the rows the search saw
            if base.kind == "data":
                return unsourced(base)
            if base.kind == "const" and name is not None:
                return Value("data", rows=Rows(frozenset({f"name:{name}"})), weak=True)  # `self.model` set elsewhere
            return CONST if base.kind in ("const", "step") else derived([base])
        if isinstance(node, cst.Call):
            return self.eval_call(node, frame)
        if isinstance(node, cst.Subscript):
            return self.eval_subscript(node, frame)
        if isinstance(node, (cst.Tuple, cst.List)):
            items = []
            for element in node.elements:
                items.append(self.eval(element.value, frame))
            return Value("tuple", items=tuple(items))
        if isinstance(node, cst.BinaryOperation):
            return derived([self.eval(node.left, frame), self.eval(node.right, frame)])
        if isinstance(node, cst.UnaryOperation):
            return self.eval(node.expression, frame)
        if isinstance(node, cst.BooleanOperation):
            return derived([self.eval(node.left, frame), self.eval(node.right, frame)])
        if isinstance(node, cst.Comparison):
            values = [self.eval(node.left, frame)] + [self.eval(item.comparator, frame) for item in node.comparisons]
            return derived(values)
        if isinstance(node, cst.IfExp):
            self.eval(node.test, frame)
            return derived([self.eval(node.body, frame), self.eval(node.orelse, frame)])
        if isinstance(node, cst.NamedExpr):
            value = self.eval(node.value, frame)
            self.bind(node.target, value, frame, node.value)
            return value
        if isinstance(node, cst.Await):
            return self.eval(node.expression, frame)
        return CONST

    def eval_subscript(self, node: cst.Subscript, frame: Frame) -> Value:
        base = self.eval(node.value, frame)
        indexes = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                indexes.append(self.eval(element.slice.value, frame))
        if base.kind == "tuple":
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                position = node.slice[0].slice.value
                if isinstance(position, cst.Integer) and int(position.value) < len(base.items):
                    return base.items[int(position.value)]
            return derived(base.items)
        for index in indexes:
            if index.kind == "index" and index.split is not None:
                return with_part(derived([base]) if base.kind != "data" else base, *index.split)
        key = node.slice[0].slice if len(node.slice) == 1 else None
        if base.kind == "data" and isinstance(key, cst.Index) and isinstance(key.value, cst.SimpleString):
            side = SPLIT_KEYS.get(str(key.value.evaluated_value).lower())
            if side is not None:
                return with_part(base, NAMED, side)  # `dataset["train"]`, `splits["test"]`
        if base.kind == "data":
            return unsourced(base)  # a selection of rows or columns keeps what shaped them
        return base if base.kind in ("stat", "step") else CONST

    def eval_call(self, node: cst.Call, frame: Frame) -> Value:
        name = self.callees.get(id(node), "")
        index = self.index
        func = node.func
        receiver = self.eval(func.value, frame) if isinstance(func, cst.Attribute) and self.is_object(
            func.value, frame, name) else None
        args = [self.eval(arg.value, frame) for arg in node.args]
        if name:
            key = name.replace("()", "")
            if key in self.functions and key not in self.stack and frame.depth < MAX_DEPTH:
                return self.call_function(key, node, args, frame)
            if name in index.splitters:
                return self.split(node, args)
            if name in index.cross_validation:
                self.check_cross_validation(node, index.cross_validation[name], args, frame)
                return CONST
            if name in index.preprocessors:
                entry = index.preprocessors[name]
                return Value("step", role="preprocessor", label=_short(name), learns=entry.get("learns", "statistics"))
            if name in index.resamplers:
                return Value("step", role="resampler", label=_short(name))
            if name in index.searches:
                return Value("step", role="search", label=_short(name))
            if name in index.pipelines:
                learns = max((value.learns for value in _steps(args)), key=lambda item: LEARNS.get(item, 0),
                             default="nothing")
                return Value("step", role="pipeline", label=_short(name), learns=learns)
            if name in index.fitting_functions and args:
                data = args[0]
                entry = index.fitting_functions[name]
                if data.kind == "data" and data.rows is not None:
                    fit = Fit(node, _short(name), entry.get("learns", "statistics"), data.rows, frame.symbol,
                              kind="function")
                    return replace(data, prepped=_unique(data.prepped + (fit,)), source=False)
            if name == "builtins.next" and args and args[0].kind == "folds" and args[0].split is not None:
                split = args[0].split[0]
                return fold_pair(split)
        if receiver is not None and isinstance(func, cst.Attribute):
            return self.eval_method(node, func, receiver, args, frame)
        return derived(args, fresh_token=f"call:{id(node)}")

    @staticmethod
    def is_object(expression: cst.BaseExpression, frame: Frame, callee: str) -> bool:
        """Is `expression.method(...)` a method of a value, rather than a module's function
        (`np.mean`, `preprocessing.scale`)?"""
        root = expression
        while isinstance(root, cst.Attribute):
            root = root.value
        if not isinstance(root, cst.Name):
            return True
        if frame.lookup(root.value) is not None or (dotted(expression) and frame.lookup(dotted(expression) or "")):
            return True
        return not callee or "()" in callee

    def eval_method(self, node: cst.Call, func: cst.Attribute, receiver: Value, args: list[Value],
                    frame: Frame) -> Value:
        index = self.index
        method = func.attr.value
        data_arg = argument(node, 0, None) or argument(node, None, "X") or argument(node, None, "x")
        data = args[node.args.index(data_arg)] if data_arg is not None else None
        if method in index.fit and receiver.kind != "const" and data is not None and data.kind == "data":
            return self.fit(node, func, receiver, method, data, data_arg.value, args, frame)  # type: ignore[union-attr]
        if receiver.kind == "step" and receiver.fit is not None and data is not None and data.kind == "data":
            if method in index.transform:
                self.check_transform(node, receiver, data)
                return self.transformed(data, receiver.fit) if receiver.role != "model" else derived([data])
            if method in index.evaluate:
                self.check_evaluation(node, receiver, data, data_arg.value, frame)  # type: ignore[union-attr]
                return derived([data])
        if receiver.kind == "step":
            return CONST
        if method == "split" and receiver.kind != "const" and any(arg.kind == "data" for arg in args):
            for value in args:
                self.check_split(node, value)
            return Value("folds", split=(f"folds:{id(node)}", ""))
        if receiver.kind == "data" and receiver.rows is not None:
            if method in index.sample:
                return with_part(receiver, f"sample:{id(node)}", "sample")
            if method in index.complement and args:
                complement = self.complement(receiver, args)
                if complement is not None:
                    return complement
            if method in index.statistics:
                return Value("stat", fit=Fit(node, method, "statistics", receiver.rows, frame.symbol, kind="column"))
        if receiver.kind == "data" and method not in index.combine:
            # a method works on its receiver's rows; its arguments are settings, functions or
            # statistics, which can shape the values but not change which rows these are
            shaped = derived([receiver] + args)
            return replace(receiver, prepped=shaped.prepped, resampled=shaped.resampled, source=False)
        return derived([receiver] + args)

    def complement(self, receiver: Value, args: list[Value]) -> Value | None:
        """`df.drop(sample.index)`: the rows a draw (or one side of a split) left out."""
        for arg in args:
            if arg.kind != "data" or arg.rows is None or receiver.rows is None:
                continue
            parts = arg.rows.parts
            if len(parts) == len(receiver.rows.parts) + 1 and parts[:-1] == receiver.rows.parts \
                    and arg.rows.tokens & receiver.rows.tokens:
                split, side = parts[-1]
                other = {"train": "test", "test": "train"}.get(side, "rest")
                return with_part(receiver, split, other)
        return None

    def call_function(self, key: str, node: cst.Call, args: list[Value], frame: Frame) -> Value:
        function, symbol, is_method = self.functions[key]
        inner = Frame(frame.globals if frame.globals is not None else frame.locals, symbol, frame.depth + 1)
        positional_values = [value for arg, value in zip(node.args, args) if arg.keyword is None and not arg.star]
        keywords = {arg.keyword.value: value for arg, value in zip(node.args, args) if arg.keyword is not None}
        self.bind_parameters(function, inner, positional_values, keywords, key, is_method)
        self.stack.append(key)
        try:
            self.run_function(function, inner)
        finally:
            self.stack.pop()
        if not inner.returns:
            return CONST
        return inner.returns[-1]

    def bind_parameters(self, function: cst.FunctionDef, frame: Frame, values: list[Value],
                        keywords: dict[str, Value], key: str, is_method: bool) -> None:
        params = [*function.params.posonly_params, *function.params.params]
        if is_method and params and not any(_decorator(d) == "staticmethod" for d in function.decorators):
            frame.store(params[0].name.value, CONST)
            params = params[1:]
        for position, param in enumerate(params + list(function.params.kwonly_params)):
            name = param.name.value
            if position < len(values) and param in params:
                value = values[position]
            elif name in keywords:
                value = keywords[name]
            else:
                value = Value("data", rows=Rows(frozenset({f"param:{key}:{name}"})))
            frame.store(name, value)

    # steps ----------------------------------------------------------------------------------
    def fit(self, node: cst.Call, func: cst.Attribute, receiver: Value, method: str, data: Value,
            data_expr: cst.BaseExpression, args: list[Value], frame: Frame) -> Value:
        step = receiver if receiver.kind == "step" else Value("step", role="model", label=code_of(func.value, 30),
                                                              learns="model")
        assert data.rows is not None
        fit = Fit(node, step.label, step.learns if step.role in ("preprocessor", "pipeline") else step.role,
                  data.rows, frame.symbol)
        self.check_fit_on_test(node, step, data, data_expr, frame)
        if step.role == "search":
            self.check_cross_validated_data(node, data, data_expr, frame)
        fitted = replace(step, fit=fit)
        receiver_name = dotted(func.value)
        if receiver_name is not None:
            frame.update(receiver_name, fitted)
        if method == "fit_transform":
            return self.transformed(data, fit)
        if method == "fit_resample":
            resampled = replace(data, resampled=_unique(data.resampled + (fit,)), source=False)
            return Value("tuple", items=(resampled, resampled))
        if method == "fit_predict":
            return derived([data])
        return fitted

    def transformed(self, data: Value, fit: Fit) -> Value:
        if fit.learns in REPORTED_LEARNS:
            return replace(data, prepped=_unique(data.prepped + (fit,)), source=False)
        return replace(data, source=False)

    def split(self, node: cst.Call, args: list[Value]) -> Value:
        split_id = _split_id(node)
        arrays = [value for arg, value in zip(node.args, args) if arg.keyword is None and not arg.star]
        for value in arrays:
            self.check_split(node, value)
        items = []
        for value in arrays:
            items.append(with_part(value, split_id, "train"))
            items.append(with_part(value, split_id, "test"))
        return Value("tuple", items=tuple(items))

    # checks ---------------------------------------------------------------------------------
    def emit(self, rule, node: cst.CSTNode, message: str, confidence: Confidence, symbol: str,
             severity: Severity | None = None) -> None:
        key = (rule.code, id(node))
        if rule.code not in self.enabled or key in self.reported:
            return
        self.reported.add(key)
        self.ctx.report(rule, node, message, confidence=confidence, severity=severity, symbol=symbol)

    def check_split(self, node: cst.CSTNode, value: Value, when: str | None = None, named: bool = False) -> None:
        """`value` is about to be divided: did anything fitted on all of its rows shape it?"""
        if value.kind != "data" or value.rows is None:
            return
        if when is None:
            divider = code_of(node.func) if isinstance(node, cst.Call) else code_of(node)
            when = f"before `{divider}(...)` divides them"
        for fit in value.prepped:
            if fit.learns in REPORTED_LEARNS and fit.rows.covers(value.rows):
                PreprocessingBeforeSplit.found(self, fit, when, named=named or value.rows.named)
        for fit in value.resampled:
            if fit.rows.covers(value.rows):
                TrainTestOverlap.oversampled(self, fit, when)

    def check_transform(self, node: cst.Call, step: Value, data: Value) -> None:
        fit = step.fit
        if fit is None or data.rows is None or fit.learns not in REPORTED_LEARNS or step.role == "model":
            return
        if data.rows.relation_to_fitted(fit.rows) == "inside":
            PreprocessingBeforeSplit.found(self, fit, f"and then transforms the test part with "
                                                      f"`{code_of(node, 40)}`", named=data.rows.named)

    def check_fit_on_test(self, node: cst.Call, step: Value, data: Value, data_expr: cst.BaseExpression,
                          frame: Frame) -> None:
        if step.role in ("preprocessor", "pipeline") and step.learns == "nothing":
            return
        assert data.rows is not None
        if any(side == "test" for _, side in data.rows.parts):
            named = data.rows.named and not any(side == "test" and not split.startswith(NAMED)
                                                for split, side in data.rows.parts)
            FitOnTestData.found(self, node, step, data_expr, named, frame.symbol)
            return
        sides = {side_of_name(name) for name in variables(data_expr)}
        if "test" in sides and "train" not in sides:
            FitOnTestData.found(self, node, step, data_expr, True, frame.symbol)

    def check_cross_validation(self, node: cst.Call, entry: dict, args: list[Value], frame: Frame) -> None:
        position, word = entry.get("data_arg", [1, "X"])
        arg = argument(node, position, word)
        if arg is None:
            return
        self.check_cross_validated_data(node, args[node.args.index(arg)], arg.value, frame)

    def check_cross_validated_data(self, node: cst.Call, data: Value, data_expr: cst.BaseExpression,
                                   frame: Frame) -> None:
        if data.kind != "data" or data.rows is None:
            return
        leaked = [fit for fit in data.prepped if fit.learns in REPORTED_LEARNS and fit.rows.covers(data.rows)]
        if leaked:
            # name the strongest: a fitted step over a column statistic, labels over statistics
            strongest = max(leaked, key=lambda fit: (fit.kind != "column", LEARNS.get(fit.learns, 0)))
            CrossValidationOnPreprocessed.found(self, node, strongest, data_expr, frame.symbol)
        for fit in data.resampled:
            if fit.rows.covers(data.rows):
                TrainTestOverlap.oversampled(self, fit, f"before `{code_of(node.func)}(...)` divides it into folds")

    def check_evaluation(self, node: cst.Call, step: Value, data: Value, data_expr: cst.BaseExpression,
                         frame: Frame) -> None:
        fit = step.fit
        if fit is None or data.rows is None or step.role == "resampler":
            return
        relation = data.rows.relation_to_fitted(fit.rows)
        if relation is not None:
            TrainTestOverlap.evaluated(self, node, fit, data_expr, relation, data.rows.named or fit.rows.named,
                                       frame.symbol)


def is_row_selection(node: cst.BaseExpression | None) -> bool:
    """`X[:800]`, `df.iloc[...]`, `df[df.year < 2020]`, `df.head(100)`: a subset of the rows."""
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value in CARVING_METHODS
    if not isinstance(node, cst.Subscript):
        return False
    if isinstance(node.value, cst.Attribute) and node.value.attr.value == "iloc":
        return True
    first = node.slice[0].slice if node.slice else None
    if isinstance(first, cst.Slice):
        return first.lower is not None or first.upper is not None
    if isinstance(first, cst.Index):
        mask = first.value
        if isinstance(mask, (cst.Comparison, cst.UnaryOperation, cst.BooleanOperation)):
            return True
        return isinstance(mask, cst.Call) and isinstance(mask.func, cst.Attribute) and mask.func.attr.value == "isin"
    return False


def variables(expression: cst.BaseExpression) -> list[str]:
    """The variable names an expression reads (not attribute names or keywords)."""
    names, stack = [], [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.append(node.value)
        elif isinstance(node, cst.Attribute):
            stack.append(node.value)
        elif isinstance(node, cst.Call):
            stack.append(node.func)
            stack.extend(arg.value for arg in node.args)
        elif isinstance(node, cst.Subscript):
            stack.append(node.value)
        elif isinstance(node, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in node.elements)
    return names


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _steps(values) -> list[Value]:
    return [value for value in flatten(values) if value.kind == "step"]


def _decorator(decorator: cst.Decorator) -> str:
    expression = decorator.decorator
    return expression.value if isinstance(expression, cst.Name) else ""


def _split_id(node: cst.Call) -> str:
    """Splits with the same fixed seed and sizes cut the same rows, so they share an id."""
    seed = keyword(node, "random_state")
    shuffle = keyword(node, "shuffle")
    sizes = tuple(code_of(arg.value) for word in ("test_size", "train_size")
                  for arg in [keyword(node, word)] if arg is not None)
    if shuffle is not None and literal(shuffle.value) is False:
        return f"ordered:{sizes}"
    if seed is not None and isinstance(literal(seed.value), int):
        return f"seed:{literal(seed.value)}:{sizes}"
    return f"split:{id(node)}"


# -- the rules --------------------------------------------------------------------------------------

LEARNED = {
    "statistics": "the test rows' statistics leak into the training features",
    "labels": "the test rows' labels leak into the features the model is trained on",
    "vocabulary": "the test documents' term frequencies leak into the training features",
}


class _LeakageRule(FileRule):
    """Reporting for one kind of leakage; the shared `LeakageScanner` does the finding."""

    family = FAMILY

    def __init__(self, ctx) -> None:  # pragma: no cover - leakage rules never visit on their own
        super().__init__(ctx)


class PreprocessingBeforeSplit(_LeakageRule):
    """A preprocessor fitted on all rows before they are split into training and test parts.

    ## What it does
    Finds scalers, imputers, encoders that learn from rows, feature selectors, PCA, vectorizers
    and target encoders (and scikit-learn's `scale`-style functions, and column statistics such
    as `df.mean()` written into the data) fitted on data that is afterwards divided by
    `train_test_split`, by fold indices or by slicing into parts named train and test — or that
    is fitted on all rows and then applied to the test part. Values are followed through
    assignments, tuple unpacking and calls to the module's own functions. Encoders that only
    learn the set of categories are not reported.

    ## Why is this bad?
    The test rows shaped the preprocessing, so the model is evaluated on data it has already
    seen a summary of: scores are optimistic, and with label-based steps (feature selection,
    target encoding) they can be wildly so. This is the most common leakage Yang et al. (2022)
    found in public notebooks.

    ## Example
    ```python
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X_scaled = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X_scaled, y, random_state=0)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ```
    """

    code = "DS901"
    name = "preprocessing-before-split"
    summary = "A preprocessor fitted on all rows before the train/test split"
    fix = "Split first; fit the preprocessor on the training part only (best: inside a Pipeline with the model)."
    VALID = (
        "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "scaler = StandardScaler()\nX_train = scaler.fit_transform(X_train)\nX_test = scaler.transform(X_test)\n",
        "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import OneHotEncoder\n"
        "X = OneHotEncoder().fit_transform(X)\nX_train, X_test = train_test_split(X, random_state=0)\n",
    )
    INVALID = (
        "from sklearn.model_selection import train_test_split\nfrom sklearn.preprocessing import StandardScaler\n"
        "X = StandardScaler().fit_transform(X)\nX_train, X_test = train_test_split(X, random_state=0)\n",
        "from sklearn.model_selection import train_test_split\nfrom sklearn.impute import SimpleImputer\n"
        "imputer = SimpleImputer().fit(X)\nX_train, X_test = train_test_split(X, random_state=0)\n"
        "X_test = imputer.transform(X_test)\n",
    )

    @classmethod
    def found(cls, scanner: LeakageScanner, fit: Fit, when: str, named: bool) -> None:
        what = f"`{code_of(fit.node)}`"
        learned = LEARNED.get(fit.learns, LEARNED["statistics"])
        if fit.kind != "step":
            message = f"{what} is computed on all rows {when}, so {learned}."
        else:
            message = f"{what} fits {fit.label} on all rows {when}, so {learned}."
        guessed = named or fit.learns == "vocabulary" or fit.kind == "column"
        confidence = Confidence.MEDIUM if guessed else Confidence.HIGH
        severity = Severity.ERROR if fit.learns == "labels" else None
        scanner.emit(cls, fit.node, message, confidence, fit.symbol, severity)


class FitOnTestData(_LeakageRule):
    """A model or preprocessor fitted on the test part of the data.

    ## What it does
    Finds `fit`, `fit_transform`, `fit_predict` and `fit_resample` calls whose data is the
    held-out part of a `train_test_split`, of fold indices or of a hand-made split (high
    confidence), or a variable whose name says it holds test data (medium confidence).
    Encoders that only learn categories are not reported.

    ## Why is this bad?
    Test data must stay unseen until the final evaluation. Fitting a model on it makes the
    evaluation meaningless; refitting a preprocessor on it scales or selects the test features
    with their own statistics instead of the training ones, so the model sees differently
    prepared data than it was trained on and the score is not what production will see.

    ## Example
    ```python
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.fit_transform(X_test)
    ```

    ## Use instead
    ```python
    scaler = StandardScaler()
    X_train = scaler.fit_transform(X_train)
    X_test = scaler.transform(X_test)
    ```
    """

    code = "DS902"
    name = "fit-on-test-data"
    severity = Severity.ERROR
    summary = "A model or preprocessor fitted on test data"
    fix = "Fit on the training part only; apply the fitted object to the test part with transform/predict."
    VALID = (
        "from sklearn.model_selection import train_test_split\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "model.fit(X_train, y_train)\nprint(model.score(X_test, y_test))\n",
        "from sklearn.preprocessing import LabelEncoder\nencoded = LabelEncoder().fit_transform(test_df['city'])\n",
    )
    INVALID = (
        "from sklearn.model_selection import train_test_split\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\nmodel.fit(X_test, y_test)\n",
        "from sklearn.preprocessing import StandardScaler\nX_test = StandardScaler().fit_transform(X_test)\n",
    )

    @classmethod
    def found(cls, scanner: LeakageScanner, node: cst.Call, step: Value, data_expr: cst.BaseExpression,
              named: bool, symbol: str) -> None:
        why = "which by its name holds test data" if named else "the held-out part of the split"
        message = (f"`{code_of(node)}` fits on `{code_of(data_expr, 30)}`, {why}, so test data shapes what "
                   f"`{step.label}` learns and the evaluation no longer measures unseen data.")
        scanner.emit(cls, node, message, Confidence.MEDIUM if named else Confidence.HIGH, symbol)


class CrossValidationOnPreprocessed(_LeakageRule):
    """Cross-validation on data that a preprocessor was already fitted on, outside the pipeline.

    ## What it does
    Finds `cross_val_score`, `cross_validate`, `cross_val_predict`, learning and validation
    curves, and `fit` of `GridSearchCV`, `RandomizedSearchCV` and `*CV` estimators, whose data
    was transformed by a scaler, imputer, selector, PCA or vectorizer fitted on those same rows.
    A Pipeline passed to the cross-validation is the fix, and is not reported.

    ## Why is this bad?
    Each fold's validation rows were part of the data the preprocessor learned from, so every
    fold leaks into the next: the scores (and the hyperparameters chosen from them) are
    optimistic, most of all with feature selection.

    ## Example
    ```python
    X_scaled = StandardScaler().fit_transform(X)
    scores = cross_val_score(SVC(), X_scaled, y, cv=5)
    ```

    ## Use instead
    ```python
    scores = cross_val_score(make_pipeline(StandardScaler(), SVC()), X, y, cv=5)
    ```
    """

    code = "DS903"
    name = "cross-validation-on-preprocessed-data"
    summary = "Cross-validation on data preprocessed outside the pipeline"
    fix = "Put the preprocessing in a Pipeline with the model and cross-validate the pipeline on the raw data."
    VALID = (
        "from sklearn.model_selection import cross_val_score\nfrom sklearn.pipeline import make_pipeline\n"
        "from sklearn.preprocessing import StandardScaler\nfrom sklearn.svm import SVC\n"
        "scores = cross_val_score(make_pipeline(StandardScaler(), SVC()), X, y, cv=5)\n",
    )
    INVALID = (
        "from sklearn.model_selection import cross_val_score\nfrom sklearn.preprocessing import StandardScaler\n"
        "from sklearn.svm import SVC\nX_scaled = StandardScaler().fit_transform(X)\n"
        "scores = cross_val_score(SVC(), X_scaled, y, cv=5)\n",
        "from sklearn.feature_selection import SelectKBest\nfrom sklearn.model_selection import GridSearchCV\n"
        "X_best = SelectKBest(k=20).fit_transform(X, y)\nGridSearchCV(model, grid).fit(X_best, y)\n",
    )

    @classmethod
    def found(cls, scanner: LeakageScanner, node: cst.Call, fit: Fit, data_expr: cst.BaseExpression,
              symbol: str) -> None:
        done = "was already computed" if fit.kind != "step" else f"already fitted {fit.label}"
        message = (f"`{code_of(node.func)}(...)` cross-validates `{code_of(data_expr, 30)}`, but "
                   f"`{code_of(fit.node, 40)}` {done} on all of those rows, so every validation fold leaked into "
                   f"the preprocessing and the scores are optimistic.")
        confidence = Confidence.MEDIUM if fit.rows.named or fit.learns == "vocabulary" or fit.kind == "column" \
            else Confidence.HIGH
        scanner.emit(cls, node, message, confidence, symbol)


class TrainTestOverlap(_LeakageRule):
    """The same rows in training and test data.

    ## What it does
    Finds evaluations (`predict`, `predict_proba`, `score`, `evaluate`…) on a test part of
    rows the model was fitted on before the split; evaluations on a test set drawn
    independently of the training set (two `df.sample(...)` calls, two unseeded
    `train_test_split` calls on the same data); and oversampling (`SMOTE`,
    `RandomOverSampler`…) before the split or the cross-validation.

    ## Why is this bad?
    A model scored on rows it was trained on reports its memory, not its skill. Oversampling
    before the split puts copies and interpolations of test rows into the training part, which
    inflates scores on exactly the minority class it was meant to help (Yang et al., 2022,
    "overlap leakage").

    ## Example
    ```python
    X_res, y_res = SMOTE().fit_resample(X, y)
    X_train, X_test, y_train, y_test = train_test_split(X_res, y_res, random_state=0)
    ```

    ## Use instead
    ```python
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    X_train, y_train = SMOTE().fit_resample(X_train, y_train)
    ```
    """

    code = "DS904"
    name = "train-test-overlap"
    severity = Severity.ERROR
    summary = "The same rows in training and test data"
    fix = "Split once, first; fit and resample only the training part, and evaluate on rows it never saw."
    VALID = (
        "train = df.sample(frac=0.8, random_state=0)\ntest = df.drop(train.index)\n"
        "model.fit(train[features], train['y'])\nmodel.score(test[features], test['y'])\n",
        "from imblearn.over_sampling import SMOTE\nfrom sklearn.model_selection import train_test_split\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
        "X_train, y_train = SMOTE().fit_resample(X_train, y_train)\n",
    )
    INVALID = (
        "from sklearn.model_selection import train_test_split\nmodel.fit(X, y)\n"
        "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\nmodel.score(X_test, y_test)\n",
        "train = df.sample(frac=0.8)\ntest = df.sample(frac=0.2)\nmodel.fit(train[features], train['y'])\n"
        "model.predict(test[features])\n",
        "from imblearn.over_sampling import SMOTE\nfrom sklearn.model_selection import train_test_split\n"
        "X_res, y_res = SMOTE().fit_resample(X, y)\nX_train, X_test = train_test_split(X_res, random_state=0)\n",
    )

    @classmethod
    def evaluated(cls, scanner: LeakageScanner, node: cst.Call, fit: Fit, data_expr: cst.BaseExpression,
                  relation: str, named: bool, symbol: str) -> None:
        if relation == "inside":
            message = (f"`{code_of(node, 40)}` evaluates on `{code_of(data_expr, 30)}`, but `{code_of(fit.node, 40)}` "
                       f"fitted the model on rows that include them, so the test rows were in the training data and "
                       f"the score is inflated.")
        else:
            message = (f"`{code_of(node, 40)}` evaluates on `{code_of(data_expr, 30)}`, drawn independently of the "
                       f"rows `{code_of(fit.node, 40)}` trained on, so the same rows can be in both and the score is "
                       f"inflated.")
        confidence = Confidence.MEDIUM if named or relation == "independent" else Confidence.HIGH
        scanner.emit(cls, node, message, confidence, symbol)

    @classmethod
    def oversampled(cls, scanner: LeakageScanner, fit: Fit, when: str) -> None:
        message = (f"`{code_of(fit.node)}` creates rows from all the data {when}, so copies and interpolations of "
                   f"test rows end up in the training part.")
        scanner.emit(cls, fit.node, message, Confidence.HIGH, fit.symbol)


LEAKAGE_RULES = (PreprocessingBeforeSplit, FitOnTestData, CrossValidationOnPreprocessed, TrainTestOverlap)
RULES = LEAKAGE_RULES
# The scanner runs when any leakage rule is enabled; the registry wires it in.
SCANNERS = {LeakageScanner: LEAKAGE_RULES}
