"""Pipeline jungles (DS6xx): programs glued together by files outside any declared pipeline.

Sculley et al. describe data preparation that grows into a jungle of scrapes, joins and
sampling steps handing intermediate files to each other, which only its authors can run and
nobody can test. Over the resolved data flow (`rules/dataflow.py`) these rules find hand-overs
of data files between programs that no pipeline declares, files one program writes and then
reads back, and programs that read each other's outputs in a cycle.
"""

from __future__ import annotations

from typing import Iterable

import networkx as nx

from debtscan.model import Confidence, Finding, Severity
from debtscan.rule import ProjectRule
from .data_dependencies import first_of_each, jungle_hop, report, shown_path
from .dataflow import Access, DataFlow
from .roles import is_test_file
from .io_facts import IOCollector

FAMILY = "pipeline-jungle"
ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")
ARCHIVE_APIS = ("zipfile.ZipFile", "tarfile.open", "tarfile.TarFile", "shutil.unpack_archive")
MAX_CHAIN_HOPS = 8  # a chain shown in a message names at most nine programs


def hand_overs(flow: DataFlow) -> list[tuple[Access, Access]]:
    """(write, read) pairs of one local artifact by programs that share no entry point."""
    if "hand_overs" in flow.project.memo:
        return flow.project.memo["hand_overs"]
    pairs = []
    for reader in flow.accesses:
        if reader.op != "read" or not reader.specific or reader.role not in ("data", "model") or reader.via_catalog:
            continue
        if flow.declarations.is_ignored(reader.location):
            continue
        # a function nothing calls writes nothing: it hands over no file
        writers = [writer for writer in flow.writers(reader.location)
                   if writer.status != "provided" and not writer.via_catalog and flow.executed(writer)]
        writing = {program for writer in writers for program in flow.runners(writer)}
        # a program that reads the file without writing it itself takes it from the others
        if any(program not in writing for program in flow.runners(reader)):
            pairs += [(writer, reader) for writer in writers
                      if any(program not in flow.runners(writer) for program in flow.runners(reader))]
    flow.project.memo["hand_overs"] = pairs
    return pairs


def program_graph(flow: DataFlow) -> nx.DiGraph:
    """Programs, with an edge from each program to the programs that read what it writes
    (built once per project: it costs a pass over every access per hand-over)."""
    if "program_graph" in flow.project.memo:
        return flow.project.memo["program_graph"]
    graph = nx.DiGraph()
    for writer, reader in hand_overs(flow):
        writing = {program for other in flow.writers(reader.location) for program in flow.runners(other)}
        for source in flow.runners(writer):
            for target in flow.runners(reader):
                if source != target and target not in writing:
                    graph.add_edge(source, target)
    flow.project.memo["program_graph"] = graph
    return graph


def _acyclic_program_graph(flow: DataFlow) -> nx.DiGraph:
    """The program graph without the edges inside cycles (DS603 reports those), so a DAG."""
    if "acyclic_program_graph" not in flow.project.memo:
        graph = program_graph(flow).copy()
        for group in nx.strongly_connected_components(program_graph(flow)):
            graph.remove_edges_from([(a, b) for a in group for b in group if graph.has_edge(a, b)])
        flow.project.memo["acyclic_program_graph"] = graph
    return flow.project.memo["acyclic_program_graph"]


def _longest_chain(graph: nx.DiGraph, target: str, hops: int) -> list[str]:
    """The longest path into `target` of at most `hops` edges, the smallest in list order among
    equally long ones: dynamic programming over the DAG, since enumerating every simple path
    grows exponentially with the programs of a large repository."""
    ancestors = nx.ancestors(graph, target)
    best: dict[tuple[str, int], list[str] | None] = {}

    def into_target(node: str, budget: int) -> list[str] | None:
        if node == target:
            return [target]
        if budget == 0:
            return None
        key = (node, budget)
        if key not in best:
            found = None
            for successor in graph.successors(node):
                if successor != target and successor not in ancestors:
                    continue
                rest = into_target(successor, budget - 1)
                if rest is not None:
                    path = [node, *rest]
                    if found is None or len(path) > len(found) or len(path) == len(found) and path < found:
                        found = path
            best[key] = found
        return best[key]

    chain = [target]
    for source in sorted(ancestors):
        path = into_target(source, hops)
        if path is not None and (len(path) > len(chain) or len(path) == len(chain) and path < chain):
            chain = path
    return chain


def cycles(flow: DataFlow) -> list[list[str]]:
    """Groups of programs that (transitively) read each other's outputs, each sorted."""
    graph = program_graph(flow)
    return sorted(sorted(group) for group in nx.strongly_connected_components(graph) if len(group) > 1)


