"""The declarative knowledge of ML libraries, loaded from TOML and extended from config.

The engine does not interpret the catalog: it loads every `*.toml` of the rule pack's
`catalog` package, merges them section by section (lists of tables are concatenated, tables
are merged), adds the user's `[tool.debtscan.catalog]` entries, and expands the shorthand
`prefix` + `functions` into full `names`. Rules give the sections their meaning; the user's
entries are checked against the shapes of the bundled ones (`debtscan.catalog_check`).
"""

from __future__ import annotations

import sys
from importlib import resources
from typing import Any

from debtscan.catalog_check import CatalogShapeError, check_extensions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CATALOG_PACKAGE = "debtscan.rules.catalog"


class CatalogError(ValueError):
    """A catalog or catalog extension that cannot be used."""


def load_catalog(extensions: dict[str, Any] | None = None) -> dict[str, Any]:
    catalog: dict[str, Any] = {}
    folder = resources.files(CATALOG_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".toml"):
            try:
                merge(catalog, tomllib.loads(entry.read_text(encoding="utf-8")), origin=entry.name)
            except tomllib.TOMLDecodeError as error:
                raise CatalogError(f"catalog file {entry.name}: {error}") from None
    if extensions:
        unknown = sorted(set(extensions) - set(catalog))
        if unknown:
            raise CatalogError(f"unknown catalog section(s) {', '.join(unknown)}; known: {', '.join(sorted(catalog))}")
        try:
            check_extensions(extensions, catalog)
        except CatalogShapeError as error:
            raise CatalogError(str(error)) from None
        merge(catalog, extensions, origin="[tool.debtscan.catalog]")
    for section, value in catalog.items():
        if isinstance(value, list):
            catalog[section] = [expand(entry, section) for entry in value]
    return catalog


def merge(into: dict[str, Any], extra: dict[str, Any], origin: str) -> None:
    for section, value in extra.items():
        if section not in into:
            into[section] = value if not isinstance(value, list) else list(value)
        elif isinstance(into[section], list) and isinstance(value, list):
            into[section].extend(value)
        elif isinstance(into[section], dict) and isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, list) and isinstance(into[section].get(key), list):
                    into[section][key] = into[section][key] + item
                else:
                    into[section][key] = item
        else:
            raise CatalogError(f"{origin}: section {section!r} must be a {type(into[section]).__name__}")


def expand(entry: Any, section: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise CatalogError(f"catalog section {section!r}: each entry must be a table")
    names = list(entry.get("names", []))
    prefix = entry.get("prefix")
    if prefix:
        names += [f"{prefix}.{function}" for function in entry.get("functions", [])]
    if not all(isinstance(name, str) for name in names):
        raise CatalogError(f"catalog section {section!r}: names must be strings")
    expanded = dict(entry)
    expanded["names"] = names
    return expanded


def index_by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """name -> entry, the later entry winning, for O(1) lookups in rules."""
    return {name: entry for entry in entries for name in entry.get("names", [])}


class CatalogIndex:
    """A view of the catalog built once per process and catalog, however many files use it (a
    subclass per rule family).

    Keyed by the catalog object, which is held with its index: keyed by its `id` alone, a
    catalog freed and another made at the same address would get the first one's index.
    """

    _instances: dict[tuple[type, int], tuple[dict, "CatalogIndex"]] = {}
    KEPT = 64  # catalogs; a process uses one, a test suite many

    def __init__(self, catalog: dict[str, Any]) -> None:
        raise NotImplementedError

    @classmethod
    def of(cls, catalog: dict[str, Any]):
        key = (cls, id(catalog))
        found = CatalogIndex._instances.get(key)
        if found is None or found[0] is not catalog:
            if len(CatalogIndex._instances) >= CatalogIndex.KEPT:
                CatalogIndex._instances.clear()
            found = CatalogIndex._instances[key] = (catalog, cls(catalog))
        return found[1]
