"""Bytes on disk -> Python text to parse, with a map back to what a person sees.

`.py` files are decoded as Python does (BOM, PEP 263 coding cookie, UTF-8 by default).
Notebooks (nbformat 4) become the code cells joined into one module; IPython magics and shell
escapes are masked so the rest still parses, a cell that does not parse is left out and
reported, and every line of the joined text maps back to (cell, line in cell).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
from dataclasses import dataclass, field

from debtscan.model import FileProblem

# Cell magics whose body is still Python; any other `%%magic` cell is not Python at all.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "markdown_if_needed", "memit", "skip"})
LINE_MAGIC = re.compile(r"^(\s*)(?:[%!?].*|.*\?\s*$)")
ASSIGNED_MAGIC = re.compile(r"^(\s*[\w.\[\], ]+?\s*=\s*)[%!].*$")


@dataclass
class Source:
    """Python text ready to parse, plus where each of its lines came from."""

    path: str
    text: str
    encoding: str = "utf-8"
    # For notebooks: joined line number (1-based) -> (cell number, line in cell), both 1-based.
    cell_map: dict[int, tuple[int, int]] | None = None
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def is_notebook(self) -> bool:
        return self.cell_map is not None

    def place(self, line: int) -> tuple[int | None, int]:
        """(cell, line) as a person would look it up for a line of the parsed text."""
        if self.cell_map is None:
            return None, line
        return self.cell_map.get(line, (None, line))


def decode_python(data: bytes, path: str) -> Source | FileProblem:
    """Decode Python source bytes the way the interpreter would."""
    if b"\x00" in data:
        return FileProblem(path, "decode", "contains NUL bytes; not a Python source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        return FileProblem(path, "decode", f"bad coding declaration: {error.msg if hasattr(error, 'msg') else error}")
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        reason = error.reason if isinstance(error, UnicodeDecodeError) else str(error)
        line = data[: getattr(error, "start", 0)].count(b"\n") + 1
        return FileProblem(path, "decode", f"cannot be decoded as {encoding}: {reason}", line=line)
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(path=path, text=_normalise_newlines(text), encoding=encoding)


def _normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so line numbers agree with every editor."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def decode_notebook(data: bytes, path: str) -> Source | FileProblem:
    """Join a notebook's code cells into one parsable module."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        return FileProblem(path, "notebook", f"not a readable notebook: {_short(error)}")
    if not isinstance(document, dict) or not isinstance(document.get("cells", None), list):
        if isinstance(document, dict) and isinstance(document.get("worksheets"), list):
            return FileProblem(path, "notebook", "nbformat 3 notebooks are not supported; convert with `jupyter nbconvert --to notebook`")
        return FileProblem(path, "notebook", "JSON but not a Jupyter notebook (no list of cells)")
    lines: list[str] = []
    cell_map: dict[int, tuple[int, int]] = {}
    problems: list[FileProblem] = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        if isinstance(raw, list):
            if not all(isinstance(part, str) for part in raw):
                problems.append(FileProblem(path, "notebook", f"cell {number} has a malformed source", cell=number))
                continue
            raw = "".join(raw)
        elif not isinstance(raw, str):
            problems.append(FileProblem(path, "notebook", f"cell {number} has a malformed source", cell=number))
            continue
        code = mask_magics(_normalise_newlines(raw))
        problem = _check_cell(code, path, number)
        if problem is not None:
            problems.append(problem)
            continue
        for index, line in enumerate(code.split("\n"), start=1):
            lines.append(line)
            cell_map[len(lines)] = (number, index)
        lines.append("")  # a blank line between cells keeps statements apart
    return Source(path=path, text="\n".join(lines) + "\n", cell_map=cell_map, problems=problems)


def mask_magics(code: str) -> str:
    """Replace IPython-only syntax with `pass`-like Python of the same shape and line count."""
    out = code.split("\n")
    first = out[0].strip() if out else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in out)
        out[0] = ""
    for index, line in enumerate(out):
        stripped = line.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        assigned = ASSIGNED_MAGIC.match(line)
        if assigned and not stripped.startswith(("%", "!")):
            out[index] = assigned.group(1) + "None"
        elif stripped.startswith(("%", "!")) or (stripped.startswith("?") or stripped.endswith("?") and "#" not in stripped):
            indent = line[: len(line) - len(stripped)]
            out[index] = indent + "pass"
    return "\n".join(out)


def _check_cell(code: str, path: str, number: int) -> FileProblem | None:
    """A cheap syntax check of one cell, so one broken cell does not hide the others."""
    try:
        compile(code, f"{path}:cell {number}", "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    except SyntaxError as error:
        return FileProblem(path, "syntax", f"cell {number} is not valid Python: {error.msg}", line=error.lineno or 1,
                           column=max((error.offset or 1) - 1, 0), cell=number)
    except (ValueError, RecursionError, MemoryError) as error:
        return FileProblem(path, "syntax", f"cell {number} could not be parsed: {_short(error)}", cell=number)
    return None


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def load_source(data: bytes, path: str) -> Source | FileProblem:
    if path.endswith(".ipynb"):
        return decode_notebook(data, path)
    return decode_python(data, path)
