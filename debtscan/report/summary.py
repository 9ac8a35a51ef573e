"""Counts shown at the end of every report: by severity, family and rule, the gate, and the
measurements project rules contribute."""

from __future__ import annotations

from collections import Counter


def summarise(result, settings) -> dict:
    findings = result.findings
    by_severity = Counter(finding.severity.label for finding in findings)
    by_family = Counter(finding.family for finding in findings)
    by_rule = Counter(finding.rule for finding in findings)
    failing = len(result.gate(settings.fail_on))
    return {
        "files": result.files_scanned + getattr(result, "other_files", 0),
        "findings": len(findings),
        "by_severity": {level: by_severity.get(level, 0) for level in ("error", "warning", "info")},
        "by_family": dict(sorted(by_family.items())),
        "by_rule": dict(sorted(by_rule.items())),
        "files_with_findings": len({finding.path for finding in findings}),
        "ignored": result.counts.get("ignored", 0),
        "fixme": result.counts.get("fixme", 0),
        "below_confidence": result.counts.get("below_confidence", 0),
        "baseline": result.counts.get("baseline", 0),
        "fixed_since_baseline": result.baseline_fixed,
        "paid_off_by_rule": dict(sorted(Counter(str(entry.get("rule")) for entry in result.paid_off).items())),
        "gate": {"fail_on": settings.fail_on.label, "min_confidence": settings.min_confidence.label,
                 "failing": failing},
        # per-module measurements contributed by project rules (e.g. each module's glue ratio)
        "metrics": dict(sorted(getattr(result, "metrics", {}).items())),
    }
