"""`[tool.debtscan]` in pyproject.toml, merged with command-line options into one Settings.

Unknown keys and wrong types are errors with the file's path, never silently ignored: a
setting that does nothing is worse than no setting.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pathspec

from debtscan.model import Confidence, Severity
from debtscan.source import UnreadableText, read_text_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".tox", ".nox", ".venv", "venv", ".env", "env", "virtualenv", "__pycache__",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", "build", "dist", "node_modules",
    "site-packages", "*.egg-info", ".eggs", ".dvc", "mlruns", "wandb", ".cache",
)


# A pyproject.toml is a few kilobytes; this bounds what a hostile one can make debtscan hold.
MAX_CONFIG_BYTES = 16 * 1024 * 1024


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
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # [tool.debtscan.data]
    roles: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (role, globs) from [tool.debtscan.roles]
    glue: tuple[tuple[str, float], ...] = ()  # glue-code thresholds from [tool.debtscan.glue]
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
    "data": "table declaring the project's data: inputs, outputs, ignore, [[stages]]",
    "roles": "table of role -> list of glob patterns (training, serving, shared, evaluation, test)",
    "glue": "table of glue-code thresholds (min-statements, function-ratio, module-min-statements, module-ratio)",
}
# Statement counts are whole numbers of at least 1; ratios are fractions in (0, 1].
GLUE_KEYS = {"min-statements": "count", "module-min-statements": "count", "function-ratio": "ratio", "module-ratio": "ratio"}
ROLES = ("training", "serving", "shared", "evaluation", "test")


def find_config(start: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.debtscan] table, from `start` upwards.

    The search stops at a repository boundary (a directory holding `.git`), so a project
    inside another project's checkout is not configured by its host.
    """
    current = start.resolve()
    if _answered(current.is_file):
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / "pyproject.toml"
        if _answered(candidate.is_file):
            try:
                data = tomllib.loads(read_text_file(candidate, MAX_CONFIG_BYTES))
            except (UnreadableText, tomllib.TOMLDecodeError):
                return candidate  # reported properly by load_settings
            if "debtscan" in data.get("tool", {}):
                return candidate
        if _answered((directory / ".git").exists):
            return None
    return None


def _answered(question) -> bool:
    """`question()` (`path.is_file`, `path.exists`), False when it cannot be answered: a path in a
    directory that cannot be searched is not looked at here; the scan reports the directory."""
    try:
        return question()
    except OSError:
        return False


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        data = tomllib.loads(read_text_file(path, MAX_CONFIG_BYTES))
    except UnreadableText as error:
        raise ConfigError(f"{path}: {error}") from None
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
        changes["exclude"] = _globs(table, "exclude", origin)
    if "extend-exclude" in table:
        changes["extend_exclude"] = _globs(table, "extend-exclude", origin)
    if "per-file-ignores" in table:
        raw = table["per-file-ignores"]
        if not isinstance(raw, dict):
            raise ConfigError(f"{origin}: per-file-ignores must be a table of glob -> list of rule codes")
        _checked_globs(tuple(sorted(raw)), origin, "per-file-ignores")
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
    if "data" in table:
        changes["data"] = validate_data_table(table["data"], origin)
    if "roles" in table:
        changes["roles"] = _roles(table["roles"], origin)
    if "glue" in table:
        changes["glue"] = _glue(table["glue"], origin)
    return replace(settings, **changes)


def _sub_table(raw: Any, section: str, known, origin: str, contents: str, noun: str = "key") -> dict:
    """[tool.debtscan.<section>] as a table of known keys; anything else is an error."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: [tool.debtscan.{section}] must be a table of {contents}")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ConfigError(f"{origin}: unknown {noun}(s) in [tool.debtscan.{section}]: {', '.join(unknown)} "
                          f"(known: {', '.join(known)})")
    return raw


def _roles(raw: Any, origin: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Globs that assign files a role outright, in the fixed order of ROLES."""
    _sub_table(raw, "roles", ROLES, origin, "role -> list of glob patterns", noun="role")
    return tuple((role, _globs(raw, role, origin, f"roles.{role}")) for role in ROLES if role in raw)


