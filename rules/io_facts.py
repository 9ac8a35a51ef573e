"""Facts about data and model I/O: every read and write the catalog knows, with its location.

The location argument is resolved statically into a *template*: a tuple of parts, each either
constant text or a *hole* that says where the unknown part comes from. Literals, module
constants, `os.path.join`, `Path / "x"`, f-strings, `%` and `.format` keep their constant parts;
`args.data_dir` becomes a hole provided by the command line, `cfg["data"]["train"]` one provided
by configuration, `os.getenv("X", "d")` one provided by the environment (with its default),
a parameter a hole that the project phase fills from the function's call sites, and a name
imported from another module a reference resolved against that module's constants.

Holes are plain tuples, so facts pickle and cache as they are:

    ("cli", text, default)   ("config", text)   ("env", name, default)   ("here", levels)
    ("param", name, index, default)   ("ref", qualified name)   ("home",)   ("tmp",)
    ("unknown", text)        markers ("cliobj", text) and ("configobj", text) for the objects
                             whose attributes are CLI options or config values
"""

from __future__ import annotations

import re
import shlex
import string
import sys
from typing import Any, Callable, Iterable

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.model import MODULE_SCOPE
from debtscan.names import _blocks_of, dotted
from debtscan.rule import Collector
from ._calls import argument, call_text, has_star, keyword, literal, positional, UNKNOWN

KEY = "io"
MAX_ALTERNATIVES = 4
MAX_TEXT = 80
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SQL_READ = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)", re.I)
SQL_WRITE = re.compile(r"\b(?:INSERT\s+(?:OVERWRITE\s+)?(?:INTO\s+)?(?:TABLE\s+)?|UPDATE\s+|MERGE\s+INTO\s+|"
                       r"DELETE\s+FROM\s+|CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(?:TABLE|VIEW)\s+"
                       r"(?:IF\s+NOT\s+EXISTS\s+)?)([A-Za-z_][\w.]*)", re.I)
SQL_START = re.compile(r"^\s*(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|MERGE|REPLACE)\b", re.I)
SQL_CTE = re.compile(r"(?:\bWITH|,)\s*([A-Za-z_]\w*)\s+AS\s*\(", re.I)
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
IN_MEMORY = ("io.StringIO", "io.BytesIO")

Template = tuple


# -- the catalog ---------------------------------------------------------------------------------

