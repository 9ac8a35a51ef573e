"""A whole scan: discover, analyse every file (in a process pool when it pays), run the project
rules over all facts, then filter (selection, per-file ignores, suppressions, confidence,
baseline), fingerprint and sort. The result is plain data the reporters turn into output.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import pathspec

from debtscan import __version__, registry
from debtscan.catalog import load_catalog
from debtscan.config import Settings
from debtscan.discovery import discover, module_name
from debtscan.engine import ScanSetup, analyze_source, make_finding
from debtscan.meta import MalformedSuppression, UnparsableFile, UnreadableFile, UnusedSuppression
from debtscan.model import FileProblem, FileResult, Finding, Location, Severity
from debtscan.project import Project
from debtscan.rule import ProjectRule
from debtscan.suppress import Directive

INLINE_LIMIT = 24  # below this many files a pool costs more than it saves
CHUNK = 16


@dataclass
class ScanResult:
    root: str
    findings: list[Finding]
    errors: list[dict] = field(default_factory=list)
    files_scanned: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # ignored, fixme, below_confidence, baseline
    enabled: tuple[str, ...] = ()
    fixme: list[Finding] = field(default_factory=list)
    baseline_fixed: int = 0

    def gate(self, fail_on: Severity) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity >= fail_on]


def scan(paths: list[Path], root: Path, settings: Settings, jobs: int | None = None,
         baseline: list[dict] | None = None) -> ScanResult:
    enabled = registry.select(settings.select, settings.ignore)
    catalog = load_catalog(settings.catalog)
    file_visitors, collectors = registry.visitors_for(enabled)
    enabled_codes = tuple(rule.code for rule in enabled)
    setup = ScanSetup(file_rules=file_visitors, collectors=collectors, catalog=catalog,
                      options={"enabled": enabled_codes})
    discovered = discover(paths, root, settings.exclude + settings.extend_exclude, settings.respect_gitignore)

    results = analyse_all(discovered.files, setup, jobs)

    findings: list[Finding] = []
    errors: list[dict] = [{"path": path, "message": f"path does not exist: {path}"} for path in discovered.missing]
    directives: dict[str, list[Directive]] = {}
    for rel, message in discovered.problems:
        findings.append(_problem_finding(FileProblem(rel, "read", message)))
    for result in results:
        findings.extend(result.findings)
        findings.extend(_problem_finding(problem) for problem in result.problems)
        if result.directives:
            directives[result.path] = result.directives
        if result.internal_error:
            errors.append({"path": result.path, "message": f"internal error while analysing: {result.internal_error}"})

    project = Project([result.facts for result in results if result.facts is not None], catalog,
                      options={"enabled": enabled_codes})
    for rule in enabled:
        if isinstance(rule, type) and issubclass(rule, ProjectRule):
            try:
                findings.extend(rule().check(project))
            except Exception as error:  # a broken project rule must not hide the others
                errors.append({"path": ".", "message": f"internal error in {rule.code}: {type(error).__name__}: {error}"})

    enabled_set = set(enabled_codes)
    findings = [finding for finding in findings if finding.rule in enabled_set]
    findings = _apply_per_file_ignores(findings, settings)
    findings = _fingerprint(findings)
    findings, counts, extra = _apply_directives(findings, directives, enabled_set)
    findings.extend(extra)

    kept, fixme = [], []
    counts["below_confidence"] = 0
    for finding in findings:
        if finding.suppressed == "ignore":
            continue
        if finding.suppressed == "fixme":
            fixme.append(finding)
            continue
        if finding.confidence < settings.min_confidence:
            counts["below_confidence"] += 1
            continue
        kept.append(finding)

    fixed = 0
    if baseline is not None:
        kept, matched, fixed = _apply_baseline(kept, baseline)
        counts["baseline"] = matched
    kept.sort(key=Finding.sort_key)
    fixme.sort(key=Finding.sort_key)
    errors.sort(key=lambda error: (error["path"], error["message"]))
    return ScanResult(root=str(root), findings=kept, errors=errors, files_scanned=len(discovered.files),
                      counts=counts, enabled=enabled_codes, fixme=fixme, baseline_fixed=fixed)


# -- per-file phase ---------------------------------------------------------------------------

_WORKER_SETUP: ScanSetup | None = None


def _init_worker(setup: ScanSetup) -> None:
    global _WORKER_SETUP
    _WORKER_SETUP = setup


def _analyse_chunk(chunk: list[tuple[str, str]]) -> list[FileResult]:
    assert _WORKER_SETUP is not None
    return [analyse_file(absolute, rel, _WORKER_SETUP) for absolute, rel in chunk]


def analyse_file(absolute: str, rel: str, setup: ScanSetup) -> FileResult:
    module, is_package = module_name(rel)
    try:
        with open(absolute, "rb") as handle:
            data = handle.read()
    except IsADirectoryError:
        result = FileResult(path=rel)
        result.problems.append(FileProblem(rel, "read", "is a directory, not a file"))
        return result
    except OSError as error:
        result = FileResult(path=rel)
        reason = "is a symlink loop" if error.errno == 40 else f"cannot be read ({error.strerror or error})"
        result.problems.append(FileProblem(rel, "read", reason))
        return result
    return analyze_source(data, rel, module, is_package, setup)


def analyse_all(files: list[tuple[str, str]], setup: ScanSetup, jobs: int | None) -> list[FileResult]:
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(files) < INLINE_LIMIT:
        return [analyse_file(absolute, rel, setup) for absolute, rel in files]
    _warm_parser()
    chunks = [files[index:index + CHUNK] for index in range(0, len(files), CHUNK)]
    import multiprocessing

    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_init_worker, initargs=(setup,)) as pool:
        results = [result for chunk in pool.map(_analyse_chunk, chunks) for result in chunk]
    return results


def _warm_parser() -> None:
    """Parse once before forking, so workers inherit libcst's loaded grammar."""
    import libcst

    libcst.parse_module("import os\n")


