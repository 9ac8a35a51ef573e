"""Randomness (DS1xx): randomness drawn with no seed in force, so runs cannot be repeated.

Sculley et al. list irreproducible runs among the costs of ML systems: a model that cannot be
retrained to the same result cannot be debugged, compared or audited. The collector records,
per file, where streams are seeded and where they are drawn from; the project rules then ask,
per draw, whether a seed is in force on some path that reaches it (see `rules/seeding.py`).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from collections import defaultdict

from debtscan.engine import make_finding, span_location
from debtscan.model import MODULE_SCOPE, Confidence, Finding, Severity
from debtscan.rule import Collector, FileRule, ProjectRule
from ._calls import argument, call_text, conditions_hold, has_star, is_none, keyword, positional, walk
from .dataflow import DataFlow
from .io_facts import KEY as IO_KEY
from .io_facts import IOCollector
from .roles import is_test_file
from .seeding import SeedAnalysis

MAX_RELATED = 50

FAMILY = "randomness"
TRIGGERS = (b"random", b"seed", b"shuffle", b"sample", b"torch", b"sklearn", b"DataLoader", b"Sampler", b"tensorflow", b"rng", b"jax")


class RandomnessIndex(CatalogIndex):
    """The randomness catalog, indexed by qualified name once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        self.streams = catalog.get("streams", {})
        self.seed_setters = index_by_name(catalog.get("seed_setters", []))
        self.draws = index_by_name(catalog.get("draws", []))
        self.generators = index_by_name(catalog.get("generators", []))
        self.random_state = index_by_name(catalog.get("random_state", []))
        self.shufflers = index_by_name(catalog.get("shufflers", []))
        self.deterministic = index_by_name(catalog.get("deterministic_by_default", []))
        self.method_shufflers = {entry["method"]: entry for entry in catalog.get("method_shufflers", [])}
        self.method_random_state = {entry["method"]: entry for entry in catalog.get("method_random_state", [])}
        self.method_draws = {method: entry for entry in catalog.get("method_draws", []) for method in entry.get("methods", [])}
        self.method_seed_setters = {method: entry for entry in catalog.get("method_seed_setters", [])
                                    for method in entry.get("methods", [])}
        self.entropy = set(catalog.get("entropy", {}).get("names", []))
        # an entropy call is named in the text wherever it is made (`t.time()`, `from time import time`)
        self.entropy_words = tuple(sorted({name.replace("()", "").rsplit(".", 1)[-1].encode() for name in self.entropy}))
        self.not_targets = tuple(catalog.get("receivers", {}).get("not_targets", []))
        self.generator_instances = tuple(f"{name}()" for name in self.generators)
        # longest alias first, so tensorflow.compat.v1.random wins over tensorflow.compat.v1
        self.aliases = sorted(catalog.get("aliases", {}).items(), key=lambda item: -len(item[0]))
        dummy = catalog.get("dummy_inputs", {})
        self.dummy_sinks = frozenset(dummy.get("sinks", []))
        self.dummy_sink_methods = frozenset(dummy.get("sink_methods", []))
        self.dummy_sink_words = tuple(sorted({name.rsplit(".", 1)[-1] for name in self.dummy_sinks} | self.dummy_sink_methods))
        self.dummy_scope = re.compile(r"(?:^|_)(?:%s)(?:_|$|\d)" % "|".join(map(re.escape, dummy.get("scope_words", []))),
                                      re.I) if dummy.get("scope_words") else None

    def canonical(self, name: str | None) -> str | None:
        """The catalog's name for `name` (tf.compat.v1.random_uniform -> tensorflow.random_uniform)."""
        if not name:
            return name
        for alias, target in self.aliases:
            if name.startswith(alias + "."):
                return target + name[len(alias):]
        return name


    def label(self, stream: str) -> str:
        return self.streams.get(stream, {}).get("label", stream)

    def fix_for(self, stream: str) -> str:
        info = self.streams.get(stream, {})
        seed_with = info.get("seed_with", "a seed")
        instead = info.get("instead", "")
        return f"Seed it once at the program's entry point with {seed_with}, {instead}.".replace(", .", ".")


def _imports(ctx, library: str) -> bool:
    return any(target == library or target.startswith(library + ".") for target in ctx.scopes.stack[0][1].values() if target)


