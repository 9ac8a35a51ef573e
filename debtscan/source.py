"""Bytes on disk -> Python text to parse, with a map back to what a person sees.

`.py` files are decoded as Python does (BOM, PEP 263 coding cookie, UTF-8 by default).
Notebooks (nbformat 4) become their code cells joined into one module: IPython magics, `%%cell`
magics and `!shell` lines are masked so the rest still parses, a cell that does not parse is
left out and reported, and every line of the joined text maps back to (cell, line in cell).
Cells are numbered from 1 in notebook order, markdown cells included, so "cell 4" is the fourth
cell a person sees.

Nothing read here is ever imported or run. CPython's own parser and name binder (`symtable`,
never compiled to code) decide what is valid Python before libcst sees it: they are hardened
against pathological nesting, while libcst's native parser can overflow the stack on input
CPython refuses.
"""

from __future__ import annotations

import ast
import errno
import io
import json
import os
import re
import stat
import symtable
import sys
import tokenize
import warnings
from dataclasses import dataclass, field, replace

from debtscan.model import FileProblem

# One file's code larger than this is generated (data dumps, protobuf modules): analysing it
# costs minutes and gigabytes, so it is reported instead. Hand-written modules stay far below
# (pandas' frame.py, among the largest, is 0.7 MB).
MAX_CODE_CHARS = 2_000_000
# What analysing a file costs follows its tokens, not its bytes: libcst builds a few nodes per
# token, and the whole analysis takes about 25 µs and 2.5 KB per token. A file with more is a
# data table (a list literal pasted into code) or generated; the largest hand-written modules
# hold about 150,000 (numpy's test_multiarray.py, 0.4 MB: 110,000).
MAX_CODE_TOKENS = 250_000
# Python's tokens, near enough to count them: a string (with its prefix) or a comment is one,
# a name or number is one, any other visible character is one; layout is not counted. Cheaper
# than `tokenize` by eight times, and never more than one per character.
TOKEN = re.compile(r"""[rRbBuUfF]{0,2}(?:'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\""""
                   r"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|#[^\n]*|\w+|[^\w\s]""", re.S)
# Bytes read from disk at most; notebooks carry their outputs, so this is well above the code limit.
MAX_FILE_BYTES = 256 * 1024 * 1024
# libcst nests `a and b and c` one level per operand, and its native parser overflows the
# stack near 8000; CPython keeps the chain flat, so its parser does not catch this case.
MAX_BOOLEAN_OPERANDS = 2000

# Cell magics whose body is Python that the kernel runs; any other `%%magic` cell is not Python.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "python", "python3"})
ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.\[\], ]+?\s*=\s*)[%!].*$")
NESTING_LIMITS = ("too many nested parentheses", "too many levels of indentation", "too complex",
                  "too many statically nested blocks")
BOOLEAN_OPERATOR = re.compile(r"\b(?:and|or)\b")
PYTHON2_LINE = re.compile(r"^\s*(print\s+[^\s(=]|exec\s+[\"'\w]|except\s+[\w.]+\s*,\s*\w+\s*:|raise\s+\w+\s*,)")