# -- findings about files -----------------------------------------------------------------------

def _problem_finding(problem: FileProblem) -> Finding:
    rule = UnparsableFile if problem.kind == "syntax" else UnreadableFile
    verb = "" if problem.message.startswith(("is ", "cannot", "contains", "not ", "bad ", "JSON", "nbformat", "cell ")) else ""
    message = f"{verb}{problem.message[0].upper()}{problem.message[1:]}; the file is not checked." if problem.kind != "syntax" \
        else f"{problem.message[0].upper()}{problem.message[1:]}; nothing in it is checked."
    if problem.kind == "read":
        message = f"File {problem.message}; it is not checked."
    if problem.cell is not None and problem.kind == "syntax":
        message = f"{problem.message[0].upper()}{problem.message[1:]}; that cell is not checked."
    span = {"line": problem.line, "column": problem.column, "end_line": problem.line, "end_column": problem.column,
            "cell": problem.cell, "snippet": ""}
    return make_finding(rule, problem.path, span, message)


# -- filters ---------------------------------------------------------------------------------

def _apply_per_file_ignores(findings: list[Finding], settings: Settings) -> list[Finding]:
    if not settings.per_file_ignores:
        return findings
    specs = [(pathspec.GitIgnoreSpec.from_lines([pattern]), codes) for pattern, codes in settings.per_file_ignores]
    kept = []
    for finding in findings:
        ignored = any(spec.match_file(finding.path) and any(finding.rule.startswith(code) for code in codes)
                      for spec, codes in specs)
        if not ignored:
            kept.append(finding)
    return kept


def _apply_directives(findings: list[Finding], directives: dict[str, list[Directive]], enabled: set[str]):
    counts = Counter({"ignored": 0, "fixme": 0})
    used: set[tuple[str, int]] = set()
    out: list[Finding] = []
    for finding in findings:
        matched = None
        for number, directive in enumerate(directives.get(finding.path, ())):
            if directive.kind == "malformed" or not directive.covers(finding.rule):
                continue
            loc = finding.location
            if directive.applies_to(loc.cell, loc.line, loc.end_line):
                matched = directive
                used.add((finding.path, number))
                break
        if matched is None:
            out.append(finding)
            continue
        state = "fixme" if matched.kind == "fixme" else "ignore"
        counts["fixme" if state == "fixme" else "ignored"] += 1
        out.append(replace(finding, suppressed=state))
    extra = []
    known = {rule.code for rule in registry.all_rules()}
    for path, items in directives.items():
        for number, directive in enumerate(items):
            span = {"line": directive.line, "column": directive.column, "end_line": directive.line,
                    "end_column": directive.column + len(directive.text), "cell": directive.cell, "snippet": directive.text}
            unknown = [code for code in directive.codes if not any(rule.startswith(code) for rule in known)]
            if directive.kind == "malformed" or unknown:
                reason = (f"names no known rule ({', '.join(unknown)})" if unknown and directive.kind != "malformed"
                          else "must name rules, e.g. `# debtscan: ignore[DS101] reason`")
                extra.append(make_finding(MalformedSuppression, path, span,
                                          f"Suppression `{_shorten(directive.text)}` {reason}, so it suppresses nothing."))
                continue
            if (path, number) in used:
                continue
            if not any(rule.startswith(code) for code in directive.codes for rule in enabled):
                continue  # its rules are not running: cannot tell whether it is used
            extra.append(make_finding(UnusedSuppression, path, span,
                                      f"Suppression `{_shorten(directive.text)}` matches no finding on the line it covers."))
    extra = [finding for finding in extra if finding.rule in enabled]
    return out, dict(counts), _fingerprint(extra)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- fingerprints and baselines -------------------------------------------------------------------

def normalise_snippet(snippet: str) -> str:
    return re.sub(r"\s+", " ", snippet).strip()


def _fingerprint(findings: Iterable[Finding]) -> list[Finding]:
    """Line-free identities: rule, path, enclosing symbol, normalised code, occurrence index."""
    ordered = sorted(findings, key=Finding.sort_key)
    seen: Counter = Counter()
    out = []
    for finding in ordered:
        key = (finding.rule, finding.path, finding.symbol, normalise_snippet(finding.snippet))
        index = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([*key, str(index)]).encode("utf-8")).hexdigest()[:20]
        out.append(replace(finding, fingerprint=digest))
    return out


def _apply_baseline(findings: list[Finding], baseline: list[dict]) -> tuple[list[Finding], int, int]:
    """Drop findings the baseline accepts, as a multiset: a third copy of two accepted is new."""
    remaining = Counter(entry.get("fingerprint") for entry in baseline)
    kept, matched = [], 0
    for finding in sorted(findings, key=Finding.sort_key):
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            matched += 1
        else:
            kept.append(finding)
    fixed = sum(count for count in remaining.values() if count > 0)
    return kept, matched, fixed


def settings_digest(settings: Settings) -> str:
    text = repr((settings.select, settings.ignore, sorted(settings.catalog.items()) if settings.catalog else (), __version__))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


__all__ = ["scan", "ScanResult", "analyse_file", "Location", "defaultdict"]
