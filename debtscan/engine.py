"""One file, start to finish: decode, parse once, one batched traversal, findings and facts.

The traversal runs the engine's own `ScopeTracker` first (name resolution, enclosing symbol,
call order, per-scope call facts) and then every enabled file rule and fact collector, all in
libcst's `visit_batched`. Positions are resolved only for the nodes someone asked about, and
only when there are any, since position metadata costs about one more pass.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

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
from debtscan.names import Scopes, imported_module_names
from debtscan.rule import Collector, FileRule, ProjectRule, Rule
from debtscan.source import Source, load_source
from debtscan.suppress import parse_directives


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
        self.order = 0
        self.in_main_guard = False
        self.facts = FileFacts(path=source.path, module=module, is_package=is_package)
        self._pending: list[tuple] = []
        self._spans: list[tuple[cst.CSTNode, dict]] = []

    # -- what rules ask -----------------------------------------------------------------
    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.scopes.qualify(node)

    @property
    def symbol(self) -> str:
        return ".".join(name for _, name in self.symbols)

    @property
    def scope(self) -> str:
        """The function whose body is running (classes run at import, so they count as module)."""
        for index in range(len(self.symbols) - 1, -1, -1):
            if self.symbols[index][0] == "function":
                return ".".join(name for _, name in self.symbols[: index + 1])
        return MODULE_SCOPE

    def span(self, node: cst.CSTNode) -> dict:
        """A location dict for `node`, filled in after the traversal (plain data for facts)."""
        span: dict = {"line": 0, "column": 0, "end_line": 0, "end_column": 0, "cell": None, "snippet": ""}
        self._spans.append((node, span))
        return span

    def report(self, rule: type[Rule] | Rule, node: cst.CSTNode, message: str, *, fix: str | None = None,
               severity: Severity | None = None, confidence: Confidence | None = None,
               redact: tuple[str, ...] = ()) -> None:
        """Record a finding; `redact` lists secrets to mask in the quoted code line."""
        rule_class = rule if isinstance(rule, type) else type(rule)
        self._pending.append((rule_class, node, message, fix, severity, confidence, self.symbol, redact))

    # -- after the traversal ------------------------------------------------------------
    def resolve_spans(self, wrapper: MetadataWrapper | None) -> dict[cst.CSTNode, dict]:
        nodes = [node for node, _ in self._spans] + [item[1] for item in self._pending]
        if not nodes or wrapper is None:
            return {}
        positions = wrapper.resolve(PositionProvider)
        lines = self.source.text.split("\n")
        resolved: dict[cst.CSTNode, dict] = {}
        for node in nodes:
            if node in resolved:
                continue
            code_range = positions.get(node)
            if code_range is None:
                continue
            start, end = code_range.start, code_range.end
            cell, line = self.source.place(start.line)
            end_cell, end_line = self.source.place(end.line)
            snippet = lines[start.line - 1] if 0 < start.line <= len(lines) else ""
            resolved[node] = {
                "line": line,
                "column": start.column,
                "end_line": end_line if end_cell == cell else line,
                "end_column": end.column,
                "cell": cell,
                "snippet": snippet,
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


def make_finding(rule: type[Rule], path: str, span: dict, message: str, *, fix: str | None = None,
                 severity: Severity | None = None, confidence: Confidence | None = None, symbol: str = "",
                 related: Sequence[Location] = ()) -> Finding:
    location = Location(path=path, line=span.get("line", 1), column=span.get("column", 0),
                        end_line=span.get("end_line", 0) or span.get("line", 1), end_column=span.get("end_column", 0),
                        cell=span.get("cell"))
    return Finding(rule=rule.code, name=rule.name, family=rule.family, severity=severity or rule.severity,
                   confidence=confidence or rule.confidence, location=location, message=message,
                   fix=fix if fix is not None else rule.fix, symbol=symbol, snippet=span.get("snippet", ""),
                   related=tuple(related))


class ScopeTracker(cst.BatchableCSTVisitor):
    """Keeps names, enclosing symbols and call order current for everyone else in the batch."""

    def __init__(self, ctx: FileContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.scope_facts: dict[str, ScopeFacts] = {MODULE_SCOPE: ScopeFacts(MODULE_SCOPE, entry=True)}

    # scopes -----------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.symbols.append(("class", node.name.value))
        self.ctx.scopes.push("class")

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.ctx.scopes.pop()
        self.ctx.symbols.pop()
        if len(self.ctx.symbols) == 0 or self.ctx.symbols[-1][0] == "class":
            return
        self.ctx.scopes.bind(node.name.value, "")

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.ctx.symbols.append(("function", node.name.value))
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
        self.ctx.symbols.pop()
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
        self.ctx.order += 1
        facts = self.scope_facts.setdefault(self.ctx.scope, ScopeFacts(self.ctx.scope))
        callee = self.ctx.qualify(node.func) or ""
        from debtscan.names import dotted

        facts.calls.append((self.ctx.order, callee, dotted(node.func) or ""))


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


def relevant(rule: type[Rule] | type[Collector], data: bytes) -> bool:
    """Cheap byte-level prefilter: a rule with triggers only runs where one of them occurs."""
    return not rule.triggers or any(trigger in data for trigger in rule.triggers)


def analyze_source(data: bytes, path: str, module: str, is_package: bool, setup: ScanSetup) -> FileResult:
    """Analyse one file's bytes. Never raises: problems become part of the result."""
    result = FileResult(path=path)
    loaded = load_source(data, path)
    if isinstance(loaded, FileProblem):
        result.problems.append(loaded)
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
        return result
    source = loaded
    result.directives = parse_directives(source)
    result.problems.extend(source.problems)
    try:
        tree = cst.parse_module(source.text)
    except cst.ParserSyntaxError as error:
        cell, line = source.place(error.raw_line)
        result.problems.append(FileProblem(path, "syntax", _syntax_message(error, source), line=line,
                                           column=max(error.raw_column, 0), cell=cell))
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
        return result
    except RecursionError:
        result.problems.append(FileProblem(path, "syntax", "nesting too deep to parse"))
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
        return result
    ctx = FileContext(source, module, is_package, setup)
    try:
        ctx.scopes.prescan(tree)
        tracker = ScopeTracker(ctx)
        visitors: list[cst.BatchableCSTVisitor] = [tracker]
        visitors += [rule(ctx) for rule in setup.file_rules if relevant(rule, data)]  # rules and scanners
        collectors = [collector(ctx) for collector in setup.collectors if relevant(collector, data)]
        visitors += collectors
        cst.visit_batched(tree, visitors)
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True) if (ctx._spans or ctx._pending) else None
        resolved = ctx.resolve_spans(wrapper)
        for collector in collectors:
            collector.finish()
        result.findings = ctx.findings(resolved)
        ctx.facts.imports = {name: target for name, target in ctx.scopes.stack[0][1].items() if target}
        ctx.facts.scopes = tracker.scope_facts
        result.facts = ctx.facts
    except RecursionError:
        result.problems.append(FileProblem(path, "syntax", "nesting too deep to analyse"))
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
    except Exception:  # a bug in a rule must not stop the scan; it is reported with its path
        result.internal_error = traceback.format_exc(limit=-3).strip().splitlines()[-1]
        result.facts = FileFacts(path=path, module=module, is_package=is_package)
    return result


def _syntax_message(error: cst.ParserSyntaxError, source: Source) -> str:
    lines = source.text.split("\n")
    line = lines[error.raw_line - 1] if 0 < error.raw_line <= len(lines) else ""
    hint = ""
    stripped = line.strip()
    if stripped.startswith("print ") or stripped.startswith("exec ") or " except " in f" {stripped}" and "," in stripped:
        hint = " (this looks like Python 2 code)"
    message = error.message.splitlines()[0] if error.message else "invalid syntax"
    return f"not valid Python 3 syntax: {message}{hint}"


__all__ = ["ScanSetup", "FileContext", "analyze_source", "make_finding", "ProjectRule"]
