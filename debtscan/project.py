"""The whole repository as project rules see it: every file's facts plus the indexes over them.

Module names are resolved the way Python would find them from the scanned root (with a `src/`
layout and script-relative imports as fallbacks), so a call `seed_everything(...)` in
`train.py` leads to the function defined in `vision/seed.py`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from debtscan.cache import plain
from debtscan.model import MODULE_SCOPE, FileFacts

if TYPE_CHECKING:
    from debtscan.suppress import Directive
    from debtscan.cache import Cache


class Project:
    def __init__(self, facts: Iterable[FileFacts], catalog: dict[str, Any], options: dict[str, Any] | None = None,
                 root: Path | None = None, store: "Cache | None" = None,
                 directives: "dict[str, list[Directive]] | None" = None) -> None:
        self.files: dict[str, FileFacts] = {item.path: item for item in sorted(facts, key=lambda f: f.path)}
        self.directives = directives or {}  # each file's suppression comments (`suppressed`)
        self.catalog = catalog
        self.options = options or {}
        self.root = root  # the scanned root: project rules read manifests (dvc.yaml, ...) under it
        self.modules: dict[str, FileFacts] = {}
        for item in self.files.values():
            if item.module and item.module not in self.modules:
                self.modules[item.module] = item
        self.memo: dict[str, Any] = {}
        self.store = store  # the scan's cache, for `remembered`
        self._functions: dict[tuple[str, str], tuple[str, str] | None] = {}

    def suppressed(self, rule: str, path: str, span: dict) -> bool:
        """Whether a finding of `rule` at `span` of `path` would be suppressed by a comment. A rule
        that reports many places as one finding asks this, so that each place stays suppressible:
        a suppressed place is reported on its own (and so suppressed), not as part of the group."""
        line = span.get("line", 0)
        return any(directive.kind != "malformed" and directive.covers(rule)
                   and directive.applies_to(span.get("cell"), line, span.get("end_line") or line)
                   for directive in self.directives.get(path, ()))

    def remembered(self, name: str, inputs: bytes, compute: Callable[[], Any], valid: Callable[[Any], bool]) -> Any:
        """`compute()` as plain data (`cache.plain`), kept in the scan's cache under `name` and
        a digest of `inputs`, which must hold everything the result depends on besides
        debtscan's code and setup. A stored value `valid` refuses is computed again, so a
        damaged or planted one changes nothing; without a cache, it is simply computed."""
        if self.store is None:
            return plain(compute())
        digest = hashlib.sha256(inputs).hexdigest()
        value = self.store.load_value(name, digest)
        if value is None or not valid(value):
            value = plain(compute())
            self.store.store_value(name, digest, value)
        return value

    # -- modules -----------------------------------------------------------------------
    def find_module(self, name: str, importer: str = "") -> FileFacts | None:
        """The project module `name` as imported from module `importer`, if it is ours."""
        if name in self.modules:
            return self.modules[name]
        if name.startswith("src.") and name[4:] in self.modules:  # `import src.pkg` in a src/ layout
            return self.modules[name[4:]]
        package = importer.split(".")[:-1]
        while package:
            candidate = ".".join(package + [name])
            if candidate in self.modules:
                return self.modules[candidate]
            package.pop()
        return None

    def split_qualified(self, qualified: str, importer: str = "") -> tuple[FileFacts, str] | None:
        """Split `pkg.mod.Class.method` into (facts of pkg.mod, "Class.method")."""
        parts = qualified.replace("()", "").split(".")
        for cut in range(len(parts) - 1, 0, -1):
            found = self.find_module(".".join(parts[:cut]), importer)
            if found is not None:
                return found, ".".join(parts[cut:])
        return None

    def resolve_function(self, qualified: str, importer: str = "") -> tuple[str, str] | None:
        """(path, scope name) of the project function a call refers to, if any. Remembered
        per importing package: the same callees recur in every module of a package."""
        if not qualified:
            return None
        key = (qualified, importer.rpartition(".")[0])
        if key not in self._functions:
            self._functions[key] = self._resolve_function(qualified, importer)
        return self._functions[key]

    def _resolve_function(self, qualified: str, importer: str, hops: int = 0) -> tuple[str, str] | None:
        split = self.split_qualified(qualified, importer)
        if split is None:
            return None
        facts, rest = split
        if rest in facts.scopes:
            return facts.path, rest
        if f"{rest}.__init__" in facts.scopes:
            return facts.path, f"{rest}.__init__"
        # a name the module imports and so re-exports (`from .seeding import random_seed` in a
        # package's `__init__.py`): the function is where that import points
        head, _, tail = rest.partition(".")
        target = facts.imports.get(head)
        if target and hops < 4 and target != qualified:
            return self._resolve_function(f"{target}.{tail}" if tail else target, facts.module, hops + 1)
        return None

    def import_edges(self) -> dict[str, set[str]]:
        """path -> paths of the project modules it imports."""
        if "import_edges" not in self.memo:
            edges: dict[str, set[str]] = defaultdict(set)
            for item in self.files.values():
                for name in item.imported_modules:
                    target = self.find_module(name, item.module)
                    if target is not None and target.path != item.path:
                        edges[item.path].add(target.path)
            self.memo["import_edges"] = edges
        return self.memo["import_edges"]

    def imported_paths(self) -> set[str]:
        """Paths of the project modules some other project module imports."""
        if "imported_paths" not in self.memo:
            self.memo["imported_paths"] = set().union(*self.import_edges().values())
        return self.memo["imported_paths"]

    def reachable_from(self, sources: Iterable[str]) -> set[str]:
        """Paths of modules imported, directly or transitively, by any of `sources`."""
        edges = self.import_edges()
        seen: set[str] = set()
        stack = [edge for source in sources for edge in edges.get(source, ())]
        while stack:
            path = stack.pop()
            if path in seen:
                continue
            seen.add(path)
            stack.extend(edges.get(path, ()))
        return seen

    def call_edges(self) -> list[tuple[str, str, int, str, str]]:
        """(caller path, caller scope, order, callee path, callee scope) for project calls."""
        if "call_edges" not in self.memo:
            edges = []
            for item in self.files.values():
                for scope in item.scopes.values():
                    for order, callee, _text in scope.calls:
                        target = self.resolve_function(callee, item.module)
                        if target is not None:
                            edges.append((item.path, scope.name, order, target[0], target[1]))
            self.memo["call_edges"] = edges
        return self.memo["call_edges"]


def project_callees(modules: Iterable[str]) -> Callable[[str], bool]:
    """Whether a qualified callee could be a project function. `find_module` resolves a name
    only when its first part is a part of some project module's name (or `src`), so every
    other call (`pytest.raises`, `builtins.print`) can be dropped before the project phase."""
    parts = {part for module in modules for part in module.split(".")} | {"src"}
    return lambda callee: bool(callee) and callee.replace("()", "").split(".", 1)[0] in parts


def call_filter(reaches_project: Callable[[str], bool], scope_names: Iterable[str]) -> Callable[[str, str], bool]:
    """Whether a call (qualified callee, text as written) made in a file defining `scope_names`
    can matter to the project phase: it may reach project code, or it goes through a name
    the file defines itself (`helper.run`)."""
    own = {name.split(".")[0] for name in scope_names}
    return lambda callee, text: reaches_project(callee) or text.split(".")[0] in own


def keep_for_project(facts: FileFacts, reaches_project: Callable[[str], bool],
                     collectors: Iterable[type]) -> None:
    """Drop from `facts` what cannot matter to the project phase: the calls made by each scope
    that reach neither project code nor this file's own definitions, and what each collector
    says only matters for calls into project code. A scan keeps every file's facts until the
    project phase, and these calls are most of them."""
    keeps = call_filter(reaches_project, facts.scopes)
    for scope in facts.scopes.values():
        scope.calls = [call for call in scope.calls if keeps(call[1], call[2])]
    for collector in collectors:
        if collector.key in facts.data:
            facts.data[collector.key] = collector.for_project(facts.data[collector.key], reaches_project)


__all__ = ["Project", "MODULE_SCOPE", "project_callees", "call_filter", "keep_for_project"]
