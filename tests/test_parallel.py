"""The fast per-file machinery: the walker, positions, the process pool. Each must give exactly
what the slow, obvious way gives, for any number of workers."""

from __future__ import annotations

import os
import time
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from debtscan import parser, runner
from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.positions import node_positions, statements_of
from debtscan.traversal import TRIVIA, TRIVIA_NAMES, BatchedWalk, children, walk

from helpers import write_project

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_FILES = sorted(path for path in (ROOT / "fixtures").rglob("*.py"))

TRICKY = '''\
import numpy as np, os.path as osp
from .pkg import (a as b, c)

@decorator(np.random.rand(3))
@other
async def f(x: int = g(), /, *args, y=lambda q=h(): q, **kw) -> "T":
    global z
    async with open(p) as (a, b), ctx():
        yield [i async for i in aiter() if await i]
    return {k: v for k, v in d.items()}, {*s}, (t := n + 1) if cond else ~m

class C(Base, metaclass=Meta):
    attr: list[int] = []
    def method(self, *, key=None):
        try:
            pass
        except* (ValueError, TypeError) as group:
            raise RuntimeError("x") from group
        else:
            del self.x[1:2, ::3]
        finally:
            print(f"{self!r:>{width}} {'/data/x.csv'}", end="")

match command.split():
    case [action, *rest] if action in {"go", "stop"}:
        pass
    case {"k": 1, **others} | Point(x=0, y=_):
        pass
    case _:
        x = 'implicit' "concatenation" \\
            "continued"
for i, (j, k) in enumerate(pairs):  # a comment
    while not i: i -= 1; break
else:
    assert x is not None, "message"
type Alias = dict[str, "Forward"]
'''


def sources():
    yield "tricky.py", TRICKY
    yield "crlf.py", "x = f(1)\r\nif x:\r\n    y = 'a'\r\n"
    for path in FIXTURE_FILES:
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


SOURCES = list(sources())


def _trace_visitor(node_names, attributes):
    """A visitor class with a hook for every node type and every (type, field) seen, logging calls."""
    namespace = {"__init__": lambda self: setattr(self, "log", [])}

    def hook(name):
        return lambda self, node: self.log.append((name, id(node)))

    for name in node_names:
        for prefix in ("visit_", "leave_"):
            namespace[prefix + name] = hook(prefix + name)
    for name, field in attributes:
        for prefix in ("visit_", "leave_"):
            namespace[f"{prefix}{name}_{field}"] = hook(f"{prefix}{name}_{field}")
    return type("Trace", (cst.BatchableCSTVisitor,), namespace)


def _libcst_trace(tree):
    log = []

    class Recorder(cst.CSTVisitor):
        def on_visit(self, node):
            log.append((f"visit_{type(node).__name__}", id(node)))
            return True

        def on_leave(self, node):
            log.append((f"leave_{type(node).__name__}", id(node)))

        def on_visit_attribute(self, node, attribute):
            log.append((f"visit_{type(node).__name__}_{attribute}", id(node)))

        def on_leave_attribute(self, node, attribute):
            log.append((f"leave_{type(node).__name__}_{attribute}", id(node)))

    tree.visit(Recorder())
    return log


@pytest.mark.parametrize("name,code", SOURCES, ids=[name for name, _ in SOURCES])
def test_walker_calls_every_hook_in_libcst_order(name, code):
    tree = cst.parse_module(code)
    expected = _libcst_trace(tree)
    node_names = {event[len("visit_"):] for event, _ in expected if event.startswith("visit_") and event.count("_") == 1}
    attributes = {tuple(event[len("visit_"):].split("_", 1)) for event, _ in expected
                  if event.startswith("visit_") and event.count("_") > 1}
    tracer = _trace_visitor(node_names, attributes)()
    BatchedWalk([tracer]).run(tree)
    assert tracer.log == expected


