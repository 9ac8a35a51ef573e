"""What a `[tool.debtscan.catalog]` extension may hold: what the rule pack's own catalog holds.

The engine gives no section a meaning, so an added entry is checked against the bundled
entries of its section: it is a table when they are, it uses only keys they use (plus the
`names`, `prefix` + `functions` shorthand), and each value has a shape theirs have (a string,
a list of strings, a whole number…). Keys whose values name the tables of another section
(a seed setter's `streams`) are listed in the catalog's `[references]`, and an added value must
name one of them. An entry that breaks these rules would do nothing, or crash a rule; it is an
error with its place (`catalog.seed_setters[2].names`) instead.
"""

from __future__ import annotations

from typing import Any

SHORTHAND = {"names": {"list": {"string"}}, "prefix": {"string": set()}, "functions": {"list": {"string"}}}
NOUNS = {"string": ("a string", "strings"), "integer": ("a whole number", "whole numbers"),
         "float": ("a number", "numbers"), "boolean": ("true or false", "true or false values"),
         "list": ("a list", "lists"), "table": ("a table", "tables")}


class CatalogShapeError(ValueError):
    """An extension entry unlike the bundled entries of its section; the message says where."""


def check_extensions(extensions: dict[str, Any], bundled: dict[str, Any]) -> None:
    """Raise CatalogShapeError for the first extension value whose shape the bundled catalog
    does not use; sections the bundled catalog lacks are the caller's to refuse."""
    _Checker(extensions, bundled).check()


class _Checker:
    def __init__(self, extensions: dict[str, Any], bundled: dict[str, Any]) -> None:
        self.extensions = extensions
        self.bundled = bundled
        self.references = bundled.get("references", {})

    def check(self) -> None:
        for section, extra in self.extensions.items():
            own = self.bundled.get(section)
            where = f"catalog.{section}"
            if isinstance(own, list):
                if not isinstance(extra, list):
                    raise CatalogShapeError(f"{where} must be a list of tables ([[tool.debtscan.{where}]])")
                shapes = {**SHORTHAND, **_key_shapes(own)}
                for number, entry in enumerate(extra, start=1):
                    self.entry(entry, shapes, section, f"{where}[{number}]")
            elif isinstance(own, dict):
                if not isinstance(extra, dict):
                    raise CatalogShapeError(f"{where} must be a table ([tool.debtscan.{where}])")
                shapes = _key_shapes([own])
                for key, value in extra.items():  # a table may map names of its own: only known keys are checked
                    if key in shapes:
                        self.value(value, shapes[key], f"{section}.{key}", f"{where}.{key}")

    def entry(self, entry: Any, shapes: dict, section: str, where: str) -> None:
        if not isinstance(entry, dict):
            raise CatalogShapeError(f"{where} must be a table, not {entry!r}")
        unknown = sorted(set(entry) - set(shapes))
        if unknown:
            raise CatalogShapeError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(shapes))})")
        for key, value in entry.items():
            self.value(value, shapes[key], f"{section}.{key}", f"{where}.{key}")

    def value(self, value: Any, expected: dict[str, set[str]], key: str, where: str) -> None:
        """`expected`: shape -> the shapes of its elements (for lists) in the bundled catalog."""
        if not _fits(value, expected):
            raise CatalogShapeError(f"{where} must be {_describe(expected)}, not {value!r}")
        table = self.references.get(key)
        if table is None:
            return
        names = {**self.bundled.get(table, {}), **self.extensions.get(table, {})}
        for item in value if isinstance(value, list) else [value]:
            if item not in names:
                raise CatalogShapeError(f"{where}: {item!r} is not one of the catalog's {table} "
                                        f"({', '.join(sorted(names))})")


def _fits(value: Any, expected: dict[str, set[str]]) -> bool:
    shape = _shape(value)
    if shape not in expected and not (shape == "integer" and "float" in expected):
        return False
    elements = expected.get("list") if shape == "list" else None
    return not elements or all(_fits(item, {element: set() for element in elements}) for item in value)


def _key_shapes(entries: list) -> dict[str, dict[str, set[str]]]:
    """key -> {shape of its values -> shapes of their elements}, over the bundled entries."""
    shapes: dict[str, dict[str, set[str]]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for key, value in entry.items():
            elements = shapes.setdefault(key, {}).setdefault(_shape(value), set())
            if isinstance(value, list):
                elements.update(_shape(item) for item in value)
    return shapes


# TOML's types, most specific first (a bool is an int to Python)
SHAPES = ((bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"), (list, "list"), (dict, "table"))


def _shape(value: Any) -> str:
    return next((name for kind, name in SHAPES if isinstance(value, kind)), type(value).__name__)


def _describe(expected: dict[str, set[str]]) -> str:
    """"a list of strings", "a string or a list of whole numbers or strings"."""
    described = []
    for shape in sorted(expected):
        singular = NOUNS.get(shape, (shape, shape))[0]
        if shape == "list" and expected[shape]:
            singular += " of " + " or ".join(NOUNS.get(item, (item, item))[1] for item in sorted(expected[shape]))
        described.append(singular)
    return " or ".join(described)
