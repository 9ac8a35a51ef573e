"""What a scan shows on stderr while and after it runs: a progress bar, and the `--profile` table.

The report itself goes to stdout (or a file) and never contains any of this, so a profiled or
watched run produces byte-for-byte the same report.
"""

from __future__ import annotations

import time
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from debtscan.profiling import Profile
from debtscan.wording import counted

PROGRESS_DELAY = 1.0  # seconds: a scan faster than this never shows a bar


class ProgressBar:
    """Counts files as the runner finishes them; draws a bar only once the scan has run for a second.

    The bar is redrawn by the runner's own calls (no refresh thread), so forking the worker
    pool is never done beside a running thread.
    """

    def __init__(self, stream: IO[str], delay: float = PROGRESS_DELAY) -> None:
        self.stream = stream
        self.delay = delay
        self.began = time.monotonic()
        self.total = 0
        self.done = 0
        self.bar: Progress | None = None
        self.task = None

    def add_total(self, files: int) -> None:
        self.total += files
        self._draw()

    def advance(self, files: int) -> None:
        self.done += files
        self._draw()

    def _draw(self) -> None:
        if self.bar is None:
            if time.monotonic() - self.began < self.delay or self.total == 0:
                return
            console = Console(file=self.stream, force_terminal=True)  # only made for a terminal
            self.bar = Progress(TextColumn("debtscan"), BarColumn(), MofNCompleteColumn(), TextColumn("files"),
                                TimeElapsedColumn(), console=console, transient=True, auto_refresh=False,
                                redirect_stdout=False, redirect_stderr=False)
            self.bar.start()
            self.task = self.bar.add_task("scan", total=self.total)
        self.bar.update(self.task, completed=self.done, total=self.total)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


STAGES = {
    "cache: read": "cache: look up files",
    "decode": "decode (encodings, notebooks)",
    "suppressions": "read suppression comments",
    "parse": "parse (libcst)",
    "names": "module pre-scan (names)",
    "traversal": "walk the tree (beside the visitors)",
    "positions": "positions of findings",
    "facts": "findings and facts",
    "cache: write": "cache: store results",
}


def _visitor_names() -> dict[str, str]:
    """`visitor:module.Class` -> what the visitor is for, in rule codes."""
    from debtscan import registry
    from debtscan.engine import ScopeTracker
    from debtscan.traversal import visitor_label

    serves: dict[type, list[str]] = {}
    for rule in registry.all_rules():
        file_visitors, collectors = registry.visitors_for((rule,))
        for visitor in (*file_visitors, *collectors):
            serves.setdefault(visitor, []).append(rule.code)
    names = {visitor_label(ScopeTracker): "name resolution and call facts (every file)"}
    for visitor, codes in serves.items():
        codes = sorted(set(codes))
        if len(codes) == 1 and getattr(visitor, "code", "") == codes[0]:
            names[visitor_label(visitor)] = f"rule {codes[0]} {visitor.name}"
        else:
            names[visitor_label(visitor)] = f"{visitor.__name__} (for {', '.join(codes)})"
    return names


def profile_table(profile: Profile, files: int, wall: float) -> str:
    """The `--profile` report: seconds per stage and per rule, the largest first."""
    visitor_names = _visitor_names()
    # the walk's own time is the traversal's time less the visitors' time inside it
    # (less what timing each visitor call itself costs, measured when profiling started)
    visitor_calls = sum(calls for label, calls in profile.calls.items() if label.startswith("visitor:"))
    visitors_total = sum(seconds for label, seconds in profile.seconds.items() if label.startswith("visitor:"))
    visitors_total += visitor_calls * profile.outside
    rows: list[tuple[str, float, int]] = []
    for label, seconds in profile.seconds.items():
        calls = profile.calls[label]
        if label.startswith("visitor:"):
            rows.append((visitor_names.get(label, label[len("visitor:"):]), max(seconds - calls * profile.inside, 0.0),
                         calls))
        elif label.startswith("project rule: "):
            rows.append((f"rule {label[len('project rule: '):]} (project phase)", seconds, calls))
        elif label == "traversal":
            rows.append((STAGES[label], max(seconds - visitors_total, 0.0), calls))
        else:
            rows.append((STAGES.get(label, label), seconds, calls))
    total = sum(seconds for _, seconds, _ in rows) or 1.0
    width = max([len(name) for name, _, _ in rows] + [10])
    lines = [f"debtscan --profile: {counted(files, 'file')} in {wall:.2f} s (wall); CPU seconds below are summed over every process",
             f"  {'stage or rule':<{width}}  {'seconds':>9}  {'share':>6}  {'calls':>9}"]
    for name, seconds, calls in sorted(rows, key=lambda row: (-row[1], row[0])):
        lines.append(f"  {name:<{width}}  {seconds:>9.3f}  {seconds / total:>6.1%}  {calls:>9}")
    lines.append(f"  {'total':<{width}}  {total:>9.3f}")
    return "\n".join(lines) + "\n"
