"""Which code trains, which serves: roles of files and functions, with the evidence for each.

Training-serving skew is only skew when one copy runs at training time and the other at
serving time, so every rule that compares the two sides first asks here. A role comes from
evidence a reader can check, strongest first:

1. `[tool.debtscan.roles]` globs (`serving = ["service/**"]`) decide a file's role outright;
2. test files (by file or folder name) are tests, whatever else they do;
3. code: web routes and handlers (Flask, FastAPI, Django views, BentoML, Ray Serve, KServe,
   Seldon, gRPC servicers, Lambda) and server launches mark serving; `model.fit(X, y)`, training
   loops (`optimizer.step()`, `loss.backward()`), trainers and model saving mark training; metric
   calls without training mark evaluation. Serving evidence wins inside one function, so a
   handler that fits a scaler stays a handler;
4. calls: a function without evidence of its own takes the roles of the project functions that
   call it, so a helper called from both a training script and a handler is shared;
5. the file: the roles found anywhere in it, else its file and folder names (`train*`,
   `serve*`, `app`, `api`, `inference`, `predict`), else the roles of the modules importing it.

`roles_of(project)` gives each file's `Role`; `scope_role(project, path, scope)` a function's.
"""

from __future__ import annotations

import fnmatch
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
import pathspec

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.model import MODULE_SCOPE
from debtscan.names import dotted
from debtscan.rule import Collector
from ._calls import argument, keyword, positional

KEY = "roles"
TRAINING, SERVING, EVALUATION, SHARED, TEST, UNKNOWN = "training", "serving", "evaluation", "shared", "test", "unknown"
TEST_FILE = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*$|_test\.py$|(^|/)conftest\.py$")


LICENSE_NAMES = ("LICENSE", "LICENCE", "COPYING")


def vendored_folders(project) -> set[str]:
    """Folders below the project's root that carry a license file of their own: code copied in
    from another project (`cirtorch/` with its LICENSE), whose dead code is that project's."""
    if "vendored_folders" not in project.memo:
        folders = {path.rsplit("/", 1)[0] for path in project.files if "/" in path}
        candidates = {"/".join(folder.split("/")[:depth]) for folder in folders
                      for depth in range(1, folder.count("/") + 2)}
        root = project.root
        found = set()
        for folder in sorted(candidates):
            try:
                names = {entry.name.split(".")[0].upper() for entry in (root / folder).iterdir()} if root else set()
            except OSError:
                continue
            if names & set(LICENSE_NAMES):
                found.add(folder)
        project.memo["vendored_folders"] = found
    return project.memo["vendored_folders"]


def is_vendored(project, path: str) -> bool:
    folders = vendored_folders(project)
    parts = path.split("/")[:-1]
    return any("/".join(parts[:depth]) in folders for depth in range(1, len(parts) + 1))


def is_test_file(path: str) -> bool:
    """A file of a test suite by its path alone (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`):
    what it draws, hard-codes or fits decides no result of the project."""
    return TEST_FILE.search(path) is not None
OFFLINE = frozenset({TRAINING, EVALUATION})
# A file matched by several configured globs takes the first of these.
CONFIG_ORDER = (TEST, SHARED, SERVING, TRAINING, EVALUATION)
# How evidence was found: from code or config it is firm; from names or importers a guess.
CODE, CONFIG, NAME, IMPORTERS, CALLERS, APP = "code", "config", "name", "importers", "callers", "app"
FIRM = frozenset({CODE, CONFIG, CALLERS, APP})


@dataclass(frozen=True)
class Evidence:
    """One reason for a role: `reason` completes "<path>:<line> is <role> because it …"."""

    role: str
    reason: str
    path: str
    line: int
    kind: str = CODE


@dataclass(frozen=True)
class Role:
    """The role of a file or function: `name` is one of training, serving, evaluation, shared,
    test or unknown; `sides` the sides it runs on (training, evaluation, serving)."""

    name: str
    sides: frozenset[str]
    evidence: tuple[Evidence, ...] = ()

    @property
    def offline(self) -> bool:
        return self.name in OFFLINE

    @property
    def serving(self) -> bool:
        return self.name == SERVING

    @property
    def firm(self) -> bool:
        """Whether the role rests on code or configuration rather than on names alone."""
        return any(item.kind in FIRM for item in self.evidence)

    def explain(self) -> str:
        """`serving (predict is a Flask route, app.py:12)`: the role and its first reason."""
        if not self.evidence:
            return self.name
        first = self.evidence[0]
        return f"{self.name} ({first.reason}, {first.path}:{first.line})" if first.line else f"{self.name} ({first.reason})"