@pytest.mark.parametrize("name,code", SOURCES, ids=[name for name, _ in SOURCES])
def test_walker_skips_only_whitespace_and_punctuation_when_nobody_asks_for_them(name, code):
    tree = cst.parse_module(code)
    every = _libcst_trace(tree)
    names = {event[len("visit_"):] for event, _ in every if event.count("_") == 1} - TRIVIA_NAMES
    tracer = _trace_visitor(names, ())()
    BatchedWalk([tracer]).run(tree)
    trivia_ids = {id(node) for node in walk(tree) if type(node) in TRIVIA}
    kept = [event for event in every if event[0].count("_") == 1 and event[1] not in trivia_ids]
    assert tracer.log == kept


def test_a_hook_on_a_field_of_punctuation_runs_though_its_nodes_are_skipped():
    tree = cst.parse_module(TRICKY)
    every = _libcst_trace(tree)
    names = {event[len("visit_"):] for event, _ in every if event.count("_") == 1} - TRIVIA_NAMES
    attributes = {("Arg", "comma"), ("Call", "whitespace_after_func"), ("FunctionDef", "leading_lines")}
    tracer = _trace_visitor(names, attributes)()
    BatchedWalk([tracer]).run(tree)
    trivia_ids = {id(node) for node in walk(tree) if type(node) in TRIVIA}
    hooked = {f"{prefix}{kind}_{field}" for kind, field in attributes for prefix in ("visit_", "leave_")}
    kept = [event for event in every
            if (event[0].count("_") == 1 and event[1] not in trivia_ids) or event[0] in hooked]
    assert any(event[0] == "visit_Arg_comma" for event in tracer.log)
    assert tracer.log == kept


@pytest.mark.parametrize("name,code", SOURCES[:3], ids=[name for name, _ in SOURCES[:3]])
def test_children_equal_libcst_children(name, code):
    for node in walk(cst.parse_module(code)):
        assert children(node) == list(node.children)


@pytest.mark.parametrize("name,code", SOURCES, ids=[name for name, _ in SOURCES])
def test_positions_equal_libcst_position_provider(name, code):
    tree = cst.parse_module(code)
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = list(walk(tree))
    ours = node_positions(tree, nodes)
    for node in nodes:
        where = expected[node]
        assert ours[id(node)] == (where.start.line, where.start.column, where.end.line, where.end.column), node


@pytest.mark.parametrize("name,code", SOURCES[:3], ids=[name for name, _ in SOURCES[:3]])
def test_the_module_is_placed_from_its_text(name, code):
    tree = cst.parse_module(code)
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)[tree]
    first_call = next(node for node in walk(tree) if isinstance(node, cst.Call))
    placed = node_positions(tree, [tree, first_call], code)
    assert placed[id(tree)] == (expected.start.line, expected.start.column, expected.end.line, expected.end.column)
    assert placed[id(first_call)] == node_positions(tree, [first_call])[id(first_call)]


def test_positions_of_a_few_nodes_match_positions_of_all():
    tree = cst.parse_module(TRICKY)
    calls = [node for node in walk(tree) if isinstance(node, cst.Call)]
    everything = node_positions(tree, list(walk(tree)))
    assert node_positions(tree, calls) == {id(call): everything[id(call)] for call in calls}


REPEATED = """\
def a(x):
    if x:
        return None
    return None


def b(x):
    if x:
        return None
    return None


class K:
    def a(x):
        if x:
            return None
        return None
value = a(1)"""  # identical statements and functions, and no newline at the end


DECORATED = """import pytest


@pytest.mark.parametrize("x", [1, 2])
def test_a(x):
    assert x


@pytest.mark.parametrize("x", [1, 2])
def test_b(x):
    assert x


@pytest.mark.parametrize("x", [1, 2])
class TestC:
    pass
"""  # identical decorators: each is placed by the code up to its definition's name


def _innermost_statements(tree):
    """node id -> the innermost `statements_of` statement holding it."""
    statements = statements_of(tree)
    found = {}

    def mark(node, current):
        current = statements.get(id(node), current)
        if current is not None:
            found[id(node)] = current
        for child in children(node):
            mark(child, current)

    mark(tree, None)
    return found


