"""Inline suppressions: ignore vs fixme, placement, file-level, noqa, unused and malformed ones."""

from __future__ import annotations

from helpers import found, scan_project


def test_ignore_on_the_line_removes_only_that_finding(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "import numpy as np\n"
        "a = np.random.rand(3)  # debtscan: ignore[DS101] noise is the point here\n"
        "b = np.random.rand(3)\n")})
    assert found(result) == [("m.py", 3, "DS101")]
    assert result.counts["ignored"] == 1


def test_directive_on_the_line_above_covers_the_next_statement(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "from sklearn.ensemble import RandomForestClassifier\n"
        "# debtscan: fixme[DS103] seed plumbing tracked in ML-42\n"
        "model = RandomForestClassifier(\n"
        "    n_estimators=10,\n"
        ")\n")})
    assert found(result) == []
    assert [f.rule for f in result.fixme] == ["DS103"]
    assert result.counts["fixme"] == 1


def test_directive_at_the_end_of_a_multiline_call(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "from sklearn.ensemble import RandomForestClassifier\n"
        "model = RandomForestClassifier(\n"
        "    n_estimators=10,\n"
        ")  # debtscan: ignore[DS103]\n")})
    assert found(result) == []


def test_prefix_and_noqa_codes(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "import numpy as np\n"
        "a = np.random.rand(3)  # debtscan: ignore[DS1]\n"
        "b = np.random.rand(3)  # noqa: E501, DS101\n"
        "c = np.random.rand(3)  # noqa: E501\n")})
    assert found(result) == [("m.py", 4, "DS101")]


def test_ignore_file(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "# debtscan: ignore-file[DS2] this module documents example locations\n"
        "import numpy as np\n"
        "A = '/data/train.csv'\n"
        "B = 's3://bucket/key'\n"
        "c = np.random.rand(3)\n")})
    assert found(result) == [("m.py", 5, "DS101")]


def test_unused_suppression_is_reported(tmp_path):
    result = scan_project(tmp_path, {"m.py": "x = 1  # debtscan: ignore[DS101] stale\n"})
    assert found(result) == [("m.py", 1, "DS003")]


def test_unused_check_skips_rules_that_are_not_running(tmp_path):
    result = scan_project(tmp_path, {"m.py": "x = 1  # debtscan: ignore[DS101] stale\n"}, select=("DS2", "DS0"))
    assert found(result) == []


def test_malformed_suppressions_are_reported(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "import numpy as np\n"
        "a = np.random.rand(3)  # debtscan: ignore\n"
        "b = np.random.rand(3)  # debtscan: ignore[DS999]\n"
        "c = np.random.rand(3)  # debtscan: skip[DS101]\n")})
    # the three draws share one cause: one finding, the other draws its related locations
    assert sorted(found(result)) == [("m.py", 2, "DS004"), ("m.py", 2, "DS101"), ("m.py", 3, "DS004"),
                                     ("m.py", 4, "DS004")]
    (draws,) = [finding for finding in result.findings if finding.rule == "DS101"]
    assert [place.line for place in draws.related] == [3, 4]


def test_directive_text_inside_a_string_is_not_a_directive(tmp_path):
    result = scan_project(tmp_path, {"m.py": (
        "import numpy as np\n"
        "doc = '# debtscan: ignore[DS101]'; a = np.random.rand(3)\n")})
    assert found(result) == [("m.py", 2, "DS101")]


def test_suppressing_a_line_removes_exactly_that_place(tmp_path):
    """Draws one missing seed explains are one finding; a suppression on one of them still
    takes that one draw out, and on the draw reported first the next one is reported instead."""
    source = (
        "import numpy as np\n"
        "import random\n"
        "a = np.random.rand(3); b = random.random()\n"
        "c = np.random.rand(3)\n")

    def numpy_finding(result):
        (finding,) = [f for f in result.findings if f.rule == "DS101" and "NumPy" in f.message]
        return finding.location.line, [place.line for place in finding.related]

    before = scan_project(tmp_path / "a", {"m.py": source})
    assert found(before) == [("m.py", 3, "DS101"), ("m.py", 3, "DS101")] and numpy_finding(before) == (3, [4])
    after = scan_project(tmp_path / "b", {"m.py": source.replace("c = np.random.rand(3)\n",
                                                                  "c = np.random.rand(3)  # debtscan: ignore[DS101]\n")})
    assert numpy_finding(after) == (3, []) and after.counts["ignored"] == 1 and len(after.findings) == 2
    first = scan_project(tmp_path / "c", {"m.py": source.replace("b = random.random()\n",
                                                                  "b = random.random()  # debtscan: ignore[DS101]\n")})
    assert found(first) == [("m.py", 4, "DS101")] and first.counts["ignored"] == 2


def test_files_whose_noqa_comments_name_other_tools_are_not_tokenized(monkeypatch):
    import tokenize

    from debtscan.source import decode_python
    from debtscan.suppress import parse_directives

    def refuse(*args, **kwargs):
        raise AssertionError("tokenized a file without directives")

    other_tools = decode_python(b"import os  # noqa: F401\nx = 1  # NOQA\n", "a.py")
    monkeypatch.setattr(tokenize, "generate_tokens", refuse)
    assert parse_directives(other_tools) == []
    monkeypatch.undo()
    ours = decode_python(b"import numpy as np\nnp.random.rand()  # NOQA:ds101\n", "b.py")
    assert [(d.line, d.kind, d.codes) for d in parse_directives(ours)] == [(2, "noqa", ("DS101",))]
