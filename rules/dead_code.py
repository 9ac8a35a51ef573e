"""Dead experimental code paths (DS7xx): code that can never run, or that nothing uses.

Sculley et al. name "dead experimental codepaths" among the debts of ML systems: alternatives
tried once and left behind flags, branches and unused functions, each still read, maintained
and tested against, and each a trap when someone flips it on. Four rules, all built to be
right when they speak (precision before recall):

* DS701 branches behind a constant condition: `if False:`, `if 0:`, or a module-level boolean
  flag that nothing in the project reassigns, patches or reads from configuration;
* DS702 statements after `return`, `raise`, `continue`, `break` or `sys.exit()`;
* DS703 functions and classes nothing in the project refers to: not a call, an import, an
  `__all__` entry, a decorator that registers, an entry point, a string (`getattr`, Hydra
  `_target_`) or a mention in a config or docs file;
* DS704 blocks of commented-out code: consecutive comment lines that parse as Python.

Cross-module questions (is this flag reassigned elsewhere? is this function imported
anywhere?) are answered from facts the collectors record per file.
"""

from __future__ import annotations

import ast
import io
import os
import re
import textwrap
import tokenize
from fnmatch import fnmatch
from typing import Any, Iterable, Iterator

import libcst as cst

from debtscan.catalog import CatalogIndex
from debtscan.config import DEFAULT_EXCLUDE
from debtscan.engine import make_finding, span_location
from debtscan.literals import string_value
from debtscan.source import read_regular_file
from debtscan.model import MODULE_SCOPE, Confidence, Finding, Severity
from debtscan.rule import Collector, FileRule, ProjectRule
from .roles import is_vendored