def role_from_sides(sides: frozenset[str], evidence: tuple[Evidence, ...] = ()) -> Role:
    if SERVING in sides and sides & OFFLINE:
        return Role(SHARED, sides, evidence)
    for name in (SERVING, TRAINING, EVALUATION):
        if name in sides:
            return Role(name, sides, evidence)
    return Role(UNKNOWN, sides, evidence)


# -- the catalog ------------------------------------------------------------------------------------

class RoleIndex(CatalogIndex):
    """The role knowledge of the catalog."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        roles = catalog.get("roles", {})
        self.route_receivers = tuple(roles.get("route_receivers", []))
        self.route_methods = set(roles.get("route_methods", []))
        self.route_receiver_names = set(roles.get("route_receiver_names", []))
        self.web_modules = tuple(roles.get("web_modules", []))
        self.serving_decorators = set(roles.get("serving_decorators", []))
        self.serving_bases = set(roles.get("serving_bases", []))
        self.serving_base_suffixes = tuple(roles.get("serving_base_suffixes", []))
        self.serving_runs = set(roles.get("serving_runs", []))
        self.app_modules = tuple(roles.get("app_modules", []))
        self.django_modules = tuple(roles.get("django_modules", []))
        self.handler_references = index_by_name(catalog.get("role_handler_references", []))
        self.signatures = {name: entry for entry in catalog.get("role_handler_signatures", [])
                           for name in entry.get("names", [])}
        training = roles.get("training", {})
        self.fit_methods = set(training.get("fit_methods", []))
        self.fit_keywords = set(training.get("fit_keywords", []))
        self.model_words = tuple(training.get("model_words", []))
        self.training_calls = set(training.get("training_calls", []))
        self.trainer_receivers = set(training.get("trainer_receivers", []))
        self.trainer_methods = set(training.get("trainer_methods", []))
        self.optimizer_words = tuple(training.get("optimizer_words", []))
        self.optimizer_prefixes = tuple(training.get("optimizer_prefixes", []))
        self.backward_methods = set(training.get("backward_methods", []))
        self.save_calls = set(training.get("save_calls", []))
        self.save_methods = set(training.get("save_methods", []))
        self.predict_methods = set(roles.get("inference", {}).get("predict_methods", []))
        evaluation = roles.get("evaluation", {})
        self.metric_prefixes = tuple(evaluation.get("metric_prefixes", []))
        self.metric_methods = set(evaluation.get("metric_methods", []))
        names = roles.get("names", {})
        self.names = {role: tuple(names.get(role, [])) for role in (TRAINING, SERVING, EVALUATION, TEST)}
        # one expression per role: every file and folder name of a project is tried against them
        self._name_matchers = {role: re.compile("|".join(map(fnmatch.translate, patterns))).match
                               for role, patterns in self.names.items() if patterns}
        fitted = catalog.get("fitted_state", {})
        self.learners = {name for key in ("statistics_learners", "vocabulary_learners", "other_learners")
                         for name in fitted.get(key, [])}

    def name_role(self, path: str, role: str) -> str | None:
        """The file or folder name of `path` that matches `role`'s patterns, file first."""
        parts = PurePosixPath(path.lower()).parts
        matches = self._name_matchers.get(role)
        if not parts or matches is None:
            return None
        stem = parts[-1].rsplit(".", 1)[0]
        for part in (stem, *reversed(parts[:-1])):
            if matches(part):
                return part
        return None

    def is_model_receiver(self, text: str) -> bool:
        last = text.split(".")[-1].lower()
        return any(word in last for word in self.model_words)


def imports_any(modules: list[str], prefixes: tuple[str, ...]) -> bool:
    """Whether a module is one of `prefixes` or inside one of them."""
    exact, packages = _prefix_forms(prefixes)
    return any(module in exact or module.startswith(packages) for module in modules)