def _names(paths: Iterable[str]) -> str:
    items = sorted(set(paths))
    shown = ", ".join(f"`{path}`" for path in items[:3])
    return shown + (f" and {len(items) - 3} more" if len(items) > 3 else "")


class _JungleRule(ProjectRule):
    family = FAMILY
    collectors = (IOCollector,)


class ScriptChain(_JungleRule):
    """Scripts that hand data files to each other outside any declared pipeline.

    ## What it does
    Finds a data file that one program writes and another program reads, when neither
    program is a stage of a declared pipeline (DVC, MLproject, `[tool.debtscan.data]`
    stages). It reports the read, names the writer, and shows the whole chain when the
    writer itself reads what a third program wrote.
    A writer in a function that no entry point calls hands nothing over.

    ## Why is this bad?
    The order in which the scripts must run, and what must be rerun after a change, lives in
    someone's head or a README: a forgotten step trains on stale data without any error.
    This is how pipeline jungles start (Sculley et al., 2015).

    ## Example
    ```python
    # clean.py
    df.to_csv("data/interim/clean.csv")
    # features.py
    df = pd.read_csv("data/interim/clean.csv")
    ```

    ## Use instead
    ```yaml
    # dvc.yaml: the order and the hand-over are declared, and rerun when they change
    stages:
      clean:
        cmd: python clean.py
        outs: [data/interim/clean.csv]
      features:
        cmd: python features.py
        deps: [data/interim/clean.csv]
    ```
    """

    code = "DS601"
    name = "script-chain"
    summary = "A data file handed from one script to another outside any declared pipeline"
    fix = "Declare the steps as stages of one pipeline (dvc.yaml, or [[tool.debtscan.data.stages]]) or call them from one program."
    VALID = (
        {"clean.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.DataFrame().to_csv('data/clean.csv')\n",
         "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/clean.csv')\n",
         "dvc.yaml": "stages:\n  clean:\n    cmd: python clean.py\n    outs: [data/clean.csv]\n"
                     "  train:\n    cmd: python train.py\n    deps: [data/clean.csv]\n"},
    )
    INVALID = (
        {"clean.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.DataFrame().to_csv('data/clean.csv')\n",
         "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/clean.csv')\n"},
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        in_cycle = {program for group in cycles(flow) for program in group}
        writers_of: dict[int, list[Access]] = {}
        readers: list[Access] = []
        for writer, reader in hand_overs(flow):
            if reader.role != "data":
                continue
            if set(flow.runners(reader)) <= in_cycle and set(flow.runners(writer)) <= in_cycle:
                continue  # DS603 reports the cycle
            if id(reader) not in writers_of:
                readers.append(reader)
            writers_of.setdefault(id(reader), []).append(writer)
        for reader, others in first_of_each(readers, lambda a: (a.location, tuple(flow.runners(a)))):
            writers = writers_of[id(reader)]
            if not jungle_hop(flow, reader, writers):
                continue
            chain = self._chain(flow, reader)
            scripts = _names(program for writer in writers for program in flow.runners(writer))
            described = f" (a chain of {len(chain)} scripts: {' → '.join(chain)})" if len(chain) > 2 else ""
            exact = reader.status == "literal" and all(writer.status == "literal" for writer in writers)
            yield report(type(self), reader,
                         f"`{shown_path(reader.location)}` is written by {scripts} and read here by another program, "
                         f"outside any declared pipeline{described}, so nothing runs them in order or reruns this one "
                         f"when the file changes.",
                         confidence=Confidence.HIGH if exact else Confidence.MEDIUM, others=others)

    @staticmethod
    def _chain(flow: DataFlow, reader: Access) -> list[str]:
        """The longest chain (at most 9 programs; the first in sorted order among the longest)
        of programs handing data to the program of this read."""
        target = flow.runners(reader)[0]
        chains = flow.project.memo.setdefault("jungle_chains", {})
        if target not in chains:
            graph = _acyclic_program_graph(flow)
            chains[target] = _longest_chain(graph, target, MAX_CHAIN_HOPS) if target in graph else []
        return chains[target]


class WriteThenRead(_JungleRule):
    """A program that writes a data file and later reads the same file back.

    ## What it does
    Finds a data file written and then read again by the same file of a program (the write
    comes first in the source), where the file is an intermediate step rather than an
    output: the hop goes through the disk instead of passing the data on.
    A download kept on disk (written by a function that fetches it), a cache filled only
    when missing (`if not os.path.exists(p):`) and the files of tests are not intermediate results.

    ## Why is this bad?
    The intermediate file is hidden state: a later run can pick up a stale copy from an
    earlier run, two runs at once overwrite each other, and the step cannot be tested
    without the filesystem. It is the smallest pipeline jungle.

    ## Example
    ```python
    features.to_csv("data/features.csv")
    train_df = pd.read_csv("data/features.csv")
    ```

    ## Use instead
    ```python
    train_df = features  # pass the data on; write the file only as a declared output
    ```
    """

    code = "DS602"
    name = "write-then-read"
    severity = Severity.INFO
    confidence = Confidence.MEDIUM
    summary = "A data file one program writes and then reads back"
    fix = "Pass the data on in memory, or split the steps into declared pipeline stages."
    VALID = (
        "import pandas as pd\n\ndef main():\n    if True:\n        df = pd.read_csv('data/cache.csv')\n"
        "    pd.DataFrame().to_csv('data/cache.csv')\n",
    )
    INVALID = (
        "import pandas as pd\n\ndef main():\n    pd.DataFrame().to_csv('data/features.csv')\n"
        "    return pd.read_csv('data/features.csv')\n",
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        # functions that fetch remote data: what they write is a download kept on disk (a cache)
        fetching = {(access.path, access.scope) for access in flow.accesses
                    if access.op == "read" and access.external in ("url", "bucket", "hub", "dataset")}
        hops = []
        for reader in flow.accesses:
            if reader.op != "read" or reader.role != "data" or reader.status != "literal" or not reader.local \
                    or reader.via_catalog or is_test_file(reader.where):
                continue  # a test's fixture files are the test's own business
            if reader.location.endswith(ARCHIVES) or reader.api in ARCHIVE_APIS:
                continue  # a download unpacked: the archive is no intermediate result
            if flow.declarations.is_ignored(reader.location):
                continue
            earlier = [writer for writer in flow.writers(reader.location)
                       if writer.where == reader.where and writer.where_order < reader.where_order
                       and writer.status == "literal" and not writer.download and not writer.fills_missing
                       and (writer.path, writer.scope) not in fetching]
            if earlier:
                hops.append((reader, earlier[0]))
        writer_of = {id(reader): writer for reader, writer in hops}
        for reader, others in first_of_each([reader for reader, _ in hops], lambda a: (a.where, a.location)):
            writer = writer_of[id(reader)]
            cell = writer.where_span.get("cell")
            where = f"in cell {cell}, line {writer.where_line}" if cell else f"on line {writer.where_line}"
            yield report(type(self), reader,
                         f"`{shown_path(reader.location)}` is written {where} and read back here by the same "
                         f"program, so an intermediate result goes through the disk as hidden state that a stale copy "
                         f"can replace.", others=others)


class StageCycle(_JungleRule):
    """Programs that read each other's outputs, so no order of running them is right.

    ## What it does
    Builds the graph of programs linked by the files one writes and another reads, and
    reports each cycle once: `a.py` reads what `b.py` writes and `b.py` reads (directly or
    through other programs) what `a.py` writes.

    ## Why is this bad?
    Whatever order they run in, one of them reads a stale file: results depend on the
    history of the working directory, and a clean checkout cannot reproduce them.

    ## Example
    ```python
    # prepare.py
    stats = pd.read_csv("data/stats.csv"); df.to_csv("data/clean.csv")
    # analyse.py
    df = pd.read_csv("data/clean.csv"); df.describe().to_csv("data/stats.csv")
    ```

    ## Use instead
    ```python
    # analyse.py writes its statistics to a new file that prepare.py does not read,
    # or prepare.py computes the statistics itself: data flows one way.
    ```
    """

    code = "DS603"
    name = "stage-cycle"
    summary = "Programs that read each other's outputs in a cycle"
    fix = "Break the cycle: make data flow one way, writing a new file instead of one an earlier step reads."
    VALID = (
        {"a.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.DataFrame().to_csv('data/a.csv')\n",
         "b.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/a.csv').to_csv('data/b.csv')\n"},
    )
    INVALID = (
        {"a.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/b.csv').to_csv('data/a.csv')\n",
         "b.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/a.csv').to_csv('data/b.csv')\n"},
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        pairs = hand_overs(flow)
        for group in cycles(flow):
            members = set(group)
            inside = [(writer, reader) for writer, reader in pairs
                      if set(flow.runners(writer)) & members and set(flow.runners(reader)) & members]
            if not inside:
                continue
            inside.sort(key=lambda pair: (pair[1].where, pair[1].where_line, pair[1].location))
            reader = inside[0][1]
            files = _names(reader.location for _, reader in inside)
            exact = all(w.status == "literal" and r.status == "literal" for w, r in inside)
            yield report(type(self), reader,
                         f"{_names(group)} read each other's outputs ({files}), a cycle: whichever runs first reads a stale "
                         f"file, so results depend on what earlier runs left behind.",
                         confidence=Confidence.HIGH if exact else Confidence.MEDIUM,
                         others=[r for _, r in inside[1:]])


RULES = (ScriptChain, WriteThenRead, StageCycle)