FAMILY = "dead-code"
COMMENTS = "dead-code-comments"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%(?:\([^)]*\))?[sdr]")
TRAILING_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
LEADING_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+")
TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.py$|(^|/)conftest\.py$")
EXIT_CALLS = frozenset({"sys.exit", "os._exit", "builtins.exit", "builtins.quit"})
FALSY_NAMES = {"True": True, "False": False, "None": False}
ATTRIBUTE_BY_NAME = frozenset({"builtins.getattr", "builtins.setattr", "builtins.hasattr", "builtins.delattr"})
DEFINITION_LINE = re.compile(r"^[ \t]*(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)


class DeadCodeIndex(CatalogIndex):
    """The dead-code catalog, indexed once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        section = catalog.get("dead_code", {})
        self.transparent = frozenset(section.get("transparent_decorators", []))
        self.hook_names = frozenset(section.get("hook_names", []))
        self.hook_prefixes = tuple(section.get("hook_prefixes", []))
        self.registering_bases = frozenset(section.get("registering_bases", []))
        self.expose_module = frozenset(section.get("expose_module", []))
        self.skip_files = tuple(section.get("skip_files", []))
        self.markers = frozenset(marker.lower() for marker in section.get("experiment_markers", []))


    def skipped_file(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        for pattern in self.skip_files:
            if pattern.endswith("/"):
                if path.startswith(pattern) or f"/{pattern}" in path:
                    return True
            elif fnmatch(name, pattern):
                return True
        return False

    def experimental(self, name: str) -> bool:
        """`train_v2`, `old_loss`, `ExperimentalNet`: a name part marks an experiment."""
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
        return any(part in self.markers for part in spaced.lower().split("_") if part)


def _code(node: cst.CSTNode) -> str:
    text = cst.Module([]).code_for_node(node)
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:59] + "…"


def _text(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal, or None."""
    if not isinstance(node, cst.SimpleString):
        return None
    try:
        value = string_value(node)
    except Exception:  # an invalid escape sequence: nothing to learn from it
        return None
    return value if isinstance(value, str) else None


def _affixed(node: cst.BaseExpression) -> bool:
    """`"step_" + mode`, `f"{kind}_loader"`: a computed name with a literal part of 3+ characters."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return any(len(_text(side) or "") >= 3 for side in (node.left, node.right))
    if isinstance(node, cst.FormattedString):
        return any(isinstance(part, cst.FormattedStringText) and len(part.value) >= 3 for part in node.parts)
    return False


def _lines(span: dict) -> int:
    return max(1, span["end_line"] - span["line"] + 1) if span.get("line") else 1


def exempt_definition(record: dict[str, Any], index: DeadCodeIndex) -> bool:
    """A definition something outside the code calls by its name or its decorator: a dunder,
    a route, a command, a fixture, a registry entry, an abstract method, a framework hook, a
    test. DS703 never reports it, whatever the project holds."""
    name = record["name"]
    if name.startswith("__") and name.endswith("__"):
        return True
    if not record["transparent"]:
        return True
    if record["kind"] != "method" and (name in index.hook_names or name.startswith(index.hook_prefixes)):
        return True
    return record["kind"] == "method" and name.startswith(("test", "Test"))


# -- facts ---------------------------------------------------------------------------------------

class DeadCodeCollector(Collector):
    """Per file: definitions, every name and string that could refer to one, module-level flags
    and every store that could change a flag, and the conditions that test flags or constants."""

    key = FAMILY

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = DeadCodeIndex.of(ctx.catalog)
        # DS703 never reports in tests or skipped files: their definitions need no place
        self.placed = not (TEST_PATH.search(ctx.path) or self.index.skipped_file(ctx.path))
        self.names: set[str] = set()
        self.strings: set[str] = set()
        self.prefixes: set[str] = set()
        self.suffixes: set[str] = set()
        self.def_names: set[int] = set()
        self.def_counts: dict[str, int] = {}
        self.definitions: list[tuple[cst.CSTNode, dict[str, Any]]] = []
        self.classes: dict[str, dict[str, Any]] = {}
        self.flag_candidates: dict[str, bool] = {}
        self.module_stores: dict[str, int] = {}
        self.globals_declared: set[str] = set()
        self.attribute_stores: set[str] = set()
        self.conditions: list[dict[str, Any]] = []
        self.dynamic_module = False  # globals(), vars(), eval/exec: any name may be looked up
        self.dynamic_any = False  # getattr on a module imported by a computed name: any name, anywhere
        self.dynamic_classes: set[str] = set()
        self.dynamic_targets: set[str] = set()

    # flags ------------------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        for statement in node.body:
            if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
                continue
            small = statement.body[0]
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            else:
                continue
            if isinstance(target, cst.Name) and isinstance(value, cst.Name) and value.value in ("True", "False"):
                self.flag_candidates[target.value] = value.value == "True"

    def _at_module_level(self) -> bool:
        return len(self.ctx.scopes.stack) == 1

    def _store(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            if self._at_module_level():
                self.module_stores[target.value] = self.module_stores.get(target.value, 0) + 1
        elif isinstance(target, cst.Attribute):
            self.attribute_stores.add(target.attr.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._store(element.value)
        elif isinstance(target, cst.StarredElement):
            self._store(target.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._store(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._store(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._store(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._store(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._store(node.asname.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._store(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._store(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        self.globals_declared.update(item.name.value for item in node.names)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if self._at_module_level():
            bound = node.asname.name if node.asname is not None else node.name
            while isinstance(bound, cst.Attribute):
                bound = bound.value
            if isinstance(bound, cst.Name):
                self.module_stores[bound.value] = self.module_stores.get(bound.value, 0) + 1

    # conditions -------------------------------------------------------------------------
    def _module_binding(self, name: str) -> bool:
        """Whether `name` here means the module-level binding (no inner scope rebinds it)."""
        stack = self.ctx.scopes.stack
        innermost = len(stack) - 1
        for depth in range(innermost, 0, -1):
            kind, table = stack[depth]
            if kind == "class" and depth != innermost:
                continue
            if name in table:
                return False
        return name in stack[0][1]

    def _condition(self, node: cst.BaseExpression) -> list:
        """The test as a small plain-data tree: constants, flags, not/and/or, else unknown."""
        if isinstance(node, cst.Name):
            if node.value in FALSY_NAMES:
                return ["const", FALSY_NAMES[node.value]]
            if node.value == "TYPE_CHECKING" or not self._module_binding(node.value):
                return ["?"]
            if node.value in self.flag_candidates:
                return ["local", node.value]
            qualified = self.ctx.qualify(node)
            if qualified and "()" not in qualified and not qualified.startswith("builtins.") and "." in qualified:
                return ["ref", qualified]
            return ["?"]
        if isinstance(node, (cst.Integer, cst.Float)):
            return ["const", bool(node.evaluated_value)]
        if isinstance(node, cst.Attribute):
            qualified = self.ctx.qualify(node)
            if qualified and "()" not in qualified and not qualified.startswith("builtins.") \
                    and not qualified.endswith(".TYPE_CHECKING"):
                return ["ref", qualified]
            return ["?"]
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return ["not", self._condition(node.expression)]
        if isinstance(node, cst.BooleanOperation):
            kind = "and" if isinstance(node.operator, cst.And) else "or"
            return [kind, self._condition(node.left), self._condition(node.right)]
        return ["?"]

    def _record_condition(self, node: cst.If | cst.While, keyword: str) -> None:
        tree = self._condition(node.test)
        leaves = set(_leaves(tree))
        if leaves <= {"?"}:
            return
        if leaves <= {"const", "?"}:
            value = evaluate(tree, lambda leaf: None)[0]
            if value is None or (value and (node.orelse is None or keyword == "while")):
                return  # `if True:` with nothing dead behind it
        orelse = node.orelse if keyword == "if" else None
        self.conditions.append({
            "keyword": keyword, "test": tree, "text": _code(node.test),
            "span": self.ctx.span(node), "body": self.ctx.span(node.body),
            "orelse": self.ctx.span(orelse) if orelse is not None else None,
            "orelse_body": self.ctx.span(orelse.body if isinstance(orelse, cst.Else) else orelse)
            if orelse is not None else None,
            "orelse_keyword": ("elif" if isinstance(orelse, cst.If) else "else") if orelse is not None else None,
            "symbol": self.ctx.symbol,
        })

    def visit_If(self, node: cst.If) -> None:
        self._record_condition(node, "if")

    def visit_While(self, node: cst.While) -> None:
        self._record_condition(node, "while")

    # definitions ------------------------------------------------------------------------
    def _decorators_transparent(self, decorators) -> bool:
        for decorator in decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Call):
                expression = expression.func
            qualified = self.ctx.qualify(expression)
            if qualified not in self.index.transparent:
                return False
        return True

    def _count_definition(self, name: str) -> int:
        """How many definitions of `name` came before this one (at any depth), for `_span_of`."""
        occurrence = self.def_counts.get(name, 0)
        self.def_counts[name] = occurrence + 1
        return occurrence

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.def_names.add(id(node.name))
        occurrence = self._count_definition(node.name.value)
        symbols = self.ctx.symbols  # the tracker has entered the function already
        if len(symbols) == 1:
            kind, owner = "function", None
        elif len(symbols) == 2 and symbols[0][0] == "class":
            kind, owner = "method", symbols[0][1]
            self.classes.setdefault(owner, {}).setdefault("methods", []).append(node.name.value)
        else:
            return
        if self.placed:
            self.ctx.note(node.name)  # placed at the end of the module, when the text is ambiguous
        self.definitions.append((node.name, {
            "kind": kind, "name": node.name.value, "owner": owner, "symbol": self.ctx.symbol,
            "transparent": self._decorators_transparent(node.decorators), "occurrence": occurrence}))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.def_names.add(id(node.name))
        occurrence = self._count_definition(node.name.value)
        if len(self.ctx.symbols) != 1:
            return
        bases = []
        for arg in node.bases:
            qualified = self.ctx.qualify(arg.value)
            bases.append(qualified or _code(arg.value))
        info = self.classes.setdefault(node.name.value, {})
        info["bases"] = [base for base in bases if base not in ("builtins.object", "object")]
        info["metaclass"] = any(keyword.keyword is not None and keyword.keyword.value == "metaclass"
                                for keyword in node.keywords)
        if self.placed:
            self.ctx.note(node.name)
        self.definitions.append((node.name, {
            "kind": "class", "name": node.name.value, "owner": None, "symbol": self.ctx.symbol,
            "transparent": self._decorators_transparent(node.decorators), "occurrence": occurrence}))

    # references -------------------------------------------------------------------------
    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self.def_names:
            return
        value = node.value
        # a class naming itself in `super(Net, self)`, a function calling itself: not a use
        for _kind, name in self.ctx.symbols:
            if name == value:
                return
        self.names.add(value)

    def _string(self, value: str) -> None:
        self.strings.update(IDENTIFIER.findall(value))
        if "{" in value or "%" in value:
            for match in PLACEHOLDER.finditer(value):
                self._affixes(value[: match.start()], value[match.end():])

    def _affixes(self, before: str, after: str) -> None:
        """`f"build_{name}"`, `"handle_" + kind`, `"%s_loader" % x`: names made at run time."""
        prefix = TRAILING_IDENTIFIER.search(before)
        if prefix and len(prefix.group()) >= 3:
            self.prefixes.add(prefix.group())
        suffix = LEADING_IDENTIFIER.match(after)
        if suffix and len(suffix.group()) >= 3:
            self.suffixes.add(suffix.group())

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = _text(node)
        if value is not None:
            self._string(value)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        parts = node.parts
        for index, part in enumerate(parts):
            if isinstance(part, cst.FormattedStringText):
                self.strings.update(IDENTIFIER.findall(part.value))
                before_expression = index + 1 < len(parts) and not isinstance(parts[index + 1], cst.FormattedStringText)
                after_expression = index > 0 and not isinstance(parts[index - 1], cst.FormattedStringText)
                self._affixes(part.value if before_expression else "", part.value if after_expression else "")

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if not isinstance(node.operator, cst.Add):
            return
        left, right = _text(node.left), _text(node.right)
        if left is not None and right is None:
            self._affixes(left, "")
        elif right is not None and left is None:
            self._affixes("", right)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.ctx.qualify(node.func)
        # names looked up by string in this module (Python's own lookups, and the catalog's
        # calls that expose the whole module when called without arguments, as `fire.Fire()`)
        if name in ("builtins.globals", "builtins.locals", "builtins.eval", "builtins.exec") \
                or (name in self.index.expose_module and not node.args):
            self.dynamic_module = True
        elif name in ATTRIBUTE_BY_NAME and len(node.args) >= 2:
            attribute = _text(node.args[1].value)
            if attribute is not None:
                if name == "builtins.setattr":
                    self.attribute_stores.add(attribute)
                return
            if _affixed(node.args[1].value):
                return  # `getattr(self, "_step_" + mode)`: only names with that prefix, see _affixes
            target = node.args[0].value
            if isinstance(target, cst.Name) and target.value == "self" and self.ctx.symbols:
                self.dynamic_classes.add(self.ctx.symbols[0][1])
                return
            qualified = self.ctx.qualify(target)
            if qualified is None:
                return
            if "import_module()" in qualified or qualified.startswith("sys.modules"):
                self.dynamic_any = True
            elif "()" not in qualified:
                self.dynamic_targets.add(qualified)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if node.attr.value == "modules" and isinstance(node.value, cst.Name) and node.value.value == "sys":
            self.dynamic_module = True  # sys.modules[__name__]: this module's names by string

    def leave_Module(self, node: cst.Module) -> None:
        # Only definitions this file does not use can be reported. Their lines come from the
        # text (`def name` / `class name` at the start of a line, matched in order), because
        # positions from the tree cost another pass over the file; the tree is asked only
        # when the text is ambiguous (a `def` at the start of a line inside a string).
        if not self._may_report():
            return
        own = self.names | self.strings
        candidates = [(name_node, record) for name_node, record in self.definitions
                      if record["name"] not in own and not exempt_definition(record, self.index)]
        if not candidates:
            return
        found: dict[str, list[re.Match]] = {}
        for match in DEFINITION_LINE.finditer(self.ctx.source.text):
            found.setdefault(match.group(2), []).append(match)
        for name_node, record in candidates:
            matches = found.get(record["name"], [])
            if len(matches) == self.def_counts[record["name"]]:
                record["span"] = self._span_of(matches[record["occurrence"]])
            else:
                record["span"] = self.ctx.span(name_node)

    def _may_report(self) -> bool:
        """Whether DS703 can report a definition of this file, whatever the other files hold.
        Only definitions it can report keep a place: most definitions of a library are tests."""
        return self.placed and not self.dynamic_module

    def _span_of(self, match: re.Match) -> dict[str, Any]:
        text = self.ctx.source.text
        line = text.count("\n", 0, match.start()) + 1
        line_start = text.rfind("\n", 0, match.start()) + 1
        column = match.start(2) - line_start
        cell, shown = self.ctx.source.place(line)
        end = text.find("\n", match.start())
        return {"line": shown, "column": column, "end_line": shown, "end_column": column + len(match.group(2)),
                "cell": cell, "snippet": text[line_start: end if end >= 0 else len(text)],
                **self.ctx.source.file_line_field(line)}

    def finish(self) -> None:
        flags = {name: value for name, value in self.flag_candidates.items()
                 if self.module_stores.get(name, 0) == 1 and name not in self.globals_declared}
        self.ctx.facts.data[FAMILY] = {
            "names": sorted(self.names), "strings": sorted(self.strings),
            "prefixes": sorted(self.prefixes), "suffixes": sorted(self.suffixes),
            "definitions": [record for _node, record in self.definitions if "span" in record],
            "classes": self.classes, "flags": flags, "attribute_stores": sorted(self.attribute_stores),
            "conditions": self.conditions, "dynamic_module": self.dynamic_module, "dynamic_any": self.dynamic_any,
            "dynamic_classes": sorted(self.dynamic_classes), "dynamic_targets": sorted(self.dynamic_targets),
        }


def _leaves(tree: list) -> Iterator[str]:
    if tree[0] in ("not",):
        yield from _leaves(tree[1])
    elif tree[0] in ("and", "or"):
        yield from _leaves(tree[1])
        yield from _leaves(tree[2])
    else:
        yield tree[0]


def evaluate(tree: list, flag) -> tuple[bool | None, list]:
    """Three-valued evaluation: (True, False or None for unknown, the flags that were used).

    `flag(leaf)` gives a flag leaf's value and description, or None when it is no constant."""
    kind = tree[0]
    if kind == "const":
        return tree[1], []
    if kind in ("local", "ref"):
        found = flag(tree)
        return (found[0], [found[1]]) if found is not None else (None, [])
    if kind == "not":
        value, used = evaluate(tree[1], flag)
        return (None if value is None else not value), used
    if kind in ("and", "or"):
        left, used_left = evaluate(tree[1], flag)
        right, used_right = evaluate(tree[2], flag)
        decisive = kind == "or"  # True decides `or`, False decides `and`
        if left is decisive:
            return decisive, used_left
        if right is decisive:
            return decisive, used_right
        if left is None or right is None:
            return None, []
        return not decisive, used_left + used_right
    return None, []


# -- DS701 ----------------------------------------------------------------------------------------

class _FlagTable:
    """Module-level boolean flags that are constant across the whole project."""

    def __init__(self, project) -> None:
        self.project = project
        data = {path: facts.data.get(FAMILY) for path, facts in project.files.items()}
        self.data = {path: item for path, item in data.items() if item}
        self.changed: set[str] = set()
        for item in self.data.values():
            self.changed.update(item["attribute_stores"])
            self.changed.update(item["strings"])  # setattr(mod, "FLAG"), monkeypatch, getattr(cfg, "FLAG")

    @classmethod
    def of(cls, project) -> "_FlagTable":
        if "dead_code_flags" not in project.memo:
            project.memo["dead_code_flags"] = cls(project)
        return project.memo["dead_code_flags"]

    def value(self, path: str, name: str) -> tuple[bool, str] | None:
        item = self.data.get(path)
        if item is None or item["dynamic_module"] or name not in item["flags"] or name in self.changed:
            return None
        value = item["flags"][name]
        return value, f"`{name}` is `{value}` in {path}"

    def lookup(self, path: str, leaf: list) -> tuple[bool, str] | None:
        if leaf[0] == "local":
            return self.value(path, leaf[1])
        importer = self.project.files[path].module
        split = self.project.split_qualified(leaf[1], importer)
        if split is None or "." in split[1]:
            return None
        return self.value(split[0].path, split[1])


class ConstantCondition(ProjectRule):
    """A branch behind a condition that is always false (or an `else` behind one always true).

    ## What it does
    Finds `if`, `elif` and `while` tests that never change: constants (`if False:`, `if 0:`,
    `while None:`) and module-level flags assigned `True` or `False` once and never changed
    anywhere in the project — not reassigned, not set through `global`, an attribute or
    `setattr`, not patched in tests, not named in any string. It reports the branch that can
    never run: the body of an always-false test, the `else` of an always-true one; a flag tested
    in several places of a file is reported once, with its other dead branches listed. A flag
    read from the environment or a config file, `if TYPE_CHECKING:` and
    `if __name__ == "__main__":` are not constants.

    ## Why is this bad?
    A switched-off branch is a dead experimental path: it is still read, reviewed and kept
    compiling, it rots as the code around it changes, and flipping it on one day runs code
    nobody has tested in months (Sculley et al. warn of exactly this).

    ## Example
    ```python
    USE_ATTENTION_V2 = False

    def encode(x):
        if USE_ATTENTION_V2:
            return attention_v2(x)
        return attention(x)
    ```

    ## Use instead
    ```python
    def encode(x):
        return attention(x)  # and delete attention_v2, or make the choice a config option
    ```
    """

    code = "DS701"
    name = "constant-condition"
    family = FAMILY
    severity = Severity.WARNING
    summary = "A branch behind a condition that never changes, so it never runs"
    fix = "Delete the dead branch (version control keeps it), or make the switch a real option read from config."
    collectors = (DeadCodeCollector,)
    VALID = (
        "import os\nDEBUG = os.environ.get('DEBUG') == '1'\nif DEBUG:\n    print('debug')\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import numpy\n",
        "USE_GPU = False\n\ndef enable():\n    global USE_GPU\n    USE_GPU = True\n\nif USE_GPU:\n    print('gpu')\n",
    )
    INVALID = (
        "if False:\n    print('old experiment')\n",
        "USE_V2 = False\n\ndef run(x):\n    if USE_V2:\n        return x * 2\n    return x\n",
        "while 0:\n    pass\n",
    )

    def check(self, project) -> Iterable[Finding]:
        table = _FlagTable.of(project)
        for path, item in table.data.items():
            # A switch tested in many places is one decision: report its first dead branch and
            # list the others, instead of one finding per `if` (notebooks test a flag per cell).
            by_switch: dict[tuple[str, ...], list[tuple[dict, bool]]] = {}
            for condition in item["conditions"]:
                value, used = evaluate(condition["test"], lambda leaf, path=path: table.lookup(path, leaf))
                if value is None or (value and condition["orelse"] is None):
                    continue
                if used:
                    by_switch.setdefault(tuple(used), []).append((condition, value))
                else:
                    yield self._finding(path, condition, value, [], [])
            for used, branches in by_switch.items():
                (condition, value), others = branches[0], branches[1:]
                yield self._finding(path, condition, value, list(used), [_dead_part(other, v) for other, v in others])

    def _finding(self, path: str, condition: dict, value: bool, used: list, others: list[dict]) -> Finding:
        keyword, text = condition["keyword"], condition["text"]
        why = (f"{'; '.join(used)} and nothing in the project changes it or reads it from config"
               if used else f"the condition is always {'true' if value else 'false'}")
        kind = "a dead experimental path" if used else "dead code"
        if value:
            lines = _lines(condition["orelse_body"])
            what = f"The `{condition['orelse_keyword']}` branch of `{keyword} {text}:`"
        else:
            lines = _lines(condition["body"])
            what = f"The body of `{keyword} {text}:`"
        more = (f", and so {'are' if len(others) != 1 else 'is'} {len(others)} more branch"
                f"{'es' if len(others) != 1 else ''} in this file that test{'' if len(others) != 1 else 's'} it"
                if others else "")
        message = (f"{what} can never run: {why}, so its {lines} line{'s are' if lines != 1 else ' is'} "
                   f"{kind}{more}.")
        related = [span_location(path, span) for span in others]
        return make_finding(type(self), path, _dead_part(condition, value), message,
                            confidence=Confidence.MEDIUM if used else Confidence.HIGH, symbol=condition["symbol"],
                            related=related)


def _dead_part(condition: dict, value: bool) -> dict:
    """Where the branch that never runs starts: the `if` itself, or its `else`/`elif`."""
    return condition["orelse"] if value else condition["span"]


# -- DS702 ----------------------------------------------------------------------------------------

def _small_terminator(statements, qualify) -> str | None:
    for small in statements:
        if isinstance(small, (cst.Return, cst.Raise, cst.Continue, cst.Break)):
            return f"`{type(small).__name__.lower()}`"
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
            name = qualify(small.value.func)
            if name in EXIT_CALLS:
                return f"`{name.removeprefix('builtins.')}()`"
    return None


def _terminator(statement: cst.BaseStatement, qualify) -> str | None:
    """What makes control leave the block at `statement`, or None when it may go on."""
    if isinstance(statement, cst.SimpleStatementLine):
        return _small_terminator(statement.body, qualify)
    if isinstance(statement, cst.If) and statement.orelse is not None:
        orelse = statement.orelse
        other = _terminator(orelse, qualify) if isinstance(orelse, cst.If) else _suite_terminator(orelse.body, qualify)
        if other and _suite_terminator(statement.body, qualify):
            return "an `if` whose every branch leaves the block"
    return None


def _suite_terminator(suite: cst.BaseSuite, qualify) -> str | None:
    if isinstance(suite, cst.SimpleStatementSuite):
        return _small_terminator(suite.body, qualify)
    for statement in getattr(suite, "body", ()):
        found = _terminator(statement, qualify)
        if found:
            return found
    return None


def _is_placeholder(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(isinstance(small, cst.Pass) or (isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis))
               for small in statement.body)


def _is_bare_yield(statement: cst.BaseStatement) -> bool:
    """`return` then `yield`: the idiom for a generator that yields nothing."""
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr) and isinstance(statement.body[0].value, cst.Yield))


