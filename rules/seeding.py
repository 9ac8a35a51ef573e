"""Is a seed in force where randomness is drawn? The project-wide analysis behind DS101/3/4.

A draw at position k of scope S (a function, or a module's top level) on stream X is covered
when any of these holds:

1. S seeds X before k — directly, or by calling a project function that seeds X (transitively);
2. S is a function and its module's top level seeds X (functions run after the module loads);
3. some caller reaches S with X covered at the call (fixpoint over the project's call graph);
4. S's module is imported, directly or transitively, by a module whose top level (its
   `__main__` block and the functions called from there included) seeds X.

This is deliberately generous — one seeded path is enough — because a finding must be true:
we report only randomness that no seed can reach.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterator

from debtscan.model import MODULE_SCOPE

FAMILY = "randomness"
NEVER = 1 << 62


class SeedAnalysis:
    def __init__(self, project) -> None:
        self.project = project
        self.data: dict[str, dict[str, Any]] = {
            path: facts.data.get(FAMILY, {"seeds": [], "candidates": []}) for path, facts in project.files.items()
        }
        self._seeds_of_function = self._transitive_seeds()
        self._first_seed = self._first_seed_orders()
        self._covered_modules = self._modules_covered_by_entries()
        self._entered = self._entered_seeded()

    @classmethod
    def of(cls, project) -> "SeedAnalysis":
        if "seed_analysis" not in project.memo:
            project.memo["seed_analysis"] = cls(project)
        return project.memo["seed_analysis"]

    # 1. streams each function seeds, directly or through the project functions it calls
    def _transitive_seeds(self) -> dict[tuple[str, str], set[str]]:
        seeds: dict[tuple[str, str], set[str]] = defaultdict(set)
        for path, data in self.data.items():
            for scope, _order, streams in data.get("seeds", []):
                seeds[(path, scope)].update(streams)
        callers: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        for caller_path, caller_scope, _order, callee_path, callee_scope in self.project.call_edges():
            callers[(callee_path, callee_scope)].append((caller_path, caller_scope))
        work = list(seeds)  # from each seeding function up to its callers, once per new stream
        while work:
            callee = work.pop()
            for caller in callers.get(callee, ()):
                extra = seeds[callee] - seeds[caller]
                if extra:
                    seeds[caller].update(extra)
                    work.append(caller)
        return seeds

    # the earliest point in each scope from which a stream is seeded
    def _first_seed_orders(self) -> dict[tuple[str, str, str], int]:
        first: dict[tuple[str, str, str], int] = {}

        def note(path: str, scope: str, stream: str, order: int) -> None:
            key = (path, scope, stream)
            if order < first.get(key, NEVER):
                first[key] = order

        for path, data in self.data.items():
            for scope, order, streams in data.get("seeds", []):
                for stream in streams:
                    note(path, scope, stream, order)
        for caller_path, caller_scope, order, callee_path, callee_scope in self.project.call_edges():
            for stream in self._seeds_of_function.get((callee_path, callee_scope), ()):
                note(caller_path, caller_scope, stream, order)
        return first

    def module_seeds(self, path: str, stream: str) -> bool:
        return (path, MODULE_SCOPE, stream) in self._first_seed

    # 4. modules imported by a module whose top level seeds the stream
    def _modules_covered_by_entries(self) -> dict[str, set[str]]:
        streams = {stream for (_p, _s, stream) in self._first_seed}
        covered = {}
        for stream in streams:
            sources = [path for path in self.project.files if self.module_seeds(path, stream)]
            covered[stream] = self.project.reachable_from(sources)
        return covered

    def _seeded_at(self, path: str, scope: str, order: int, stream: str, entered: set) -> bool:
        if self._first_seed.get((path, scope, stream), NEVER) < order:
            return True
        if scope != MODULE_SCOPE:
            if self.module_seeds(path, stream) or (path, scope, stream) in entered:
                return True
        return path in self._covered_modules.get(stream, ())

    # 3. functions entered with a stream already seeded, by a fixpoint over call sites
    def _entered_seeded(self) -> set[tuple[str, str, str]]:
        entered: set[tuple[str, str, str]] = set()
        streams = sorted({stream for (_p, _s, stream) in self._first_seed})
        calls: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
        work = []
        for caller_path, caller_scope, order, callee_path, callee_scope in self.project.call_edges():
            calls[(caller_path, caller_scope)].append((callee_path, callee_scope))
            for stream in streams:
                key = (callee_path, callee_scope, stream)
                if key not in entered and self._seeded_at(caller_path, caller_scope, order, stream, entered):
                    entered.add(key)
                    work.append(key)
        while work:  # a function entered seeded seeds every function it calls
            path, scope, stream = work.pop()
            if scope == MODULE_SCOPE:
                continue
            for callee_path, callee_scope in calls.get((path, scope), ()):
                key = (callee_path, callee_scope, stream)
                if key not in entered:
                    entered.add(key)
                    work.append(key)
        return entered

    def covered(self, path: str, candidate: dict[str, Any]) -> bool:
        return self._seeded_at(path, candidate["scope"], candidate["order"], candidate["stream"], self._entered)

    def seeding_scopes(self, path: str, stream: str) -> list[str]:
        """The scopes of `path` from which `stream` is seeded (directly or through a call)."""
        return [scope for (where, scope, seeded) in self._first_seed if where == path and seeded == stream]

    def streams_seeded(self, files: set[str]) -> set[str]:
        """Streams that some code of `files` seeds (directly, or through a function it calls)."""
        return {stream for (path, _scope, stream) in self._first_seed if path in files}

    def unseeded(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for path, data in self.data.items():
            for candidate in data.get("candidates", []):
                if candidate["kind"] == kind and not self.covered(path, candidate):
                    yield path, candidate
