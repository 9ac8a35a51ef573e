"""A plain string literal's value is read from its text; it must be what Python evaluates."""

from __future__ import annotations

import libcst as cst
import pytest

from debtscan.literals import string_value

LITERALS = ['"data/x.csv"', "'relu'", '""', "''", '"""a\nb"""', "'''x'''", 'r"C:\\data"', 'R"\\d+"', 'u"x"',
            '"a\\tb"', '"\\u00e9"', 'b"raw"', 'rb"\\x"', '""""quoted" """', "'\"inner\"'", '"é"']


@pytest.mark.parametrize("literal", LITERALS)
def test_string_value_is_what_libcst_evaluates(literal):
    node = cst.parse_expression(literal)
    assert isinstance(node, cst.SimpleString)
    assert string_value(node) == node.evaluated_value
    assert type(string_value(node)) is type(node.evaluated_value)