class UnreachableCode(FileRule):
    """Statements after `return`, `raise`, `continue`, `break` or `sys.exit()`.

    ## What it does
    Finds statements that follow, in the same block, a statement that always leaves it:
    `return`, `raise`, `continue`, `break`, `sys.exit()`, or an `if`/`else` whose branches
    all do. `return` followed by a lone `yield` (a generator that yields nothing) and a
    trailing `pass` are not reported.

    ## Why is this bad?
    The code looks alive — it is read, reviewed and edited — but it never runs. It is usually
    an experiment disabled with an early `return`, or a bug: a step someone believes happens
    (logging a metric, saving a checkpoint) silently does not.

    ## Example
    ```python
    def evaluate(model, data):
        return accuracy(model, data)
        log_confusion_matrix(model, data)
    ```

    ## Use instead
    ```python
    def evaluate(model, data):
        log_confusion_matrix(model, data)
        return accuracy(model, data)
    ```
    """

    code = "DS702"
    name = "unreachable-code"
    family = FAMILY
    severity = Severity.WARNING
    summary = "Statements after return, raise, continue or break that can never run"
    fix = "Delete the unreachable statements, or move them before the statement that leaves the block."
    triggers = (b"return", b"raise", b"continue", b"break", b"exit")
    VALID = (
        "def empty():\n    return\n    yield\n",
        "def f(x):\n    if x:\n        return 1\n    return 2\n",
        "def g():\n    raise NotImplementedError\n",
    )
    INVALID = (
        "def evaluate(model, data):\n    return model.score(data)\n    print('done')\n",
        "for i in range(3):\n    continue\n    print(i)\n",
        "import sys\n\ndef main():\n    sys.exit(0)\n    cleanup()\n",
    )

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        body = node.body
        for index, statement in enumerate(body[:-1]):
            ended_by = _terminator(statement, self.ctx.qualify)
            if ended_by is None:
                continue
            rest = [item for item in body[index + 1:] if not _is_placeholder(item)]
            if not rest or (ended_by == "`return`" and len(rest) == 1 and _is_bare_yield(rest[0])):
                return
            count = len(rest)
            self.report(rest[0], f"{count} statement{'s' if count != 1 else ''} after {ended_by} can never run, "
                                 f"so {'they are' if count != 1 else 'it is'} dead code.")
            return


