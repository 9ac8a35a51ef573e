"""Glue code (DS5xx): functions and modules that mostly convert data between library formats.

Sculley et al. call glue code the "massive amount of supporting code written to get data into
and out of general-purpose packages": it freezes a system to the peculiarities of each package
and grows with every library added. The collector classifies each statement of a file once: a
statement is glue when it converts (`.values`, `np.array(...)`, `torch.from_numpy`, `.tolist()`,
a JSON round trip, a reshape…; see `catalog/glue.toml`) and does nothing else. The project
rules then apply the thresholds from `[tool.debtscan.glue]`, so changing a threshold needs no
re-parse, and the same facts give the summary every module's glue ratio.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.engine import make_finding
from debtscan.model import Confidence, Finding, Severity
from debtscan.rule import Collector, ProjectRule
from ._calls import call_text
from .dead_code import TEST_PATH

FAMILY = "glue-code"
CROSSING = frozenset({"format", "serialize"})  # kinds that move data across a library boundary
DEFAULTS = {"min-statements": 5, "function-ratio": 0.6, "module-min-statements": 20, "module-ratio": 0.5}
SHOWN = 5  # conversions named in a message
TOP_MODULES = 3  # modules named in the text summary


def thresholds(project) -> dict[str, float]:
    """The defaults, overridden by `[tool.debtscan.glue]` (validated by the config loader)."""
    return {**DEFAULTS, **dict(project.options.get("glue", {}))}


class GlueIndex(CatalogIndex):
    """The glue catalog, indexed once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        self.functions = {name: entry.get("kind", "format")
                          for name, entry in index_by_name(catalog.get("glue_functions", [])).items()}
        self.methods = {method: entry.get("kind", "format")
                        for entry in catalog.get("glue_methods", []) for method in entry.get("methods", [])}
        self.attributes = {attribute: entry.get("kind", "format")
                           for entry in catalog.get("glue_attributes", []) for attribute in entry.get("attributes", [])}
        neutral = catalog.get("glue_neutral", {})
        self.neutral_methods = frozenset(neutral.get("methods", []))
        self.neutral_names = frozenset(neutral.get("names", []))


class _Statement:
    __slots__ = ("conversions", "other")

    def __init__(self, other: bool = False) -> None:
        self.conversions: list[tuple[str, str]] = []  # (label, kind)
        self.other = other  # does something besides converting


class GlueCollector(Collector):
    """Per function and per module: statements counted, glue statements, conversions used.

    Counted statements are assignments, returns with a value, expression statements (not
    docstrings), `assert` and `raise`; imports, `pass`, `global`, `break` and `continue` are
    neither work nor glue. Compound statements count through the statements they contain.
    """

    key = FAMILY

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = GlueIndex.of(ctx.catalog)
        self.current: _Statement | None = None
        self.call_funcs: set[int] = set()
        self.functions: list[dict[str, Any]] = []
        self.entered: list[dict[str, Any]] = []  # the functions being traversed, innermost last
        self.module = {"statements": 0, "glue": 0, "conversions": Counter(), "crossing": False, "span": None}
        self.import_roots: tuple[int, frozenset[str]] = (-1, frozenset())

    # functions ---------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # One record per definition: a notebook that redefines `preprocess` has two functions.
        record = {"name": self.ctx.symbol, "span": None, "statements": 0, "glue": 0, "conversions": Counter(),
                  "crossing": False}
        self.functions.append(record)
        self.entered.append(record)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        # Positions cost a pass over the file: ask only for functions that could be reported.
        record = self.entered.pop()
        if record["crossing"]:
            record["span"] = self.ctx.span(node.name)

    def leave_Module(self, node: cst.Module) -> None:
        if self.module["crossing"]:
            self.module["span"] = self.ctx.span(node)

    # statements --------------------------------------------------------------------------
    def _start(self, other: bool = False) -> None:
        self.current = _Statement(other)

    def _finish(self) -> None:
        statement, self.current = self.current, None
        if statement is None:
            return
        glue = bool(statement.conversions) and not statement.other
        targets = [self.module] + self.entered[-1:]
        for target in targets:
            target["statements"] += 1
            if glue:
                target["glue"] += 1
                target["conversions"].update(label for label, _ in statement.conversions)
                if any(kind in CROSSING for _, kind in statement.conversions):
                    target["crossing"] = True

    def visit_Assign(self, node) -> None:
        self._start()

    visit_AugAssign = visit_Assign

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._start()

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._start()

    def visit_Expr(self, node: cst.Expr) -> None:
        value = node.value
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Ellipsis)):
            return  # docstrings and placeholders
        self._start()

    def visit_Assert(self, node) -> None:
        self._start(other=True)

    visit_Raise = visit_Assert

    def leave_Assign(self, node) -> None:
        self._finish()

    leave_AugAssign = leave_AnnAssign = leave_Return = leave_Expr = leave_Assert = leave_Raise = leave_Assign

    # what a statement does ---------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        statement = self.current
        if statement is None:
            return
        self.call_funcs.add(id(node.func))
        index = self.index
        func = node.func
        name = self.ctx.qualify(func)
        if name in index.functions:
            if _constant_argument(node):
                statement.other = True  # `np.array([1, 2])`, `tf.constant(0.0)`: a constant, not data converted
            else:
                statement.conversions.append((call_text(node), index.functions[name]))
            return
        if name in index.neutral_names:
            return
        if isinstance(func, cst.Attribute) and not self._is_library_function(func):
            method = func.attr.value
            if method in index.methods:
                statement.conversions.append((f".{method}()", index.methods[method]))
                return
            if method in index.neutral_methods:
                return
        statement.other = True

    def _is_library_function(self, func: cst.Attribute) -> bool:
        """`np.reshape(...)` or `torch.flatten(...)`: a function of an imported module, not a
        method of some object (`frame.reshape(...)`)."""
        receiver = self.ctx.qualify(func.value)
        if not receiver or "()" in receiver:
            return False
        imported = self.ctx.facts.imported_modules
        if self.import_roots[0] != len(imported):
            self.import_roots = (len(imported), frozenset(name.split(".")[0] for name in imported if name))
        return receiver.split(".")[0] in self.import_roots[1]

    def visit_Attribute(self, node: cst.Attribute) -> None:
        statement = self.current
        if statement is None or id(node) in self.call_funcs:
            return
        kind = self.index.attributes.get(node.attr.value)
        if kind is not None:
            statement.conversions.append((f".{node.attr.value}", kind))

    def finish(self) -> None:
        def plain(record: dict[str, Any]) -> dict[str, Any]:
            return {**record, "conversions": dict(sorted(record["conversions"].items()))}

        self.ctx.facts.data[FAMILY] = {
            "module": plain(self.module),
            "functions": [plain(record) for record in self.functions if record["glue"]],
        }


