"""Inline suppressions, read once per file and applied after every rule has run.

    x = np.random.rand(3)  # debtscan: ignore[DS101] sampling noise is intended here
    # debtscan: fixme[DS103] tracked in JIRA-123
    model = RandomForestClassifier()
    # debtscan: ignore-file[DS2]
    y = np.random.rand(3)  # noqa: DS101

`ignore` means intended (or a false positive); `fixme` means acknowledged debt, still counted.
A directive covers a finding that starts or ends on its line, or, when the comment stands on
its own line, the statement that starts on the next line. Directives that suppress nothing,
or that name no known rule, are findings themselves (DS003, DS004), as in ruff's RUF100.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

DIRECTIVE = re.compile(r"#\s*debtscan\s*:\s*(?P<kind>[A-Za-z-]+)\s*(?:\[(?P<codes>[^\]]*)\])?\s*(?P<reason>.*)$")
NOQA = re.compile(r"#\s*noqa\s*:\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*)", re.IGNORECASE)
CODE = re.compile(r"^DS[0-9]{0,3}$")
# Text that may hold a directive; a file without any is not tokenized (most `noqa`s name other tools).
MAYBE_DIRECTIVE = re.compile(r"#\s*debtscan\s*:|#\s*noqa\s*:[^\n]*?ds", re.IGNORECASE)
KINDS = ("ignore", "fixme", "ignore-file")


@dataclass(frozen=True)
class Directive:
    cell: int | None
    line: int
    column: int
    kind: str  # "ignore", "fixme", "ignore-file", "noqa", or "malformed"
    codes: tuple[str, ...]
    reason: str = ""
    own_line: bool = False
    text: str = ""
    target: int = 0  # for a directive on its own line: the next code line it covers
    file_line: int = 0  # in a notebook: the line of the .ipynb file holding the comment

    def applies_to(self, cell: int | None, line: int, end_line: int) -> bool:
        if self.kind == "ignore-file":
            return True
        if cell != self.cell:
            return False
        if self.own_line:
            return line == self.target
        return line <= self.line <= max(line, end_line)

    def covers(self, rule: str) -> bool:
        return any(rule.startswith(code) for code in self.codes)


def parse_directives(source) -> list[Directive]:
    """Every debtscan directive in a decoded `Source`, in order."""
    text = source.text
    if not MAYBE_DIRECTIVE.search(text):
        return []
    directives: list[Directive] = []
    lines = text.split("\n")
    for line, column, comment, own_line in _comments(text):
        directive = _parse_comment(comment)
        if directive is None:
            continue
        kind, codes, reason = directive
        cell, cell_line = source.place(line)
        target = source.place(next_code_line(lines, line))[1] if own_line else cell_line
        directives.append(Directive(cell, cell_line, column, kind, codes, reason, own_line, comment.strip(), target,
                                    source.file_line(line)))
    return directives


def _parse_comment(comment: str) -> tuple[str, tuple[str, ...], str] | None:
    match = DIRECTIVE.search(comment)
    if match:
        kind = match.group("kind").lower()
        raw_codes = match.group("codes")
        codes = tuple(code.strip().upper() for code in (raw_codes or "").split(",") if code.strip())
        if kind not in KINDS or raw_codes is None or not codes or not all(CODE.match(code) for code in codes):
            return "malformed", codes, match.group(0)
        return kind, codes, match.group("reason").strip()
    match = NOQA.search(comment)
    if match:
        codes = tuple(code.strip().upper() for code in match.group("codes").split(","))
        ours = tuple(code for code in codes if code.startswith("DS"))
        if ours:
            return "noqa", ours, ""
    return None


def _comments(text: str):
    """(line, column, comment text, stands on its own line) for each comment, via tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        yield from _comments_by_line(text)
        return
    lines = text.split("\n")
    for token in tokens:
        if token.type == tokenize.COMMENT:
            line, column = token.start
            own = lines[line - 1][:column].strip() == "" if line - 1 < len(lines) else False
            yield line, column, token.string, own


def _comments_by_line(text: str):
    """A fallback for text tokenize rejects: a `#` outside obvious quotes starts a comment."""
    for number, line in enumerate(text.split("\n"), start=1):
        index = line.find("#")
        if index >= 0 and line[:index].count('"') % 2 == 0 and line[:index].count("'") % 2 == 0:
            yield number, index, line[index:], line[:index].strip() == ""


def next_code_line(source_lines: list[str], line: int) -> int:
    """The first line after `line` that is not blank or a comment (for own-line directives)."""
    for number in range(line + 1, len(source_lines) + 1):
        stripped = source_lines[number - 1].strip()
        if stripped and not stripped.startswith("#"):
            return number
    return line + 1