@pytest.mark.parametrize("name,code", [*SOURCES, ("repeated.py", REPEATED), ("decorated.py", DECORATED)],
                         ids=[name for name, _ in SOURCES] + ["repeated.py", "decorated.py"])
def test_positions_by_statement_equal_positions_by_module(name, code):
    tree = cst.parse_module(code)
    nodes = list(walk(tree))
    expected = node_positions(tree, nodes)
    hints = _innermost_statements(tree)
    assert node_positions(tree, nodes, code, hints) == {**expected, id(tree): expected[id(tree)]}
    # a wrong hint (the last statement for every node) costs time, never a wrong place
    if tree.body:
        last = statements_of(tree)[id(tree.body[-1])]
        assert node_positions(tree, nodes, code, {id(node): last for node in nodes}) == expected


def test_a_repeated_statement_is_placed_by_the_statements_before_it():
    tree = cst.parse_module(REPEATED)
    returns = [node for node in walk(tree) if isinstance(node, cst.Return)]
    hints = _innermost_statements(tree)
    placed = node_positions(tree, returns, REPEATED, hints)
    assert [placed[id(node)][0] for node in returns] == [3, 4, 9, 10, 16, 17]


def test_positions_leave_out_nodes_of_another_tree():
    tree, other = cst.parse_module("x = 1\n"), cst.parse_module("y = 2\n")
    assert node_positions(tree, [other.body[0]]) == {}


# -- the pool ------------------------------------------------------------------------------------

def _ml_project(root: Path, files: int) -> Path:
    """`files` modules that seed in one place and draw in others, with paths and a broken file."""
    write_project(root, {"pkg/__init__.py": "", "pkg/seeding.py": "import numpy as np\n\n"
                                                                 "def fix(seed):\n    np.random.seed(seed)\n"})
    for number in range(files):
        body = (f"import numpy as np\nimport pandas as pd\nfrom pkg.seeding import fix\n\n"
                f"DATA = '/data/part_{number}.csv'\n\n"
                f"def step_{number}():\n    return np.random.rand({number})\n\n"
                f"def main():\n    fix(1)\n    step_{number}()\n")
        if number % 7 == 0:
            body += "\nif __name__ == '__main__':\n    main()\n"
        if number % 11 == 0:
            body += "\nprint 'python 2'\n"
        (root / "pkg" / f"mod_{number:03}.py").write_text(body, encoding="utf-8")
    return root


def _outcome(result):
    return (result.findings, result.fixme, result.errors, result.counts, result.files_scanned)


def test_output_is_identical_for_every_job_count(tmp_path, monkeypatch):
    root = _ml_project(tmp_path, 60)
    settings = Settings(min_confidence=Confidence.LOW)
    monkeypatch.setattr(runner, "INLINE_LIMIT", 2)  # use the pool even for few files
    monkeypatch.setattr(runner, "CHUNK", 3)
    outcomes = {jobs: _outcome(runner.scan([root], root, settings, jobs=jobs)) for jobs in (1, 2, 3)}
    assert outcomes[1][0], "the project must have findings for the comparison to mean something"
    assert outcomes[1] == outcomes[2] == outcomes[3]


def test_pool_returns_results_in_file_order(tmp_path, monkeypatch):
    root = _ml_project(tmp_path, 30)
    files = [(str(path), path.relative_to(root).as_posix()) for path in sorted(root.rglob("*.py"))]
    monkeypatch.setattr(runner, "INLINE_LIMIT", 2)
    setup = _setup()
    pooled = runner.analyse_all(files, setup, 2)
    assert [result.path for result in pooled] == [rel for _, rel in files]
    assert pooled == runner.analyse_all(files, setup, 1)


def _setup():
    from debtscan import registry
    from debtscan.catalog import load_catalog
    from debtscan.engine import ScanSetup

    enabled = registry.select(("DS",), ())
    file_rules, collectors = registry.visitors_for(enabled)
    return ScanSetup(file_rules=file_rules, collectors=collectors, catalog=load_catalog(),
                     options={"enabled": tuple(rule.code for rule in enabled)})