# -- DS703 ----------------------------------------------------------------------------------------

TEXT_SUFFIXES = (".py", ".pyi", ".ipynb", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".jsonnet", ".txt",
                 ".md", ".rst", ".sh", ".bash", ".mk", ".env", ".j2", ".jinja", ".html", ".conf", ".properties",
                 ".dockerfile")
TEXT_NAMES = ("Makefile", "Dockerfile", "Procfile", "Justfile", "MLproject", "Snakefile", "Jenkinsfile")
TEXT_FILE_LIMIT = 512 * 1024
TEXT_TOTAL_LIMIT = 64 * 1024 * 1024
TEXT_FILES_LIMIT = 5000


def text_references(root: str, scanned: set[str]) -> frozenset[str]:
    """Identifiers named in the project's configuration, scripts and docs — entry points in
    pyproject.toml, Hydra `_target_`s, commands in Makefiles and READMEs all use functions —
    and in Python files that were not scanned (git-ignored or excluded, yet still run)."""
    names: set[str] = set()
    if not root or not os.path.isdir(root):
        return frozenset()
    excluded = {pattern for pattern in DEFAULT_EXCLUDE if "*" not in pattern}
    files = total = 0
    for directory, subdirectories, filenames in os.walk(root):
        subdirectories[:] = sorted(name for name in subdirectories if not name.startswith(".")
                                   and name not in excluded and not name.endswith(".egg-info"))
        for filename in sorted(filenames):
            if not (filename.endswith(TEXT_SUFFIXES) or filename in TEXT_NAMES):
                continue
            path = os.path.join(directory, filename)
            if os.path.relpath(path, root).replace(os.sep, "/") in scanned:
                continue  # its names are in the facts already
            found = read_regular_file(path, TEXT_FILE_LIMIT, follow_symlinks=False)
            if isinstance(found, str):
                continue  # unreadable, too large, or not a regular file
            data, status = found
            names.update(IDENTIFIER.findall(data.decode("utf-8", errors="replace")))
            files += 1
            total += status.st_size
            if files >= TEXT_FILES_LIMIT or total >= TEXT_TOTAL_LIMIT:
                return frozenset(names)
    return frozenset(names)