class IOIndex(CatalogIndex):
    """The I/O catalog, indexed once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        settings = catalog.get("io", {})
        self.settings = settings
        self.calls = index_by_name(catalog.get("io_calls", []))
        self.methods: dict[str, list[dict]] = {}
        for entry in catalog.get("io_methods", []):
            for method in entry.get("methods", []):
                self.methods.setdefault(method, []).append(entry)
        listed = lambda key: frozenset(settings.get(key, []))  # noqa: E731
        self.cli_names, self.config_names = listed("cli_names"), listed("config_names")
        self.cli_parsers, self.config_loaders = listed("cli_parsers"), listed("config_loaders")
        self.cli_functions, self.config_functions = listed("cli_functions"), listed("config_functions")
        self.cli_decorators, self.temporary = listed("cli_decorators"), listed("temporary")
        self.cli_runners = listed("cli_runners")
        self.env_getters, self.joins, self.identities = listed("env_getters"), listed("joins"), listed("identities")
        self.identity_methods, self.dirnames = listed("path_identity_methods"), listed("dirnames")
        self.cwd, self.home, self.globs, self.listdirs = listed("cwd"), listed("home"), listed("globs"), listed("listdirs")
        self.fit_methods, self.fit_functions = listed("fit_methods"), listed("fit_functions")
        self.restore_methods = listed("restore_methods")
        self.extract_methods, self.extract_functions = listed("extract_methods"), listed("extract_functions")
        self.extract_commands = listed("extract_commands")
        self.web_frameworks = tuple(settings.get("web_frameworks", []))
        self.route_decorators = listed("route_decorators")
        self.local_builders = listed("local_dataset_builders")
        self.shell_downloads = [entry for entry in catalog.get("shell_downloads", []) if entry.get("words")]
        self.checksum_commands = listed("checksum_commands")
        # Top-level modules of the standard library and the catalogued libraries: calls into
        # them are never project functions whose parameters could be followed.
        roots = {name.split(".")[0] for entry in catalog.get("io_calls", []) for name in entry.get("names", [])}
        roots |= {name.split(".")[0] for entry in catalog.get("io_methods", []) for name in entry.get("requires", [])}
        self.library_roots = frozenset(roots | set(sys.stdlib_module_names) | {"builtins"})



# -- templates: pure functions over tuples ---------------------------------------------------------

def hole(kind: str, *rest) -> tuple:
    return (kind, *rest)


def is_hole(part) -> bool:
    return not isinstance(part, str)


def normalise(parts: Iterable) -> Template:
    """Merge adjacent text parts; drop empty ones."""
    out: list = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out)


def constant(template: Template) -> str | None:
    """The text of a template without holes, else None."""
    if all(isinstance(part, str) for part in template):
        return "".join(template)
    return None


def starts_absolute(template: Template) -> bool:
    if not template:
        return False
    head = template[0]
    if isinstance(head, str):
        return head.startswith(("/", "~")) or SCHEME.match(head) is not None or WINDOWS_DRIVE.match(head) is not None
    return head[0] in ("home", "tmp")


def join(left: Template, right: Template) -> Template:
    if starts_absolute(right):
        return right
    if not left or left == (".",):
        return right
    if isinstance(left[-1], str) and left[-1].endswith("/"):
        return normalise(left + right)
    return normalise(left + ("/",) + right)


def dirname(template: Template) -> Template:
    if len(template) == 1 and is_hole(template[0]) and template[0][0] == "here":
        return (("here", template[0][1] + 1),)
    for index in range(len(template) - 1, -1, -1):
        part = template[index]
        if isinstance(part, str) and "/" in part.rstrip("/"):
            head = part.rstrip("/").rsplit("/", 1)[0]
            return normalise(template[:index] + ((head or "/"),))
        if isinstance(part, str) and index > 0 and part.strip("/"):
            continue
        if is_hole(part):
            if part[0] == "here" and index == 0:
                return (("here", part[1] + 1),)
            return normalise(template[:index]) if index > 0 else (("unknown", "dirname"),)
    return (("unknown", "dirname"),)


def replace_suffix(template: Template, suffix: str) -> Template:
    if template and isinstance(template[-1], str):
        last = template[-1]
        name_start = last.rfind("/") + 1
        dot = last.rfind(".")
        base = last[:dot] if dot > name_start else last
        return normalise(template[:-1] + (base + suffix,))
    return normalise(template + ("." + suffix.lstrip("."),))


def product(alternatives: list[list[Template]], combine) -> list[Template]:
    """Every combination of alternatives, combined pairwise, capped."""
    results: list[Template] = [()]
    first = True
    for options in alternatives:
        next_results = []
        for left in results:
            for right in options:
                next_results.append(right if first else combine(left, right))
                if len(next_results) >= MAX_ALTERNATIVES:
                    break
            if len(next_results) >= MAX_ALTERNATIVES:
                break
        results = next_results
        first = False
    return _dedupe(results)


def _dedupe(items: list[Template]) -> list[Template]:
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out[:MAX_ALTERNATIVES]


def concat(left: Template, right: Template) -> Template:
    return normalise(left + right)


def _tables(names: list[str]) -> list[str]:
    return sorted({name for name in names if name.upper() not in ("SELECT", "DUAL", "LATERAL", "UNNEST")})


def render(template: Template) -> str:
    """How a template reads in messages: holes in braces, unknown parts as `*`."""
    out = []
    for part in template:
        if isinstance(part, str):
            out.append(part)
            continue
        kind = part[0]
        if kind in ("cli", "config", "ref", "cliobj", "configobj"):
            out.append("{" + part[1] + "}")
        elif kind == "env":
            out.append("$" + part[1])
        elif kind == "param":
            out.append("{" + part[1] + "}")
        elif kind == "home":
            out.append("~")
        elif kind == "tmp":
            out.append("<tmp>")
        elif kind == "here":
            out.append("<here>")
        else:
            out.append("*")
    return "".join(out)


def holes(template: Template) -> list[tuple]:
    return [part for part in template if is_hole(part)]


def interesting(template: Template) -> bool:
    """Whether a value could be (part of) a location worth following into a call."""
    for part in template:
        if isinstance(part, str):
            if "/" in part or re.search(r"\.[A-Za-z0-9]{1,8}$", part) or SCHEME.match(part):
                return True
        elif part[0] in ("cli", "config", "env", "ref", "here", "param", "cliobj", "configobj", "tmp", "home"):
            return True
    return False


def sql_tables(sql: str) -> tuple[list[str], list[str]]:
    """(tables read, tables written) by a SQL text, common table expressions excluded."""
    if not SQL_START.match(sql):
        return [], []
    ctes = {name.lower() for name in SQL_CTE.findall(sql)}
    written = [name for name in SQL_WRITE.findall(sql) if name.lower() not in ctes]
    read = [name for name in SQL_READ.findall(sql) if name.lower() not in ctes and name not in written]
    return _tables(read), _tables(written)


# -- the collector ---------------------------------------------------------------------------------

class _Scope:
    __slots__ = ("kind", "names", "depth", "self_name", "owner")

    def __init__(self, kind: str, depth: int) -> None:
        self.kind = kind
        self.names: dict[str, list[Template]] = {}
        self.depth = depth
        self.self_name: str | None = None  # `self` in a method
        self.owner = ""  # the class path of a method


class IOCollector(Collector):
    """Reads and writes of data and models, module constants and call-site arguments of one file."""

    key = KEY
    triggers = ()  # module constants are needed from every file, I/O or not

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = IOIndex.of(ctx.catalog)
        self.final: dict[str, list[Template]] = {}
        self.scopes: list[_Scope] = [_Scope("module", 0)]
        self.depth = 0
        self.events: list[dict] = []
        self.verified_scopes: set[str] = set()  # scopes that run a checksum check (`sha256sum -c`)
        self.calls: list[dict] = []
        self.cli_defaults: dict[str, list[Template]] = {}
        self.fits: list[list] = []
        self.routes = False
        self.handled: set[int] = set()
        self.attributes: dict[str, list[Template]] = {}  # "Class.attr" -> values, class and instance
        self.optional = 0  # inside `if os.path.exists(...):` or a `try` that handles a missing file
        self.filling = 0  # inside `if not os.path.exists(...):`, which makes a missing file (a cache)
        self.cli_exposed: set[str] = set()  # functions a CLI runner calls with the command line's options
        self.restores = False  # `model.load_state_dict(...)`: stored parameters replace the drawn ones
        self.extracts = False  # unpacks an archive (`extractall`, `!unzip`): files whose names the code never writes

    # -- names --------------------------------------------------------------------------------
    def lookup(self, name: str) -> list[Template] | None:
        innermost = len(self.scopes) - 1
        for position in range(innermost, -1, -1):
            scope = self.scopes[position]
            if scope.kind == "class" and position != innermost:
                continue
            if scope.kind == "module" and innermost > 0 and name in self.final:
                return self.final[name]  # a function runs after the whole module has been executed
            if name in scope.names:
                return scope.names[name]
            if scope.kind == "module" and name in self.final:
                return self.final[name]
        return None

    def bind(self, name: str, alternatives: list[Template], table: dict | None = None) -> None:
        alternatives = [_renamed_marker(item, name) for item in alternatives]
        if table is not None:
            table[name] = alternatives
            return
        scope = self.scopes[-1]
        if self.depth > scope.depth and name in scope.names:
            scope.names[name] = _dedupe(scope.names[name] + alternatives)
        else:
            scope.names[name] = alternatives

    def bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression | None, table: dict | None = None) -> None:
        if isinstance(target, cst.Name):
            self.bind(target.value, self.evaluate(value) if value is not None else [(("unknown", target.value),)], table)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            pairwise = values is not None and len(values) == len(target.elements) and not any(
                isinstance(element, cst.StarredElement) for element in [*target.elements, *values])
            for position, element in enumerate(target.elements):
                inner = element.value.value if isinstance(element.value, cst.StarredElement) else element.value
                if pairwise:
                    self.bind_target(inner, values[position].value, table)  # a, b = x, y
                elif isinstance(inner, cst.Name):
                    self.bind(inner.value, [(("unknown", inner.value),)], table)

    # -- the module pre-scan --------------------------------------------------------------------
    def visit_Module(self, node: cst.Module) -> None:
        self._prescan(node.body)

    def _prescan(self, body) -> None:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            self.bind_target(target.target, small.value, self.final)
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        self.bind_target(small.target, small.value, self.final)
            elif isinstance(statement, (cst.If, cst.Try, cst.With)):
                for block in _blocks_of(statement):
                    self._prescan(block)

    # -- scopes ---------------------------------------------------------------------------------
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(_Scope("class", self.depth))

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = self.scopes[-1].kind == "class"
        decorators = {dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator) or ""
                      for d in node.decorators}
        method = in_class and not any(name.endswith("staticmethod") for name in decorators)
        cli_options = self._cli_options(node)
        scope = _Scope("function", self.depth)
        params = [*node.params.posonly_params, *node.params.params]
        position = -1 if method else 0
        for param in params:
            name = param.name.value
            default = self.evaluate(param.default)[0] if param.default is not None else None
            scope.names[name] = [self._param_value(name, position, default, cli_options)]
            position += 1
        for param in node.params.kwonly_params:
            name = param.name.value
            default = self.evaluate(param.default)[0] if param.default is not None else None
            scope.names[name] = [self._param_value(name, -1, default, cli_options)]
        scope.self_name = params[0].name.value if method and params else None
        scope.owner = ".".join(name for _, name in self.ctx.symbols[:-1]) if method else ""
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                scope.names[star.name.value] = [(("unknown", star.name.value),)]
        if method and params:
            classes = [name for kind, name in self.ctx.symbols[:-1] if kind == "class"]
            prefix = f"{self.ctx.module}." if self.ctx.module else ""
            scope.names[params[0].name.value] = [(("ref", f"{prefix}{'.'.join(classes)}()"),)]
        for decorator in node.decorators:
            expression = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            if isinstance(expression, cst.Attribute) and expression.attr.value in self.index.route_decorators:
                self.routes = True
        self.scopes.append(scope)

    def _param_value(self, name: str, position: int, default, cli_options: dict) -> Template:
        if name in cli_options:
            return (("cli", f"--{name.replace('_', '-')}", cli_options[name]),)
        if name in self.index.cli_names:
            return (("cliobj", name),)
        if name in self.index.config_names:
            return (("configobj", name),)
        return (("param", name, position, default, self.ctx.scope),)

    def _cli_options(self, node: cst.FunctionDef) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for decorator in node.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call) or (self.ctx.qualify(call.func) or "") not in self.index.cli_decorators:
                continue
            names = [literal(arg.value) for arg in positional(call)]
            names = [name for name in names if isinstance(name, str)]
            default = keyword(call, "default")
            for text in names:
                if text.startswith("-") and len(names) > 1 and not text.startswith("--"):
                    continue
                options[text.lstrip("-").replace("-", "_")] = self.evaluate(default.value)[0] if default else None
        return options

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def _enter_block(self, node) -> None:
        self.depth += 1

    def _leave_block(self, node) -> None:
        self.depth -= 1

    visit_If = visit_Try = visit_TryStar = visit_While = visit_Match = _enter_block
    leave_If = leave_Try = leave_TryStar = leave_While = leave_Match = _leave_block

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.target, cst.Name):  # a new loop rebinds the name outright
            self.bind(node.target.value, self._iteration_values(node.iter, node.target.value))
        else:
            self.bind_target(node.target, None)
        self.depth += 1

    def leave_For(self, node: cst.For) -> None:
        self.depth -= 1

    def visit_ListComp(self, node) -> None:
        """Bind `for` targets first: the element of a comprehension is visited before them."""
        clause = node.for_in
        while clause is not None:
            if isinstance(clause.target, cst.Name):
                self.bind(clause.target.value, self._iteration_values(clause.iter, clause.target.value))
            clause = clause.inner_for_in

    visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_ListComp

    def _iteration_values(self, iterable: cst.BaseExpression, name: str) -> list[Template]:
        """`for f in glob.glob("data/*.csv")`: f is any file the pattern matches."""
        if isinstance(iterable, cst.Call):
            callee = self.ctx.qualify(iterable.func) or ""
            method = iterable.func.attr.value if isinstance(iterable.func, cst.Attribute) else ""
            args = positional(iterable)
            if callee in self.index.globs and args:
                return self.evaluate(args[0].value)
            if method in ("glob", "rglob", "iglob") and isinstance(iterable.func, cst.Attribute) and args:
                base = self.evaluate(iterable.func.value)
                pattern = self.evaluate(args[0].value)
                middle = ("**/",) if method == "rglob" else ()
                return product([base, pattern], lambda a, b: join(a, normalise(middle + b)))
            if method == "iterdir" and isinstance(iterable.func, cst.Attribute):
                return [join(base, ("*",)) for base in self.evaluate(iterable.func.value)]
        return [(("unknown", name),)]

    # -- bindings -------------------------------------------------------------------------------
    def leave_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._attribute_binding(target.target, node.value)
            self.bind_target(target.target, node.value)

    def leave_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._attribute_binding(node.target, node.value)
            self.bind_target(node.target, node.value)

    def _attribute_binding(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """`x = ...` in a class body and `self.x = ...` in a method become `Class.x` facts."""
        scope = self.scopes[-1]
        key = None
        if scope.kind == "class" and isinstance(target, cst.Name):
            key = f"{self.ctx.symbol}.{target.value}"
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            method = next((item for item in reversed(self.scopes) if item.kind == "function"), None)
            if method is not None and method.self_name == target.value.value and method.owner:
                key = f"{method.owner}.{target.attr.value}"
        if key is not None:
            self.attributes[key] = _dedupe(self.attributes.get(key, []) + self.evaluate(value))

    def leave_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            current = self.lookup(node.target.value) or [(("unknown", node.target.value),)]
            extra = self.evaluate(node.value)
            if isinstance(node.operator, cst.AddAssign):
                self.bind(node.target.value, product([current, extra], concat))
            elif isinstance(node.operator, cst.DivideAssign):
                self.bind(node.target.value, product([current, extra], join))
            else:
                self.bind(node.target.value, [(("unknown", node.target.value),)])

    def leave_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bind_target(node.asname.name, node.item)

    def leave_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bind_target(node.target, node.value)

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, node: cst.BaseExpression | None, depth: int = 0) -> list[Template]:
        """The alternatives a location expression can take, as templates."""
        if node is None:
            return [(("unknown", ""),)]
        if depth > 12:
            return [(("unknown", _text(node)),)]
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            value = literal(node)
            return [(value,) if value else ()] if isinstance(value, str) else [(("unknown", "bytes"),)]
        if isinstance(node, cst.FormattedString):
            return self._fstring(node, depth)
        if isinstance(node, cst.Name):
            return self._name(node)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, depth)
        if isinstance(node, cst.Subscript):
            return self._subscript(node, depth)
        if isinstance(node, cst.Call):
            return self._call(node, depth)
        if isinstance(node, cst.BinaryOperation):
            return self._binary(node, depth)
        if isinstance(node, cst.IfExp):
            return _dedupe(self.evaluate(node.body, depth + 1) + self.evaluate(node.orelse, depth + 1))
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return _dedupe(self.evaluate(node.left, depth + 1) + self.evaluate(node.right, depth + 1))
        return [(("unknown", _text(node)),)]

    def _fstring(self, node: cst.FormattedString, depth: int) -> list[Template]:
        pieces: list[list[Template]] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                pieces.append([(part.value,)])
            else:
                pieces.append(self.evaluate(part.expression, depth + 1))
        return product(pieces, concat) if pieces else [()]

    def _name(self, node: cst.Name) -> list[Template]:
        name = node.value
        if name == "__file__":
            return [(("here", 0),)]
        bound = self.lookup(name)
        if bound is not None:
            return bound
        qualified = self.ctx.qualify(node)
        if qualified and not qualified.startswith("builtins."):
            return [(("ref", qualified),)]
        if name in self.index.cli_names:
            return [(("cliobj", name),)]
        if name in self.index.config_names:
            return [(("configobj", name),)]
        return [(("unknown", name),)]

    def _attribute(self, node: cst.Attribute, depth: int) -> list[Template]:
        attr = node.attr.value
        base = self._object(node.value, depth)
        out = []
        for template in base:
            marker = template[0] if len(template) == 1 and is_hole(template[0]) else None
            if marker is not None and marker[0] in ("cliobj", "cli"):
                out.append((("cli", _shorten(f"{marker[1]}.{attr}"), self._cli_default(attr)),))
            elif marker is not None and marker[0] in ("configobj", "config"):
                out.append((("config", _shorten(f"{marker[1]}.{attr}")),))
            elif marker is not None and marker[0] == "tmp":
                out.append(template)
            elif marker is not None and marker[0] == "ref":
                out.append((("ref", f"{marker[1]}.{attr}"),))
            elif attr == "parent":
                out.append(dirname(template))
            elif attr in ("stem", "name", "suffix"):
                out.append((("unknown", attr),))
            else:
                out.append((("unknown", _text(node)),))
        return _dedupe(out)

    def _object(self, node: cst.BaseExpression, depth: int) -> list[Template]:
        """What an object whose attribute or item is taken can be; `args` and `cfg` of unknown
        origin are taken for a parsed command line and a configuration, as their names say."""
        values = self.evaluate(node, depth + 1)
        if isinstance(node, cst.Name) and all(_opaque(value) for value in values):
            if node.value in self.index.cli_names:
                return [(("cliobj", node.value),)]
            if node.value in self.index.config_names:
                return [(("configobj", node.value),)]
        return values

    def _cli_default(self, attr: str):
        defaults = self.cli_defaults.get(attr)
        return defaults[0] if defaults else None

    def _subscript(self, node: cst.Subscript, depth: int) -> list[Template]:
        key = None
        if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key = literal(node.slice[0].slice.value)
        qualified = self.ctx.qualify(node.value) or ""
        if qualified == "os.environ":
            return [(("env", key if isinstance(key, str) else "?", None),)]
        if qualified == "sys.argv":
            return [(("cli", f"sys.argv[{key}]" if isinstance(key, int) else "sys.argv", None),)]
        if isinstance(node.value, cst.Attribute) and node.value.attr.value == "parents" and isinstance(key, int):
            out = []
            for template in self.evaluate(node.value.value, depth + 1):
                for _ in range(key + 1):
                    template = dirname(template)
                out.append(template)
            return _dedupe(out)
        out = []
        for template in self._object(node.value, depth):
            marker = template[0] if len(template) == 1 and is_hole(template[0]) else None
            shown = f"[{key!r}]" if key is not UNKNOWN and key is not None else "[…]"
            if marker is not None and marker[0] in ("configobj", "config", "cliobj", "cli"):
                kind = "cli" if marker[0] in ("cliobj", "cli") else "config"
                out.append((("cli", _shorten(marker[1] + shown), None),) if kind == "cli"
                           else (("config", _shorten(marker[1] + shown)),))
            else:
                out.append((("unknown", _text(node)),))
        return _dedupe(out)

    def _call(self, node: cst.Call, depth: int) -> list[Template]:
        index = self.index
        qualified = self.ctx.qualify(node.func) or ""
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        args = positional(node)
        receiver = node.func.value if isinstance(node.func, cst.Attribute) else None
        if qualified in index.joins or qualified.endswith("pathlib.Path"):
            if not args:
                return [(".",)]
            if has_star(node):
                return [(("unknown", _text(node)),)]
            return product([self.evaluate(arg.value, depth + 1) for arg in args], join)
        if qualified in index.identities or qualified in ("hydra.utils.to_absolute_path",):
            return self.evaluate(args[0].value, depth + 1) if args else [(("unknown", _text(node)),)]
        if qualified in index.dirnames:
            return [dirname(t) for t in self.evaluate(args[0].value, depth + 1)] if args else [(("unknown", "dirname"),)]
        if qualified in index.cwd or qualified in ("hydra.utils.get_original_cwd",):
            return [(".",)]
        if qualified in index.home:
            return [(("home",),)]
        if qualified in index.temporary:
            return [(("tmp",),)]
        if qualified in index.env_getters:
            key = literal(args[0].value) if args else UNKNOWN
            default = self.evaluate(args[1].value, depth + 1)[0] if len(args) > 1 else None
            return [(("env", key if isinstance(key, str) else "?", default),)]
        if qualified in index.config_loaders or method in ("safe_load", "load_config") and "yaml" in qualified:
            return [(("configobj", "config"),)]
        function = qualified.replace("()", "").rsplit(".", 1)[-1] if qualified else method
        if method in index.cli_parsers or function in index.cli_functions:
            return [(("cliobj", "args"),)]
        if function in index.config_functions:
            return [(("configobj", "config"),)]
        if receiver is not None:
            if method == "joinpath":
                parts = [self.evaluate(receiver, depth + 1)] + [self.evaluate(a.value, depth + 1) for a in args]
                return product(parts, join)
            if method in index.identity_methods:
                return self.evaluate(receiver, depth + 1)
            if method == "with_suffix" and args:
                suffix = literal(args[0].value)
                if isinstance(suffix, str):
                    return [replace_suffix(t, suffix) for t in self.evaluate(receiver, depth + 1)]
            if method == "with_name" and args:
                folders = [dirname(t) for t in self.evaluate(receiver, depth + 1)]
                return product([folders, self.evaluate(args[0].value, depth + 1)], join)
            if method == "format" and isinstance(receiver, (cst.SimpleString, cst.ConcatenatedString)):
                return self._format(node, receiver, depth)
            if method == "join" and isinstance(receiver, cst.SimpleString) and len(args) == 1 \
                    and isinstance(args[0].value, (cst.List, cst.Tuple)):
                separator = literal(receiver)
                if isinstance(separator, str):
                    elements = [self.evaluate(e.value, depth + 1) for e in args[0].value.elements]
                    return product(elements, lambda a, b: normalise(a + (separator,) + b))
            if method in ("get", "__getitem__") and args:
                base = self.evaluate(receiver, depth + 1)
                key = literal(args[0].value)
                if any(len(t) == 1 and is_hole(t[0]) and t[0][0] in ("configobj", "config") for t in base):
                    marker = base[0][0]
                    return [(("config", _shorten(f"{marker[1]}[{key!r}]" if isinstance(key, str) else marker[1])),)]
        if function[:1].isupper() and qualified and not qualified.startswith("builtins."):
            return [(("ref", qualified + "()"),)]  # an instance: its attributes are the class's facts
        return [(("unknown", call_text(node)),)]

    def _format(self, node: cst.Call, receiver, depth: int) -> list[Template]:
        pattern = literal(receiver)
        if not isinstance(pattern, str):
            return [(("unknown", "format"),)]
        args = positional(node)
        pieces: list[list[Template]] = []
        automatic = 0
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError:
            return [(("unknown", "format"),)]
        for text, field, _spec, _conversion in parsed:
            pieces.append([(text,)])
            if field is None:
                continue
            value: cst.BaseExpression | None = None
            name = field.split(".")[0].split("[")[0]
            if name == "":
                value = args[automatic].value if automatic < len(args) else None
                automatic += 1
            elif name.isdigit():
                value = args[int(name)].value if int(name) < len(args) else None
            else:
                found = keyword(node, name)
                value = found.value if found is not None else None
            pieces.append(self.evaluate(value, depth + 1) if value is not None and name == field
                          else [(("unknown", field),)])
        return product(pieces, concat) if pieces else [()]

    def _binary(self, node: cst.BinaryOperation, depth: int) -> list[Template]:
        if isinstance(node.operator, cst.Divide):
            left, right = self.evaluate(node.left, depth + 1), self.evaluate(node.right, depth + 1)
            if all(_opaque(t) for t in left) and all(_opaque(t) for t in right):
                return [(("unknown", _text(node)),)]
            return product([left, right], join)
        if isinstance(node.operator, cst.Add):
            left, right = self.evaluate(node.left, depth + 1), self.evaluate(node.right, depth + 1)
            return product([left, right], concat)
        if isinstance(node.operator, cst.Modulo) and isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString)):
            pattern = literal(node.left)
            if isinstance(pattern, str):
                values = node.right.elements if isinstance(node.right, cst.Tuple) else [node.right]
                pieces = re.split(r"(%[-#0 +]*\d*(?:\.\d+)?[sdrif])", pattern)
                out: list[list[Template]] = []
                position = 0
                for piece in pieces:
                    if re.fullmatch(r"%[-#0 +]*\d*(?:\.\d+)?[sdrif]", piece):
                        element = values[position] if position < len(values) else None
                        expression = element.value if isinstance(element, cst.Element) else element
                        out.append(self.evaluate(expression, depth + 1) if expression is not None else [(("unknown", "%"),)])
                        position += 1
                    else:
                        out.append([(piece.replace("%%", "%"),)])
                return product(out, concat)
        return [(("unknown", _text(node)),)]

    # -- calls ----------------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        index = self.index
        qualified = self.ctx.qualify(node.func) or ""
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else ""
        if method == "add_argument" or method == "add_option":
            self._argparse(node)
        if method in index.fit_methods or qualified in index.fit_functions:
            self.fits.append([self.ctx.scope, self.ctx.order])
        if method in index.restore_methods:
            self.restores = True
        if method in index.extract_methods or qualified in index.extract_functions:
            self.extracts = True
        if qualified in index.cli_runners:  # `CLI(main)`, `fire.Fire(main)`: main's parameters are options
            self.cli_exposed.update(arg.value.value for arg in node.args if isinstance(arg.value, cst.Name))
        entry = index.calls.get(qualified) if qualified else None
        if entry is not None:
            self._record(node, entry, qualified)
            return
        if method:
            for candidate in index.methods.get(method, ()):
                if self._method_applies(node, candidate, qualified):
                    self._record(node, candidate, qualified or call_text(node))
                    return
        self._call_site(node, qualified)

    def _method_applies(self, node: cst.Call, entry: dict, qualified: str) -> bool:
        attribute = entry.get("receiver_attribute")
        if attribute and not _receiver_has_attribute(node.func.value, attribute):
            return False
        requires = entry.get("requires")
        if not requires:
            return True
        if qualified and qualified.split(".")[0] in {name.split(".")[0] for name in requires}:
            return True
        imported = [target for target in self.ctx.scopes.stack[0][1].values() if target]
        return any(target == name or target.startswith(name + ".") for name in requires for target in imported)

    def _argparse(self, node: cst.Call) -> None:
        names = [literal(arg.value) for arg in positional(node)]
        names = [name for name in names if isinstance(name, str)]
        dest = keyword(node, "dest")
        destination = literal(dest.value) if dest is not None else None
        if not isinstance(destination, str):
            longs = [name for name in names if name.startswith("--")]
            chosen = longs[0] if longs else (names[0] if names else None)
            destination = chosen.lstrip("-").replace("-", "_") if chosen else None
        default = keyword(node, "default")
        if destination and default is not None:
            self.cli_defaults[destination] = self.evaluate(default.value)

    def _call_site(self, node: cst.Call, qualified: str) -> None:
        """Arguments of a call into (maybe) a project function, for parameters used as paths."""
        if not qualified or has_star(node) or qualified.split(".")[0] in self.index.library_roots:
            return
        recorded: list = []
        for position, arg in enumerate(node.args):
            if isinstance(arg.value, (cst.Integer, cst.Float, cst.Name)) and literal(arg.value) is not UNKNOWN:
                continue  # numbers, True, None
            values = self.evaluate(arg.value)
            if any(interesting(value) or _short_text(value) for value in values):
                slot = arg.keyword.value if arg.keyword is not None else position
                recorded.append([slot, values])
        if recorded:
            self.calls.append({"callee": qualified, "scope": self.ctx.scope, "args": recorded, "order": self.ctx.order,
                               "span": self.ctx.span(node), "symbol": self.ctx.symbol,
                               "guarded": self.ctx.in_main_guard})

    # -- reads that may find nothing -----------------------------------------------------------
    def visit_If_body(self, node: cst.If) -> None:
        if _checks_existence(node.test):
            self.optional += 1
        elif _checks_absence(node.test):
            self.filling += 1

    def leave_If_body(self, node: cst.If) -> None:
        if _checks_existence(node.test):
            self.optional -= 1
        elif _checks_absence(node.test):
            self.filling -= 1

    def visit_Try_body(self, node: cst.Try) -> None:
        if _handles_a_missing_file(node):
            self.optional += 1

    def leave_Try_body(self, node: cst.Try) -> None:
        if _handles_a_missing_file(node):
            self.optional -= 1

    def _record(self, node: cst.Call, entry: dict, qualified: str) -> None:
        if id(node) in self.handled:
            return
        self.handled.add(id(node))
        op = entry.get("op", "read")
        role = entry.get("role", "data")
        external = entry.get("external")
        event: dict[str, Any] = {"api": qualified.replace("()", "") or call_text(node), "text": call_text(node),
                                 "role": role, "external": external, "scope": self.ctx.scope,
                                 "symbol": self.ctx.symbol, "order": self.ctx.order, "unpinned": None,
                                 "object": None, "guarded": self.ctx.in_main_guard,
                                 "fetch": bool(entry.get("download") or entry.get("fetches"))}
        if self.optional:
            event["optional"] = True  # the code goes on without the file
        if self.filling:
            event["fills_missing"] = True  # written only when it is not there yet: a cache
        if "object" in entry:
            obj = argument(node, entry["object"], None)
            event["object"] = dotted(obj.value) if obj is not None else None
        if op in ("cloud_download", "cloud_upload", "cloud_read", "cloud_write", "gcs_download", "gcs_upload"):
            self._cloud(node, entry, op, event)
            return
        if op == "sql":
            self._sql(node, entry, event)
            return
        if op == "shell":
            self._shell(node, entry, event)
            return
        if op == "kedro":
            for direction, spec in (("read", entry.get("inputs")), ("write", entry.get("outputs"))):
                arg = argument(node, *spec) if spec else None
                for name in _dataset_names(arg.value) if arg is not None else ():
                    self._emit(node, direction, dict(event, external="catalog"), [(f"catalog:{name}",)])
            return
        if entry.get("sql"):
            self._sql(node, entry, event)
            return
        paths = self._location(node, entry, qualified)
        if paths is None:
            return
        if external == "hub" and entry.get("data_files"):
            data_files = keyword(node, entry["data_files"])
            builder = literal(argument(node, 0, "path").value) if argument(node, 0, "path") is not None else UNKNOWN
            local_builder = builder in self.index.local_builders or builder is UNKNOWN or \
                isinstance(builder, str) and builder.startswith((".", "/"))
            if local_builder and (data_files is not None or builder in self.index.local_builders):
                if data_files is not None:
                    self._emit(node, "read", dict(event, external=None), self._data_files(data_files.value))
                return
            # data_files of a Hub dataset (`load_dataset("allenai/c4", data_files=...)`) name files
            # inside that repository: the read is of the Hub dataset, below
        if entry.get("pin") or entry.get("checksum") or entry.get("download"):
            event["unpinned"] = self._pinning(node, entry)
        if op == "mode":
            mode_arg = argument(node, *entry.get("mode", [1, "mode"]))
            mode = literal(mode_arg.value) if mode_arg is not None else entry.get("default_mode", "r")
            if not isinstance(mode, str):
                return
            if "r" in mode or "+" in mode or not any(flag in mode for flag in "wax"):
                self._emit(node, "read", event, paths)
            if any(flag in mode for flag in "wax+"):
                self._emit(node, "write", event, paths)
            return
        if op == "copy" or entry.get("to"):
            self._emit(node, "read", event, paths)
            target = argument(node, *entry["to"]) if entry.get("to") else None
            if target is not None:
                self._emit(node, "write", dict(event, external=None, unpinned=None, download=bool(entry.get("download"))),
                           self.evaluate(target.value))
            return
        if entry.get("downloads_when"):
            flag = keyword(node, entry["downloads_when"])
            if flag is not None and literal(flag.value) not in (False, None):
                source = qualified.replace("()", "")
                self._emit(node, "read", dict(event, external="dataset"), [(f"dataset:{source}",)])
                self._emit(node, "write", dict(event, download=True), paths)
        self._emit(node, op, event, paths)

    def _location(self, node: cst.Call, entry: dict, qualified: str) -> list[Template] | None:
        spec = entry.get("path")
        if spec == "receiver":
            if not isinstance(node.func, cst.Attribute):
                return None
            values = self.evaluate(node.func.value)
            return values if any(not _opaque(value) for value in values) else None
        if spec == "callee":
            return [(f"{entry.get('external', 'dataset')}:{qualified.replace('()', '')}",)]
        if spec is None:
            return None
        arg = argument(node, spec[0] if spec[0] >= 0 else None, spec[1] if len(spec) > 1 else None)
        if arg is None or arg.star:
            return None
        if isinstance(arg.value, (cst.Name, cst.Attribute)) and (self.ctx.qualify(arg.value) or "").startswith(
                ("sys.stdout", "sys.stderr", "sys.stdin") + IN_MEMORY):
            return None
        if isinstance(arg.value, cst.Call) and (self.ctx.qualify(arg.value.func) or "").startswith(IN_MEMORY):
            return None
        return self.evaluate(arg.value)

    def _data_files(self, node: cst.BaseExpression) -> list[Template]:
        if isinstance(node, cst.Dict):
            values = [element.value for element in node.elements if isinstance(element, cst.DictElement)]
        elif isinstance(node, (cst.List, cst.Tuple)):
            values = [element.value for element in node.elements]
        else:
            values = [node]
        out: list[Template] = []
        for value in values:
            out.extend(self.evaluate(value))
        return _dedupe(out)

    def _pinning(self, node: cst.Call, entry: dict) -> str | None:
        """Why a remote source is not pinned ("pinned" when a version or checksum is given)."""
        if any(keyword(node, word) is not None for word in entry.get("pin", []) + entry.get("checksum", [])):
            return "pinned"
        if entry.get("checksum") or entry.get("download"):
            return "checksum"
        return "revision"

    def _sql(self, node: cst.Call, entry: dict, event: dict) -> None:
        spec = entry.get("sql") or [0, "sql"]
        arg = argument(node, spec[0], spec[1])
        if arg is None:
            return
        value = arg.value
        if isinstance(value, cst.Call) and value.args and (self.ctx.qualify(value.func) or "").endswith("text"):
            value = value.args[0].value
        sql = None
        for template in self.evaluate(value):
            text = constant(template)
            if text is not None:
                sql = text
                break
        if sql is None:
            return
        read, written = sql_tables(sql)
        for table in read:
            self._emit(node, "read", dict(event, external="table"), [(f"sql:{table}",)])
        for table in written:
            self._emit(node, "write", dict(event, external="table"), [(f"sql:{table}",)])

    def _shell(self, node: cst.Call, entry: dict, event: dict) -> None:
        """A download run as a command line (`aws s3 cp`, `wget -O`): a fetch of the remote
        location and, when the command names one, a write of the local file."""
        arg = argument(node, *entry.get("command", [0, "args"]))
        words = self._command_words(arg.value) if arg is not None else None
        if not words:
            return
        if _checks_checksums(words, self.index.checksum_commands):
            self.verified_scopes.add(self.ctx.scope)
        if _word(words[0]) in self.index.extract_commands:
            self.extracts = True
        for command in self.index.shell_downloads:
            rest = _after_command(words, command["words"])
            if rest is None:
                continue
            remote = next((word for word in rest if any(SCHEME.match(_head(template)) for template in word)), None)
            if remote is None:
                return
            scheme = _head(remote[0]).split("://")[0].lower()
            fetched = dict(event, external="url" if scheme in ("http", "https", "ftp") else "bucket", fetch=True,
                           unpinned="command")
            self._emit(node, "read", fetched, remote)
            local = _destination(rest, remote, command)
            if local is not None:
                self._emit(node, "write", dict(fetched, external=None, unpinned=None, download=True), local)
            return

    def _command_words(self, value: cst.BaseExpression) -> list[list[Template]] | None:
        """Each word of a command line: the values of a list's items, or a literal string split
        as a shell would."""
        if isinstance(value, (cst.List, cst.Tuple)):
            if any(not isinstance(element, cst.Element) for element in value.elements):
                return None  # a starred item: the words cannot be counted
            return [self.evaluate(element.value) for element in value.elements]
        for template in self.evaluate(value):
            text = constant(template)
            if text is not None:
                try:
                    return [[(word,)] for word in shlex.split(text)]
                except ValueError:  # an unbalanced quote
                    return None
        return None

    def _cloud(self, node: cst.Call, entry: dict, op: str, event: dict) -> None:
        event = dict(event, external="bucket", fetch=op in ("cloud_download", "cloud_read", "gcs_download"))
        if op.startswith("gcs"):
            remote = self._gcs_object(node.func.value)
            if op == "gcs_download":
                self._emit(node, "read", event, [remote])
                target = argument(node, 0, "filename")
                if target is not None and node.func.attr.value == "download_to_filename":
                    self._emit(node, "write", dict(event, external=None, download=True), self.evaluate(target.value))
            else:
                self._emit(node, "write", event, [remote])
                source = argument(node, 0, "filename")
                if source is not None and node.func.attr.value == "upload_from_filename":
                    self._emit(node, "read", dict(event, external=None), self.evaluate(source.value))
            return
        method = node.func.attr.value
        if op in ("cloud_download", "cloud_read"):
            bucket, key, local = argument(node, 0, "Bucket"), argument(node, 1, "Key"), argument(node, 2, "Filename")
        else:
            local, bucket, key = argument(node, 0, "Filename"), argument(node, 1, "Bucket"), argument(node, 2, "Key")
        if op in ("cloud_read", "cloud_write"):
            bucket, key, local = keyword(node, "Bucket"), keyword(node, "Key"), None
        remote = self._s3_uri(bucket, key, node)
        local_values = self.evaluate(local.value) if local is not None and not method.endswith("fileobj") else None
        if op in ("cloud_download", "cloud_read"):
            self._emit(node, "read", event, [remote])
            if local_values:
                self._emit(node, "write", dict(event, external=None, download=True), local_values)
        else:
            self._emit(node, "write", event, [remote])
            if local_values:
                self._emit(node, "read", dict(event, external=None), local_values)

    def _s3_uri(self, bucket: cst.Arg | None, key: cst.Arg | None, node: cst.Call) -> Template:
        bucket_values = self.evaluate(bucket.value) if bucket is not None else [(("unknown", "bucket"),)]
        if bucket is None:
            receiver = node.func.value
            if isinstance(receiver, cst.Call) and receiver.args:  # s3.Bucket("name").download_file(key, path)
                bucket_values = self.evaluate(receiver.args[0].value)
        key_values = self.evaluate(key.value) if key is not None else [()]
        return product([[("s3://",)], bucket_values, [("/",)], key_values], concat)[0]

    def _gcs_object(self, receiver: cst.BaseExpression) -> Template:
        """`client.bucket("b").blob("k")` (also through names bound to those) -> gs://b/k."""
        blob_name: list[Template] = [(("unknown", "blob"),)]
        bucket_name: list[Template] = [(("unknown", "bucket"),)]
        expression = self._expression_of(receiver)
        if isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute) \
                and expression.func.attr.value in ("blob", "get_blob", "Blob"):
            if expression.args:
                blob_name = self.evaluate(expression.args[0].value)
            bucket_expression = self._expression_of(expression.func.value)
            if isinstance(bucket_expression, cst.Call) and isinstance(bucket_expression.func, cst.Attribute) \
                    and bucket_expression.func.attr.value in ("bucket", "get_bucket", "Bucket") and bucket_expression.args:
                bucket_name = self.evaluate(bucket_expression.args[0].value)
        return product([[("gs://",)], bucket_name, [("/",)], blob_name], concat)[0]

    def _expression_of(self, node: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(node, cst.Name):
            return self.assigned.get(node.value, node)
        return node

    @property
    def assigned(self) -> dict[str, cst.BaseExpression]:
        if not hasattr(self, "_assigned"):
            self._assigned: dict[str, cst.BaseExpression] = {}
        return self._assigned

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.assigned[target.target.value] = node.value

    def _emit(self, node: cst.Call, op: str, event: dict, paths: list[Template] | None) -> None:
        if not paths:
            return
        self.events.append(dict(event, op=op, paths=[list(path) for path in paths][:MAX_ALTERNATIVES],
                                span=self.ctx.span(node)))

    def finish(self) -> None:
        for event in self.events:  # a download command checked by a checksum command in its function
            if event.get("unpinned") == "command" and event["scope"] in self.verified_scopes:
                event["unpinned"] = "pinned"
            if self.cli_exposed:
                event["paths"] = [_from_cli(path, self.cli_exposed) for path in event["paths"]]
        imports = [target for target in self.ctx.scopes.stack[0][1].values() if target]
        web = any(target == name or target.startswith(name + ".")
                  for name in self.index.web_frameworks for target in imports)
        serves_ui = any(target.split(".")[0] in ("streamlit", "gradio") for target in imports)
        self.ctx.facts.data[KEY] = {
            "events": self.events,
            "calls": self.calls,
            "constants": {name: values for name, values in {**self.final, **self.attributes}.items()
                          if any(interesting(value) or constant(value) is not None for value in values)},
            "fits": self.fits,
            **({"restores": True} if self.restores else {}),
            **({"extracts": True} if self.extracts else {}),
            "web": bool(web and (self.routes or serves_ui)),
        }

    @classmethod
    def for_project(cls, data: Any, reaches_project: Callable[[str], bool]) -> Any:
        """Call sites are kept to follow arguments into project functions' parameters."""
        if isinstance(data, dict) and data.get("calls"):
            data["calls"] = [call for call in data["calls"] if reaches_project(call["callee"])]
        return data


# -- helpers ----------------------------------------------------------------------------------------

def _head(template: Template) -> str:
    """The literal text a template starts with."""
    head = []
    for part in template:
        if not isinstance(part, str):
            break
        head.append(part)
    return "".join(head)


def _word(word: list[Template]) -> str | None:
    return constant(word[0]) if len(word) == 1 else None


def _after_command(words: list[list[Template]], command: list[str]) -> list[list[Template]] | None:
    """The words after `command` (`["gsutil", "cp"]` also matches `gsutil -m cp`, and the
    program may be named by its path), or None when the line runs another command."""
    first = _word(words[0]) if words else None
    if first is None or first.rsplit("/", 1)[-1] != command[0]:
        return None
    at = 1
    for expected in command[1:]:
        while at < len(words) and (_word(words[at]) or "").startswith("-"):
            at += 1  # an option of the program before its subcommand
        if at >= len(words) or _word(words[at]) != expected:
            return None
        at += 1
    return words[at:]


def _checks_checksums(words: list[list[Template]], programs: frozenset[str]) -> bool:
    """Whether a command line runs a checksum program in check mode (`sha256sum -c sums`,
    also after `&&` or `|`)."""
    plain = [_word(word) or "" for word in words]
    for at, word in enumerate(plain):
        if word.rsplit("/", 1)[-1] not in programs:
            continue
        for option in plain[at + 1:]:
            if option in SHELL_SEPARATORS:
                break  # the next command's options are not this one's
            if option == "--check" or (option.startswith("-") and not option.startswith("--") and "c" in option):
                return True
    return False


SHELL_SEPARATORS = frozenset({"&&", "||", "|", ";"})


def _destination(rest: list[list[Template]], remote: list[Template], command: dict) -> list[Template] | None:
    """The local file or directory a download command writes: the value of one of its output
    options, or else (for copy commands) the first plain word after the remote location."""
    for at, word in enumerate(rest[:-1]):
        if _word(word) in command.get("to_options", ()):
            return rest[at + 1]
    if command.get("basename") or any(_word(word) in command.get("basename_options", ()) for word in rest):
        return _remote_basename(remote)
    if not command.get("to_follows"):
        return None
    after = rest[rest.index(remote) + 1:]
    return next((word for word in after if not (_word(word) or "").startswith("-")), None)


def _from_cli(template: list, exposed: set[str]) -> list:
    """A parameter of a function a CLI runner calls (`jsonargparse.CLI(main)`) is an option of
    the command line, its default only the default of that option."""
    return [("cli", f"--{part[1].replace('_', '-')}", part[3]) if is_hole(part) and part[0] == "param"
             and part[4] in exposed else part for part in template]


EXISTENCE_CHECKS = frozenset({"exists", "isfile", "is_file", "isdir", "is_dir", "lexists"})
MISSING_FILE_ERRORS = frozenset({"FileNotFoundError", "OSError", "IOError", "EnvironmentError"})


def _checks_existence(test: cst.BaseExpression) -> bool:
    """`os.path.exists(p)`, `path.is_file()`, `a and exists(p)`: a test the body runs only when a
    file is there (a negated test, `not exists(p)`, guards the other branch, not this one)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return False
    if isinstance(test, cst.BooleanOperation):
        return _checks_existence(test.left) or _checks_existence(test.right)
    if isinstance(test, cst.Call):
        func = test.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return name in EXISTENCE_CHECKS
    return False


def _checks_absence(test: cst.BaseExpression) -> bool:
    """`not os.path.exists(p)`: the body runs when the file is missing."""
    return isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and \
        _checks_existence(test.expression)


def _handles_a_missing_file(node: cst.Try) -> bool:
    """A `try` whose handlers catch a missing file (`except FileNotFoundError`, `except OSError`)."""
    for handler in node.handlers:
        kinds = handler.type
        names = [element.value for element in kinds.elements] if isinstance(kinds, cst.Tuple) else [kinds]
        if any(isinstance(name, cst.Name) and name.value in MISSING_FILE_ERRORS
               or isinstance(name, cst.Attribute) and name.attr.value in MISSING_FILE_ERRORS for name in names):
            return True
    return False


def _remote_basename(remote: list[Template]) -> list[Template] | None:
    """The file name a download of `remote` is saved under by default: the last part of its
    path, when that is written out (`…/data.csv?raw=1` -> `data.csv`)."""
    names = []
    for template in remote:
        tail = template[-1] if template else None
        if not isinstance(tail, str) or "/" not in tail:
            continue
        name = tail.rsplit("/", 1)[1].split("?", 1)[0].split("#", 1)[0]
        if name:
            names.append((name,))
    return names or None


def _dataset_names(node: cst.BaseExpression) -> list[str]:
    """Dataset names in a Kedro node's inputs or outputs: a string, a list, or a dict of them."""
    if isinstance(node, (cst.List, cst.Tuple)):
        values = [element.value for element in node.elements]
    elif isinstance(node, cst.Dict):
        values = [element.value for element in node.elements if isinstance(element, cst.DictElement)]
    else:
        values = [node]
    names = [literal(value) for value in values]
    return [name for name in names if isinstance(name, str) and name and not name.startswith("params:")
            and name != "parameters"]


def _short_text(template: Template) -> bool:
    """A short literal that may become part of a location (`read_table("orders")`)."""
    text = constant(template)
    return text is not None and 0 < len(text) <= 120 and "\n" not in text


def _renamed_marker(template: Template, name: str) -> Template:
    if len(template) == 1 and is_hole(template[0]) and template[0][0] in ("cliobj", "configobj"):
        return ((template[0][0], name),)
    return template


def _opaque(template: Template) -> bool:
    """A value that says nothing about a location."""
    return all(is_hole(part) and part[0] == "unknown" for part in template) or not template


def _text(node: cst.CSTNode) -> str:
    """A short description of an expression for messages (no code generation: it is costly)."""
    if isinstance(node, cst.Call):
        return _shorten(call_text(node) + "()")
    if isinstance(node, cst.Subscript):
        return _shorten((dotted(node.value) or type(node.value).__name__) + "[…]")
    return _shorten(dotted(node) or type(node).__name__)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _receiver_has_attribute(node: cst.BaseExpression, attribute: str) -> bool:
    while True:
        if isinstance(node, cst.Attribute):
            if node.attr.value == attribute:
                return True
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return False


__all__ = ["IOCollector", "IOIndex", "KEY", "Template", "constant", "render", "join", "dirname", "holes",
           "is_hole", "normalise", "sql_tables", "MODULE_SCOPE"]
