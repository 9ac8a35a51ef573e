"""One file, start to finish: decode, parse once, one batched traversal, findings and facts.

The traversal runs the engine's own `ScopeTracker` first (name resolution, enclosing symbol,
call order, per-scope call facts) and then every enabled file rule and fact collector, all in
one batched walk (`debtscan.traversal`: libcst's visitor semantics without its per-node
copying). Positions are resolved only for the nodes someone asked about, and only when there
are any (`debtscan.positions`: libcst's positions without its per-token bookkeeping).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Sequence

import libcst as cst

from debtscan import profiling
from debtscan.model import (
    MODULE_SCOPE,
    Confidence,
    FileFacts,
    FileProblem,
    FileResult,
    Finding,
    Location,
    ScopeFacts,
    Severity,
)
from debtscan.names import Scopes, dotted, imported_module_names
from debtscan.parser import parse_module
from debtscan.positions import Statement, node_positions, statements_of
from debtscan.rule import Collector, FileRule, ProjectRule, Rule
from debtscan.source import Source, load_source, syntax_problem
from debtscan.suppress import parse_directives
from debtscan.traversal import visit_batched


@dataclass
class ScanSetup:
    """What every worker needs to analyse a file: picklable, shared by all files of a run."""

    file_rules: tuple[type[FileRule], ...]
    collectors: tuple[type[Collector], ...]
    catalog: Any
    options: dict[str, Any] = field(default_factory=dict)


class FileContext:
    """The state of one file's analysis, shared by the tracker, the rules and the collectors."""

    def __init__(self, source: Source, module: str, is_package: bool, setup: ScanSetup) -> None:
        self.source = source
        self.path = source.path
        self.module = module
        self.is_package = is_package
        self.catalog = setup.catalog
        self.options = setup.options
        self.scopes = Scopes(module, is_package)
        self.symbols: list[tuple[str, str]] = []  # (kind, name) of enclosing classes/functions
        self._names: list[tuple[str, str]] = []  # (symbol, scope) at each depth of `symbols`
        self.order = 0
        self.in_main_guard = False
        self.facts = FileFacts(path=source.path, module=module, is_package=is_package)
        self._pending: list[tuple] = []
        self._spans: list[tuple[cst.CSTNode, dict]] = []
        self.statement: Statement | None = None  # the statement being walked (`StatementMarker`)
        self._hints: dict[int, Statement] = {}  # id(node asked about) -> the statement it was met in

    # -- what rules ask -----------------------------------------------------------------
    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.scopes.qualify(node)

    @property
    def symbol(self) -> str:
        """The dotted name of the enclosing classes and functions ("" at module level)."""
        return self._names[-1][0] if self._names else ""

    @property
    def scope(self) -> str:
        """The function whose body is running (classes run at import, so they count as module)."""
        return self._names[-1][1] if self._names else MODULE_SCOPE

    def enter_symbol(self, kind: str, name: str) -> None:
        """Step into a class or function; `symbol` and `scope` are computed once here, since
        rules ask for them at almost every node."""
        outer_symbol, outer_scope = self._names[-1] if self._names else ("", MODULE_SCOPE)
        symbol = f"{outer_symbol}.{name}" if outer_symbol else name
        self.symbols.append((kind, name))
        self._names.append((symbol, symbol if kind == "function" else outer_scope))

    def leave_symbol(self) -> None:
        self.symbols.pop()
        self._names.pop()

    def span(self, node: cst.CSTNode) -> dict:
        """A location dict for `node`, filled in after the traversal (plain data for facts)."""
        span: dict = {"line": 0, "column": 0, "end_line": 0, "end_column": 0, "cell": None, "snippet": ""}
        self._spans.append((node, span))
        self.note(node)
        return span

    def note(self, node: cst.CSTNode) -> None:
        """Remember which statement `node` was met in, for a rule that reports it later (a node
        is placed fastest by generating the statement it is in)."""
        if self.statement is not None and id(node) not in self._hints:
            self._hints[id(node)] = self.statement

    def report(self, rule: type[Rule] | Rule, node: cst.CSTNode, message: str, *, fix: str | None = None,
               severity: Severity | None = None, confidence: Confidence | None = None,
               redact: tuple[str, ...] = (), symbol: str | None = None) -> None:
        """Record a finding; `redact` lists secrets to mask in the quoted code line; `symbol` names
        the enclosing function when the report is made after the traversal has left it."""
        rule_class = rule if isinstance(rule, type) else type(rule)
        self.note(node)
        self._pending.append((rule_class, node, message, fix, severity, confidence,
                              self.symbol if symbol is None else symbol, redact))

    # -- after the traversal ------------------------------------------------------------
    def resolve_spans(self, module: cst.Module) -> dict[cst.CSTNode, dict]:
        nodes = [node for node, _ in self._spans] + [item[1] for item in self._pending]
        if not nodes:
            return {}
        positions = node_positions(module, nodes, self.source.text, self._hints)
        lines = self.source.text.split("\n")
        resolved: dict[cst.CSTNode, dict] = {}
        for node in nodes:
            if node in resolved:
                continue
            code_range = positions.get(id(node))
            if code_range is None:
                continue
            start_line, start_column, end_line_raw, end_column = code_range
            cell, line = self.source.place(start_line)
            end_cell, end_line = self.source.place(end_line_raw)
            snippet = self.source.line_as_written(start_line, lines)
            resolved[node] = {
                "line": line,
                "column": start_column,
                "end_line": end_line if end_cell == cell else line,
                "end_column": end_column,
                "cell": cell,
                "snippet": snippet,
                **self.source.file_line_field(start_line),
            }
        for node, span in self._spans:
            span.update(resolved.get(node, {}))
        return resolved

    def findings(self, resolved: dict[cst.CSTNode, dict]) -> list[Finding]:
        out = []
        for rule, node, message, fix, severity, confidence, symbol, secrets in self._pending:
            span = resolved.get(node, {"line": 1, "column": 0, "end_line": 1, "end_column": 0, "cell": None, "snippet": ""})
            if secrets:
                span = dict(span)
                for secret in secrets:
                    span["snippet"] = span["snippet"].replace(secret, "***")
            out.append(make_finding(rule, self.path, span, message, fix=fix, severity=severity,
                                    confidence=confidence, symbol=symbol))
        return out