class UnusedDefinition(ProjectRule):
    """A function or class that nothing in the project uses.

    ## What it does
    Finds module-level functions and classes, and private or experiment-named methods, whose
    name appears nowhere else in the project: no call, import, attribute, `__all__` entry,
    string (`getattr(obj, "name")`, `f"build_{kind}"`), entry point, config or docs file
    mentions it. Test files, dunder methods, test and framework hooks (`pytest_*`, SageMaker's
    `model_fn`, Azure ML's `init`/`run`), decorated definitions (routes, CLI commands,
    fixtures, registries, abstract methods), overrides and methods other classes also define
    are never reported. Confidence is high for private names, medium for experiment-marked
    names (`_v2`, `old_`, `tmp`…) and for scripts and notebooks, low for public names in a
    package (a library's users may call them). Code vendored with its own license (a folder
    holding a LICENSE or COPYING file) is another project's API and is not checked.

    ## Why is this bad?
    Experimental functions left behind after the experiment still cost: they are read,
    searched, refactored and kept passing lint, and they mislead — someone will assume
    `train_v2` is the current training code.

    ## Example
    ```python
    def train(data):
        ...

    def train_v2_focal_loss(data):  # tried in March, never called since
        ...
    ```

    ## Use instead
    ```python
    def train(data, loss="cross_entropy"):  # the alternative kept as a real option, or deleted
        ...
    ```
    """

    code = "DS703"
    name = "unused-definition"
    family = FAMILY
    severity = Severity.INFO
    summary = "A function or class that nothing in the project refers to"
    fix = "Delete it (version control keeps it); if it is still needed, call it, export it in `__all__` or register it."
    collectors = (DeadCodeCollector,)
    VALID = (
        "import click\n\n@click.command()\ndef cli():\n    pass\n",
        "__all__ = ['helper']\n\ndef helper():\n    return 1\n",
        "def main():\n    print('hi')\n\nif __name__ == '__main__':\n    main()\n",
    )
    INVALID = (
        "def _old_preprocess(df):\n    return df.dropna()\n\ndef run(df):\n    return df\n\n"
        "if __name__ == '__main__':\n    run(None)\n",
        "def train_v2(data):\n    return data\n\nif __name__ == '__main__':\n    print('no call')\n",
    )

    def check(self, project) -> Iterable[Finding]:
        index = DeadCodeIndex.of(project.catalog)
        data = {path: facts.data.get(FAMILY) for path, facts in project.files.items()}
        data = {path: item for path, item in data.items() if item}
        used: set[str] = set()
        prefixes: set[str] = set()
        suffixes: set[str] = set()
        dynamic_targets: set[str] = set()
        methods_by_class: dict[str, int] = {}
        registering: set[str] = set(index.registering_bases)
        dynamic_any = False
        for item in data.values():
            used.update(item["names"])
            used.update(item["strings"])
            prefixes.update(item["prefixes"])
            suffixes.update(item["suffixes"])
            dynamic_targets.update(item["dynamic_targets"])
            dynamic_any = dynamic_any or item["dynamic_any"]
            for class_name, info in item["classes"].items():
                for method in set(info.get("methods", [])):
                    methods_by_class[method] = methods_by_class.get(method, 0) + 1
                if info.get("metaclass") or "__init_subclass__" in info.get("methods", []):
                    registering.add(class_name)
        if "text_references" not in project.memo:
            project.memo["text_references"] = text_references(project.options.get("root", ""), set(project.files))
        used |= project.memo["text_references"]
        packages = {path.rsplit("/", 1)[0] if "/" in path else "" for path, facts in project.files.items()
                    if facts.is_package}
        imported = {target for targets in project.import_edges().values() for target in targets}
        for path, item in data.items():
            facts = project.files[path]
            if TEST_PATH.search(path) or index.skipped_file(path) or item["dynamic_module"] or is_vendored(project, path):
                continue  # tests, generated or vendored code (a folder with its own license): not this project's API
            if facts.module in dynamic_targets:
                continue
            if not self._live(path, facts, imported):
                continue  # nobody runs or imports it: an API for code we cannot see, or a file of snippets
            directory = path.rsplit("/", 1)[0] if "/" in path else ""
            in_package = directory in packages and not path.endswith(".ipynb")
            for record in item["definitions"]:
                name = record["name"]
                if name in used or self._reachable(record, name, index, prefixes, suffixes):
                    continue
                if record["kind"] == "class" and self._registered_class(item["classes"].get(name, {}), registering):
                    continue
                if record["kind"] == "method" and not self._dead_method(record, item, methods_by_class, index):
                    continue
                confidence = self._confidence(name, record, in_package, dynamic_any, index)
                what = {"function": "Function", "class": "Class", "method": "Method"}[record["kind"]]
                shown = record["symbol"] if record["kind"] == "method" else name
                experimental = index.experimental(name)
                message = (f"{what} `{shown}` is never used: nothing in the project calls, imports, exports or "
                           f"names it (not even in a string or config file), so it is dead "
                           f"{'experimental ' if experimental else ''}code.")
                yield make_finding(type(self), path, record["span"], message, confidence=confidence,
                                   symbol=record["symbol"])

    @staticmethod
    def _live(path: str, facts, imported: set[str]) -> bool:
        """The module runs (a notebook, a `__main__` block, top-level code calling its own
        functions) or another module imports it: then what nothing uses in it is a leftover.
        Otherwise it is an API for code we cannot see, or a file of snippets."""
        if path.endswith(".ipynb") or path in imported or facts.data.get("engine", {}).get("main_guard"):
            return True
        module = facts.scopes.get(MODULE_SCOPE)
        defined = {scope.split(".")[0] for scope in facts.scopes}
        return module is not None and any(text.split(".")[0] in defined for _order, _callee, text in module.calls)

    @staticmethod
    def _reachable(record, name: str, index: DeadCodeIndex, prefixes, suffixes) -> bool:
        if exempt_definition(record, index):
            return True
        return any(name.startswith(prefix) for prefix in prefixes) or any(name.endswith(suffix) for suffix in suffixes)

    @staticmethod
    def _registered_class(info: dict, registering: set[str]) -> bool:
        if info.get("metaclass"):
            return True
        for base in info.get("bases", []):
            if base in registering or base.rsplit(".", 1)[-1] in registering:
                return True
        return False

    @staticmethod
    def _dead_method(record, item, methods_by_class, index: DeadCodeIndex) -> bool:
        """Methods are reported only when nothing can call them by name from outside the project:
        private or experiment-named, in a class without library bases, defined by no other class."""
        name, owner = record["name"], record["owner"]
        if owner in item["dynamic_classes"]:
            return False  # getattr(self, name): any method may be called by a computed name
        if not (name.startswith("_") or index.experimental(name)):
            return False
        info = item["classes"].get(owner, {})
        if info.get("bases") or info.get("metaclass"):
            return False  # it may override, or be called by, a base class
        return methods_by_class.get(name, 0) <= 1

    @staticmethod
    def _confidence(name: str, record, in_package: bool, dynamic_any: bool, index: DeadCodeIndex) -> Confidence:
        if dynamic_any:
            return Confidence.LOW  # some module is loaded by a computed name: anything may be looked up
        if name.startswith("_"):
            return Confidence.HIGH
        if index.experimental(name) or record["kind"] == "method" or not in_package:
            return Confidence.MEDIUM
        return Confidence.LOW