@lru_cache(maxsize=64)
def _prefix_forms(prefixes: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    return frozenset(prefixes), tuple(prefix + "." for prefix in prefixes)


# -- per file: evidence found in the code ------------------------------------------------------------

def _decorator_call(decorator: cst.Decorator) -> cst.BaseExpression:
    expression = decorator.decorator
    return expression.func if isinstance(expression, cst.Call) else expression


def _receiver_name(node: cst.BaseExpression) -> str:
    """What a method's receiver is called: `model` for `model`, `self.model`, `bundle["model"]`."""
    text = dotted(node)
    if text is not None:
        return text
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        key = node.slice[0].slice.value
        if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str):
            return key.evaluated_value
    return ""


def _param_names(node: cst.FunctionDef) -> list[str]:
    params = node.params
    return [param.name.value for param in (*params.posonly_params, *params.params)]


class RoleCollector(Collector):
    """Evidence of training, serving and evaluation per function of one file.

    Stored as `{"scopes": {scope: [[role, reason, line, needs]]}, "refs": [[name, reason, line]]}`
    where `needs` names a module family the file must import for the evidence to count
    ("web" for a route on an app object imported from elsewhere, "django" for a view).
    """

    key = KEY

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = RoleIndex.of(ctx.catalog)
        self.found: list[tuple[str, str, str, dict, str]] = []  # scope, role, reason, span, needs
        self.refs: list[tuple[str, str, dict]] = []
        self.classes: list[str | None] = []  # why each enclosing class serves (None: it does not)

    def _add(self, scope: str, role: str, reason: str, node: cst.CSTNode, needs: str = "") -> None:
        self.found.append((scope, role, reason, self.ctx.span(node), needs))

    # serving classes and handlers --------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        index = self.index
        why = None
        for base in node.bases:
            name = self.ctx.qualify(base.value) or dotted(base.value) or ""
            if name in index.serving_bases:
                why = f"is a method of `{node.name.value}`, a `{dotted(base.value)}` subclass"
            elif name.endswith(index.serving_base_suffixes) and name.split(".")[-1] not in index.serving_base_suffixes:
                why = f"is a method of `{node.name.value}`, a gRPC servicer"
        for decorator in node.decorators:
            name = self.ctx.qualify(_decorator_call(decorator)) or ""
            if name in index.serving_decorators:
                why = f"is a method of `{node.name.value}`, decorated `@{dotted(_decorator_call(decorator))}`"
        self.classes.append(why)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        index = self.index
        scope = self.ctx.scope
        name = node.name.value
        for decorator in node.decorators:
            target = _decorator_call(decorator)
            qualified = self.ctx.qualify(target) or ""
            text = dotted(target) or ""
            if qualified in index.serving_decorators:
                self._add(scope, "serving", f"`{name}` is decorated `@{text}`", decorator)
            elif isinstance(target, cst.Attribute) and target.attr.value in index.route_methods:
                receiver = self.ctx.qualify(target.value) or ""
                if receiver in index.route_receivers:
                    self._add(scope, "serving", f"`{name}` is a web route (`@{text}`)", decorator)
                elif dotted(target.value) in index.route_receiver_names:
                    self._add(scope, "serving", f"`{name}` is a web route (`@{text}`)", decorator, needs="web")
        enclosing = self.ctx.symbols[-2] if len(self.ctx.symbols) >= 2 else None
        if enclosing is not None and enclosing[0] == "class" and self.classes and self.classes[-1]:
            self._add(scope, "serving", f"`{name}` {self.classes[-1]}", node)
        signature = index.signatures.get(name)
        params = _param_names(node)
        if signature is not None and params[: len(signature["params"])] == signature["params"]:
            self._add(scope, "serving", f"`{name}` is an {signature['framework']}"
                      if signature["framework"][0] in "AEIOU" else f"`{name}` is a {signature['framework']}", node)
        if len(self.ctx.symbols) == 1 and params[:1] == ["request"]:
            self._add(scope, "serving", f"`{name}` is a Django view (takes `request`)", node, needs="django")

    # calls ----------------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        index = self.index
        scope = self.ctx.scope
        qualified = self.ctx.qualify(node.func) or ""
        text = dotted(node.func) or ""
        if qualified in index.serving_runs:
            self._add(scope, "serving", f"starts a server with `{text}(...)`", node)
            return
        reference = index.handler_references.get(qualified)
        if reference is not None:
            arg = argument(node, reference.get("position"), reference.get("keyword"))
            if arg is not None and isinstance(arg.value, cst.Name):
                self.refs.append((arg.value.value, f"`{arg.value.value}` is registered as a {reference['framework']} "
                                                   f"handler by `{text}(...)`", self.ctx.span(node)))
            return
        if qualified in index.training_calls:
            self._add(scope, "training", f"trains with `{text}(...)`", node)
            return
        if qualified in index.save_calls:
            self._add(scope, "save", f"saves a model with `{text}(...)`", node)
            return
        if any(qualified.startswith(prefix) for prefix in index.metric_prefixes):
            self._add(scope, "evaluation", f"scores a model with `{text}(...)`", node)
            return
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        receiver = self.ctx.qualify(node.func.value) or ""
        receiver_text = _receiver_name(node.func.value)
        if method in index.fit_methods and self._trains(node, receiver, receiver_text):
            self._add(scope, "training", f"trains a model with `{text or method}(...)`", node)
        elif method in index.trainer_methods and receiver in index.trainer_receivers:
            self._add(scope, "training", f"trains with `{text}(...)`", node)
        elif method == "step" and not node.args and (
                receiver.startswith(index.optimizer_prefixes)
                or any(word in receiver_text.split(".")[-1].lower() for word in index.optimizer_words)):
            self._add(scope, "training", f"runs a training loop (`{text}()`)", node)
        elif method in index.backward_methods and not positional(node):
            self._add(scope, "training", f"runs a training loop (`{text or method}()`)", node)
        elif method in index.save_methods and receiver_text:
            self._add(scope, "save", f"saves a model with `{text}(...)`", node)
        elif method in index.metric_methods and index.is_model_receiver(receiver_text):
            self._add(scope, "evaluation", f"evaluates a model with `{text}(...)`", node)
        elif method in index.predict_methods and index.is_model_receiver(receiver_text):
            self._add(scope, "predict", f"predicts with `{text}(...)` and trains nothing", node)

    def _trains(self, node: cst.Call, receiver: str, receiver_text: str) -> bool:
        """`model.fit(X, y)` trains; `scaler.fit(X)` learns a transform, which is not training."""
        constructor = receiver[:-2] if receiver.endswith("()") else ""
        if constructor in self.index.learners:
            return False
        if receiver_text and self.index.is_model_receiver(receiver_text):
            return True
        if any(keyword(node, word) is not None for word in self.index.fit_keywords):
            return True
        return len(positional(node)) >= 2

    def finish(self) -> None:
        scopes: dict[str, list] = {}
        for scope, role, reason, span, needs in self.found:
            scopes.setdefault(scope, []).append([role, reason, span.get("line", 0), needs])
        self.ctx.facts.data[KEY] = {
            "scopes": scopes,
            "refs": [[name, reason, span.get("line", 0)] for name, reason, span in self.refs],
        }


