"""Finds rules (the bundled pack and any `debtscan.rules` entry points) and selects them.

Selection works like ruff's: `select` and `ignore` take codes or prefixes (`DS1`, `DS101`),
the more specific entry wins, and a code that matches no rule is an error, not a silent no-op.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

from debtscan.meta import META_RULES
from debtscan.rule import Collector, FileRule, ProjectRule, Rule


class SelectionError(ValueError):
    """A rule code or prefix that names no rule."""


@lru_cache(maxsize=1)
def _pack():
    from debtscan import rules as pack

    rules = list(META_RULES) + list(pack.RULES)
    scanners = dict(pack.SCANNERS)
    for entry_point in sorted(metadata.entry_points(group="debtscan.rules"), key=lambda e: e.name):
        extra = entry_point.load()
        rules.extend(getattr(extra, "RULES", ()))
        scanners.update(getattr(extra, "SCANNERS", {}))
    rules.sort(key=lambda rule: rule.code)
    return tuple(rules), scanners


def all_rules() -> tuple[type[Rule], ...]:
    return _pack()[0]


def rule_by_code(code: str) -> type[Rule] | None:
    code = code.upper()
    for rule in all_rules():
        if rule.code == code or rule.name == code.lower():
            return rule
    return None


def check_codes(codes, what: str) -> None:
    known = [rule.code for rule in all_rules()]
    for code in codes:
        if not any(rule_code.startswith(code.upper()) for rule_code in known):
            raise SelectionError(f"{what}: {code!r} matches no rule (see `debtscan rules`)")


def select(select_codes, ignore_codes) -> tuple[type[Rule], ...]:
    """The enabled rules: the longest matching prefix decides between select and ignore."""
    check_codes(select_codes, "select")
    check_codes(ignore_codes, "ignore")
    enabled = []
    for rule in all_rules():
        chosen = max((len(code) for code in select_codes if rule.code.startswith(code.upper())), default=-1)
        dropped = max((len(code) for code in ignore_codes if rule.code.startswith(code.upper())), default=-1)
        if chosen >= 0 and chosen > dropped:  # at equal specificity, ignore wins
            enabled.append(rule)
    return tuple(enabled)


def visitors_for(enabled) -> tuple[tuple[type[FileRule], ...], tuple[type[Collector], ...]]:
    """The visitor classes to run in the traversal for the enabled rules."""
    scanners = _pack()[1]
    reported_by = {rule: scanner for scanner, rules in scanners.items() for rule in rules}
    file_visitors: list[type[FileRule]] = []
    collectors: list[type[Collector]] = []
    for rule in enabled:
        if rule in reported_by:
            if reported_by[rule] not in file_visitors:
                file_visitors.append(reported_by[rule])
        elif isinstance(rule, type) and issubclass(rule, FileRule):
            file_visitors.append(rule)
        elif isinstance(rule, type) and issubclass(rule, ProjectRule):
            for collector in rule.collectors:
                if collector not in collectors:
                    collectors.append(collector)
    return tuple(file_visitors), tuple(collectors)