# -- DS704 ----------------------------------------------------------------------------------------

MIN_COMMENT_LINES = 3
# What a line of code has and a line of prose rarely does: an assignment, a call or subscript,
# a keyword that starts a statement, a trailing colon or comma.
CODE_HINT = re.compile(r"[=(\[]|[:,]\s*$|^\s*(import|from|return|def|class|if|elif|else|for|while|with|try|except|"
                       r"finally|raise|del|assert|pass|break|continue|yield|print)\b")
COMMENT_LINE = re.compile(r"^([ \t]*)#(.*)$")
NOT_CODE_COMMENT = re.compile(r"^\s*(!|-\*-|%%|In\s*\[|<codecell>|COMMAND -|MAGIC|debtscan:|noqa|type:|pylint:|"
                              r"fmt:|isort:|pragma|mypy:|pyright:|ruff:|flake8)", re.IGNORECASE)
CODE_STATEMENTS = (ast.Assign, ast.AugAssign, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                   ast.ClassDef, ast.For, ast.AsyncFor, ast.While, ast.If, ast.With, ast.AsyncWith, ast.Try,
                   ast.Return, ast.Raise, ast.Delete, ast.Global)


def _code_statements(tree: ast.Module) -> int | None:
    """How many statements look like code, or None when any looks like prose or an annotation."""
    count = 0
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(isinstance(target, ast.Starred) for target in statement.targets):
            return None  # `* lr = 0.01`: a Markdown bullet, which Python would not compile
        if isinstance(statement, ast.AnnAssign):
            if statement.value is None:
                return None  # `Note: text` and `name: str` read as prose or documentation
            count += 1
        elif isinstance(statement, ast.Expr):
            if not isinstance(statement.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)):
                return None  # a bare word, tuple or sentence fragment
            count += 1
        elif isinstance(statement, ast.Return) and statement.value is None:
            return None
        elif isinstance(statement, CODE_STATEMENTS):
            count += 1
        elif not isinstance(statement, (ast.Pass, ast.Break, ast.Continue)):
            return None
    return count


