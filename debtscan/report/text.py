"""The terminal report: findings grouped by file with the code they point at, then a summary.

Built from rich `Text` objects, never from markup strings, so `[bold]` or `\\x1b[2J` in a
scanned file is shown as the characters it is, not interpreted. Every line starts with text of
debtscan's own (a file's heading with `──`): a CI log reads a line that starts with `::` as a
command, and file names and quoted code come from the scanned tree.
"""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.text import Text

from debtscan.report.escape import visible
from debtscan.report.summary import summarise
from debtscan.wording import counted

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
HEADING = "── "  # before a file's name, which is never the first text of a line


def where(location) -> str:
    if location.cell is not None:
        return f"cell {location.cell}:{location.line}:{location.column + 1}"
    return f"{location.line}:{location.column + 1}"


def render_text(result, settings, *, color: bool = False, width: int | None = None) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=width or 100, highlight=False, emoji=False, markup=False, soft_wrap=True)
    prefix = "" if result.root in (".", "") else result.root.rstrip("/") + "/"
    for path, group in groupby(result.findings, key=lambda finding: finding.path):
        heading = Text(HEADING, style="dim")
        heading.append(visible(prefix + path), style="bold underline")
        console.print(heading)
        for finding in group:
            line = Text("  ")
            line.append(f"{where(finding.location):<10}", style="dim")
            line.append(f" {finding.rule} ", style="bold")
            line.append(f"{finding.severity.label:<7}", style=SEVERITY_STYLE[finding.severity.label])
            line.append(" ")
            line.append(visible(finding.message))
            line.append(f"  [{finding.confidence.label} confidence]", style="dim")
            console.print(line)
            if finding.snippet.strip():
                code = Text("             │ ", style="dim")
                code.append(visible(finding.snippet.strip()[:160]))
                console.print(code)
            if finding.fix:
                fix = Text("             └ fix: ", style="dim")
                fix.append(visible(finding.fix), style="green")
                console.print(fix)
            for related in finding.related:
                extra = Text("             also: ", style="dim")
                extra.append(visible(f"{prefix}{related.path}:{where(related)}"))
                console.print(extra)
        console.print()
    for error in result.errors:
        console.print(Text(f"error: {visible(error['path'])}: {visible(error['message'])}", style="bold red"))
    console.print(_summary(result, settings))
    return buffer.getvalue()


def _summary(result, settings) -> Text:
    summary = summarise(result, settings)
    text = Text()
    count = summary["findings"]
    files = summary["files"]
    if count == 0:
        text.append(f"No debt found in {counted(files, 'file')}.", style="bold green")
    else:
        text.append(f"Found {counted(count, 'finding')} in {summary['files_with_findings']} of "
                    f"{counted(files, 'file')}", style="bold")
        severities = ", ".join(f"{n} {level}" for level, n in summary["by_severity"].items() if n)
        text.append(f" ({severities}).")
        for family, n in summary["by_family"].items():
            rules = ", ".join(f"{rule} ×{k}" for rule, k in summary["by_rule"].items()
                              if any(f.rule == rule and f.family == family for f in result.findings))
            text.append(f"\n  {family:<18}{n:>4}   {rules}")
    for metric in summary["metrics"].values():
        if metric.get("headline"):
            text.append(f"\n{visible(metric.get('title', ''))}: {visible(metric['headline'])}.")
    hidden = []
    if summary["fixme"]:
        hidden.append(f"{summary['fixme']} acknowledged (fixme)")
    if summary["ignored"]:
        hidden.append(f"{summary['ignored']} ignored inline")
    if summary["below_confidence"]:
        hidden.append(f"{summary['below_confidence']} below {settings.min_confidence.label} confidence "
                      f"(--min-confidence low shows them)")
    if summary["baseline"]:
        hidden.append(f"{summary['baseline']} accepted by the baseline")
    if hidden:
        text.append("\nNot shown: " + "; ".join(hidden) + ".", style="dim")
    paid = summary["fixed_since_baseline"]
    if paid:
        rules = ", ".join(f"{visible(rule)} ×{n}" for rule, n in summary["paid_off_by_rule"].items())
        text.append(f"\nPaid off since the baseline: {counted(paid, 'finding')} ({rules}); "
                    f"`debtscan baseline prune` drops them from the baseline file.", style="green")
    failing = summary["gate"]["failing"]
    if count:
        text.append(f"\n{counted(failing, 'finding')} at or above --fail-on "
                    f"{settings.fail_on.label}.", style="bold red" if failing else "dim")
    return text
