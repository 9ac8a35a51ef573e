"""A whole scan: discover, analyse every file (in a process pool when it pays), run the project
rules over all facts, then filter (selection, per-file ignores, suppressions, confidence,
baseline), fingerprint and sort. The result is plain data the reporters turn into output.
"""

from __future__ import annotations

import os
import time
from collections import Counter, defaultdict
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Callable, Protocol

import pathspec

from debtscan import heap, profiling, registry
from debtscan.cache import Cache, CallFilter, content_digest, normalise, setup_digest, share_strings
from debtscan.baseline import Baseline, compare, covers, prefix_of, project_root as find_project_root, scope_of
from debtscan.baseline import fingerprint as _fingerprint
from debtscan.catalog import load_catalog
from debtscan.config import Settings
from debtscan.discovery import discover, in_template, module_name
from debtscan.engine import ScanSetup, analyze_source, make_finding
from debtscan.interrupt import held_back, ignore_in_worker
from debtscan.meta import MalformedSuppression, UnparsableFile, UnreadableFile, UnusedSuppression
from debtscan.model import FileProblem, FileResult, Finding, Location, Severity
from debtscan.project import Project, call_filter, keep_for_project, project_callees
from debtscan.rule import ProjectRule
from debtscan.source import read_file
from debtscan.suppress import Directive

@dataclass
class ScanResult:
    root: str
    findings: list[Finding]
    errors: list[dict] = field(default_factory=list)
    files_scanned: int = 0  # Python files and notebooks
    other_files: int = 0  # other files that hold findings (manifests): files of the summary too
    counts: dict[str, int] = field(default_factory=dict)  # ignored, fixme, below_confidence, baseline
    enabled: tuple[str, ...] = ()
    fixme: list[Finding] = field(default_factory=list)
    baseline_fixed: int = 0
    paid_off: list[dict] = field(default_factory=list)  # baseline entries whose debt is gone
    baseline_files_read: int = 0  # files named by baseline entries that this scan read
    project: Project | None = None  # every file's facts, for reports that draw the project
    metrics: dict = field(default_factory=dict)  # project rules' measurements, by metric name

    def gate(self, fail_on: Severity) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity >= fail_on]


def scan(paths: list[Path], root: Path, settings: Settings, jobs: int | None = None,
         baseline: Baseline | None = None, report_only: list[Path] | None = None,
         cache_dir: Path | None = None, progress: "Progress | None" = None, keep_project: bool = True) -> ScanResult:
    """Scan `paths`; with `report_only`, report on those files alone while project rules still
    see every file under `paths` (per-file rules skip the other files: only facts come from them).
    With `cache_dir`, per-file results are reused from (and stored in) that cache. Without
    `keep_project` the result does not hold every file's facts (only drawing the project needs
    them), so their memory is free again before the report is written.

    Fingerprints, and the paths a baseline is compared on, are relative to the project root
    (`baseline.project_root`), or to the root the baseline records: the same whichever part of
    the project is scanned."""
    with heap.survivors_frozen():
        result = _scan(paths, root, settings, jobs, baseline, report_only, cache_dir, progress)
    if not keep_project:
        result.project = None
    return result