def _parses_as_code(lines: list[str]) -> bool:
    text = textwrap.dedent("\n".join(lines))
    if any(line.lstrip().startswith((">>>", "...", "```")) for line in text.split("\n")):
        return False  # a doctest-style example, or a code example in Markdown
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    count = _code_statements(tree)
    return bool(count)


def _comment_blocks(text: str, place) -> Iterator[list[tuple[int, int, str]]]:
    """Runs of consecutive whole-line comments within one notebook cell: lists of (line,
    column of the `#`, the line as code: the `#` and one space after it removed, keeping
    the indentation that the column of the `#` gives nested commented-out code)."""
    block: list[tuple[int, int, str]] = []
    block_cell = None
    for number, line in enumerate(text.split("\n"), start=1):
        match = COMMENT_LINE.match(line)
        entry = None
        if match is not None and not NOT_CODE_COMMENT.match(match.group(2)):
            indent, content = match.group(1).replace("\t", "    "), match.group(2)
            entry = (number, len(match.group(1)), indent + (content[1:] if content.startswith(" ") else content))
        cell = place(number)[0]
        if entry and block and block[-1][0] == number - 1 and cell == block_cell:
            block.append(entry)
            continue
        if block:
            yield block
        block = [entry] if entry else []
        block_cell = cell
    if block:
        yield block


