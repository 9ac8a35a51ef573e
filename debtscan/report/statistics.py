"""`--statistics`: how many findings each rule has, most frequent first (as ruff prints it)."""

from __future__ import annotations

from collections import Counter
from debtscan.report.escape import json_document


def rule_counts(result) -> list[dict]:
    counts = Counter(finding.rule for finding in result.findings)
    first = {}
    for finding in result.findings:
        first.setdefault(finding.rule, finding)
    rows = [{"code": code, "name": first[code].name, "family": first[code].family,
             "severity": first[code].severity.label, "count": count} for code, count in counts.items()]
    rows.sort(key=lambda row: (-row["count"], row["code"]))
    return rows


def render_statistics(result, fmt: str) -> str:
    rows = rule_counts(result)
    if fmt == "json":
        return json_document(rows)
    if not rows:
        return "No findings.\n"
    width = max(len(str(row["count"])) for row in rows)
    name_width = max(len(row["name"]) for row in rows)
    lines = [f"{row['count']:>{width}}  {row['code']}  {row['name']:<{name_width}}  {row['family']}" for row in rows]
    return "\n".join(lines) + "\n"