def _receiver_kind(ctx, index: RandomnessIndex, call: cst.Call, prefixes: Iterable[str]) -> str | None:
    """"high" when the receiver is known to be the library's object, "medium" when unknown,
    None when it is known to be something else (Python's `random`, a NumPy generator)."""
    if not isinstance(call.func, cst.Attribute):
        return None
    receiver = ctx.qualify(call.func.value)
    if receiver is None:
        return "medium"
    if any(receiver.startswith(prefix) for prefix in prefixes):
        return "high"
    root = receiver.split(".")[0]
    if root in index.not_targets or receiver.startswith(index.generator_instances):
        return None
    if receiver.startswith("builtins."):
        return None
    return "medium"


class RandomnessCollector(Collector):
    """Seeds and candidate draws of one file, for the project-wide seed analysis."""

    key = FAMILY
    triggers = TRIGGERS

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = RandomnessIndex.of(ctx.catalog)
        self.seeds: list[tuple[str, int, list[str]]] = []
        self.candidates: list[dict[str, Any]] = []
        # dummy inputs: draws inside the arguments of an export, trace or profile call, or
        # assigned to a name such a call takes in the same scope
        self.sink_depth = 0
        self.targets: list[str] = []
        # names read anywhere, and read inside those calls: a draw is a dummy input only when
        # every read of the name it is assigned to is inside one (counted where such a call may be)
        # (and in files that may build estimators, whose random_state matters only if they are used)
        self.count_names = bool(self.index.dummy_sinks) and any(
            word in ctx.source.text for word in self.index.dummy_sink_words) or "sklearn" in ctx.source.text
        self.shown_call: int | None = None  # the call an expression statement evaluates and discards
        self.iterated: dict[tuple[str, str], int] = {}  # (scope, name) -> where a `for` first iterates it
        self.reads: dict[tuple[str, str], int] = defaultdict(int)
        self.sink_reads: dict[tuple[str, str], int] = defaultdict(int)

    def _candidate(self, node: cst.Call, kind: str, stream: str, text: str, confidence: str = "high", **extra) -> None:
        scope = self.ctx.scope
        dummy = self.sink_depth > 0 or bool(self.index.dummy_scope and self.index.dummy_scope.search(scope.rsplit(".", 1)[-1]))
        if id(node) == self.shown_call and kind == "draw" and \
                not _in_place(self.index.canonical(self.ctx.qualify(node.func)) or text):  # `mix = random.shuffle`
            dummy = True  # a value drawn as a statement of its own: shown in a notebook, dropped in a script
        self.candidates.append({"kind": kind, "scope": scope, "order": self.ctx.order, "stream": stream,
                                "text": text, "confidence": confidence, "symbol": self.ctx.symbol,
                                "span": self.ctx.span(node), **({"dummy": True} if dummy else {}),
                                **({"guarded": True} if self.ctx.in_main_guard else {}),
                                **({"target": self.targets[-1]} if self.targets and not dummy else {}), **extra})

    def visit_For(self, node: cst.For) -> None:
        """`for batch in loader:` (or through `enumerate(loader)`, `tqdm(loader)`): where a loader
        first draws its order, which is when its seed must be in force."""
        source = node.iter
        names = [source] if isinstance(source, cst.Name) else \
            [arg.value for arg in source.args if isinstance(arg.value, cst.Name)] if isinstance(source, cst.Call) else []
        for name in names:
            self.iterated.setdefault((self.ctx.scope, name.value), self.ctx.order)

    def visit_Expr(self, node: cst.Expr) -> None:
        self.shown_call = id(node.value) if isinstance(node.value, cst.Call) else None

    def visit_Assign(self, node: cst.Assign) -> None:
        names = [target.target.value for target in node.targets if isinstance(target.target, cst.Name)]
        self.targets.append(names[0] if len(names) == 1 and len(node.targets) == 1 else "")

    def leave_Assign(self, node: cst.Assign) -> None:
        self.targets.pop()

    def _is_sink(self, node: cst.Call) -> bool:
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in self.index.dummy_sink_methods:
            return True
        name = self.index.canonical(self.ctx.qualify(node.func))
        return bool(name) and name in self.index.dummy_sinks

    def leave_Call(self, node: cst.Call) -> None:
        if self.count_names and self._is_sink(node):
            self.sink_depth -= 1

    def visit_Name(self, node: cst.Name) -> None:
        if self.count_names:
            key = (self.ctx.scope, node.value)
            self.reads[key] += 1
            if self.sink_depth:
                self.sink_reads[key] += 1

    def visit_Call(self, node: cst.Call) -> None:
        index = self.index
        if self.count_names and self._is_sink(node):
            self.sink_depth += 1
        name = index.canonical(self.ctx.qualify(node.func))
        if name:
            setter = index.seed_setters.get(name)
            if setter is not None:
                self.seeds.append((self.ctx.scope, self.ctx.order, list(setter.get("streams", []))))
                return
            draw = index.draws.get(name)
            if draw is not None:
                if draw.get("seed_keyword") and keyword(node, draw["seed_keyword"]) is not None:
                    return
                if draw.get("generator_keyword") and keyword(node, draw["generator_keyword"]) is not None:
                    return
                self._candidate(node, "draw", draw["stream"], call_text(node))
                return
            entry = index.random_state.get(name)
            if entry is not None:
                self._random_state(node, entry, name)
                return
            entry = index.shufflers.get(name)
            if entry is not None:
                self._shuffler(node, entry)
                return
        if isinstance(node.func, cst.Attribute):
            self._method(node, node.func.attr.value)

    def _random_state(self, node: cst.Call, entry: dict, name: str) -> None:
        if has_star(node):
            return
        position = entry.get("positions", {}).get(name)
        arg = argument(node, position, entry.get("param", "random_state"))
        if arg is not None and not is_none(arg.value):
            return
        holds = conditions_hold(node, entry.get("when", {}), entry.get("defaults", {}))
        if holds is False:
            return
        confidence = entry.get("confidence", "high") if holds else "low"
        self._candidate(node, "random_state", entry.get("stream", "numpy"), call_text(node), confidence,
                        param=entry.get("param", "random_state"))

    def _shuffler(self, node: cst.Call, entry: dict) -> None:
        if has_star(node) or any(keyword(node, word) is not None for word in entry.get("unless_keywords", [])):
            return
        positions = {"shuffle": 2} if "shuffle" in entry.get("when", {}) else None
        holds = conditions_hold(node, entry.get("when", {}), entry.get("defaults", {}), positions)
        if holds is False:
            return
        self._candidate(node, "shuffle", entry["stream"], call_text(node), "medium" if holds else "low")

    def _method(self, node: cst.Call, method: str) -> None:
        index = self.index
        entry = index.method_seed_setters.get(method)
        if entry is not None and any(_imports(self.ctx, library) for library in entry.get("requires_import", [])):
            self.seeds.append((self.ctx.scope, self.ctx.order, list(entry.get("streams", []))))
            return
        entry = index.method_shufflers.get(method)
        if entry is not None and _imports(self.ctx, entry["requires_import"]):
            if keyword(node, entry.get("seed_keyword", "seed")) is not None or len(positional(node)) >= 2 or has_star(node):
                return
            kind = _receiver_kind(self.ctx, index, node, entry.get("receiver_prefixes", ()))
            if kind is not None:
                self._candidate(node, "shuffle", entry["stream"], call_text(node), kind)
            return
        entry = index.method_random_state.get(method)
        if entry is not None and _imports(self.ctx, entry["requires_import"]):
            if has_star(node) or len(positional(node)) >= 5:  # DataFrame.sample(n, frac, replace, weights, random_state)
                return
            arg = keyword(node, entry.get("param", "random_state"))
            if arg is not None and not is_none(arg.value):
                return
            kind = _receiver_kind(self.ctx, index, node, entry.get("receiver_prefixes", ()))
            if kind is not None:
                self._candidate(node, "random_state", entry["stream"], call_text(node), kind,
                                param=entry.get("param", "random_state"))
            return
        entry = index.method_draws.get(method)
        if entry is not None and _imports(self.ctx, entry["requires_import"]):
            if keyword(node, entry.get("generator_keyword", "generator")) is not None:
                return
            kind = _receiver_kind(self.ctx, index, node, ())
            if kind is not None:
                self._candidate(node, "draw", entry["stream"], call_text(node), "medium")

    def finish(self) -> None:
        for candidate in self.candidates:
            key = (candidate["scope"], candidate.pop("target", None))
            first_use = self.iterated.get(key)
            if candidate["kind"] == "shuffle" and first_use is not None and first_use >= candidate["order"]:
                # a loader draws its order when it is first iterated: after every call made before the loop
                candidate["order"] = first_use + 0.5
            # the assignment's own target is one of the names counted, outside any call
            if key[1] and self.sink_reads.get(key, 0) and self.sink_reads[key] == self.reads[key] - 1:
                candidate["dummy"] = True
            elif key[1] and self.count_names and candidate["kind"] == "random_state" and self.reads.get(key) == 1 \
                    and candidate["text"].rsplit(".", 1)[-1][:1].isupper() \
                    and key[0] != MODULE_SCOPE:  # a module-level name other modules may import
                candidate["dummy"] = True  # an estimator built and never used again: it draws nothing
        self.ctx.facts.data[FAMILY] = {"seeds": self.seeds, "candidates": self.candidates}


