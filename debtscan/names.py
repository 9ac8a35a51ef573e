"""Single-pass name resolution: which qualified name does an expression refer to?

libcst's QualifiedNameProvider costs several parses per file (see docs/architecture.md), so
debtscan resolves names itself, in the one traversal every rule shares:

* a cheap pre-scan of the module's top-level statements binds imports, definitions and
  assignments, so function bodies see the module as it is once imported;
* function, lambda and class scopes are pushed and popped during the traversal; parameters,
  assignments, loop targets and `with … as` names shadow outer bindings from then on;
* the result of a call is written with a `()` suffix, so after `rng = np.random.default_rng()`
  the expression `rng.normal` resolves to `numpy.random.default_rng().normal`, and
  `self.fit` inside class `Trainer` of module `pkg.train` to `pkg.train.Trainer().fit`.

Nothing here knows about any library: the rule pack's catalog gives the names meaning.
"""

from __future__ import annotations

import builtins

import libcst as cst

# `get_ipython` is the builtin IPython adds: notebooks' `!cmd` lines become calls of it (`source.shell_call`)
BUILTIN_NAMES = frozenset(dir(builtins)) | {"get_ipython"}

# A binding to this marker hides outer bindings without resolving to anything.
LOCAL = ""


def dotted(node: cst.BaseExpression) -> str | None:
    """The source text of a dotted name (`a.b.c`), or None when it is anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base is not None else None
    return None


def absolute_module(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve a relative import (`from ..x import y`) against the importing module's name."""
    if level == 0:
        return target or ""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    if target:
        parts = parts + target.split(".")
    return ".".join(parts)


def import_bindings(node: cst.Import | cst.ImportFrom, module: str, is_package: bool) -> list[tuple[str, str]]:
    """The (local name, qualified name) pairs an import statement binds."""
    pairs: list[tuple[str, str]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                pairs.append((alias.asname.name.value, full))
            else:
                head = full.split(".")[0]
                pairs.append((head, head))
        return pairs
    source = absolute_module(module, is_package, len(node.relative), dotted(node.module) if node.module else None)
    if isinstance(node.names, cst.ImportStar):
        return pairs
    for alias in node.names:
        name = dotted(alias.name) or ""
        local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) else name
        pairs.append((local, f"{source}.{name}" if source else name))
    return pairs


def imported_module_names(node: cst.Import | cst.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement may load (for `from a import b`, both `a` and `a.b`)."""
    if isinstance(node, cst.Import):
        return [dotted(alias.name) or "" for alias in node.names]
    source = absolute_module(module, is_package, len(node.relative), dotted(node.module) if node.module else None)
    names = [source] if source else []
    if not isinstance(node.names, cst.ImportStar):
        for alias in node.names:
            name = dotted(alias.name) or ""
            names.append(f"{source}.{name}" if source else name)
    return names


class Scopes:
    """A stack of binding tables; the bottom one is the module's, filled by `prescan`."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.stack: list[tuple[str, dict[str, str]]] = [("module", {})]

    # -- scope management -------------------------------------------------------------
    def push(self, kind: str) -> None:
        self.stack.append((kind, {}))

    def pop(self) -> None:
        self.stack.pop()

    def bind(self, name: str, target: str) -> None:
        self.stack[-1][1][name] = target

    def lookup(self, name: str) -> str | None:
        innermost = len(self.stack) - 1
        for depth in range(innermost, -1, -1):
            kind, table = self.stack[depth]
            # Class bodies are not visible from the functions nested in them.
            if kind == "class" and depth != innermost:
                continue
            if name in table:
                return table[name] or None
        if name in BUILTIN_NAMES:
            return f"builtins.{name}"
        return None

    # -- resolution --------------------------------------------------------------------
    def qualify(self, node: cst.BaseExpression) -> str | None:
        """The qualified name an expression refers to, or None when it cannot be known."""
        if isinstance(node, cst.Name):
            return self.lookup(node.value)
        if isinstance(node, cst.Attribute):
            base = self.qualify(node.value)
            return f"{base}.{node.attr.value}" if base else None
        if isinstance(node, cst.Call):
            base = self.qualify(node.func)
            return f"{base}()" if base else None
        return None

    def value_binding(self, value: cst.BaseExpression) -> str:
        """What a name assigned from `value` refers to afterwards (LOCAL when unknown)."""
        if isinstance(value, (cst.Name, cst.Attribute, cst.Call)):
            return self.qualify(value) or LOCAL
        return LOCAL

    def bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, self.value_binding(value) if value is not None else LOCAL)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                self.bind_target(inner, None)
        elif isinstance(target, cst.StarredElement):
            self.bind_target(target.value, None)

    def bind_import(self, node: cst.Import | cst.ImportFrom) -> None:
        for local, target in import_bindings(node, self.module, self.is_package):
            self.bind(local, target)

    def bind_parameters(self, params: cst.Parameters, self_target: str | None) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for index, param in enumerate(every):
            if index == 0 and self_target is not None:
                self.bind(param.name.value, self_target)
            else:
                self.bind(param.name.value, LOCAL)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.bind(star.name.value, LOCAL)

    # -- module pre-scan ---------------------------------------------------------------
    def prescan(self, module: cst.Module) -> None:
        """Bind the module's top-level names as they stand once the module is imported."""
        self._prescan_block(module.body)

    def _prescan_block(self, body) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._prescan_small(small)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                self.bind(statement.name.value, f"{self.module}.{statement.name.value}" if self.module else statement.name.value)
            elif isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With, cst.For, cst.While)):
                for block in _blocks_of(statement):
                    self._prescan_block(block)

    def _prescan_small(self, small: cst.BaseSmallStatement) -> None:
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            self.bind_import(small)
        elif isinstance(small, cst.Assign):
            for target in small.targets:
                self._prescan_assign(target.target, small.value)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self._prescan_assign(small.target, small.value)

    def _prescan_assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            existing = self.stack[0][1].get(target.value)
            # `try: import torch / except ImportError: torch = None` keeps meaning torch.
            if existing and isinstance(value, cst.Name) and value.value in ("None", "False"):
                return
            binding = self.value_binding(value)
            self.bind(target.value, binding or (f"{self.module}.{target.value}" if self.module else target.value))
        else:
            self.bind_target(target, None)


def _blocks_of(statement) -> list:
    """The statement blocks nested directly in a compound statement."""
    blocks = []
    body = getattr(statement, "body", None)
    if body is not None and hasattr(body, "body"):
        blocks.append(body.body)
    for attr in ("orelse", "finalbody"):
        part = getattr(statement, attr, None)
        while part is not None:
            inner = getattr(part, "body", None)
            if inner is not None and hasattr(inner, "body"):
                blocks.append(inner.body)
            part = getattr(part, "orelse", None) if isinstance(part, cst.If) else None
    for handler in getattr(statement, "handlers", ()) or ():
        blocks.append(handler.body.body)
    return blocks
