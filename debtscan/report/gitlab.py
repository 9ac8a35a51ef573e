"""`--format gitlab`: GitLab Code Quality (a subset of the Code Climate JSON format).

GitLab shows these in merge requests when a job publishes the file as
`artifacts:reports:codequality`. Each issue's `fingerprint` is debtscan's line-free one, so
GitLab tracks an issue across commits that move code.
"""

from __future__ import annotations


from debtscan.report import shown_path
from debtscan.report.escape import json_document

SEVERITY = {"error": "critical", "warning": "major", "info": "minor"}


def render_gitlab(result, settings) -> str:
    issues = []
    for finding in result.findings:
        location = finding.location
        description = f"{finding.rule} {finding.message}"
        if location.cell is not None:
            description = f"{finding.rule} cell {location.cell}, line {location.line}: {finding.message}"
        if location.cell is None:
            begin, end = location.line, max(location.end_line, location.line)
        else:  # the line of the .ipynb file (JSON) that holds the code line, when it is known
            begin = end = location.file_line or 1
        issues.append({
            "type": "issue",
            "check_name": f"{finding.rule} {finding.name}",
            "description": description,
            "content": {"body": f"**Fix:** {finding.fix}" if finding.fix else ""},
            "severity": SEVERITY[finding.severity.label],
            "fingerprint": finding.fingerprint,
            "location": {"path": shown_path(result, finding.path),
                         "lines": {"begin": begin, "end": end}},
        })
    return json_document(issues)