def _in_place(text: str) -> bool:
    """A draw that changes its argument (`random.shuffle(x)`, `nn.init.normal_(w)`): it matters
    even as a statement of its own."""
    name = text.rsplit(".", 1)[-1]
    return "shuffle" in name or name.endswith("_") or ".init." in f".{text}."


def decides_a_result(project, path: str, candidate: dict) -> bool:
    """Whether a draw can change what a program produces: not in a test, not a dummy input
    given to an export, a trace, a profile or a plot (`RandomnessCollector`), and not in the
    `__main__` block of a library module (`_demo_block`)."""
    if is_test_file(path) or candidate.get("dummy"):
        return False
    return not (candidate.get("guarded") and _demo_block(project, path))


def _demo_block(project, path: str) -> bool:
    """The `__main__` block of a module the project imports, or of a package module that reads
    and writes nothing: a demo or a shape or gradient check, not a program."""
    if path in project.imported_paths():
        return True
    facts = project.files.get(path)
    package = (facts.module or "").rpartition(".")[0] if facts is not None else ""
    if not package or package not in project.modules:  # a folder with an `__init__.py` of the project
        return False
    io = facts.data.get(IO_KEY, {})
    return not io.get("events")  # a demo may call `.backward()` once; it keeps nothing




class _SeededStreamRule(ProjectRule):
    """Shared reporting for draws that need a seed in force on their stream."""

    family = FAMILY
    collectors = (RandomnessCollector,)
    kind = ""
    triggers = TRIGGERS

    def check(self, project) -> Iterable[Finding]:
        analysis = SeedAnalysis.of(project)
        index = RandomnessIndex.of(project.catalog)
        for path, candidate in analysis.unseeded(self.kind):
            # a place someone suppressed is still reported, so that the comment stays in use
            if not decides_a_result(project, path, candidate) and not project.suppressed(self.code, path, candidate["span"]):
                continue
            stream = candidate["stream"]
            message, fix = self.describe(candidate, index.label(stream), index)
            yield make_finding(type(self), path, candidate["span"], message, fix=fix,
                               confidence=Confidence.parse(candidate["confidence"]), symbol=candidate["symbol"])

    def describe(self, candidate: dict, label: str, index: RandomnessIndex) -> tuple[str, str]:
        raise NotImplementedError


