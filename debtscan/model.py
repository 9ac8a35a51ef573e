"""The types every part of debtscan shares: severities, locations, findings and per-file facts.

Everything here is plain, immutable (or plain-dict) data so that it pickles cheaply across the
process pool and serialises to the cache without custom code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class _Ordered(enum.Enum):
    """An enum whose members compare by declaration order."""

    @classmethod
    def parse(cls, text: str):
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(member.label for member in cls)
            raise ValueError(f"unknown {cls.__name__.lower()} {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)

    def __lt__(self, other):
        return self.rank < other.rank

    def __le__(self, other):
        return self.rank <= other.rank

    def __gt__(self, other):
        return self.rank > other.rank

    def __ge__(self, other):
        return self.rank >= other.rank


class Severity(_Ordered):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Confidence(_Ordered):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, order=True)
class Location:
    """A span in a scanned file. Lines are 1-based, columns 0-based, as Python reports them.

    For notebooks `line` is the line inside cell `cell` (numbered from 1 in notebook order,
    markdown cells included), so a reader can jump straight to it; `line` always refers to what
    a person sees. `file_line` is the line of the .ipynb file that holds it, for tools that show
    the file as stored (0 when unknown, and for .py files, where it is `line`).
    """

    path: str
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    cell: int | None = None
    file_line: int = 0


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    family: str
    severity: Severity
    confidence: Confidence
    location: Location
    message: str
    fix: str
    symbol: str = ""
    snippet: str = ""
    related: tuple[Location, ...] = ()
    fingerprint: str = ""
    suppressed: str | None = None  # "ignore" or "fixme" once a directive matched

    @property
    def path(self) -> str:
        return self.location.path

    def sort_key(self):
        loc = self.location
        return (loc.path, loc.cell if loc.cell is not None else -1, loc.line, loc.column, self.rule, self.message)


@dataclass
class FileFacts:
    """What one file contributes to whole-project analysis.

    `module` is the dotted module name the file would be imported as; `imports` maps every
    name bound by an import at module level to the qualified name it refers to; `functions`
    holds per-scope call facts; `data` is a namespace per rule family for the rule pack's own
    facts. All plain data, so it pickles and caches as is.
    """

    path: str
    module: str
    is_package: bool = False
    imports: dict[str, str] = field(default_factory=dict)
    imported_modules: list[str] = field(default_factory=list)
    scopes: dict[str, "ScopeFacts"] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ScopeFacts:
    """Calls made by one function body (or the module body, scope "<module>"), in order.

    Each call is (order, qualified callee or "" when unknown, local callee text). `entry` marks
    code that runs when the file is executed as a program (module level, `__main__` block).
    """

    name: str
    line: int = 0
    calls: list[tuple[int, str, str]] = field(default_factory=list)
    entry: bool = False


MODULE_SCOPE = "<module>"


@dataclass(frozen=True)
class FileProblem:
    """A file debtscan could not read or parse; it becomes a DS0xx finding."""

    path: str
    kind: str  # "syntax", "read", "decode", "notebook"
    message: str
    line: int = 1
    column: int = 0
    cell: int | None = None
    file_line: int = 0  # in a notebook: the line of the .ipynb file holding `line` of `cell`


@dataclass
class FileResult:
    """Everything the per-file phase produces for one file."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    facts: FileFacts | None = None
    problems: list[FileProblem] = field(default_factory=list)
    internal_error: str | None = None
    directives: list = field(default_factory=list)