def _scan(paths: list[Path], root: Path, settings: Settings, jobs: int | None, baseline: Baseline | None,
          report_only: list[Path] | None, cache_dir: Path | None, progress: "Progress | None") -> ScanResult:
    enabled = registry.select(settings.select, settings.ignore)
    catalog = load_catalog(settings.catalog)
    file_visitors, collectors = registry.visitors_for(enabled)
    enabled_codes = tuple(rule.code for rule in enabled)
    setup = ScanSetup(file_rules=file_visitors, collectors=collectors, catalog=catalog,
                      options={"enabled": enabled_codes})
    discovered = discover(paths, root, settings.exclude + settings.extend_exclude, settings.respect_gitignore)

    reported = scope_of(report_only, root) if report_only is not None else None
    reaches_project = project_callees(module_name(rel)[0] for _, rel in discovered.files)
    if reported is None:
        results = analyse_all(discovered.files, setup, jobs, cache_dir=cache_dir, progress=progress,
                              reaches_project=reaches_project)
    else:
        results = (analyse_all([item for item in discovered.files if reported(item[1])], setup, jobs,
                               cache_dir=cache_dir, progress=progress, reaches_project=reaches_project)
                   + analyse_all([item for item in discovered.files if not reported(item[1])],
                                 replace(setup, file_rules=()), jobs, cache_dir=cache_dir, progress=progress,
                                 reaches_project=reaches_project))

    findings: list[Finding] = []
    errors: list[dict] = [{"path": path, "message": f"path does not exist: {path}"} for path in discovered.missing]
    directives: dict[str, list[Directive]] = {}
    for rel, message in discovered.problems:
        findings.append(_problem_finding(FileProblem(rel, "read", message)))
    for result in results:
        findings.extend(result.findings)
        # a template's code may only parse once rendered: what does parse is checked, the rest is not an error
        findings.extend(_problem_finding(problem) for problem in result.problems
                        if not (problem.kind == "syntax" and in_template(problem.path)))
        if result.directives:
            directives[result.path] = result.directives
        if result.internal_error:
            errors.append({"path": result.path, "message": f"internal error while analysing: {result.internal_error}"})

    project = Project([result.facts for result in results if result.facts is not None], catalog,
                      options={"enabled": enabled_codes, "roles": settings.roles, "glue": settings.glue,
                               "root": str(root), "data": settings.data, "data_origin": settings.config_path},
                      root=root, store=_project_store(cache_dir, setup), directives=directives)
    metrics: dict = {}
    for rule in enabled:
        if isinstance(rule, type) and issubclass(rule, ProjectRule):
            try:
                began = time.process_time()
                findings.extend(rule().check(project))
                if profiling.ACTIVE is not None:
                    profiling.ACTIVE.add(f"project rule: {rule.code}", time.process_time() - began)
                if rule.metric and rule.metric not in metrics:
                    metrics[rule.metric] = rule().measure(project)
            except Exception as error:  # a broken project rule must not hide the others
                errors.append({"path": ".", "message": f"internal error in {rule.code}: {type(error).__name__}: {error}"})

    enabled_set = set(enabled_codes)
    findings = [finding for finding in findings if finding.rule in enabled_set]
    findings = _apply_per_file_ignores(findings, settings)
    anchor = (baseline.root if baseline is not None and baseline.root is not None
              else find_project_root(root, settings.config_path))
    prefix = prefix_of(root, anchor)
    findings = _fingerprint(findings, prefix or "")
    if reported is not None:
        findings = [finding for finding in findings if reported(finding.path)]
        directives = {path: items for path, items in directives.items() if reported(path)}
    findings, counts, extra = _apply_directives(findings, directives, enabled_set, prefix or "")
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

    paid_off: list[dict] = []
    baseline_files_read = 0
    if baseline is not None and prefix is not None:
        present = [finding for finding in findings if finding.suppressed != "ignore"]
        in_scope = scope_of(report_only if report_only is not None else paths, anchor)
        # a file that could not be read or analysed lost its findings, not its debt
        broken = {prefix + rel for rel, _ in discovered.problems} | {
            prefix + result.path for result in results if result.problems or result.internal_error}
        # project rules judge a file by the others too: a scan of part of the project, or one
        # in which a file could not be analysed, cannot tell their debt is gone
        whole = (reported is not None or covers(paths, root)) and not broken
        judged = {rule.code for rule in enabled if whole or not (isinstance(rule, type) and issubclass(rule, ProjectRule))}
        comparison = compare(kept, baseline.entries, present, judged, lambda path: in_scope(path) and path not in broken)
        kept, paid_off = comparison.new, comparison.paid_off
        counts["baseline"] = comparison.accepted
        baseline_files_read = len(baseline.files() & {prefix + rel for _, rel in discovered.files})
    elif baseline is not None:
        counts["baseline"] = 0
    kept.sort(key=Finding.sort_key)
    fixme.sort(key=Finding.sort_key)
    errors.sort(key=lambda error: (error["path"], error["message"]))
    scanned = {rel for _, rel in discovered.files if reported is None or reported(rel)}
    others = {finding.path for finding in [*kept, *fixme]} - scanned  # manifests, an unreadable .gitignore
    return ScanResult(root=str(root), findings=kept, errors=errors, files_scanned=len(scanned),
                      other_files=len(others), counts=counts, enabled=enabled_codes, fixme=fixme,
                      baseline_fixed=len(paid_off), paid_off=paid_off, baseline_files_read=baseline_files_read,
                      project=project, metrics=metrics)


# -- per-file phase ---------------------------------------------------------------------------
#
# Each file is read, hashed and looked up in the cache by the parent; misses are analysed
# inline when there are few, else by a fork-based pool that inherits the loaded parser and
# rule pack. Workers write their cache entries themselves and return plain data; results come
# back in the order of `files` whatever the number of workers, so output never depends on it.

INLINE_LIMIT = 24  # below this many files to analyse, starting a pool costs more than it saves
CHUNK = 16  # files per task: big enough to amortise a round trip, small enough to balance
LARGE_FILE = 128 * 1024  # bytes; such a file's syntax tree takes about 80 MB, and is analysed alone
COMPANION_FILE = 32 * 1024  # bytes; the largest file analysed beside a large one (a tree of about 20 MB)