def span_location(path: str, span: dict) -> Location:
    """The Location of a span dict (the plain form spans take in facts and caches)."""
    return Location(path=path, line=span.get("line", 1), column=span.get("column", 0),
                    end_line=span.get("end_line", 0) or span.get("line", 1), end_column=span.get("end_column", 0),
                    cell=span.get("cell"), file_line=span.get("file_line", 0))


def make_finding(rule: type[Rule], path: str, span: dict, message: str, *, fix: str | None = None,
                 severity: Severity | None = None, confidence: Confidence | None = None, symbol: str = "",
                 related: Sequence[Location] = ()) -> Finding:
    location = span_location(path, span)
    return Finding(rule=rule.code, name=rule.name, family=rule.family, severity=severity or rule.severity,
                   confidence=confidence or rule.confidence, location=location, message=message,
                   fix=fix if fix is not None else rule.fix, symbol=symbol, snippet=span.get("snippet", ""),
                   related=tuple(related))


class StatementMarker(cst.BatchableCSTVisitor):
    """Tells the context which statement the walk is in, so that a node asked about is placed
    by generating that statement's code instead of the module's up to it. It enters statements
    before every other visitor and, through `closer`, leaves them after every other one."""

    def __init__(self, ctx: FileContext, module: cst.Module) -> None:
        super().__init__()
        self.ctx = ctx
        self.statements = statements_of(module)
        self.open: list[Statement] = []
        self.closer = _StatementCloser(self)

    def _enter(self, node: cst.CSTNode) -> None:
        statement = self.statements.get(id(node))
        if statement is not None:
            self.open.append(statement)
            self.ctx.statement = statement


