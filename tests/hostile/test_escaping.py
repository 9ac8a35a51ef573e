"""Every output format escapes what it quotes from scanned files -- file names, code, string
literals -- so a repository cannot drive the terminal, forge CI annotations or inject markup
into the reports of the CI that scans it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from debtscan.cli import main

from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.report import FORMATS, render
from debtscan.runner import scan

# what a hostile repository can put in a file name and in a string literal
ESCAPE, BELL, BIDI = "\x1b", "\x07", "\u202e"
TRICKS = [
    "\x1b[2J\x1b]0;owned\x07",  # clear the screen, set the terminal title
    "\u202edesrever",  # right-to-left override: shows text other than what is there
    "[bold red]markup[/]",  # rich markup
    "<script>alert(1)</script>",  # HTML
    "]]><injected/>",  # XML CDATA end and an element
    "%0A::error file=x.py::forged",  # a GitHub workflow command, percent-encoded
    "\n::error file=x.py::forged",  # and a raw one, after a newline
]
IN_A_LINE = " ".join(trick for trick in TRICKS if "\n" not in trick)
FILE_NAME = "evil\x1b[31m<i>\u202e\n::error file=x.py::forged.py"
SETTINGS = Settings(min_confidence=Confidence.LOW)


@pytest.fixture(scope="module")
def hostile_result(tmp_path_factory):
    root = tmp_path_factory.mktemp("escaping")
    source = (f'TRAIN = "/data/train.csv"  # {IN_A_LINE}\n'  # the code line is quoted with the finding
              f"x = 1  # debtscan: ignore[DS999] {IN_A_LINE}\n")  # the directive is quoted in the message
    (root / FILE_NAME).write_text(source, encoding="utf-8")
    (root / "broken\x1b[5m.py").write_text(f"print 'x'  # {IN_A_LINE}\n", encoding="utf-8")
    result = scan([root], root, SETTINGS, jobs=1)
    assert sorted(f.rule for f in result.findings) == ["DS001", "DS004", "DS201"]
    assert any(TRICKS[0] in f.snippet for f in result.findings) and any("\x1b[2J" in f.message for f in result.findings)
    result.root = "."
    return result


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_control_character_from_a_scanned_file_reaches_the_output(hostile_result, fmt):
    output = render(hostile_result, fmt, SETTINGS)
    assert ESCAPE not in output and BELL not in output and BIDI not in output


@pytest.mark.parametrize("fmt", [fmt for fmt in ("json", "sarif", "gitlab") if fmt in FORMATS])
def test_json_formats_parse_and_keep_the_text_exactly(hostile_result, fmt):
    document = json.loads(render(hostile_result, fmt, SETTINGS))
    shown = "evil\\x1b[31m<i>\\u202e\\x0a::error file=x.py::forged.py"  # the file name, escaped once
    assert shown in {unquote(text) for text in strings(document)}  # SARIF holds paths as URIs


def strings(value):
    """Every string in a JSON document, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.mark.skipif("junit" not in FORMATS, reason="no junit format")
def test_junit_is_well_formed_xml_without_injected_elements(hostile_result):
    tree = ET.fromstring(render(hostile_result, "junit", SETTINGS))
    assert not [element for element in tree.iter() if element.tag in ("injected", "script", "i")]


@pytest.mark.skipif("html" not in FORMATS, reason="no html format")
def test_html_shows_markup_from_scanned_files_as_text(hostile_result):
    output = render(hostile_result, "html", SETTINGS)
    assert "<script>alert(1)</script>" not in output and "<injected/>" not in output and "<i>" not in output


@pytest.mark.skipif("github" not in FORMATS, reason="no github format")
def test_github_annotations_cannot_be_forged(hostile_result):
    lines = render(hostile_result, "github", SETTINGS).splitlines()
    assert len(lines) == len(hostile_result.findings) + len(hostile_result.errors)
    assert all(line.startswith(("::warning ", "::error ", "::notice ")) for line in lines)
    assert all(line.count("::") == 2 for line in lines), lines  # the command's own two, none from the file


def test_text_output_shows_markup_literally_and_nothing_that_moves_the_cursor(hostile_result):
    output = render(hostile_result, "text", SETTINGS, color=True)
    assert "[bold red]markup[/]" in output
    assert "\x1b[2J" not in output and "\x1b]0;" not in output and "\x1b[31m" not in output


@pytest.mark.parametrize("fmt", [fmt for fmt in ("text", "github") if fmt in FORMATS])
def test_a_newline_in_a_file_name_cannot_forge_a_line_of_the_report(hostile_result, fmt):
    output = render(hostile_result, fmt, SETTINGS)
    assert not any(line.startswith("::error file=x.py::forged") for line in output.splitlines()), output