def _package(path: str) -> str:
    parts = path.split("/")
    if parts[0] == "src" and len(parts) > 2:
        parts = parts[1:]
    return parts[0] if len(parts) > 1 else parts[0].rsplit(".", 1)[0]


def _is_initialisation(candidate: dict) -> bool:
    """Parameters drawn when a model is built: what a loaded checkpoint overwrites."""
    scope = candidate["scope"]
    return scope.endswith("__init__") or scope.split(".")[-1].startswith(("init", "_init", "reset_param")) \
        or ".init." in f".{candidate['text']}."


class UnseededGlobalRandom(_SeededStreamRule):
    """Randomness drawn from a global random state that nothing seeds.

    ## What it does
    Finds draws from a global random state — NumPy's legacy `np.random.*` functions, Python's
    `random` module, PyTorch's `torch.rand*`/`randperm`/`nn.init`, TensorFlow's `tf.random.*`
    ops — where no seed for that state is in force: none earlier in the function, none at
    module level, none in a caller, and none in an entry-point module that imports this one.
    One finding per program and random state, at the draw the program reaches first; the
    other draws with the same cause are its related locations. Draws that decide no result
    are left out (tests, dummy inputs for export, tracing, profiling, benchmarks and plots,
    `__main__` demo blocks of imported modules, initialisation a loaded checkpoint
    overwrites); code no entry point runs gets one low-confidence note per package.

    ## Why is this bad?
    Every run draws different numbers, so results cannot be reproduced, compared or debugged
    (Sculley et al., 2015). Seeding one library does not seed another: `np.random.seed`
    leaves `random` and `torch` unseeded.

    ## Example
    ```python
    import numpy as np

    noise = np.random.normal(0, 0.1, size=100)
    ```

    ## Use instead
    ```python
    import numpy as np

    rng = np.random.default_rng(42)
    noise = rng.normal(0, 0.1, size=100)
    ```
    """

    code = "DS101"
    name = "unseeded-global-random"
    collectors = (RandomnessCollector, IOCollector)  # entry points and their programs come from I/O facts
    summary = "Randomness drawn from a global random state that no seed covers"
    fix = "Seed the random state once at the program's entry point, or draw from a seeded generator."
    kind = "draw"
    VALID = (
        "import numpy as np\nnp.random.seed(0)\nx = np.random.rand(3)\n",
        "import random\n\ndef f(random):\n    return random.choice([1, 2])\n",
        "import torch\n\ndef main():\n    torch.manual_seed(1)\n    return torch.randn(2)\n",
    )
    INVALID = (
        "import numpy as np\nx = np.random.rand(3)\n",
        "import numpy as np\nimport random\nnp.random.seed(0)\nrandom.shuffle([1, 2, 3])\n",
    )

    def check(self, project) -> Iterable[Finding]:
        """One finding per program and stream: the draws one missing seed explains are one
        root cause, reported at the draw the program reaches first with the others related.
        Code that no entry point runs (a library) gets one low-confidence note per package
        and stream: seeding is the calling program's job."""
        analysis = SeedAnalysis.of(project)
        index = RandomnessIndex.of(project.catalog)
        flow = DataFlow.of(project)
        groups: dict[tuple[str, str, str], list[tuple[str, dict]]] = defaultdict(list)
        for path, candidate in analysis.unseeded(self.kind):
            if project.suppressed(self.code, path, candidate["span"]):
                yield self._single(path, candidate, index)  # reported alone, so its comment suppresses it
                continue
            if not decides_a_result(project, path, candidate):
                continue
            programs = [entry for entry in flow.programs_of(path) if entry in flow.entries and not is_test_file(entry)
                        and not (flow.entries[entry] == "main guard" and _demo_block(project, entry))]
            if not programs and _draws_at_top_level(analysis.data.get(path, {})):
                programs = [path]  # it runs as a script: its top level draws when it is run
            if programs and _seeded_by_entry(analysis, flow, index, programs, path, candidate):
                continue  # run by the framework after the entry point seeded this stream
            if programs and _is_initialisation(candidate):
                programs = [entry for entry in programs if not _restores_weights(flow, entry)
                            and _builds(flow, entry, path, candidate["scope"])]
                if not programs:
                    continue  # a model no program builds, or whose parameters a loaded checkpoint overwrites
            if programs:
                groups[("program", programs[0], candidate["stream"])].append((path, candidate))
            else:
                groups[("library", _package(path), candidate["stream"])].append((path, candidate))
        for (kind, owner, stream), draws in sorted(groups.items()):
            draws.sort(key=lambda item: (item[0] != owner, item[0], item[1]["order"]))
            yield self._grouped(kind, owner, stream, draws, analysis, flow, index)

    def _single(self, path: str, candidate: dict, index: RandomnessIndex) -> Finding:
        return make_finding(type(self), path, candidate["span"],
                            f"`{candidate['text']}(...)` draws from {index.label(candidate['stream'])}, and no seed for "
                            f"it is in force here, so every run differs.", fix=index.fix_for(candidate["stream"]),
                            confidence=Confidence.parse(candidate["confidence"]), symbol=candidate["symbol"])

    def _grouped(self, kind, owner, stream, draws, analysis, flow, index) -> Finding:
        (path, first), others = draws[0], draws[1:]
        label, text = index.label(stream), first["text"]
        modules = len({other_path for other_path, _ in draws})
        related = tuple(span_location(other_path, other["span"]) for other_path, other in others[:MAX_RELATED])
        more = ""
        if others:
            more = (f"; {len(others)} more draw{'s' if len(others) != 1 else ''} from it "
                    f"{'in this module' if modules == 1 else f'in {modules} modules'} of that "
                    f"{'program' if kind == 'program' else 'package'} {'have' if len(others) != 1 else 'has'} "
                    f"the same cause")
        if kind == "library":
            return make_finding(type(self), path, first["span"],
                                f"`{text}(...)` draws from {label} in `{owner}`, code that no entry point of this project "
                                f"runs{more}: the programs that use it must seed {label} for their runs to repeat.", fix=f"Document that callers seed it ({index.label(stream)}), or take a "
                                f"generator or seed argument.", confidence=Confidence.LOW, severity=Severity.INFO,
                                symbol=first["symbol"], related=related)
        files = flow.programs[owner].files if owner in flow.programs else {owner}
        seeded = sorted(index.label(other) for other in analysis.streams_seeded(files) - {stream})
        also = f", which seeds {_and(seeded)} but not this one" if seeded else ""
        where = "this program" if path == owner else f"the program started by `{owner}`"
        confidence = max(Confidence.parse(candidate["confidence"]) for _, candidate in draws)
        return make_finding(type(self), path, first["span"],
                            f"`{text}(...)` draws from {label}, and no seed for it is in force in {where}{also}, so "
                            f"every run differs{more}.", fix=index.fix_for(stream), confidence=confidence,
                            symbol=first["symbol"], related=related)