COLLECTORS = (RoleCollector,)


# -- the project: roles of every function and file ---------------------------------------------------

class RoleAnalysis:
    """Roles of every scope and file of a project; build it once with `RoleAnalysis.of`."""

    def __init__(self, project) -> None:
        self.project = project
        self.index = RoleIndex.of(project.catalog)
        self.configured = self._configured()
        self.own: dict[tuple[str, str], Role] = {}
        self.weak: dict[tuple[str, str], Role] = {}
        self._collect_own()
        self.callees = self._callees()
        self._callers_of_training()
        inherited = self._propagate(self.own)
        # code that only predicts serves, unless training or serving code calls it
        for key, role in sorted(self.weak.items()):
            if key not in inherited and key not in self.own:
                self.own[key] = role
        self.inherited = self._propagate(self.own)
        self.files: dict[str, Role] = {}
        self._file_roles()

    @classmethod
    def of(cls, project) -> "RoleAnalysis":
        if "role_analysis" not in project.memo:
            project.memo["role_analysis"] = cls(project)
        return project.memo["role_analysis"]

    # 1-2: configuration and tests
    def _configured(self) -> dict[str, Role]:
        globs = dict(self.project.options.get("roles", ()) or ())
        specs = [(role, pathspec.GitIgnoreSpec.from_lines(globs[role])) for role in CONFIG_ORDER if globs.get(role)]
        out: dict[str, Role] = {}
        for path in self.project.files:
            for role, spec in specs:
                if spec.match_file(path):
                    evidence = (Evidence(role, f"it matches `[tool.debtscan.roles] {role}`", path, 0, CONFIG),)
                    sides = frozenset({TRAINING, SERVING}) if role == SHARED else frozenset({role}) - {TEST}
                    out[path] = Role(role, sides, evidence)
                    break
            else:
                part = self.index.name_role(path, TEST)
                if part is not None:
                    out[path] = Role(TEST, frozenset(), (Evidence(TEST, f"`{part}` names a test", path, 0, NAME),))
        return out

    # 3: evidence in each function
    def _collect_own(self) -> None:
        for path, facts in self.project.files.items():
            if path in self.configured:
                continue
            data = facts.data.get(KEY) or {}
            modules = facts.imported_modules
            allowed = {"": True, "web": imports_any(modules, self.index.web_modules),
                       "django": imports_any(modules, self.index.django_modules)}
            by_scope: dict[str, list[Evidence]] = defaultdict(list)
            for scope, items in sorted((data.get("scopes") or {}).items()):
                for role, reason, line, needs in items:
                    if allowed.get(needs, False):
                        by_scope[scope].append(Evidence(role, reason, path, line))
            for name, reason, line in data.get("refs") or ():
                if name in facts.scopes:
                    by_scope[name].append(Evidence(SERVING, reason, path, line))
            if imports_any(modules, self.index.app_modules):
                app = next(module for module in modules if imports_any([module], self.index.app_modules))
                by_scope[MODULE_SCOPE].append(Evidence(SERVING, f"it is an interactive `{app}` app", path, 1, APP))
            for scope, evidence in by_scope.items():
                role = self._decide(evidence, scope)
                if role is not None:
                    self.own[(path, scope)] = role
                elif any(item.role == "predict" for item in evidence):
                    self.weak[(path, scope)] = Role(SERVING, frozenset({SERVING}), tuple(
                        Evidence(SERVING, item.reason, item.path, item.line) for item in evidence if item.role == "predict"))

    @staticmethod
    def _decide(evidence: list[Evidence], scope: str) -> Role | None:
        """Serving evidence wins in a function (a handler that fits is still a handler); a
        script's or notebook's top level that both trains and serves is shared. Then training,
        evaluation, and model saving as weak training evidence."""
        chosen: dict[str, list[Evidence]] = defaultdict(list)
        for wanted, role in ((SERVING, SERVING), (TRAINING, TRAINING), (EVALUATION, EVALUATION), ("save", TRAINING)):
            for item in evidence:
                if item.role == wanted:
                    chosen[role].append(Evidence(role, item.reason, item.path, item.line, item.kind))
        if scope == MODULE_SCOPE and chosen[SERVING] and chosen[TRAINING]:
            return Role(SHARED, frozenset({SERVING, TRAINING}), tuple(chosen[SERVING][:1] + chosen[TRAINING][:1]))
        for role in (SERVING, TRAINING, EVALUATION):
            if chosen[role]:
                return Role(role, frozenset({role}), tuple(chosen[role]))
        return None

    def _callees(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        callees: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for caller_path, caller_scope, _order, callee_path, callee_scope in self.project.call_edges():
            caller, callee = (caller_path, caller_scope), (callee_path, callee_scope)
            if caller != callee and callee not in callees[caller]:
                callees[caller].append(callee)
        return callees

    # 3b: a function that calls training code trains (`main()` calling `fit_model()`)
    def _callers_of_training(self) -> None:
        callers: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for caller, targets in self.callees.items():
            for callee in targets:
                callers[callee].append(caller)
        starts = sorted(key for key, role in self.own.items() if role.name == TRAINING)
        queue = deque(starts)
        origin = {key: key for key in starts}
        while queue:
            current = queue.popleft()
            for caller in sorted(callers.get(current, ())):
                if caller in origin or caller[0] in self.configured:
                    continue
                mine = self.own.get(caller)
                if mine is not None and mine.name not in (EVALUATION, TRAINING):
                    continue  # a handler or a script that also serves keeps its role
                trainer = self.own[origin[current]]
                reason = f"it calls {_label(*current)}, which {_short(trainer)}" if current == origin[current] \
                    else f"it calls {_label(*current)}, which reaches {_label(*origin[current])}"
                evidence = Evidence(TRAINING, reason, current[0], trainer.evidence[0].line, CALLERS)
                if mine is None or mine.name == EVALUATION:
                    self.own[caller] = Role(TRAINING, frozenset({TRAINING}), (evidence,))
                origin[caller] = origin[current]
                queue.append(caller)

    # 4: callers
    def _propagate(self, own: dict[tuple[str, str], Role]) -> dict[tuple[str, str], Role]:
        sides: dict[tuple[str, str], set[str]] = defaultdict(set)
        reasons: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
        for start, role in sorted(own.items()):
            queue = deque([start])
            seen = {start}
            while queue:
                current = queue.popleft()
                for callee in self.callees.get(current, ()):
                    if callee in seen or callee in own or callee[0] in self.configured:
                        continue
                    seen.add(callee)
                    new = role.sides - sides[callee]
                    if new:
                        sides[callee] |= new
                        via = f"it is called from {_label(*start)}, which {_short(role)}"
                        reasons[callee].append(Evidence(role.name, via, start[0], role.evidence[0].line, CALLERS))
                    queue.append(callee)
        return {key: role_from_sides(frozenset(value), tuple(reasons[key])) for key, value in sides.items()}

    # 5: files
    def _file_roles(self) -> None:
        found: dict[str, set[str]] = defaultdict(set)
        evidence: dict[str, list[Evidence]] = defaultdict(list)
        ordered = sorted({**self.own, **self.inherited}.items(), key=lambda item: (item[0][0], item[0][1] == MODULE_SCOPE, item[0][1]))
        for (path, _scope), role in ordered:
            if role.name == UNKNOWN:
                continue
            new = role.sides - found[path]
            found[path] |= role.sides
            if new:
                evidence[path].extend(role.evidence[:1])
        for path in self.project.files:
            if path in self.configured:
                self.files[path] = self.configured[path]
            elif found[path]:
                self.files[path] = role_from_sides(frozenset(found[path]), tuple(evidence[path]))
        named: dict[str, Role] = {}
        for path in self.project.files:
            if path in self.files:
                continue
            for role in (SERVING, TRAINING, EVALUATION):
                part = self.index.name_role(path, role)
                if part is not None:
                    named[path] = Role(role, frozenset({role}), (Evidence(role, f"`{part}` names {_article(role)}",
                                                                          path, 0, NAME),))
                    break
        self.files.update(named)
        importers: dict[str, set[str]] = defaultdict(set)
        for source, targets in self.project.import_edges().items():
            for target in targets:
                importers[target].add(source)
        for path in self.project.files:
            if path in self.files:
                continue
            sides: set[str] = set()
            reasons = []
            for importer in sorted(importers.get(path, ())):
                role = self.files.get(importer)
                if role is not None and role.sides - sides:
                    sides |= role.sides
                    reasons.append(Evidence(role.name, f"it is imported by {importer} ({role.name})", importer, 0, IMPORTERS))
            self.files[path] = role_from_sides(frozenset(sides), tuple(reasons))

    # answers ----------------------------------------------------------------------------------
    def scope(self, path: str, scope: str) -> Role:
        """The role of function `scope` of `path` (MODULE_SCOPE for the file's top level)."""
        if path in self.configured:
            return self.configured[path]
        key = (path, scope)
        if key in self.own:
            return self.own[key]
        if key in self.inherited:
            return self.inherited[key]
        return self.files.get(path, Role(UNKNOWN, frozenset()))


def _label(path: str, scope: str) -> str:
    return f"the top level of {path}" if scope == MODULE_SCOPE else f"`{scope}`"


def _short(role: Role) -> str:
    reason = role.evidence[0].reason if role.evidence else role.name
    if reason.startswith("it "):
        return reason[3:]
    # "`predict` is a web route (...)" reads "which is a web route (...)" after the caller's name
    if reason.startswith("`") and "` " in reason:
        reason = reason.split("` ", 1)[1]
    return reason


def _article(role: str) -> str:
    return {"serving": "a serving module", "training": "a training module", "evaluation": "an evaluation module"}[role]


def roles_of(project) -> dict[str, Role]:
    """path -> the Role of each file of the project (test, shared, serving, training, …)."""
    return dict(RoleAnalysis.of(project).files)


def scope_role(project, path: str, scope: str) -> Role:
    """The Role of one function (`Class.method`, or MODULE_SCOPE for a file's top level)."""
    return RoleAnalysis.of(project).scope(path, scope)


__all__ = ["is_test_file", "is_vendored", "vendored_folders", "Role", "Evidence", "APP", "IMPORTERS", "CatalogIndex", "RoleCollector", "COLLECTORS", "roles_of", "scope_role", "RoleAnalysis",
           "TRAINING", "SERVING", "EVALUATION", "SHARED", "TEST", "UNKNOWN", "OFFLINE"]