# A comment block that opens with one of these shows code to a reader, it does not hide code:
# PEP 723 inline script metadata (`# /// script`), alternatives and usage offered to the reader.
DOCUMENTING_LEAD = re.compile(r"^\s*(?:///\s*\w|(?:alternative(?:ly)?|or you can|you can (?:also )?(?:use|run|call)|"
                              r"for example|example(?: usage)?|usage|e\.g\.)\b)", re.I)


def _documents_code(block: list[tuple[int, int, str]]) -> bool:
    return bool(block) and DOCUMENTING_LEAD.match(block[0][2]) is not None


def _code_run(block: list[tuple[int, int, str]]) -> list[tuple[int, int, str]] | None:
    """The block, or the longest part of it without up to two lines of prose at either end
    (`# old approach:`), when that parses as code."""
    block = _trim(block)
    if sum(1 for _line, _column, code in block if CODE_HINT.search(code)) < MIN_COMMENT_LINES:
        return None  # prose: not worth a parse
    size = len(block)
    spans = sorted(((start, end) for start in range(min(3, size)) for end in range(size, max(start, size - 3), -1)),
                   key=lambda span: (span[0] - span[1], span[0]))
    for start, end in spans:
        run = _trim(block[start:end])
        if sum(1 for _line, _column, code in run if _is_code_line(code)) >= MIN_COMMENT_LINES \
                and _parses_as_code([code for _line, _column, code in run]):
            return run
    return None


def _is_code_line(code: str) -> bool:
    """Not blank and not itself a comment (`## note` inside commented-out code)."""
    stripped = code.strip()
    return bool(stripped) and not stripped.startswith("#")


def _trim(run: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    start, end = 0, len(run)
    while start < end and not _is_code_line(run[start][2]):
        start += 1
    while end > start and not _is_code_line(run[end - 1][2]):
        end -= 1
    return run[start:end]


def _comment_lines(text: str, last: int) -> set[int] | None:
    """Lines up to `last` whose first token is a comment (so not inside a string)."""
    lines: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > last:
                break
            if token.type == tokenize.COMMENT and not token.line[: token.start[1]].strip():
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return lines


class CommentedCodeCollector(Collector):
    """Blocks of commented-out code, found in the file's text once the traversal is done."""

    key = COMMENTS
    triggers = (b"#",)

    def finish(self) -> None:
        source = self.ctx.source
        runs = []
        for block in _comment_blocks(source.text, source.place):
            if _documents_code(block):
                continue
            if len(block) >= MIN_COMMENT_LINES:
                run = _code_run(block)
                if run is not None:
                    runs.append(run)
        if runs:
            comments = _comment_lines(source.text, runs[-1][-1][0])
            runs = [run for run in runs if comments is not None and all(line in comments for line, _c, _t in run)]
        lines = source.text.split("\n")
        blocks = []
        for run in runs:
            first, column, _code = run[0]
            last = run[-1][0]
            cell, line = source.place(first)
            _end_cell, end_line = source.place(last)
            blocks.append({"line": line, "column": column, "end_line": end_line, "end_column": len(lines[last - 1]),
                           "cell": cell, "snippet": lines[first - 1], "lines": last - first + 1,
                           **source.file_line_field(first)})
        self.ctx.facts.data[COMMENTS] = blocks


class CommentedOutCode(ProjectRule):
    """A block of commented-out code.

    ## What it does
    Finds runs of at least three consecutive comment lines that, without their `#`, parse as
    Python statements — assignments, calls, imports, definitions, control flow. Prose,
    license headers, doctest examples (`>>>`), type notes such as `# name: str`, tool
    directives (`# noqa`, `# type:`) and notebook cell markers (`# %%`) are not code. A line
    or two of prose around the code (`# old approach:`) does not hide it.
    A block that opens with PEP 723 script metadata (`# /// script`) or offers code to
    the reader (`# Alternatively, …`, `# Example:`, `# Usage:`) is documentation, and code
    vendored with its own license (a folder holding a LICENSE or COPYING file) is another
    project's.

    ## Why is this bad?
    Commented-out code is a dead experimental path with no flag at all: it drifts out of date
    with every change around it, nobody can tell whether it still works or why it was kept,
    and version control already remembers it.

    ## Example
    ```python
    model = GradientBoostingClassifier()
    # model = RandomForestClassifier(n_estimators=500)
    # model.set_params(max_depth=12)
    # model = CalibratedClassifierCV(model)
    ```

    ## Use instead
    ```python
    model = build_model(config.model)  # alternatives are config options, not comments
    ```
    """

    code = "DS704"
    name = "commented-out-code"
    family = FAMILY
    severity = Severity.INFO
    summary = "A block of commented-out code"
    fix = "Delete it; version control keeps the history. Keep an alternative as a config option instead."
    collectors = (CommentedCodeCollector,)
    triggers = CommentedCodeCollector.triggers
    VALID = (
        "# Copyright 2024 Acme Corp.\n# Licensed under the Apache License, Version 2.0\n"
        "# See LICENSE for details.\nx = 1\n",
        "def f(x):\n    # Example:\n    # >>> f(2)\n    # 4\n    return x * 2\n",
        "# Compute the loss for each batch, then average\n# it over the epoch so that the scale does not\n"
        "# depend on the number of batches.\nloss = 0\n",
    )
    INVALID = (
        "model = train()\n# model = RandomForestClassifier(n_estimators=500)\n# model.fit(X, y)\n"
        "# print(model.score(X, y))\n",
    )

    def check(self, project) -> Iterable[Finding]:
        for path, facts in project.files.items():
            if is_vendored(project, path):
                continue  # another project's code, copied in with its license: its comments are its own
            for block in facts.data.get(COMMENTS, ()):
                count = block["lines"]
                message = (f"{count} lines of commented-out code: dead code that drifts out of date and hides "
                           f"what actually runs.")
                yield make_finding(type(self), path, block, message)


RULES = (ConstantCondition, UnreachableCode, UnusedDefinition, CommentedOutCode)