def _draws_at_top_level(data: dict) -> bool:
    """Whether a module draws as it is run (its `__main__` block makes it an entry point of its own)."""
    return any(candidate["scope"] == MODULE_SCOPE and not candidate.get("guarded")
               for candidate in data.get("candidates", []))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _seeded_by_entry(analysis, flow: DataFlow, index: RandomnessIndex, programs: list[str], path: str,
                     candidate: dict) -> bool:
    """A draw in a function no project code is seen to call (a framework calls it: a dataset's
    `__getitem__`, a mapper's `__call__`, a layer's `reset_parameters`) runs after the entry
    point's own code started; when every program that reaches it seeds its stream in the entry
    point's own code (module level, code it runs, or its `main()` that a launcher calls), a
    seed is in force. A stream with `seeded_in_workers_by` in the catalog counts those seeds too:
    PyTorch seeds Python's `random` in every DataLoader worker from its own seeded generator."""
    scope = candidate["scope"]
    if scope == MODULE_SCOPE or flow.runners_of(path, scope):
        return False
    streams = [candidate["stream"], *index.streams.get(candidate["stream"], {}).get("seeded_in_workers_by", [])]
    return all(any(seeding == MODULE_SCOPE or entry in flow.runners_of(entry, seeding) or MAIN_LIKE.match(seeding)
                   for stream in streams for seeding in analysis.seeding_scopes(entry, stream)) for entry in programs)