def _glue(raw: Any, origin: str) -> tuple[tuple[str, float], ...]:
    _sub_table(raw, "glue", sorted(GLUE_KEYS), origin, "glue-code thresholds (" + ", ".join(GLUE_KEYS) + ")")
    for key in sorted(raw):
        value = raw[key]
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if GLUE_KEYS[key] == "count" and not (number and isinstance(value, int) and value >= 1):
            raise ConfigError(f"{origin}: glue.{key} must be a whole number of at least 1, not {value!r}")
        if GLUE_KEYS[key] == "ratio" and not (number and 0 < value <= 1):
            raise ConfigError(f"{origin}: glue.{key} must be a number above 0 and at most 1, not {value!r}")
    return tuple((key, raw[key]) for key in sorted(raw))


def _globs(table: dict, key: str, origin: str, label: str | None = None) -> tuple[str, ...]:
    """A list of gitignore-style patterns; one that cannot be compiled, or that matches nothing
    (an unclosed `[`, a lone `!`, a trailing `\\`), is an error rather than a setting that does nothing."""
    return _checked_globs(_strings(table, key, origin, label), origin, label or key)


def _checked_globs(patterns: tuple[str, ...], origin: str, label: str) -> tuple[str, ...]:
    for pattern in patterns:
        problem = glob_problem(pattern)
        if problem:
            raise ConfigError(f"{origin}: {label}: {pattern!r} is not a valid pattern ({problem})")
    return patterns


def glob_problem(pattern: str) -> str | None:
    """Why a gitignore-style pattern is no pattern, or None: what pathspec, which applies it,
    refuses or compiles to nothing."""
    try:
        compiled = pathspec.GitIgnoreSpec.from_lines([pattern]).patterns
    except (ValueError, re.error) as error:  # pathspec's pattern errors are ValueErrors
        return str(error).split("\n")[0]
    if not any(item.include is not None for item in compiled):
        return "it matches nothing: empty, a comment, or an unclosed bracket"
    return None


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


DATA_KEYS = {"inputs": "list of paths or glob patterns the project reads but does not produce",
             "outputs": "list of paths or glob patterns the project produces",
             "ignore": "list of paths or glob patterns that are not data dependencies",
             "stages": "list of tables with name, cmd, deps, outs"}
STAGE_KEYS = {"name": "the stage's name", "cmd": "the command (or list of commands) that runs it",
              "deps": "list of paths it reads", "outs": "list of paths it writes"}


def validate_data_table(raw: Any, origin: str) -> dict[str, Any]:
    """`[tool.debtscan.data]`: data declarations for projects without DVC, Kedro or MLflow.

    Returns plain lists (`cmd` always a list); unknown keys and wrong types are errors.
    """
    _sub_table(raw, "data", DATA_KEYS, origin, "inputs, outputs, ignore and stages")
    data: dict[str, Any] = {key: list(_strings(raw, key, origin, f"data.{key}")) for key in ("inputs", "outputs", "ignore")
                            if key in raw}
    stages = raw.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(stage, dict) for stage in stages):
        raise ConfigError(f"{origin}: data.stages must be a list of tables ([[tool.debtscan.data.stages]])")
    data["stages"] = []
    for number, stage in enumerate(stages, start=1):
        label = f"data.stages[{number}]"
        unknown = sorted(set(stage) - set(STAGE_KEYS))
        if unknown:
            raise ConfigError(f"{origin}: unknown key(s) in {label}: {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(STAGE_KEYS))})")
        if not isinstance(stage.get("name"), str) or not stage["name"].strip():
            raise ConfigError(f"{origin}: {label}.name must be a non-empty string")
        if "cmd" not in stage:
            raise ConfigError(f"{origin}: {label}.cmd is required (the command that runs the stage)")
        data["stages"].append({
            "name": stage["name"],
            "cmd": list(_strings(stage, "cmd", origin, f"{label}.cmd")),
            "deps": list(_strings(stage, "deps", origin, f"{label}.deps")) if "deps" in stage else [],
            "outs": list(_strings(stage, "outs", origin, f"{label}.outs")) if "outs" in stage else [],
        })
    return data