def _constant_argument(call: cst.Call) -> bool:
    """Whether the call has no data to convert: no argument, or a literal first argument."""
    if not call.args:
        return True
    return call.args[0].keyword is None and not call.args[0].star and _is_literal(call.args[0].value)


def _is_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None")
    if isinstance(node, cst.UnaryOperation):
        return _is_literal(node.expression)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(not isinstance(element, cst.StarredElement) and _is_literal(element.value)
                   for element in node.elements)
    if isinstance(node, cst.Dict):
        return all(isinstance(element, cst.DictElement) and _is_literal(element.key) and _is_literal(element.value)
                   for element in node.elements)
    return False


def _ratio(glue: int, statements: int) -> float:
    return glue / statements if statements else 0.0


def _named(conversions: dict[str, int]) -> str:
    ranked = sorted(conversions.items(), key=lambda item: (-item[1], item[0]))
    shown = ", ".join(f"`{label}`" + (f" ×{count}" if count > 1 else "") for label, count in ranked[:SHOWN])
    return shown + (", …" if len(ranked) > SHOWN else "")


class _GlueRule(ProjectRule):
    """Shared facts and the per-module glue ratio for the summary."""

    family = FAMILY
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    collectors = (GlueCollector,)
    metric = "glue_ratio"
    fix = ("Keep one data format across the boundary, or wrap the library behind one small adapter so the "
           "conversions live in a single place.")

    @staticmethod
    def modules(project) -> Iterable[tuple[str, dict[str, Any]]]:
        """Every module's glue facts; tests are left out, since converting results to compare
        them is what tests do, not debt."""
        for path, facts in project.files.items():
            data = facts.data.get(FAMILY)
            if data and not TEST_PATH.search(path):
                yield path, data

    def measure(self, project) -> dict[str, Any]:
        modules = {}
        for path, data in self.modules(project):
            module = data["module"]
            if module["statements"]:
                modules[path] = {"ratio": round(_ratio(module["glue"], module["statements"]), 3),
                                 "statements": module["statements"], "glue_statements": module["glue"]}
        ranked = sorted((item for item in modules.items() if item[1]["glue_statements"]),
                        key=lambda item: (-item[1]["ratio"], item[0]))[:TOP_MODULES]
        headline = ", ".join(f"{path} {entry['ratio']:.0%} ({entry['glue_statements']} of {entry['statements']})"
                             for path, entry in ranked)
        return {"title": "Glue ratio (statements that only convert between library formats)",
                "headline": f"highest in {headline}" if headline else "", "modules": modules}


