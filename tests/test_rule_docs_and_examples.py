"""Every rule documents itself and proves itself: its VALID examples raise nothing of the rule,
its INVALID examples raise it, and its doc has the four sections users rely on."""

from __future__ import annotations

import pytest

from debtscan.registry import all_rules
from debtscan.rule import DOC_SECTIONS

from helpers import scan_project

RULES = all_rules()
VALID = [(rule, index, code) for rule in RULES for index, code in enumerate(rule.VALID)]
INVALID = [(rule, index, code) for rule in RULES for index, code in enumerate(rule.INVALID)]


def example_files(code):
    """An example is one file's code, or {file name: content} for rules about several files."""
    return dict(code) if isinstance(code, dict) else {"example.py": code}


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_has_complete_documentation(rule):
    sections = rule.doc_sections()
    for section in DOC_SECTIONS:
        assert sections.get(section, "").strip(), f"{rule.code} doc lacks '## {section}'"
    assert rule.code and rule.name and rule.family and rule.summary and rule.fix
    assert rule.VALID and rule.INVALID, f"{rule.code} needs VALID and INVALID examples"


def test_rule_codes_and_names_are_unique():
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)


@pytest.mark.parametrize("rule,index,code", VALID, ids=[f"{r.code}-valid-{i}" for r, i, _ in VALID])
def test_valid_example_is_not_reported(tmp_path, rule, index, code):
    result = scan_project(tmp_path, example_files(code))
    assert [f.message for f in result.findings if f.rule == rule.code] == []


@pytest.mark.parametrize("rule,index,code", INVALID, ids=[f"{r.code}-invalid-{i}" for r, i, _ in INVALID])
def test_invalid_example_is_reported(tmp_path, rule, index, code):
    result = scan_project(tmp_path, example_files(code))
    assert any(f.rule == rule.code for f in result.findings), [f.rule for f in result.findings]
