"""`--format json`: the stable machine-readable contract (see docs/output.md)."""

from __future__ import annotations


from debtscan import __version__
from debtscan.report.summary import summarise
from debtscan.report.escape import json_document


def location_dict(location) -> dict:
    return {"path": location.path, "line": location.line, "column": location.column + 1,
            "end_line": location.end_line, "end_column": location.end_column + 1, "cell": location.cell}


def finding_dict(finding) -> dict:
    location = finding.location
    return {
        "rule": finding.rule,
        "name": finding.name,
        "family": finding.family,
        "severity": finding.severity.label,
        "confidence": finding.confidence.label,
        "path": location.path,
        "line": location.line,
        "column": location.column + 1,
        "end_line": location.end_line,
        "end_column": location.end_column + 1,
        "cell": location.cell,
        "message": finding.message,
        "fix": finding.fix,
        "symbol": finding.symbol,
        "snippet": finding.snippet,
        "related": [location_dict(item) for item in finding.related],
        "fingerprint": finding.fingerprint,
        "suppressed": finding.suppressed,
    }


def render_json(result, settings) -> str:
    document = {
        "version": __version__,
        "root": result.root,
        "findings": [finding_dict(finding) for finding in result.findings],
        "fixme": [finding_dict(finding) for finding in result.fixme],
        "errors": result.errors,
        "summary": summarise(result, settings),
    }
    return json_document(document)