# An entry point's own main function, which a launcher may call (`launch(main)`, `fabric.launch(main)`)
MAIN_LIKE = re.compile(r"^(?:main|_main|run|setup|cli|entrypoint|train|main_\w+)$")


def _builds(flow: DataFlow, entry: str, path: str, scope: str) -> bool:
    """Whether program `entry` constructs the class whose `__init__` is `scope` (other set-up
    functions, called through `self.apply(...)` and the like, are assumed to run)."""
    if not scope.endswith(".__init__"):
        return True
    return entry in flow.runners_of(path, scope)


def _restores_weights(flow: DataFlow, entry: str) -> bool:
    """A program that loads a model and trains none: its freshly drawn parameters are overwritten."""
    program = flow.programs.get(entry)
    if program is None or program.fits:
        return False
    files = flow.project.files
    facts = [files[path].data.get(IO_KEY, {}) for path in program.files if path in files]
    return any(io.get("restores") or any(event["op"] == "read" and event.get("role") == "model"  # wherever it points
                                         for event in io.get("events", [])) for io in facts)


class MissingRandomState(_SeededStreamRule):
    """An estimator, splitter or sampler whose `random_state` is left unset.

    ## What it does
    Finds scikit-learn estimators, splitters and functions (and pandas `.sample`) whose
    `random_state` parameter matters for the arguments given and is left unset, while
    NumPy's global random state is not seeded either. Cases where the parameter has no effect
    (`KFold` without `shuffle=True`, `LogisticRegression` with its default solver, `SVC`
    without `probability=True`) are not reported, nor is an estimator a function builds and
    never uses again.

    ## Why is this bad?
    With `random_state=None` the estimator draws from NumPy's global state: splits, bootstrap
    samples and initialisations change from run to run, and so do the model and its metrics.

    ## Example
    ```python
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = RandomForestClassifier(n_estimators=200)
    ```

    ## Use instead
    ```python
    SEED = 42
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    model = RandomForestClassifier(n_estimators=200, random_state=SEED)
    ```
    """

    code = "DS103"
    name = "missing-random-state"
    summary = "random_state left unset where it changes the result"
    fix = "Pass random_state=SEED (one seed from config, shared by every call)."
    kind = "random_state"
    VALID = (
        "from sklearn.model_selection import KFold\ncv = KFold(n_splits=5)\n",
        "from sklearn.ensemble import RandomForestClassifier\nm = RandomForestClassifier(random_state=0)\n",
        "from sklearn.linear_model import LogisticRegression\nm = LogisticRegression(C=0.5)\n",
    )
    INVALID = (
        "from sklearn.model_selection import train_test_split\na, b = train_test_split([1, 2, 3, 4])\n",
        "import pandas as pd\ndf = pd.read_csv('x.csv').sample(frac=1)\n",
    )

    def describe(self, candidate, label, index):
        param = candidate.get("param", "random_state")
        text = candidate["text"]
        return (f"`{text}(...)` is called without `{param}`, so it draws from {label} and changes every run.",
                f"Pass {param}=SEED, with one seed taken from config.")