class Progress(Protocol):
    def add_total(self, files: int) -> None: ...

    def advance(self, files: int) -> None: ...


_WORKER: dict = {}


def _init_worker(setup: ScanSetup, cache: Cache | None, profile: bool) -> None:
    ignore_in_worker()
    _WORKER.update(setup=setup, cache=cache)
    heap.collect_young_rarely()  # a forked worker has it already; a spawned one does not
    if profile:
        profiling.start()
    else:
        profiling.stop()


def _analyse_chunk(chunk: list[tuple[str, str]], large: bool = False) -> tuple[list[FileResult], dict]:
    results = []
    for absolute, rel in chunk:
        results.append(analyse_file(absolute, rel, _WORKER["setup"], _WORKER["cache"]))
        heap.settle(trim=large)  # a large file's tree leaves a heap the size of a small scan
    profile = profiling.ACTIVE
    if profile is None:
        return results, {}
    timings = profile.export()
    profiling.start()  # what was sent back is not sent again
    return results, timings


def _read(absolute: str, rel: str) -> bytes | FileResult:
    data = read_file(absolute, rel)  # never blocks on a pipe nor reads a device
    if isinstance(data, FileProblem):
        return FileResult(path=rel, problems=[data])
    return data


def analyse_file(absolute: str, rel: str, setup: ScanSetup, cache: Cache | None = None) -> FileResult:
    """Read and analyse one file; with a cache, store what came out under the bytes analysed."""
    data = _read(absolute, rel)
    if isinstance(data, FileResult):
        return data
    module, is_package = module_name(rel)
    result = analyze_source(data, rel, module, is_package, setup)
    if normalise(result) and cache is not None:
        mark = profiling.marker()
        cache.store(rel, content_digest(data), result)
        mark("cache: write")
    return result


def _project_store(cache_dir: Path | None, setup: ScanSetup) -> Cache | None:
    """The cache that project rules keep their costly intermediate results in (`Project.remembered`)."""
    if cache_dir is None:
        return None
    return Cache(str(cache_dir), setup_digest(setup.file_rules, setup.collectors, setup.catalog, setup.options))


def _cached(cache: Cache, absolute: str, rel: str, calls_kept: CallFilter | None) -> FileResult | None:
    data = read_file(absolute, rel)
    if isinstance(data, FileProblem):
        return None  # analysed (and reported) like any unreadable file
    return cache.load(rel, content_digest(data), calls_kept)


def worker_count(jobs: int | None) -> int:
    """`jobs`, or the cores this process may run on."""
    if jobs:
        return jobs
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def analyse_all(files: list[tuple[str, str]], setup: ScanSetup, jobs: int | None, *,
                cache_dir: Path | None = None, progress: Progress | None = None,
                reaches_project: Callable[[str], bool] | None = None) -> list[FileResult]:
    """One result per file, in the order of `files`; with `reaches_project`, each result keeps
    only the facts the project phase can use (`project.keep_for_project`) as it comes in."""
    def kept(result: FileResult, shared: bool = False) -> FileResult:
        if reaches_project is not None and result.facts is not None:
            keep_for_project(result.facts, reaches_project, setup.collectors)
        return result if shared else share_strings(result)

    if progress is not None:
        progress.add_total(len(files))
    cache = None
    if cache_dir is not None:
        cache = Cache(str(cache_dir), setup_digest(setup.file_rules, setup.collectors, setup.catalog, setup.options))
        cache.prune()
    results: list[FileResult | None] = [None] * len(files)
    calls_kept = partial(call_filter, reaches_project) if reaches_project is not None else None
    todo: list[int] = []
    mark = profiling.marker()
    for index, (absolute, rel) in enumerate(files):
        hit = _cached(cache, absolute, rel, calls_kept) if cache is not None else None
        if hit is None:
            todo.append(index)
        else:
            results[index] = kept(hit, shared=True)  # entries are shared as they are read
            if index % 64 == 0:  # reading entries allocates as parsing does
                heap.settle()
    mark("cache: read")
    if progress is not None and len(todo) < len(files):
        progress.advance(len(files) - len(todo))
    jobs = worker_count(jobs)
    if jobs <= 1 or len(todo) < INLINE_LIMIT:
        for index in _largest_first(todo, _sizes(todo, files)):
            results[index] = kept(analyse_file(*files[index], setup, cache))
            heap.settle()
            if progress is not None:
                progress.advance(1)
    else:
        _analyse_in_pool(files, todo, results, setup, cache, jobs, progress, kept)
    return results  # type: ignore[return-value]  # every slot is filled


