"""`--format github`: GitHub Actions workflow commands, one annotation per finding.

    ::warning file=train.py,line=18,col=13,endLine=18,endColumn=65,title=DS202 user-specific-path::Path …

Text from a scanned file is made visible first (its newlines and control characters become
escapes), then percent-encoded as the runner expects (`%` everywhere; `:` and `,` in
properties too), so it cannot end the command early or start another; the only line break in
a message is the encoded one debtscan puts before the fix.
"""

from __future__ import annotations

from debtscan.report import shown_path
from debtscan.report.escape import visible

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return visible(text).replace("%", "%25")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result, settings) -> str:
    lines = []
    for finding in result.findings:
        location = finding.location
        properties = [f"file={_property(shown_path(result, finding.path))}"]
        message = finding.message
        if location.cell is None:
            properties += [f"line={location.line}", f"col={location.column + 1}",
                           f"endLine={max(location.end_line, location.line)}", f"endColumn={location.end_column + 1}"]
        else:
            if location.file_line:  # the line of the .ipynb file (JSON) that holds the code line
                properties.append(f"line={location.file_line}")
            message = f"Cell {location.cell}, line {location.line}: {message}"
        properties.append(f"title={_property(f'{finding.rule} {finding.name}')}")
        data = _data(message) + (f"%0A{_data('Fix: ' + finding.fix)}" if finding.fix else "")
        lines.append(f"::{COMMAND[finding.severity.label]} {','.join(properties)}::{data}")
    for error in result.errors:
        lines.append(f"::error title=debtscan::{_data(error['path'] + ': ' + error['message'])}")
    return "".join(line + "\n" for line in lines)
