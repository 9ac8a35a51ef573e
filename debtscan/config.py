"""`[tool.debtscan]` in pyproject.toml, merged with command-line options into one Settings.

Unknown keys and wrong types are errors with the file's path, never silently ignored: a
setting that does nothing is worse than no setting.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from debtscan.model import Confidence, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".env", "env", "virtualenv", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "build", "dist", "node_modules",
    "site-packages", "*.egg-info", ".eggs", ".dvc", "mlruns", "wandb", ".cache",
)


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] = ("DS",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    fail_on: Severity = Severity.WARNING
    min_confidence: Confidence = Confidence.MEDIUM
    respect_gitignore: bool = True
    catalog: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    config_path: str | None = None

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **{key: value for key, value in changes.items() if value is not None})


KEYS = {
    "select": "list of rule codes or prefixes",
    "ignore": "list of rule codes or prefixes",
    "extend-select": "list of rule codes or prefixes",
    "exclude": "list of glob patterns (replaces the defaults)",
    "extend-exclude": "list of glob patterns",
    "per-file-ignores": "table of glob pattern -> list of rule codes",
    "fail-on": "info, warning or error",
    "min-confidence": "low, medium or high",
    "respect-gitignore": "true or false",
    "catalog": "table of catalog sections to extend",
}


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.debtscan] table, from `start` upwards.

    The search stops at a repository boundary (a directory holding `.git`), so a project
    inside another project's checkout is not configured by its host.
    """
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return candidate  # reported properly by load_settings
            if "debtscan" in data.get("tool", {}):
                return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    table = data.get("tool", {}).get("debtscan", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.debtscan] must be a table")
    return settings_from_table(table, str(path))


def settings_from_table(table: dict[str, Any], origin: str) -> Settings:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"{origin}: unknown key(s) in [tool.debtscan]: {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(KEYS))})")
    settings = Settings(config_path=origin)
    changes: dict[str, Any] = {}
    if "select" in table:
        changes["select"] = _codes(table, "select", origin)
    if "extend-select" in table:
        changes["select"] = changes.get("select", settings.select) + _codes(table, "extend-select", origin)
    if "ignore" in table:
        changes["ignore"] = _codes(table, "ignore", origin)
    if "exclude" in table:
        changes["exclude"] = _strings(table, "exclude", origin)
    if "extend-exclude" in table:
        changes["extend_exclude"] = _strings(table, "extend-exclude", origin)
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, dict):
            raise ConfigError(f"{origin}: per-file-ignores must be a table of glob -> list of rule codes")
        changes["per_file_ignores"] = tuple(
            (pattern, _codes(raw, pattern, origin, f"per-file-ignores.{pattern!r}")) for pattern in sorted(raw))
    if "fail-on" in table:
        changes["fail_on"] = _enum(Severity, table["fail-on"], "fail-on", origin)
    if "min-confidence" in table:
        changes["min_confidence"] = _enum(Confidence, table["min-confidence"], "min-confidence", origin)
    if "respect-gitignore" in table:
        if not isinstance(table["respect-gitignore"], bool):
            raise ConfigError(f"{origin}: respect-gitignore must be true or false")
        changes["respect_gitignore"] = table["respect-gitignore"]
    if "catalog" in table:
        if not isinstance(table["catalog"], dict):
            raise ConfigError(f"{origin}: [tool.debtscan.catalog] must be a table of catalog sections")
        changes["catalog"] = table["catalog"]
    return replace(settings, **changes)


def _strings(table: dict, key: str, origin: str, label: str | None = None) -> tuple[str, ...]:
    value = table[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{origin}: {label or key} must be a list of strings ({KEYS.get(key, 'strings')})")
    return tuple(value)


def _codes(table: dict, key: str, origin: str, label: str | None = None) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in _strings(table, key, origin, label))


def _enum(kind, value, key: str, origin: str):
    if not isinstance(value, str):
        raise ConfigError(f"{origin}: {key} must be a string ({KEYS[key]})")
    try:
        return kind.parse(value)
    except ValueError as error:
        raise ConfigError(f"{origin}: {key}: {error}") from None