def _die(chunk, large=False):
    os._exit(3)


_ORIGINAL_CHUNK = runner._analyse_chunk


def _logged_chunk(chunk, large=False):
    """Analyse as usual, logging when each large file starts and ends (the log is in the
    environment, which forked workers share)."""
    log = os.environ["DEBTSCAN_TEST_LOG"]
    if large:
        with open(log, "a") as out:
            out.write(f"start {time.monotonic()}\n")
    try:
        return _ORIGINAL_CHUNK(chunk, large)
    finally:
        if large:
            time.sleep(0.05)  # long enough that two overlapping files would be seen overlapping
            with open(log, "a") as out:
                out.write(f"end {time.monotonic()}\n")


def test_two_large_files_are_never_analysed_at_once(tmp_path, monkeypatch):
    root = _ml_project(tmp_path, 12)
    files = [(str(path), path.relative_to(root).as_posix()) for path in sorted(root.rglob("*.py"))]
    sizes = sorted(os.stat(path).st_size for path, _ in files)
    monkeypatch.setattr(runner, "INLINE_LIMIT", 2)
    monkeypatch.setattr(runner, "LARGE_FILE", sizes[len(sizes) // 2])  # half the files are large
    monkeypatch.setattr(runner, "_analyse_chunk", _logged_chunk)
    monkeypatch.setenv("DEBTSCAN_TEST_LOG", str(tmp_path / "log"))
    setup = _setup()
    assert runner.analyse_all(files, setup, 2) == runner.analyse_all(files, setup, 1)
    events = [line.split() for line in (tmp_path / "log").read_text().splitlines()]
    events.sort(key=lambda event: float(event[1]))
    assert len(events) >= 2 * (len(files) // 2)
    kinds = [kind for kind, _ in events]
    assert kinds == ["start", "end"] * (len(kinds) // 2), "a large file started before the one before it ended"


def test_a_killed_worker_does_not_lose_files(tmp_path, monkeypatch):
    root = _ml_project(tmp_path, 10)
    files = [(str(path), path.relative_to(root).as_posix()) for path in sorted(root.rglob("*.py"))]
    monkeypatch.setattr(runner, "INLINE_LIMIT", 2)
    monkeypatch.setattr(runner, "_analyse_chunk", _die)  # inherited by the forked workers
    setup = _setup()
    assert runner.analyse_all(files, setup, 2) == runner.analyse_all(files, setup, 1)


def test_progress_counts_every_file_once(tmp_path, monkeypatch):
    root = _ml_project(tmp_path, 20)
    monkeypatch.setattr(runner, "INLINE_LIMIT", 2)

    class Count:
        total = done = 0

        def add_total(self, files):
            self.total += files

        def advance(self, files):
            self.done += files

    for jobs in (1, 2):
        counter = Count()
        result = runner.scan([root], root, Settings(), jobs=jobs, progress=counter)
        assert counter.total == counter.done == result.files_scanned


def test_default_worker_count_is_the_usable_cores():
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert runner.worker_count(None) == expected
    assert runner.worker_count(3) == 3


def test_progress_bar_appears_only_after_the_delay():
    import io

    from debtscan.console import ProgressBar

    quiet = io.StringIO()
    bar = ProgressBar(quiet, delay=3600)
    bar.add_total(10)
    bar.advance(10)
    bar.close()
    assert quiet.getvalue() == ""

    shown = io.StringIO()
    bar = ProgressBar(shown, delay=0)
    bar.add_total(10)
    bar.advance(4)
    assert "4/10" in shown.getvalue()
    bar.close()


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    import subprocess
    import sys

    root = _ml_project(tmp_path / "p", 30)
    run = subprocess.run([sys.executable, "-m", "debtscan", str(root), "--no-cache", "-j", "2"],
                         capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == ""


def test_a_scan_leaves_the_garbage_collector_as_it_found_it(tmp_path):
    import gc

    from debtscan import heap

    (tmp_path / "train.py").write_text("import numpy as np\nx = np.random.rand(3)\n")
    thresholds = gc.get_threshold()
    with heap.survivors_frozen():
        assert gc.get_threshold()[0] == heap.YOUNG_COLLECTION_EVERY
        heap.settle()
        assert gc.get_freeze_count() > 0  # what a scan keeps is out of the collector's sight
    assert gc.get_freeze_count() == 0
    first = runner.scan([tmp_path], tmp_path, Settings(), jobs=1)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
    assert [f.rule for f in first.findings] == ["DS101"]


def test_beside_a_large_file_the_other_workers_get_small_files():
    big, medium, small = runner.LARGE_FILE, runner.COMPANION_FILE, runner.COMPANION_FILE // 4
    sizes = {0: big * 2, 1: big, 2: medium + 1, 3: medium, 4: small, 5: small, 6: 1}
    pending = [([0], True), ([1], True), ([2, 3], False), ([4, 5], False), ([6], False)]
    assert runner._next_task(pending, False, sizes) == 0  # nothing large running: largest first
    assert runner._next_task(pending, True, sizes) == 3  # the largest chunk of small files
    assert runner._next_task(pending[:3], True, sizes) == 2  # only medium files left: they go anyway
    assert runner._next_task(pending[:2], True, sizes) is None  # only large files: wait


@pytest.mark.parametrize("name,code", SOURCES[:2] + [item for item in SOURCES if item[0].endswith("train.py")][:2],
                         ids=lambda value: value if isinstance(value, str) and "\n" not in value else "")
def test_a_file_analysed_leaves_no_cyclic_garbage(name, code):
    """A syntax tree must be freed by reference counting when its file is done: held by a cycle,
    it waits for the cyclic collector, which then walks every node of it (a twentieth of a scan)."""
    import gc

    from debtscan import registry
    from debtscan.catalog import load_catalog
    from debtscan.engine import ScanSetup, analyze_source

    enabled = registry.select((), ())
    file_rules, collectors = registry.visitors_for(enabled)
    setup = ScanSetup(file_rules=file_rules, collectors=collectors, catalog=load_catalog(None),
                      options={"enabled": tuple(rule.code for rule in enabled)})
    gc.collect()
    gc.disable()
    try:
        result = analyze_source(code.encode(), name, "module", False, setup)
        assert result.internal_error is None
        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds stays in gc.garbage, to look at
        gc.collect()
        cyclic_nodes = [item for item in gc.garbage if isinstance(item, cst.CSTNode)]
        assert cyclic_nodes == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("name,code", SOURCES, ids=lambda value: value if isinstance(value, str) and "\n" not in value
                         else "")
def test_the_unchecked_parse_builds_the_tree_libcst_builds(name, code):
    ours = parser.parse_module(code)
    assert ours.deep_equals(cst.parse_module(code))
    assert ours.code == code


def test_nodes_are_not_checked_while_the_parser_builds_them(monkeypatch):
    from libcst._nodes.base import CSTNode

    checked = []
    for kind in (CSTNode, cst.Name, cst.SimpleWhitespace):  # the base check, and two of their own
        monkeypatch.setattr(kind, "_validate", lambda self: checked.append(type(self).__name__))
    parser.parse_module(TRICKY)
    assert checked == []
    cst.parse_module(TRICKY)
    assert {"Name", "SimpleWhitespace", "Comma"} <= set(checked)  # libcst's own parse checks every node


def test_nodes_made_after_a_parse_are_checked_again_even_when_it_failed():
    parser.parse_module("x = 1\n")
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
    with pytest.raises(cst.ParserSyntaxError):
        parser.parse_module("print 'python 2'\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")


def test_parses_in_several_threads_leave_the_checks_on():
    from concurrent.futures import ThreadPoolExecutor

    codes = [code for _, code in SOURCES] * 3
    with ThreadPoolExecutor(4) as pool:
        trees = list(pool.map(parser.parse_module, codes))
    assert [tree.code for tree in trees] == codes
    with pytest.raises(cst.CSTValidationError):
        cst.Name("")
