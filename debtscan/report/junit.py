"""`--format junit`: JUnit XML, for CI systems that show test reports (GitLab, Jenkins, Azure).

One test suite per file with findings, one failing test case per finding; a clean scan is one
passing test case, so the report is never empty. Errors that stopped debtscan are `<error>`s.
Text from scanned files is escaped by ElementTree, and characters XML 1.0 cannot hold at all
(control characters, ANSI escapes) are shown as visible escapes first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from debtscan.report import shown_path
from debtscan.report.escape import visible

NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", visible(value))


def render_junit(result, settings) -> str:
    suites = ET.Element("testsuites", name="debtscan")
    total_failures = 0
    for path, group in groupby(result.findings, key=lambda finding: finding.path):
        findings = list(group)
        shown = _text(shown_path(result, path))
        suite = ET.SubElement(suites, "testsuite", name=shown, tests=str(len(findings)),
                              failures=str(len(findings)), errors="0", skipped="0")
        for finding in findings:
            location = finding.location
            where = f"line {location.line}" if location.cell is None else f"cell {location.cell}, line {location.line}"
            case = ET.SubElement(suite, "testcase", name=_text(f"{finding.rule} {finding.name} ({where})"),
                                 classname=shown, file=shown, line=str(location.line))
            failure = ET.SubElement(case, "failure", message=_text(finding.message), type=finding.rule)
            place = (f"{location.line}:{location.column + 1}" if location.cell is None
                     else f"cell {location.cell}:{location.line}:{location.column + 1}")
            body = [f"{shown}:{place}: {finding.rule} [{finding.severity.label}, {finding.confidence.label} confidence] "
                    f"{finding.message}"]
            if finding.snippet.strip():
                body.append(f"    {finding.snippet.strip()}")
            if finding.fix:
                body.append(f"fix: {finding.fix}")
            failure.text = "\n".join(_text(line) for line in body)
        total_failures += len(findings)
    errors = result.errors
    if errors:
        suite = ET.SubElement(suites, "testsuite", name="debtscan errors", tests=str(len(errors)), failures="0",
                              errors=str(len(errors)), skipped="0")
        for error in errors:
            case = ET.SubElement(suite, "testcase", name=_text(error["path"]), classname="debtscan")
            ET.SubElement(case, "error", message=_text(error["message"]), type="error")
    if not result.findings and not errors:
        suite = ET.SubElement(suites, "testsuite", name="debtscan", tests="1", failures="0", errors="0", skipped="0")
        ET.SubElement(suite, "testcase", name=f"no debt found in {result.files_scanned} files", classname="debtscan")
    tests = max(len(result.findings) + len(errors), 1)
    suites.set("tests", str(tests))
    suites.set("failures", str(total_failures))
    suites.set("errors", str(len(errors)))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