def _analyse_in_pool(files, todo, results, setup, cache, jobs, progress, kept) -> None:
    """Fill `results[i]` for every i in `todo`, largest files first so no worker is left with a
    big file at the end, and never two large files at once: a syntax tree takes hundreds of
    times its file's size, so two workers on the two largest files would double the peak.
    Falls back to analysing inline if the pool breaks (a worker killed)."""
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    _warm_parser()
    sizes = _sizes(todo, files)
    ordered = _largest_first(todo, sizes)
    large = [([index], True) for index in ordered if sizes[index] >= LARGE_FILE]
    small = [index for index in ordered if sizes[index] < LARGE_FILE]
    pending = large + [(small[start:start + CHUNK], False) for start in range(0, len(small), CHUNK)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if "fork" in methods else None
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(pending)), mp_context=context, initializer=_init_worker,
                               initargs=(setup, cache, profiling.ACTIVE is not None))
    running: dict = {}  # future -> (chunk, whether it is a large file)
    try:
        while pending or running:
            while pending and len(running) < 2 * jobs:  # a task queued per worker, so none waits for the parent
                position = _next_task(pending, any(is_large for _, is_large in running.values()), sizes)
                if position is None:
                    break
                chunk, is_large = pending.pop(position)
                with held_back():  # a submit may start the workers
                    future = pool.submit(_analyse_chunk, [files[index] for index in chunk], is_large)
                running[future] = (chunk, is_large)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                chunk, _ = running.pop(future)
                chunk_results, timings = future.result()
                for index, result in zip(chunk, chunk_results):
                    results[index] = kept(result)
                heap.settle()
                if timings and profiling.ACTIVE is not None:
                    profiling.ACTIVE.merge(timings)
                if progress is not None:
                    progress.advance(len(chunk_results))
    except BrokenProcessPool:
        for index in todo:
            if results[index] is None:
                results[index] = kept(analyse_file(*files[index], setup, cache))
                if progress is not None:
                    progress.advance(1)
    except KeyboardInterrupt:
        _stop_workers(pool)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the workers now, not after the files they hold (a large one takes a while): on Ctrl-C
    nothing they would still return is wanted. Cache entries are written whole or not at all."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # no public way before 3.14
        process.terminate()


def _next_task(pending: list[tuple[list[int], bool]], large_running: bool, sizes: dict[int, int]) -> int | None:
    """Where in `pending` (large files, then chunks of the others, largest first) the next task
    to submit is, or None to wait. Beside a large file, the others get the largest chunk of
    files under COMPANION_FILE (else the smallest chunk left), not the next largest: the
    medium files come after the large ones, while the parent still holds few facts."""
    if not large_running:
        return 0
    if pending[-1][1]:
        return None  # only large files are left
    return next(at for at, (chunk, is_large) in enumerate(pending)
                if not is_large and (sizes[chunk[0]] < COMPANION_FILE or at == len(pending) - 1))


def _largest_first(indices: list[int], sizes: dict[int, int]) -> list[int]:
    """Files in the order to analyse them: the largest first, so the biggest syntax trees are
    built while little else is kept, and no worker is left with a big file at the end."""
    return sorted(indices, key=lambda index: (-sizes[index], index))


def _sizes(indices: list[int], files: list[tuple[str, str]]) -> dict[int, int]:
    return {index: _size(files[index][0]) for index in indices}


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _warm_parser() -> None:
    """Parse once before forking, so workers inherit libcst's loaded grammar."""
    from debtscan.parser import parse_module

    parse_module("import os\n")


# -- findings about files -----------------------------------------------------------------------

def _problem_finding(problem: FileProblem) -> Finding:
    rule = UnparsableFile if problem.kind == "syntax" else UnreadableFile
    verb = "" if problem.message.startswith(("is ", "cannot", "contains", "not ", "bad ", "JSON", "nbformat", "cell ")) else ""
    message = f"{verb}{problem.message[0].upper()}{problem.message[1:]}; the file is not checked." if problem.kind != "syntax" \
        else f"{problem.message[0].upper()}{problem.message[1:]}; nothing in it is checked."
    if problem.kind == "read":
        message = f"File {problem.message}; it is not checked."
    if problem.cell is not None:  # one notebook cell: the rest of the notebook is checked
        message = f"{problem.message[0].upper()}{problem.message[1:]}; that cell is not checked."
    span = {"line": problem.line, "column": problem.column, "end_line": problem.line, "end_column": problem.column,
            "cell": problem.cell, "file_line": problem.file_line, "snippet": ""}
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


def _apply_directives(findings: list[Finding], directives: dict[str, list[Directive]], enabled: set[str],
                      prefix: str = ""):
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
                    "end_column": directive.column + len(directive.text), "cell": directive.cell,
                    "file_line": directive.file_line, "snippet": directive.text}
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
    return out, dict(counts), _fingerprint(extra, prefix)


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["scan", "ScanResult", "analyse_file", "Location", "defaultdict"]
