"""`--format sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

Each rule carries its documentation as `help`; severity maps to `level` (and GitHub's
`problem.severity`), confidence to `precision`; the line-free fingerprint goes into
`partialFingerprints`, so alerts keep their identity when code moves. Acknowledged debt
(`fixme`) is included with an in-source suppression, so viewers can show it as accepted.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote

from debtscan import __version__, registry
from debtscan.report import shown_path
from debtscan.report.escape import json_document

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "info": "recommendation"}
FINGERPRINT_KEY = "debtscan/v1"


def render_sarif(result, settings) -> str:
    return json_document(sarif_log(result))


def sarif_log(result) -> dict:
    codes = sorted(set(result.enabled) | {finding.rule for finding in [*result.findings, *result.fixme]})
    rules = [rule for code in codes if (rule := registry.rule_by_code(code)) is not None]
    index = {rule.code: number for number, rule in enumerate(rules)}
    baselined = "baseline" in result.counts
    results = [_result(result, finding, index, baselined) for finding in result.findings]
    results += [_result(result, finding, index, baselined, suppressed=True) for finding in result.fixme]
    run = {
        "tool": {"driver": {
            "name": "debtscan",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_descriptor(rule) for rule in rules],
        }},
        "invocations": [_invocation(result)],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _descriptor(rule) -> dict:
    doc = rule.doc()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc.split("\n\n", 1)[0].strip() or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVEL[rule.severity.label]},
        "properties": {
            "tags": ["maintainability", "ml-technical-debt", rule.family],
            "precision": rule.confidence.label,
            "problem.severity": PROBLEM_SEVERITY[rule.severity.label],
        },
    }


def _result(result, finding, index: dict[str, int], baselined: bool, suppressed: bool = False) -> dict:
    location = finding.location
    text = finding.message
    if location.cell is not None:
        text = f"Cell {location.cell}, line {location.line}: {text}"
    if finding.fix:
        text = f"{text} Fix: {finding.fix}"
    properties = {"family": finding.family, "confidence": finding.confidence.label, "fix": finding.fix}
    if finding.symbol:
        properties["symbol"] = finding.symbol
    if location.cell is not None:
        properties["cell"] = location.cell
    item = {
        "ruleId": finding.rule,
        "level": LEVEL[finding.severity.label],
        "message": {"text": text},
        "locations": [{"physicalLocation": _physical(result, location, finding.snippet)}],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if finding.rule in index:
        item["ruleIndex"] = index[finding.rule]
    if finding.related:
        item["relatedLocations"] = [{"id": number, "physicalLocation": _physical(result, related, "")}
                                    for number, related in enumerate(finding.related, start=1)]
    if suppressed:
        item["suppressions"] = [{"kind": "inSource", "status": "accepted",
                                 "justification": "acknowledged debt (# debtscan: fixme)"}]
    elif baselined:
        item["baselineState"] = "new"
    return item


def _physical(result, location, snippet: str) -> dict:
    physical: dict = {"artifactLocation": _artifact(result, location.path)}
    if location.cell is not None:
        # the .ipynb file is JSON: its line holding the code line is known, its columns are not
        if location.file_line:
            physical["region"] = {"startLine": location.file_line}
    else:
        region = {"startLine": max(location.line, 1), "startColumn": location.column + 1}
        end_line = max(location.end_line, location.line, 1)
        end_column = location.end_column + 1
        if end_line > region["startLine"] or end_column >= region["startColumn"]:
            region.update(endLine=end_line, endColumn=end_column)
        if snippet.strip():
            region["snippet"] = {"text": snippet}
        physical["region"] = region
    return physical


def _artifact(result, path: str) -> dict:
    shown = shown_path(result, path)
    if PurePosixPath(shown).is_absolute():
        return {"uri": PurePosixPath(shown).as_uri()}
    return {"uri": quote(shown, safe="/-._~"), "uriBaseId": "%SRCROOT%"}


def _invocation(result) -> dict:
    invocation: dict = {"executionSuccessful": not result.errors}
    if result.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": f"{error['path']}: {error['message']}"}} for error in result.errors]
    return invocation