class UnseededShuffle(_SeededStreamRule):
    """A data loader or dataset shuffled with an unseeded global generator.

    ## What it does
    Finds `torch.utils.data.DataLoader(..., shuffle=True)` and random samplers without a
    `generator=`, and `tf.data` datasets' `.shuffle(buffer)` without `seed=`, where the
    framework's global seed is not set either.

    ## Why is this bad?
    The order of training batches changes every run; with it the model, its metrics and any
    bug that depends on a particular batch.

    ## Example
    ```python
    from torch.utils.data import DataLoader

    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    ```

    ## Use instead
    ```python
    import torch

    generator = torch.Generator().manual_seed(42)
    loader = DataLoader(train_set, batch_size=32, shuffle=True, generator=generator)
    ```
    """

    code = "DS104"
    name = "unseeded-shuffle"
    confidence = Confidence.MEDIUM
    summary = "Data shuffled by a loader or dataset with no seed in force"
    fix = "Pass a seeded generator (or seed=) to the loader, or seed the framework at the entry point."
    kind = "shuffle"
    VALID = (
        "import torch\nfrom torch.utils.data import DataLoader\ntorch.manual_seed(0)\nloader = DataLoader([1, 2], shuffle=True)\n",
        "from torch.utils.data import DataLoader\nloader = DataLoader([1, 2], batch_size=2)\n",
    )
    INVALID = (
        "from torch.utils.data import DataLoader\nloader = DataLoader([1, 2], shuffle=True)\n",
        "import tensorflow as tf\nds = tf.data.Dataset.range(10).shuffle(10)\n",
    )

    def describe(self, candidate, label, index):
        text = candidate["text"]
        fix = ("Pass generator=torch.Generator().manual_seed(SEED), or call torch.manual_seed(SEED) at the entry point."
               if candidate["stream"] == "torch" else index.fix_for(candidate["stream"]))
        return f"`{text}(...)` shuffles with {label}, and no seed for it is in force here, so batch order differs every run.", fix


