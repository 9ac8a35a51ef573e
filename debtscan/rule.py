"""Base classes for rules: a rule is one class holding its code, its doc and its examples.

* `FileRule` looks at one parsed file. It is a libcst batchable visitor, so every enabled rule
  shares the file's single traversal; it reports through `self.ctx.report(...)`.
* `ProjectRule` sees the facts of every file at once (seeds set in another module, the same
  feature computed in two places) and returns findings.
* `Collector` gathers facts for project rules during the same traversal; project rules name
  the collectors they need, and each runs once per file however many rules use it.

Every rule's docstring has the sections What it does / Why is this bad? / Example /
Use instead, and the class carries VALID and INVALID code examples that the tests run.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

import libcst as cst

from debtscan.model import Confidence, Finding, Severity

if TYPE_CHECKING:
    from debtscan.engine import FileContext
    from debtscan.project import Project

DOC_SECTIONS = ("What it does", "Why is this bad?", "Example", "Use instead")


class Rule:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    family: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    confidence: ClassVar[Confidence] = Confidence.HIGH
    summary: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    VALID: ClassVar[tuple[str, ...]] = ()
    INVALID: ClassVar[tuple[str, ...]] = ()
    # Byte strings of which a file must contain at least one for the rule to matter; empty
    # means every file. Lets the engine skip work on files that cannot match.
    triggers: ClassVar[tuple[bytes, ...]] = ()

    @classmethod
    def requires(cls, catalog: dict[str, Any]) -> tuple[bytes, ...]:
        """A second group of byte strings, drawn from the catalog, of which a file must also
        contain one (`triggers` name the rule's own calls; this, say, the catalog's entropy
        sources). Empty: no second condition."""
        return ()

    @classmethod
    def doc(cls) -> str:
        import inspect

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def doc_sections(cls) -> dict[str, str]:
        """The doc split by its `## Section` headings."""
        sections: dict[str, str] = {}
        current = None
        for line in cls.doc().splitlines():
            heading = re.match(r"^##\s+(.*\S)\s*$", line)
            if heading:
                current = heading.group(1)
                sections[current] = ""
            elif current is not None:
                sections[current] += line + "\n"
        return {key: value.strip("\n") for key, value in sections.items()}


class FileRule(Rule, cst.BatchableCSTVisitor):
    """A rule that looks at one file during the shared traversal."""

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx

    def report(self, node: cst.CSTNode, message: str, *, fix: str | None = None,
               severity: Severity | None = None, confidence: Confidence | None = None) -> None:
        self.ctx.report(self, node, message, fix=fix, severity=severity, confidence=confidence)


class Collector(cst.BatchableCSTVisitor):
    """Gathers facts for project rules into `ctx.facts.data[self.key]` during the traversal."""

    key: ClassVar[str] = ""
    triggers: ClassVar[tuple[bytes, ...]] = ()

    @classmethod
    def requires(cls, catalog: dict[str, Any]) -> tuple[bytes, ...]:
        """As `Rule.requires`."""
        return ()

    def __init__(self, ctx: "FileContext") -> None:
        super().__init__()
        self.ctx = ctx

    def finish(self) -> None:
        """Called after the traversal, once spans have positions; store plain data here."""

    @classmethod
    def for_project(cls, data: Any, reaches_project: Callable[[str], bool]) -> Any:
        """`data` as the project phase needs it, once the project's modules are known:
        `reaches_project(qualified callee)` tells whether a call may reach project code."""
        return data


class ProjectRule(Rule):
    """A rule that needs the whole repository's facts."""

    collectors: ClassVar[tuple[type[Collector], ...]] = ()
    # A rule may also measure the project for the summary (`summary.metrics[metric]`); rules
    # sharing a metric name are measured once.
    metric: ClassVar[str] = ""

    def check(self, project: "Project") -> Iterable[Finding]:
        raise NotImplementedError

    def measure(self, project: "Project") -> dict:
        """JSON-ready data for the summary: {"title", "headline" (one line for the text report,
        "" for none), "modules": {path: {...}}}."""
        return {}