@dataclass
class Source:
    """Python text ready to parse, plus where each of its lines came from."""

    path: str
    text: str
    encoding: str = "utf-8"
    # For notebooks: joined line number (1-based) -> (cell number, line in cell), both 1-based.
    cell_map: dict[int, tuple[int, int]] | None = None
    problems: list[FileProblem] = field(default_factory=list)
    # For notebooks: (cell number, masked code) of every cell in `text`, so one can be dropped.
    cells: list[tuple[int, str]] = field(default_factory=list)
    # For notebooks: cell number -> the line of the .ipynb file each of its lines is stored on.
    file_lines: dict[int, list[int]] = field(default_factory=dict)
    # For notebooks: (cell, line) -> the line as written, where the parsed text reads otherwise
    # (`!wget $url` parsed as the call IPython makes of it), so reports quote what people wrote.
    written: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def is_notebook(self) -> bool:
        return self.cell_map is not None

    def place(self, line: int) -> tuple[int | None, int]:
        """(cell, line) as a person would look it up for a line of the parsed text."""
        if self.cell_map is None:
            return None, line
        return self.cell_map.get(line, (None, line))

    def file_line(self, line: int) -> int:
        """The line of the .ipynb file that holds a line of the parsed text; 0 when it is not
        known, and for a .py file, whose lines are the file's (as `Location.file_line`).

        A notebook is JSON, so a code line sits on a line of its own in the file only when the
        cell's source is a list of lines, as Jupyter writes it; code-scanning UIs show the file
        as stored, and need this line to put a finding on it.
        """
        cell, inside = self.place(line)
        return self.cell_file_line(cell, inside)

    def file_line_field(self, line: int) -> dict[str, int]:
        """{"file_line": ...} to add to a span that starts on `line` of a notebook; {} for a .py
        file, whose spans need no such field."""
        return {"file_line": self.file_line(line)} if self.is_notebook else {}

    def cell_file_line(self, cell: int | None, line: int) -> int:
        """The line of the .ipynb file holding line `line` of cell `cell` (0: not known)."""
        stored = self.file_lines.get(cell, ()) if cell is not None else ()
        return stored[line - 1] if 0 < line <= len(stored) else 0

    def line_as_written(self, line: int, lines: list[str]) -> str:
        """Line `line` of the parsed text (`lines`) as the file shows it."""
        if self.written:
            cell, inside = self.place(line)
            if cell is not None and (cell, inside) in self.written:
                return self.written[(cell, inside)]
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def without_cell(self, number: int, problem: FileProblem) -> "Source":
        """The same notebook without cell `number`, which `problem` explains."""
        kept = [(cell, code) for cell, code in self.cells if cell != number]
        return replace(_joined(self.path, kept, [*self.problems, problem], self.file_lines), written=self.written)


# -- reading ------------------------------------------------------------------------------------

def read_file(absolute: str, rel: str) -> bytes | FileProblem:
    """The bytes of a regular file, or the reason there are none."""
    found = read_regular_file(absolute, MAX_FILE_BYTES)
    return FileProblem(rel, "read", found) if isinstance(found, str) else found[0]