class UnseededGenerator(FileRule):
    """A random generator created without a seed.

    ## What it does
    Finds new, independent generators created without a seed: `np.random.default_rng()`,
    `np.random.RandomState()`, NumPy bit generators and `SeedSequence()`, `random.Random()`.

    ## Why is this bad?
    An unseeded generator starts from operating-system entropy, and global seeds such as
    `np.random.seed` do not reach it: every run differs even in a carefully seeded program.

    ## Example
    ```python
    import numpy as np

    rng = np.random.default_rng()
    ```

    ## Use instead
    ```python
    import numpy as np

    rng = np.random.default_rng(config.seed)
    ```
    """

    code = "DS102"
    name = "unseeded-generator"
    family = FAMILY
    summary = "A random generator constructed without a seed"
    fix = "Pass a seed (from config) to the generator's constructor."
    triggers = TRIGGERS
    VALID = (
        "import numpy as np\nrng = np.random.default_rng(42)\nrng.normal()\n",
        "import random\nsecure = random.SystemRandom()\n",
    )
    INVALID = (
        "import numpy as np\nrng = np.random.default_rng()\n",
        "import random\nr = random.Random(None)\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = RandomnessIndex.of(ctx.catalog)

    def visit_Call(self, node: cst.Call) -> None:
        name = self.index.canonical(self.ctx.qualify(node.func))
        entry = self.index.generators.get(name) if name else None
        if entry is None or entry.get("never_report") or entry.get("always_seeded") or has_star(node):
            return
        position, word = entry.get("seed_arg", [0, "seed"])
        arg = argument(node, position, word)
        if arg is not None and not is_none(arg.value):
            return
        self.report(node, f"`{call_text(node)}()` creates a generator without a seed, so it starts from OS entropy "
                          f"and every run differs.",
                    fix=f"Pass a seed from config: `{call_text(node)}(SEED)`.")


class SeedFromEntropy(FileRule):
    """A seed taken from the clock or from OS entropy.

    ## What it does
    Finds seed setters, generator constructors, JAX keys and `random_state=` arguments whose
    seed is computed from `time.time()`, `datetime.now()`, `os.urandom()`, `uuid4()` or another
    random draw, directly or through a variable assigned from one.

    ## Why is this bad?
    It looks seeded, but the seed changes every run, so nothing can be reproduced — and the
    seed is rarely logged, so the one good run cannot be recovered either.

    ## Example
    ```python
    import time
    import numpy as np

    np.random.seed(int(time.time()))
    ```

    ## Use instead
    ```python
    np.random.seed(config.seed)  # and log the seed with the run
    ```
    """

    code = "DS105"
    name = "seed-from-entropy"
    family = FAMILY
    summary = "A seed computed from the clock or OS entropy"
    fix = "Take the seed from config or the command line, and log it with the run."
    triggers = (b"seed", b"random_state", b"PRNGKey", b"rng", b"Random", b"key(")
    VALID = (
        "import numpy as np\nnp.random.seed(1234)\n",
        "import random, sys\nrandom.seed(int(sys.argv[1]))\n",
    )
    INVALID = (
        "import time\nimport numpy as np\nnp.random.seed(int(time.time()))\n",
        "import time, random\nseed = int(time.time())\nrandom.seed(seed)\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = RandomnessIndex.of(ctx.catalog)
        self.tainted: set[tuple[str, str]] = set()
        # Within an assignment's value, whether it draws from entropy so far: its calls and names
        # are met by the walk itself, so the value is not walked a second time.
        self.in_value = False
        self.value_from_entropy = False

    @classmethod
    def requires(cls, catalog) -> tuple[bytes, ...]:
        return RandomnessIndex.of(catalog).entropy_words  # without one, no seed comes from entropy

    def _is_tainted(self, name: str) -> bool:
        return (self.ctx.scope, name) in self.tainted or ("<module>", name) in self.tainted

    def _entropy_source(self, expression: cst.BaseExpression) -> str | None:
        for node in walk(expression):
            if isinstance(node, cst.Call):
                name = self.index.canonical(self.ctx.qualify(node.func))
                if name in self.index.entropy:
                    return call_text(node)
            elif isinstance(node, cst.Name) and self._is_tainted(node.value):
                return node.value
        return None

    def visit_Assign_value(self, node: cst.Assign) -> None:
        self.in_value, self.value_from_entropy = True, False

    def leave_Assign_value(self, node: cst.Assign) -> None:
        self.in_value = False
        if self.value_from_entropy:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.tainted.add((self.ctx.scope, target.target.value))

    def visit_Name(self, node: cst.Name) -> None:
        if self.in_value and not self.value_from_entropy and self._is_tainted(node.value):
            self.value_from_entropy = True

    def visit_Call(self, node: cst.Call) -> None:
        name = self.index.canonical(self.ctx.qualify(node.func))
        if not name:
            return
        if self.in_value and name in self.index.entropy:
            self.value_from_entropy = True
        entry = self.index.seed_setters.get(name) or self.index.generators.get(name)
        arg = None
        if entry is not None and not entry.get("never_report") and "seed_arg" in entry:
            position, word = entry["seed_arg"]
            arg = argument(node, position, word)
        elif name in self.index.random_state:
            arg = keyword(node, "random_state")
        if arg is None:
            return
        source = self._entropy_source(arg.value)
        if source is not None:
            self.report(node, f"The seed passed to `{call_text(node)}` comes from `{source}`, so it changes every run "
                              f"and the run cannot be reproduced.")


RULES = (UnseededGlobalRandom, UnseededGenerator, MissingRandomState, UnseededShuffle, SeedFromEntropy)