class GlueFunction(_GlueRule):
    """A function that mostly converts data between library formats.

    ## What it does
    Counts the statements of each function and reports functions of at least `min-statements`
    statements (default 5) in which at least `function-ratio` of them (default 60%) only
    convert data — `.values`, `.to_numpy()`, `.tolist()`, `np.array(...)`, `pd.DataFrame(...)`,
    `torch.tensor`/`from_numpy`/`.numpy()`, `.astype`, JSON round trips, reshapes — and at
    least one of those crosses a library boundary. Short helpers are not reported, and neither
    is code that only casts and reshapes (a model's forward pass). Thresholds are set in
    `[tool.debtscan.glue]`; the catalog (`glue_functions`, `glue_methods`) can be extended.

    ## Why is this bad?
    Glue code ties the system to the peculiarities of every package it touches: each library
    upgrade or replacement means rewriting the conversions, dtype and shape assumptions hide in
    them, and they are duplicated wherever data crosses the same boundary (Sculley et al.,
    *Hidden Technical Debt in Machine Learning Systems*).

    ## Example
    ```python
    def predict_batch(df):
        values = df[FEATURES].values
        values = values.astype(np.float32)
        batch = torch.from_numpy(values)
        scores = model(batch).detach().numpy()
        flat = scores.reshape(-1)
        return json.dumps({"scores": flat.tolist()})
    ```

    ## Use instead
    ```python
    def predict_batch(batch: torch.Tensor) -> torch.Tensor:
        return model(batch).squeeze(-1)

    # one adapter at the service boundary owns every conversion
    scores = predict_batch(adapter.to_tensor(df))
    ```
    """

    code = "DS501"
    name = "glue-function"
    summary = "A function whose statements mostly convert between library formats"
    VALID = (
        "import numpy as np\n\ndef to_array(frame):\n    return frame.to_numpy(dtype=np.float32)\n",
        "import torch\n\ndef forward(x, w):\n    x = x.reshape(-1, 4)\n    x = x.float()\n    h = torch.relu(x @ w)\n"
        "    h = h.flatten()\n    y = h.unsqueeze(0)\n    return y.squeeze()\n",
    )
    INVALID = (
        "import json\nimport numpy as np\nimport torch\n\n"
        "def predict_batch(df, model):\n    values = df.values\n    values = values.astype(np.float32)\n"
        "    batch = torch.from_numpy(values)\n    scores = model(batch).detach().numpy()\n"
        "    flat = scores.reshape(-1)\n    return json.dumps({'scores': flat.tolist()})\n",
    )

    def check(self, project) -> Iterable[Finding]:
        limits = thresholds(project)
        for path, data in self.modules(project):
            for function in data["functions"]:
                statements, glue = function["statements"], function["glue"]
                ratio = _ratio(glue, statements)
                if (statements < limits["min-statements"] or ratio < limits["function-ratio"]
                        or not function["crossing"] or function["span"] is None):
                    continue
                message = (f"Function `{function['name']}` is glue code: {glue} of its {statements} statements "
                           f"({ratio:.0%}) only convert between library formats ({_named(function['conversions'])}), "
                           f"which ties it to each library's types and shapes.")
                yield make_finding(type(self), path, function["span"], message, symbol=function["name"])


class GlueModule(_GlueRule):
    """A module that mostly converts data between library formats.

    ## What it does
    Reports modules of at least `module-min-statements` statements (default 20) in which at
    least `module-ratio` of all statements (default 50%) only convert data between library
    formats, with at least one conversion crossing a library boundary. The JSON summary lists
    every module's glue ratio under `metrics.glue_ratio`; the text summary names the highest.

    ## Why is this bad?
    A module that is mostly conversions is an adapter layer that grew by accident: it changes
    whenever any library on either side changes, and the real logic drowns in it.

    ## Example
    ```python
    # serving/convert.py: twenty statements of .values, .astype, torch.tensor, .tolist, json.dumps
    ```

    ## Use instead
    ```python
    # Keep one format through the pipeline (say, tensors from the data loader to the model)
    # and convert once, at the edge, in one small adapter with tests.
    ```
    """

    code = "DS502"
    name = "glue-module"
    summary = "A module whose statements mostly convert between library formats"
    VALID = (
        "import numpy as np\n\ndef load(frame):\n    return frame.to_numpy()\n\n"
        "def score(x):\n    return float(np.mean(x))\n",
    )
    INVALID = (
        "import json\nimport numpy as np\nimport pandas as pd\nimport torch\n\n"
        + "".join(f"a{i} = np.asarray(x{i}).astype(np.float32)\nb{i} = torch.from_numpy(a{i})\n"
                  f"c{i} = b{i}.numpy().tolist()\nd{i} = json.dumps(c{i})\n" for i in range(6)),
    )

    def check(self, project) -> Iterable[Finding]:
        limits = thresholds(project)
        for path, data in self.modules(project):
            module = data["module"]
            statements, glue = module["statements"], module["glue"]
            ratio = _ratio(glue, statements)
            if (statements < limits["module-min-statements"] or ratio < limits["module-ratio"]
                    or not module["crossing"] or module["span"] is None):
                continue
            span = dict(module["span"], end_line=module["span"]["line"], end_column=0)
            message = (f"Module `{path}` is glue code: {glue} of its {statements} statements ({ratio:.0%}) only "
                       f"convert between library formats ({_named(module['conversions'])}), so it changes "
                       f"whenever any of those libraries does.")
            yield make_finding(type(self), path, span, message)


RULES = (GlueFunction, GlueModule)