def read_regular_file(path: str | os.PathLike, limit: int, *,
                      follow_symlinks: bool = True) -> tuple[bytes, os.stat_result] | str:
    """The bytes (at most `limit`) and status of the regular file at `path`, or why there are none.

    Every file debtscan reads goes through here. FIFOs, sockets and devices (a `data.py ->
    /dev/zero` symlink in a pull request, a pipe planted in a cache) are refused before anything
    is read from them, so they can neither block a scan nor exhaust its memory; the check is
    made on the opened file, so the path cannot be swapped in between.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        return _open_failure(error, os.fspath(path))
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            return "is a directory, not a file"
        if not stat.S_ISREG(info.st_mode):
            return "is not a regular file (a pipe, socket or device)"
        if info.st_size > limit:
            return f"is too large to read ({_megabytes(info.st_size)}, over {_megabytes(limit)})"
        with os.fdopen(descriptor, "rb", closefd=True) as handle:
            descriptor = -1
            # sized by fstat: read(n) allocates n bytes first, and the limit is far above most files
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # it grew since fstat: read on, up to the limit
                data += handle.read(limit + 1 - len(data))
        if len(data) > limit:  # it grew while being read
            return f"is too large to read (over {_megabytes(limit)})"
        return data, info
    except OSError as error:
        return f"cannot be read ({error.strerror or error})"
    finally:
        if descriptor >= 0:
            os.close(descriptor)


class UnreadableText(Exception):
    """A file debtscan wanted as text could not be had; the message says why ("is not a regular
    file (...)", "cannot be read (...)", "is not UTF-8 text"), to follow the file's name."""


def read_text_file(path: str | os.PathLike, limit: int, *, errors: str = "strict") -> str:
    """The UTF-8 text of the regular file at `path`, newlines normalised as `open()` would;
    raises UnreadableText. Configuration, manifests and ignore files are read through here, so
    a pipe named `dvc.yaml` is refused exactly as a pipe named `train.py` is."""
    found = read_regular_file(path, limit)
    if isinstance(found, str):
        raise UnreadableText(found)
    try:
        text = found[0].decode("utf-8", errors)
    except UnicodeDecodeError:
        raise UnreadableText("is not UTF-8 text") from None
    return _normalise_newlines(text)


def _open_failure(error: OSError, absolute: str) -> str:
    if error.errno == errno.EISDIR:
        return "is a directory, not a file"
    if error.errno == errno.ELOOP:
        return "is a symlink loop"
    if error.errno == errno.ENOENT and os.path.islink(absolute):
        return "is a broken symlink"
    if error.errno == errno.ENXIO:
        return "is not a regular file (a pipe, socket or device)"
    return f"cannot be read ({error.strerror or error})"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


# -- .py files --------------------------------------------------------------------------------

def decode_python(data: bytes, path: str) -> Source | FileProblem:
    """Decode Python source bytes the way the interpreter would."""
    if b"\x00" in data:
        return FileProblem(path, "decode", "contains NUL bytes, so it is not Python source",
                           line=data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        reason = error.msg if isinstance(error.msg, str) else str(error)
        if reason.startswith("invalid or missing encoding declaration"):
            return _undecodable(data, path, "utf-8")  # bytes that are not UTF-8 and no cookie saying what they are
        return FileProblem(path, "decode", f"bad coding declaration: {reason}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return _undecodable(data, path, encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(path=path, text=_normalise_newlines(text), encoding=encoding)


def _undecodable(data: bytes, path: str, encoding: str) -> FileProblem:
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return FileProblem(path, "decode", f"cannot be decoded as {encoding}: {error.reason} "
                                           f"(byte 0x{data[error.start]:02x} on line {line})", line=line)
    except LookupError as error:
        return FileProblem(path, "decode", f"bad coding declaration: {error}")
    return FileProblem(path, "decode", f"cannot be decoded as {encoding}")


def _normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so line numbers agree with every editor."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# -- notebooks ----------------------------------------------------------------------------------

def decode_notebook(data: bytes, path: str) -> Source | FileProblem:
    """Join a notebook's code cells into one parsable module."""
    try:
        document = json.loads(text := data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        return FileProblem(path, "notebook", f"not a readable notebook: not UTF-8 ({error.reason})")
    except ValueError as error:
        return FileProblem(path, "notebook", f"not a readable notebook: invalid JSON ({_short(error)})")
    except RecursionError:
        return FileProblem(path, "notebook", "not a readable notebook: JSON nested too deeply")
    if not isinstance(document, dict) or not isinstance(document.get("cells", None), list):
        if isinstance(document, dict) and isinstance(document.get("worksheets"), list):
            return FileProblem(path, "notebook", "a notebook in nbformat 3, which is not supported; convert it "
                                                 "with `jupyter nbconvert --to notebook`")
        return FileProblem(path, "notebook", "JSON but not a Jupyter notebook (no list of cells)")
    if document["cells"] and not any(isinstance(cell, dict) for cell in document["cells"]):
        return FileProblem(path, "notebook", "JSON but not a Jupyter notebook (its cells are not JSON objects)")
    if not _is_python_notebook(document):
        return Source(path=path, text="", cell_map={})  # an R or Julia notebook holds no Python to check
    cells: list[tuple[int, str]] = []
    problems: list[FileProblem] = []
    written: dict[tuple[int, int], str] = {}
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):  # no kind, no source: what it held is unknown, so it is reported
            shown = json.dumps(cell, ensure_ascii=True)
            problems.append(FileProblem(path, "notebook", f"cell {number} is not a notebook cell (a JSON object): "
                                                          f"{shown if len(shown) <= 40 else shown[:39] + '…'}",
                                        cell=number))
            continue
        if cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        if isinstance(raw, list) and all(isinstance(part, str) for part in raw):
            raw = "".join(raw)
        if not isinstance(raw, str):
            problems.append(FileProblem(path, "notebook", f"cell {number} has a source that is neither text nor "
                                                          f"a list of lines", cell=number))
            continue
        original = _normalise_newlines(raw)
        code = mask_magics(clean_cell(original))
        problem = syntax_problem(code, path, cell=number)
        if problem is not None:
            problems.append(problem)
            continue
        cells.append((number, code))
        if code != original:
            written.update(((number, index), before) for index, (before, after)
                           in enumerate(zip(original.split("\n"), code.split("\n")), start=1) if before != after)
    joined = _joined(path, cells, problems, _file_lines(text, document["cells"]) if cells or problems else {})
    joined.written = written
    joined.problems = [replace(problem, file_line=joined.cell_file_line(problem.cell, problem.line))
                       if problem.cell is not None else problem for problem in problems]
    return joined


def _is_python_notebook(document: dict) -> bool:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for section, key in (("kernelspec", "language"), ("language_info", "name")):
        value = metadata.get(section, {}).get(key) if isinstance(metadata.get(section), dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip().lower().startswith(("python", "ipython"))
    return True


_SOURCE_KEY = re.compile(r'"source"\s*:\s*')
_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _file_lines(text: str, cells: list) -> dict[int, list[int]]:
    """Cell number -> the line of the notebook file each line of the code cell is stored on.

    The JSON parser keeps no positions, so each cell's `"source"` value is found in the text in
    notebook order and accepted only when it decodes to exactly the cell's source; a cell that
    cannot be matched so (a key named "source" inside outputs is skipped) gets no lines.
    """
    decoder = json.JSONDecoder()
    found: dict[int, list[int]] = {}
    position, counted, line = 0, 0, 1
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or "source" not in cell:
            continue
        expected = cell["source"]
        while True:
            match = _SOURCE_KEY.search(text, position)
            if match is None:
                return found
            try:
                value, end = decoder.raw_decode(text, match.end())
            except ValueError:
                value, end = None, match.end()
            position = end
            if value == expected and type(value) is type(expected):
                break
        if cell.get("cell_type") != "code" or not (isinstance(expected, str) or (
                isinstance(expected, list) and all(isinstance(part, str) for part in expected))):
            continue
        starts = _element_starts(text, match.end()) if isinstance(expected, list) else [match.end()]
        parts = expected if isinstance(expected, list) else [expected]
        stored: list[int] = []  # index: code line - 1
        code_line = 1  # the code line the next character of the source belongs to
        for start, part in zip(starts, parts):
            line += text.count("\n", counted, start)
            counted = start
            pieces = _normalise_newlines(part).split("\n")
            # an empty last piece means the part ended its line: the next line is the next part's
            last = code_line + len(pieces) - 1 - (pieces[-1] == "")
            stored.extend([line] * max(0, last - len(stored)))
            code_line += len(pieces) - 1
        found[number] = stored
    return found


def _element_starts(text: str, start: int) -> list[int]:
    """Offsets of the strings of the JSON list of strings that starts at `start` (already
    decoded once, so it is well formed)."""
    starts = []
    index = _JSON_SPACE.match(text, start + 1).end()  # past "["
    while text[index] == '"':
        starts.append(index)
        _value, index = json.decoder.scanstring(text, index + 1)
        index = _JSON_SPACE.match(text, index).end()
        if text[index] == ",":
            index = _JSON_SPACE.match(text, index + 1).end()
    return starts


def _joined(path: str, cells: list[tuple[int, str]], problems: list[FileProblem],
            file_lines: dict[int, list[int]] | None = None) -> Source:
    lines: list[str] = []
    cell_map: dict[int, tuple[int, int]] = {}
    for number, code in cells:
        for index, line in enumerate(code.split("\n"), start=1):
            lines.append(line)
            cell_map[len(lines)] = (number, index)
        lines.append("")  # a blank line between cells keeps statements apart
    return Source(path=path, text="\n".join(lines) + "\n", cell_map=cell_map, problems=problems, cells=cells,
                  file_lines=file_lines or {})


SHELL_EXPANSION = re.compile(r"\$\$|\$([A-Za-z_][A-Za-z0-9_]*)|\{([^{}\"'\\\\]+)\}")


def shell_call(command: str) -> str:
    """`!cmd $name {expr}` as the call IPython runs for it, `get_ipython().system(f"cmd {name} {expr}")`,
    so a download in a notebook (`!wget $url -O data.csv`) is seen like one in a script.
    A command whose expansions are not Python stays `pass`."""
    pieces = []
    at = 0
    for match in SHELL_EXPANSION.finditer(command):
        pieces.append(_fstring_literal(command[at:match.start()]))
        name, expression = match.group(1), match.group(2)
        if name is None and expression is None:
            pieces.append("$")
        elif name is not None or _is_expression(expression):
            pieces.append("{" + (name or expression.strip()) + "}")
        else:  # `{}` of `find -exec`, `{print $1}` of awk: IPython leaves them as they are
            pieces.append(_fstring_literal(match.group(0)))
        at = match.end()
    pieces.append(_fstring_literal(command[at:]))
    call = 'get_ipython().system(f"' + "".join(pieces) + '")'
    return call if _is_expression(call) else "pass"


def _is_expression(text: str) -> bool:
    try:
        ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return False
    return True


def _fstring_literal(text: str) -> str:
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")
            .replace("\n", " "))


def clean_cell(code: str) -> str:
    """IPython's input cleanup, which runs before a cell is parsed: a cell whose first line is
    indented loses that indent on every line (`leading_indent`), and `>>> `/`... ` or
    `In [1]: ` prompts pasted from a console are dropped (`classic_prompt`, `ipython_prompt`).
    Line counts never change."""
    lines = code.split("\n")
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return code
    if first.startswith((">>> ", ">>>\t")) or first.rstrip() == ">>>":
        lines = [_without_prompt(line, (">>> ", "... ", ">>>", "...")) for line in lines]
    elif PROMPT_IN.match(first):
        lines = [PROMPT_IN.sub("", line, count=1) if PROMPT_IN.match(line) else PROMPT_GOES_ON.sub("", line, count=1)
                 for line in lines]
    first = next(line for line in lines if line.strip()) if any(line.strip() for line in lines) else ""
    indent = first[: len(first) - len(first.lstrip())]
    if indent:
        lines = [line[len(indent):] if line.startswith(indent) else line for line in lines]
    return "\n".join(lines)


PROMPT_IN = re.compile(r"^In \[\d+\]: ?")
PROMPT_GOES_ON = re.compile(r"^\s*\.\.\.+: ?")


def _without_prompt(line: str, prompts: tuple[str, ...]) -> str:
    for prompt in prompts:
        if line.startswith(prompt):
            return line[len(prompt):]
    return line


def mask_magics(code: str) -> str:
    """Replace IPython-only syntax with Python of the same shape and line count.

    Only lines that start a statement are magics: a `%` or `!` continuing an expression in
    brackets, or inside a triple-quoted string, is Python (or string content) and stays.
    """
    lines = code.split("\n")
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        words = lines[first].lstrip()[2:].split()
        if not words or words[0] not in PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in lines)
        lines[first] = ""
    scanner = _LineScanner()
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        assigned = ASSIGNED_MAGIC.match(line)
        if scanner.at_statement_start() and (stripped.startswith(("%", "!")) or assigned):
            start = index
            command = stripped[1:] if stripped.startswith("!") and not stripped.startswith("!!") else None
            while line.endswith("\\") and index + 1 < len(lines):  # `!cmd \` goes on, as IPython reads it
                index += 1
                if command is not None:
                    command = command[:-1] + " " + lines[index].strip()
                line, lines[index] = lines[index], ""
            if assigned and not stripped.startswith(("%", "!")):
                lines[start] = assigned.group(1) + "None"
            else:
                lines[start] = indent + (shell_call(command) if command is not None else "pass")
        elif scanner.at_statement_start():
            state = scanner.state()
            code_part = scanner.feed(line)
            if stripped.startswith("?") or (scanner.at_statement_start() and code_part.rstrip().endswith("?")):
                lines[index] = indent + "pass"  # `obj?` / `?obj` asks IPython for help
                scanner.restore(state)
        else:
            scanner.feed(line)
        index += 1
    return "\n".join(lines)


class _LineScanner:
    """Just enough of Python's tokenizer to know whether a line starts a new statement: open
    brackets, an open triple-quoted string and backslash continuations carry a statement over."""

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None
        self.continued = False

    def at_statement_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.continued

    def state(self) -> tuple[int, str | None, bool]:
        return self.depth, self.quote, self.continued

    def restore(self, state: tuple[int, str | None, bool]) -> None:
        self.depth, self.quote, self.continued = state

    def feed(self, line: str) -> str:
        """Advance over `line`; returns the part of it before any comment."""
        index, length = 0, len(line)
        code_end = length
        while index < length:
            if self.quote is not None:
                index = self._close_string(line, index)
                continue
            char = line[index]
            if char == "#":
                code_end = index
                break
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char in "'\"":
                self.quote = line[index:index + 3] if line[index:index + 3] in ('"""', "'''") else char
                index += len(self.quote)
                continue
            index += 1
        if self.quote is not None and len(self.quote) == 1 and not line.endswith("\\"):
            self.quote = None  # an unterminated one-line string ends with its line
        self.continued = self.quote is None and line[:code_end].rstrip().endswith("\\")
        return line[:code_end]

    def _close_string(self, line: str, index: int) -> int:
        assert self.quote is not None
        while index < len(line):
            if line[index] == "\\":
                index += 2
                continue
            if line.startswith(self.quote, index):
                index += len(self.quote)
                self.quote = None
                return index
            index += 1
        return index


# -- what CPython accepts ------------------------------------------------------------------------

def syntax_problem(code: str, path: str, cell: int | None = None) -> FileProblem | None:
    """Why `code` cannot be analysed, or None; decided by CPython's parser, so libcst only ever
    sees code the running Python accepts, with nesting CPython has already bounded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like are not our findings
            # The parser and the binder alone: cheaper than building the AST as Python objects,
            # and what Python refuses to import (`nonlocal` at module level) is refused here.
            # Top-level `await`, which notebooks allow, passes both.
            symtable.symtable(code, path, "exec")
    except SyntaxError as error:
        message = error.msg if isinstance(error.msg, str) else str(error)
        line = error.lineno or 1
        column = max((error.offset or 1) - 1, 0)
        if any(limit in message for limit in NESTING_LIMITS):
            return FileProblem(path, "syntax", _about(cell, f"nested too deeply to analyse ({message})"),
                               line=line, column=column, cell=cell)
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        hint = " (this looks like Python 2 code)" if _looks_like_python2(code, line) else ""
        return FileProblem(path, "syntax", _about(cell, f"not valid Python {version} syntax: {message}{hint}"),
                           line=line, column=column, cell=cell)
    except (RecursionError, MemoryError):
        return FileProblem(path, "syntax", _about(cell, "nested too deeply to analyse"), cell=cell)
    except ValueError as error:  # e.g. an integer literal longer than Python allows
        return FileProblem(path, "syntax", _about(cell, f"not parsable: {_short(error)}"), cell=cell)
    longest = _longest_boolean_chain(code)
    if longest > MAX_BOOLEAN_OPERANDS:
        return FileProblem(path, "syntax", _about(cell, f"too long to analyse: an `and`/`or` chain of {longest} "
                                                        f"operands (at most {MAX_BOOLEAN_OPERANDS})"), cell=cell)
    return None


def _about(cell: int | None, complaint: str) -> str:
    """"not valid ..." for a file, "cell 3 is not valid ..." for a notebook cell."""
    return complaint if cell is None else f"cell {cell} is {complaint}"


def _longest_boolean_chain(code: str) -> int:
    # Cannot hold a longer chain: spares the walk for every ordinary file. Counting the bare
    # substrings ("for" holds an "or") over-counts the words, so it settles most files unread.
    if code.count("and") + code.count("or") <= MAX_BOOLEAN_OPERANDS:
        return 0
    if len(BOOLEAN_OPERATOR.findall(code)) <= MAX_BOOLEAN_OPERANDS:
        return 0
    tree = ast.parse(code)  # valid: the check before this one parsed it
    return max((len(node.values) for node in ast.walk(tree) if isinstance(node, ast.BoolOp)), default=0)


def _looks_like_python2(code: str, line: int) -> bool:
    lines = code.split("\n")
    return 0 < line <= len(lines) and bool(PYTHON2_LINE.match(lines[line - 1]))


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


# -- entry point ----------------------------------------------------------------------------------

def load_source(data: bytes, path: str) -> Source | FileProblem:
    """Decoded, newline-normalised text of a `.py` file or a notebook, or why there is none:
    what is too large to analyse is known here, before the parser is paid for it."""
    loaded = decode_notebook(data, path) if path.endswith(".ipynb") else decode_python(data, path)
    if not isinstance(loaded, Source):
        return loaded
    if len(loaded.text) > MAX_CODE_CHARS:
        return FileProblem(path, "size", f"too large to analyse: {_megabytes(len(loaded.text))} of Python code, "
                                         f"over the {_megabytes(MAX_CODE_CHARS)} limit per file "
                                         f"(generated code is best excluded)")
    if _over_token_limit(loaded.text):
        return FileProblem(path, "size", f"too large to analyse: more than {MAX_CODE_TOKENS:,} tokens of Python "
                                         f"code, the limit per file (a data table or generated code, "
                                         f"best kept out of code or excluded)")
    return loaded


def _over_token_limit(text: str) -> bool:
    """Whether `text` holds more than MAX_CODE_TOKENS tokens; counted only up to the limit, and
    not at all when the text is too short to hold that many."""
    if len(text) <= MAX_CODE_TOKENS:
        return False
    for count, _token in enumerate(TOKEN.finditer(text), start=1):
        if count > MAX_CODE_TOKENS:
            return True
    return False