def test_error_lines_on_stderr_are_escaped_too(tmp_path, monkeypatch):
    """A path named on the command line that does not exist is echoed back: escaped, on one line."""
    monkeypatch.chdir(tmp_path)
    missing = "gone\x1b]0;owned\x07\n::error::forged.py"
    completed = CliRunner().invoke(main, [missing, "--no-cache"])
    assert completed.exit_code == 2
    assert ESCAPE not in completed.stderr and BELL not in completed.stderr
    assert [line for line in completed.stderr.splitlines() if "gone" in line] == [
        "debtscan: error: gone\\x1b]0;owned\\x07\\n::error::forged.py: path does not exist: "
        "gone\\x1b]0;owned\\x07\\n::error::forged.py"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_name_that_is_not_utf8_does_not_break_any_format(tmp_path, monkeypatch, fmt):
    (tmp_path / "ok.py").write_text('P = "/data/a.csv"\n')
    with open(bytes(tmp_path) + b"/latin\xe9.py", "wb") as handle:
        handle.write(b'Q = "/data/b.csv"\n')
    monkeypatch.chdir(tmp_path)
    completed = CliRunner().invoke(main, [".", "--no-cache", "--format", fmt])  # writes UTF-8, as a terminal does
    assert completed.exit_code == 1 and completed.stderr == "", (completed.stderr, completed.exception)
    assert "latin" in completed.stdout and "ok.py" in completed.stdout


# -- CI logs: a line a runner reads as a command must come from debtscan, never from the tree ------------

# What a scanned repository can try to print into a GitHub Actions log: an annotation, a secret mask,
# a pause of command processing, the legacy `##[command]` form (matched anywhere in a line), terminal
# escapes (ANSI, OSC), a bidi override, CR, NUL and a newline that starts a line of its own.
WORKFLOW_COMMANDS = ["::error file=x,line=1::forged", "::add-mask::secret", "::stop-commands::tok",
                     "##[error]forged"]
RAW_CONTROLS = ["\x1b[2J", "\x1b]0;owned\x07", "\u202e", "\r", "\x00"]
FORBIDDEN = ["\x1b", "\x07", "\u202e", "\r", "\x00", "##["]
GITHUB_LINE = re.compile(r"::(error|warning|notice) [^:]*::")  # properties percent-encode every ':'
# Every line of the text report starts with text of debtscan's own (the findings of one file under
# their heading, then errors and the summary).
TEXT_LINE = re.compile(r"(── |  \d+:\d+ |  cell \d+:\d+:\d+ |             [│└] |             also: |error: |Found |"
                       r"No debt found |  [a-z-]+ +\d+   DS|Glue ratio |Not shown: |Paid off |\d+ findings? at or above )")


def _literal(start: str, payload: str, end: str = "") -> str:
    """A string literal whose value holds `payload` after a newline (written with escapes, so the
    file itself is plain ASCII and parses)."""
    return repr(f"{start}\n{payload}{end}")


@pytest.fixture(scope="module")
def forgery_result(tmp_path_factory):
    root = tmp_path_factory.mktemp("forgery")
    lines = ["import pandas as pd", "from transformers import AutoModel"]
    for number, payload in enumerate(WORKFLOW_COMMANDS + RAW_CONTROLS):
        lines += [f"df{number} = pd.read_csv({_literal('data/in', payload, '.csv')})",
                  f"df{number}.to_csv({_literal('data/out', payload, '.csv')})",
                  f"m{number} = AutoModel.from_pretrained({_literal('org/model', payload)})"]
    (root / "train.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for command in WORKFLOW_COMMANDS:  # a file name that is a workflow command
        (root / f"{command}.py").write_text('P = "/data/train.csv"\n', encoding="utf-8")
        (root / command).mkdir()
        (root / command / f"{command}.py").write_text('Q = "/data/test.csv"\n', encoding="utf-8")
    (root / "ctl\x1b]0;t\x07\r\u202e.py").write_text('R = "/data/ctl.csv"\n', encoding="utf-8")
    result = scan([root], root, SETTINGS, jobs=1)
    messages = "".join(finding.message for finding in result.findings)
    assert all(f"\n{payload}" in messages for payload in WORKFLOW_COMMANDS + RAW_CONTROLS), messages
    assert sum(finding.rule == "DS201" for finding in result.findings) == 2 * len(WORKFLOW_COMMANDS) + 1
    result.root = "."
    return result


@pytest.mark.parametrize("fmt,color", [(fmt, False) for fmt in FORMATS] + [("text", True)])  # text has colour
def test_no_format_lets_a_scanned_tree_write_a_workflow_command(forgery_result, fmt, color):
    output = render(forgery_result, fmt, SETTINGS, color=color)
    if color:
        output = re.sub(r"\x1b\[[0-9;]*m", "", output)  # debtscan's own colour codes
    assert [char for char in FORBIDDEN if char in output] == []
    for line in output.splitlines():
        if fmt == "github":
            assert GITHUB_LINE.match(line), line
        else:
            assert not line.lstrip().startswith("::"), line


def test_the_text_report_never_starts_a_line_with_text_from_the_tree(forgery_result):
    lines = render(forgery_result, "text", SETTINGS).splitlines()
    assert [line for line in lines if line and not TEXT_LINE.match(line)] == []
    assert "── ::error file=x,line=1::forged.py" in lines  # the file's own heading, behind debtscan's mark


def test_newlines_and_carriage_returns_are_escaped_like_other_control_characters():
    from debtscan.report.escape import visible

    assert visible("a\nb\rc\x00d\x1be\u202ef##[g") == "a\\nb\\rc\\x00d\\x1be\\u202ef#\\x23[g"