class _StatementCloser(cst.BatchableCSTVisitor):
    """The leaving half of `StatementMarker`, run last. It holds the marker's state, not the
    marker: a reference back would make a cycle, and a syntax tree held by a cycle outlives its
    file until the cyclic collector walks all of it."""

    def __init__(self, marker: StatementMarker) -> None:
        super().__init__()
        self.open = marker.open
        self.ctx = marker.ctx

    def _leave(self, node: cst.CSTNode) -> None:
        open_statements = self.open
        if open_statements and open_statements[-1].node is node:
            open_statements.pop()
            self.ctx.statement = open_statements[-1] if open_statements else None


# Every kind of statement a block holds on lines of its own.
for _kind in ("SimpleStatementLine", "FunctionDef", "ClassDef", "If", "For", "While", "Try", "TryStar", "With",
              "Match"):
    setattr(StatementMarker, f"visit_{_kind}", StatementMarker._enter)
    setattr(_StatementCloser, f"leave_{_kind}", _StatementCloser._leave)


class ScopeTracker(cst.BatchableCSTVisitor):
    """Keeps names, enclosing symbols and call order current for everyone else in the batch."""

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.scope_facts: dict[str, ScopeFacts] = {MODULE_SCOPE: ScopeFacts(MODULE_SCOPE, entry=True)}

    # scopes -----------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.enter_symbol("class", node.name.value)
        self.ctx.scopes.push("class")

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.scopes.pop()
        self.ctx.leave_symbol()
        if len(self.ctx.symbols) == 0 or self.ctx.symbols[-1][0] == "class":
            return
        self.ctx.scopes.bind(node.name.value, "")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.enter_symbol("function", node.name.value)
        name = self.ctx.scope
        if name not in self.scope_facts:
            self.scope_facts[name] = ScopeFacts(name)

    def visit_FunctionDef_params(self, node: cst.FunctionDef) -> None:
        outer = self.ctx.symbols[-2] if len(self.ctx.symbols) >= 2 else None
        self_target = None
        if outer is not None and outer[0] == "class" and not _is_staticmethod(node):
            class_path = ".".join(name for _, name in self.ctx.symbols[:-1])
            prefix = f"{self.ctx.module}." if self.ctx.module else ""
            self_target = f"{prefix}{class_path}()" if not _is_classmethod(node) else f"{prefix}{class_path}"
        self.ctx.scopes.push("function")
        self.ctx.scopes.bind_parameters(node.params, self_target)

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.scopes.pop()
        self.ctx.leave_symbol()
        if self.ctx.symbols and self.ctx.symbols[-1][0] == "function":
            self.ctx.scopes.bind(node.name.value, "")

    def visit_Lambda_params(self, node: cst.Lambda) -> None:
        self.ctx.scopes.push("function")
        self.ctx.scopes.bind_parameters(node.params, None)

    def leave_Lambda(self, node: cst.Lambda) -> None:
        self.ctx.scopes.pop()

    def visit_ListComp(self, node) -> None:
        self.ctx.scopes.push("comprehension")

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def leave_ListComp(self, node) -> None:
        self.ctx.scopes.pop()

    leave_SetComp = leave_GeneratorExp = leave_DictComp = leave_ListComp

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.ctx.scopes.bind_target(node.target, None)

    # bindings -------------------------------------------------------------------------
    def _at_module_level(self) -> bool:
        return len(self.ctx.scopes.stack) == 1

    def visit_Import(self, node: cst.Import) -> None:
        self._record_import(node)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._record_import(node)

    def _record_import(self, node) -> None:
        facts = self.ctx.facts
        for name in imported_module_names(node, self.ctx.module, self.ctx.is_package):
            if name and name not in facts.imported_modules:
                facts.imported_modules.append(name)
        if not self._at_module_level():
            self.ctx.scopes.bind_import(node)

    def leave_Assign(self, node: cst.Assign) -> None:
        if self._at_module_level():
            return  # the pre-scan bound module-level names already
        for target in node.targets:
            self.ctx.scopes.bind_target(target.target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self._at_module_level():
            self.ctx.scopes.bind_target(node.target, node.value)

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if not self._at_module_level():
            self.ctx.scopes.bind_target(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        if not self._at_module_level():
            self.ctx.scopes.bind_target(node.target, None)

    def leave_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None and not self._at_module_level():
            self.ctx.scopes.bind_target(node.asname.name, node.item)

    def leave_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name) and not self._at_module_level():
            self.ctx.scopes.bind(node.name.name.value, "")

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        if not self._at_module_level():
            self.ctx.scopes.bind_target(node.target, node.value)

    # the main guard and calls -----------------------------------------------------------
    def visit_If(self, node: cst.If) -> None:
        if self._at_module_level() and not self.ctx.symbols and _is_main_guard(node.test):
            self.ctx.in_main_guard = True
            self.ctx.facts.data.setdefault("engine", {})["main_guard"] = True

    def leave_If(self, node: cst.If) -> None:
        if self._at_module_level() and not self.ctx.symbols and _is_main_guard(node.test):
            self.ctx.in_main_guard = False

    def visit_Call(self, node: cst.Call) -> None:
        ctx = self.ctx
        ctx.order += 1
        scope = ctx.scope
        facts = self.scope_facts.get(scope)
        if facts is None:
            facts = self.scope_facts[scope] = ScopeFacts(scope)
        facts.calls.append((ctx.order, ctx.scopes.qualify(node.func) or "", dotted(node.func) or ""))


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    names = {getattr(left, "value", None), getattr(right, "value", None)}
    return "__name__" in names and any(
        isinstance(side, cst.SimpleString) and side.evaluated_value == "__main__" for side in (left, right))


def _decorator_names(node: cst.FunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if isinstance(expression, cst.Name):
            names.add(expression.value)
        elif isinstance(expression, cst.Attribute):
            names.add(expression.attr.value)
    return names


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return "staticmethod" in _decorator_names(node)


def _is_classmethod(node: cst.FunctionDef) -> bool:
    return "classmethod" in _decorator_names(node)


def relevant(rule: type[Rule] | type[Collector], data: bytes, catalog: dict) -> bool:
    """Cheap byte-level prefilter: a rule with triggers only runs where one of them occurs, and
    one of what it `requires` from the catalog, if anything."""
    if rule.triggers and not any(trigger in data for trigger in rule.triggers):
        return False
    required = rule.requires(catalog)
    return not required or any(word in data for word in required)


def analyze_source(data: bytes, path: str, module: str, is_package: bool, setup: ScanSetup) -> FileResult:
    """Analyse one file's bytes. Never raises: problems become part of the result; a file that
    needs more memory than there is is one of them (too large), not an internal error."""
    try:
        return _analyze(data, path, module, is_package, setup)
    except MemoryError:
        return FileResult(path=path, problems=[FileProblem(path, "size", "too large to analyse: the memory ran out")],
                          facts=FileFacts(path=path, module=module, is_package=is_package))


def _analyze(data: bytes, path: str, module: str, is_package: bool, setup: ScanSetup) -> FileResult:
    result = FileResult(path=path)
    mark = profiling.marker()
    loaded = load_source(data, path)
    mark("decode")
    if isinstance(loaded, FileProblem):
        result.problems.append(loaded)
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
        return result
    tree, source, problem = _parse(loaded)
    mark("parse")
    result.directives = parse_directives(source)
    result.problems.extend(source.problems)
    mark("suppressions")
    if tree is None:
        result.problems.append(problem)
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
        return result
    if source.is_notebook:  # triggers are code, and a notebook's bytes are JSON with its code escaped
        data = source.text.encode("utf-8", "surrogatepass")
    ctx = FileContext(source, module, is_package, setup)
    try:
        ctx.scopes.prescan(tree)
        mark("names")
        tracker = ScopeTracker(ctx)
        marker = StatementMarker(ctx, tree)
        visitors: list[cst.BatchableCSTVisitor] = [marker, tracker]
        visitors += [rule(ctx) for rule in setup.file_rules if relevant(rule, data, setup.catalog)]  # rules and scanners
        collectors = [collector(ctx) for collector in setup.collectors if relevant(collector, data, setup.catalog)]
        visitors += collectors
        visit_batched(tree, [*visitors, marker.closer])
        mark("traversal")
        resolved = ctx.resolve_spans(tree)
        mark("positions")
        for collector in collectors:
            collector.finish()
        result.findings = ctx.findings(resolved)
        ctx.facts.imports = {name: target for name, target in ctx.scopes.stack[0][1].items() if target}
        ctx.facts.scopes = tracker.scope_facts
        result.facts = ctx.facts
        mark("facts")
    except MemoryError:
        raise
    except Exception as error:  # a bug in a rule must not stop the scan; it is reported with its path
        if _from_recursion(error):  # also a RecursionError that surfaced as another error on its way out
            result.problems.append(FileProblem(path, "syntax", "nested too deeply to analyse"))
        else:
            result.internal_error = traceback.format_exc(limit=-3).strip().splitlines()[-1]
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
    return result


def _parse(source: Source) -> tuple[cst.Module | None, Source, FileProblem | None]:
    """libcst's tree of code CPython accepted; a notebook cell libcst rejects is dropped, not the notebook."""
    if not source.is_notebook:  # notebook cells were checked one by one while decoding
        problem = syntax_problem(source.text, source.path)
        if problem is not None:
            return None, source, problem
    try:
        try:
            return parse_module(source.text), source, None
        except cst.ParserSyntaxError as error:
            if not source.is_notebook:
                return None, source, _libcst_problem(error, source)
        # libcst may place its error past the cell at fault, so each cell is asked on its own
        for cell, code in list(source.cells):
            try:
                parse_module(code)
            except cst.ParserSyntaxError as error:
                source = source.without_cell(cell, _libcst_problem(error, source, cell, code))
        try:
            return parse_module(source.text), source, None
        except cst.ParserSyntaxError as error:
            return None, source, _libcst_problem(error, source)
    except RecursionError:
        return None, source, FileProblem(source.path, "syntax", "nested too deeply to parse")


def _libcst_problem(error: cst.ParserSyntaxError, source: Source, cell: int | None = None,
                    code: str | None = None) -> FileProblem:
    if code is None:
        cell, line = source.place(error.raw_line)
    else:  # a line inside the cell, even when libcst points past its end
        line = min(max(error.raw_line, 1), code.count("\n") + 1)
    return FileProblem(source.path, "syntax", _syntax_message(error, cell), line=line,
                       column=max(error.raw_column, 0), cell=cell,
                       file_line=source.cell_file_line(cell, line))


def _from_recursion(error: BaseException | None) -> bool:
    """Whether `error` is a RecursionError or was raised while handling one: on a deep enough
    tree libcst's position provider turns the recursion into a KeyError."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, RecursionError):
            return True
        error, seen = error.__context__, seen + 1
    return False


def _syntax_message(error: cst.ParserSyntaxError, cell: int | None = None) -> str:
    """What libcst refusing code says: only code the running Python accepted reaches it
    (`syntax_problem` decided that first), so the code is valid and the parser is at its limits
    (100,000 adjacent string literals, which it nests one in another)."""
    reason = error.message.splitlines()[0] if error.message else "no reason given"
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    subject = f"cell {cell} is" if cell is not None else "this code is"
    return f"{subject} beyond the parser's limits, though valid Python {version} (libcst: {reason})"


__all__ = ["ScanSetup", "FileContext", "analyze_source", "make_finding", "ProjectRule"]
