"""Data dependencies (DS3xx): data read or written that nothing declares, and sources that move.

Sculley et al. call data dependencies more costly than code dependencies because no compiler
sees them. These rules compare what the code reads and writes (`rules/io_facts.py`, resolved
in `rules/dataflow.py`) with what the project declares (`rules/manifests.py`): a pipeline stage
that reads or writes files its declaration does not list, inputs nobody can trace, remote
sources without a pinned version, and manifests that cannot be read at all. Locations the
command line, configuration or environment provide are declared by whoever runs the code,
so they are never reported.
"""

from __future__ import annotations

import posixpath
from typing import Iterable

from debtscan.engine import make_finding, span_location
from debtscan.model import Confidence, Finding, Location
from debtscan.source import UnreadableText, read_text_file
from debtscan.rule import ProjectRule
from ._calls import shown_call
from .dataflow import Access, DataFlow
from .io_facts import IOCollector
from .roles import KEY as ROLES_KEY
from .roles import is_test_file, scope_role

FAMILY = "data-dependency"
LOCAL_ROLES = ("data", "model")


def location_of(access: Access) -> Location:
    return span_location(access.where, access.where_span)


def first_of_each(accesses: Iterable[Access], key) -> list[tuple[Access, list[Access]]]:
    """Group accesses by `key`; (first access, the others) per group, in source order."""
    groups: dict = {}
    for access in sorted(accesses, key=lambda a: (a.where, a.where_span.get("cell") or 0, a.where_line,
                                                  a.where_span.get("column", 0))):
        groups.setdefault(key(access), []).append(access)
    return [(items[0], items[1:]) for items in groups.values()]


def report(rule: type[ProjectRule], access: Access, message: str, *, fix: str | None = None,
           confidence: Confidence | None = None, others: Iterable[Access] = ()) -> Finding:
    related = tuple(sorted({location_of(other) for other in others if location_of(other) != location_of(access)}))
    return make_finding(rule, access.where, access.where_span, message, fix=fix, confidence=confidence,
                        symbol=access.where_symbol, related=related)


def shown_path(path: str) -> str:
    return path if len(path) <= 70 else path[:69] + "…"


def tracked_input(flow: DataFlow, access: Access) -> bool:
    """Whether a read needs no declaration: configuration, ignored, a config file, git-tracked."""
    location = access.location
    return (flow.config_file(location) or flow.declarations.is_ignored(location)
            or location.endswith((".py", ".ipynb")))


class _DataRule(ProjectRule):
    family = FAMILY
    collectors = (IOCollector,)


def _produced_elsewhere(flow: DataFlow, access: Access) -> list[Access]:
    """Writes of the same artifact by a program that does not run this read."""
    if flow.written_by_own_program(access):
        return []
    readers = flow.runners(access)
    return [writer for writer in flow.writers(access.location)
            if any(program not in flow.runners(writer) for program in readers)]


def jungle_hop(flow: DataFlow, reader: Access, writers: list[Access]) -> bool:
    """A data file handed between programs that no pipeline declares (DS601 reports those)."""
    if reader.role != "data" or not writers:
        return False
    programs = flow.runners(reader) + [p for w in writers for p in flow.runners(w)]
    return not any(flow.program(entry).declared for entry in programs)


class UndeclaredDataRead(_DataRule):
    """A pipeline stage, or a program fed by another one, reads data that is declared nowhere.

    ## What it does
    Finds reads of data and model files that the reading code's declaration leaves out: a
    script run by a DVC stage (or an MLproject entry point, or a stage in
    `[tool.debtscan.data]`) that reads a file missing from the stage's `deps`, and a program
    that reads a model another program writes when no manifest declares that model. Locations
    taken from the command line, configuration or environment are not reported.

    ## Why is this bad?
    The pipeline tool cannot see the dependency: when the file changes, the stage is not
    rerun and its outputs silently describe old data; nobody can tell which version of the
    file a result was built from.

    ## Example
    ```yaml
    # dvc.yaml
    stages:
      train:
        cmd: python train.py
        deps: [data/train.csv]
        outs: [model.pkl]
    ```
    ```python
    # train.py
    holidays = pd.read_csv("data/holidays.csv")
    ```

    ## Use instead
    ```yaml
    stages:
      train:
        cmd: python train.py
        deps: [data/train.csv, data/holidays.csv]
        outs: [model.pkl]
    ```
    """

    code = "DS301"
    name = "undeclared-data-read"
    summary = "Data read by a stage or program that its declaration does not list"
    fix = "Declare the file as a dependency of the stage that reads it (dvc.yaml deps, [tool.debtscan.data] stages)."
    VALID = (
        {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [data/train.csv]\n    outs: [model.pkl]\n",
         "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    df = pd.read_csv('data/train.csv')\n"},
        "import pandas as pd\nimport argparse\nargs = argparse.ArgumentParser().parse_args()\ndf = pd.read_csv(args.data)\n",
    )
    INVALID = (
        {"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [data/train.csv]\n    outs: [model.pkl]\n",
         "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    df = pd.read_csv('data/train.csv')\n"
                     "    holidays = pd.read_csv('data/holidays.csv')\n"},
        {"train.py": "import joblib\nfrom sklearn.linear_model import Ridge\n\nif __name__ == '__main__':\n"
                     "    joblib.dump(Ridge().fit([[0]], [0]), 'models/ridge.joblib')\n",
         "serve.py": "import joblib\n\nif __name__ == '__main__':\n    print(joblib.load('models/ridge.joblib').predict([[1]]))\n"},
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        declared = flow.declarations
        candidates = []
        for access in flow.accesses:
            if access.op != "read" or access.role not in LOCAL_ROLES or not access.specific:
                continue
            if tracked_input(flow, access):
                continue
            stages = flow.stages_for(access)
            if stages:
                if not flow.stage_covers(stages, access.location, "read"):
                    candidates.append((access, "stage", stages[0], []))
                continue
            if declared.declaring(access.location) is not None:
                continue
            writers = _produced_elsewhere(flow, access)
            if writers and not jungle_hop(flow, access, writers):
                candidates.append((access, "handoff", None, writers))
        # one finding per artifact and reading stage or program
        keyed = {(a.location, stage.name if stage else ",".join(flow.runners(a))): (a, how, stage, writers)
                 for a, how, stage, writers in reversed(candidates)}
        for access, others in first_of_each([item[0] for item in candidates],
                                            lambda a: (a.location, self._reader_key(flow, a))):
            _, how, stage, writers = keyed[(access.location, self._reader_key(flow, access))]
            shown = shown_path(access.location)
            if how == "stage":
                yield report(type(self), access,
                             f"Stage `{stage.name}` ({stage.manifest}) runs this code, which reads `{shown}`, but the stage "
                             f"does not list it in its deps, so the pipeline will not rerun the stage when it changes.",
                             fix=f"Add `{shown}` to the deps of stage `{stage.name}` in {stage.manifest}.",
                             confidence=self._confidence(access), others=others)
            else:
                writer = writers[0]
                confidence = self._confidence(access) if flow.declares_data_for(access.where) else Confidence.LOW
                yield report(type(self), access,
                             f"`{shown}` is read here and written by `{writer.where}`, but no manifest declares it, so "
                             f"nothing records which version of it this code depends on.",
                             fix=("Declare the hand-over: a pipeline stage that lists it as an out of the producer and "
                                  "a dep of this code (dvc.yaml, or [[tool.debtscan.data.stages]])."),
                             confidence=confidence, others=others)

    @staticmethod
    def _reader_key(flow: DataFlow, access: Access) -> str:
        stages = flow.stages_for(access)
        return stages[0].name if stages else ",".join(flow.runners(access))

    @staticmethod
    def _confidence(access: Access) -> Confidence:
        return Confidence.HIGH if access.status == "literal" else Confidence.MEDIUM


class UndeclaredOutput(_DataRule):
    """A data or model file written by code that no manifest declares as an output.

    ## What it does
    Finds writes of data and model files that no declaration lists as an output: a script run
    by a pipeline stage that writes a file missing from the stage's `outs` (high confidence),
    or any other program writing a data or model file nobody declares (medium confidence in a
    project that declares its data, low in one that declares none). Figures, logs and reports, temporary files and locations taken from
    the command line or configuration are not reported.

    ## Why is this bad?
    An output nobody declares is not versioned or cached with the pipeline, and stages that
    read it are not rerun when it changes: the model in production can come from a file that
    no one can reproduce.

    ## Example
    ```yaml
    stages:
      featurize:
        cmd: python featurize.py
        outs: [data/features.parquet]
    ```
    ```python
    encoder_stats.to_csv("data/encoder_stats.csv")
    ```

    ## Use instead
    ```yaml
    stages:
      featurize:
        cmd: python featurize.py
        outs: [data/features.parquet, data/encoder_stats.csv]
    ```
    """

    code = "DS302"
    name = "undeclared-output"
    summary = "Data or a model written where no manifest declares it as an output"
    fix = "Declare the file as an output of the stage that writes it (dvc.yaml outs, [tool.debtscan.data] outputs)."
    VALID = (
        "import matplotlib.pyplot as plt\nplt.savefig('reports/loss.png')\n",
        "import tempfile, os, pandas as pd\ndf = pd.DataFrame()\ndf.to_csv(os.path.join(tempfile.mkdtemp(), 'x.csv'))\n",
    )
    INVALID = (
        "import pandas as pd\n\nif __name__ == '__main__':\n    pd.DataFrame({'a': [1]}).to_csv('data/out.csv')\n",
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        declared = flow.declarations
        candidates: list[tuple[Access, object]] = []
        for access in flow.accesses:
            if access.op != "write" or access.role not in LOCAL_ROLES or not access.specific or access.download:
                continue  # a download's origin is its remote source
            if declared.is_ignored(access.location) or access.location.endswith((".py", ".ipynb")):
                continue
            stages = flow.stages_for(access)
            if stages:
                if not flow.stage_covers(stages, access.location, "write"):
                    candidates.append((access, stages[0]))
                continue
            if declared.declaring(access.location) is not None or self._read_elsewhere(flow, access):
                continue
            candidates.append((access, None))
        stage_of = {id(access): stage for access, stage in candidates}
        for access, others in first_of_each([a for a, _ in candidates], lambda a: a.location):
            stage = stage_of[id(access)]
            shown = shown_path(access.location)
            literal = Confidence.HIGH if access.status == "literal" else Confidence.MEDIUM
            if stage is not None:
                yield report(type(self), access,
                             f"Stage `{stage.name}` ({stage.manifest}) runs this code, which writes `{shown}`, but the stage "
                             f"does not list it in its outs, so the pipeline neither tracks it nor reruns what reads it.",
                             fix=f"Add `{shown}` to the outs of stage `{stage.name}` in {stage.manifest}.",
                             confidence=literal, others=others)
            else:  # outside a pipeline a write may be incidental: medium at most
                yield report(type(self), access,
                             f"`{shown}` is written here but no manifest declares it as an output, so nobody can tell "
                             f"which code and data produced the copy in use.",
                             confidence=Confidence.MEDIUM if flow.declares_data_for(access.where) else Confidence.LOW,
                             others=others)

    @staticmethod
    def _read_elsewhere(flow: DataFlow, access: Access) -> bool:
        """Read again, by another program (DS301 or DS601 report the hand-over) or by the same
        one (an intermediate file, DS602): either way it is not an output."""
        return flow.read_locally(access.location)


EXAMPLE_INPUTS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".svg")


class UnstableDataSource(_DataRule):
    """A remote dataset or model pulled without a pinned version.

    ## What it does
    Finds remote sources that can change under the code: `from_pretrained`, `pipeline(...)`,
    `load_dataset` and `hf_hub_download` of a Hub repository without `revision=`;
    `torch.hub.load` without a `:tag`; `fetch_openml` without `version=`; downloads
    (`urlretrieve`, `get_file`, `download_url_to_file`, and `wget`/`curl` run through
    `subprocess` or `os.system`) without a checksum or a version in the URL; data read
    straight from a URL with no version; and any location that names a moving reference such
    as `main`, `master`, `latest` or a registry stage like `Production`. A download command is
    verified when its function also runs a checksum check (`sha256sum -c`, `md5sum -c`).
    Tests are not checked (any version exercises them), and a version in the file's own
    name (`reviews_v1.tar.gz`) pins it as a release tag would. A single image fetched by URL
    (an example input to show a model on) is low confidence.

    ## Why is this bad?
    The bytes behind the name change when someone pushes, re-uploads or promotes: results
    change with no change to the code, and an old result can no longer be reproduced.

    ## Example
    ```python
    from transformers import AutoModel

    model = AutoModel.from_pretrained("bert-base-uncased")
    ```

    ## Use instead
    ```python
    model = AutoModel.from_pretrained("bert-base-uncased", revision="86b5e0934494bd15c9632b12f734a8a67f723594")
    ```
    """

    code = "DS303"
    name = "unstable-data-source"
    summary = "A remote dataset or model used without a pinned version or checksum"
    fix = "Pin an immutable version (a commit hash, a release tag, a versioned URL) and verify a checksum."
    confidence = Confidence.MEDIUM
    VALID = (
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('bert-base-uncased', revision='86b5e09')\n",
        "import torch\nm = torch.hub.load('pytorch/vision:v0.16.0', 'resnet18')\n",
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('./checkpoints/best/')\n",
    )
    INVALID = (
        "from transformers import AutoModel\nm = AutoModel.from_pretrained('bert-base-uncased')\n",
        "import pandas as pd\ndf = pd.read_csv('https://raw.githubusercontent.com/acme/data/main/train.csv')\n",
        "import subprocess\nsubprocess.run(['wget', '-O', 'data/raw.zip', 'https://example.com/raw.zip'])\n",
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        for access in flow.accesses:
            if access.status != "literal" or not access.unpinned or access.op != "read":
                continue
            if is_test_file(access.where):
                continue  # a test fetches something to exercise the code; which version decides no result
            message, fix = self._describe(access)
            confidence = Confidence.HIGH if access.moving else Confidence.MEDIUM
            if access.location.lower().split("?", 1)[0].endswith(EXAMPLE_INPUTS):
                confidence = Confidence.LOW  # one picture to show a model on, rarely data a result rests on
            yield report(type(self), access, message, fix=fix, confidence=confidence)

    @staticmethod
    def _describe(access: Access) -> tuple[str, str]:
        location = shown_path(access.location)
        call = shown_call(access.text)
        if access.moving:
            return (f"{call} uses `{location}`, which names a moving reference (a branch, `latest` or a registry stage), "
                    f"so the data or model behind it changes without any change to this code.",
                    "Point at an immutable version (a commit hash, a release tag, a model version number) instead.")
        if access.location.startswith("hf:"):
            return (f"{call} loads `{location[3:]}` from the Hugging Face Hub without `revision=`, so a new push to that "
                    f"repository silently changes what this code uses.",
                    "Pass revision= with a commit hash of the Hub repository.")
        if access.location.startswith("torchhub:"):
            return (f"{call} loads `{location[9:]}` without a `:tag`, so it runs whatever that repository's default "
                    f"branch holds today.", "Pin a release: `owner/repo:tag`, e.g. `pytorch/vision:v0.16.0`.")
        if access.location.startswith("openml:"):
            return (f"{call} fetches OpenML dataset `{location[7:]}` without `version=`, so it gets whichever version "
                    f"is active when it runs.", "Pass version= (or data_id=) to fetch one fixed version.")
        if access.unpinned == "command":
            return (f"{call} runs a command that downloads `{location}` with no version in the URL and no checksum "
                    f"check, so a changed file upstream silently changes the results.",
                    "Use a versioned URL and check the file against a recorded checksum after the download "
                    "(`sha256sum -c`), or track it with DVC (`dvc import-url`).")
        if access.unpinned == "checksum":
            return (f"{call} downloads `{location}` without a checksum or a version in the URL, so a changed file "
                    f"upstream silently changes the results.",
                    "Use a versioned URL and verify a checksum (file_hash=, hash_prefix=, md5=), or track the file with DVC.")
        return (f"{call} reads `{location}` straight from the web with no version in the URL, so the data can change "
                f"under the code between runs.",
                "Download a versioned copy once, verify its checksum and track it (dvc import-url), or use a versioned URL.")


class UntracedDataSource(_DataRule):
    """A file read that nothing produces, nobody declares and the checkout does not hold.

    ## What it does
    Finds data and model files the code reads (by a literal or partly known path) that no code
    in the project writes, no manifest declares (DVC, Kedro catalog, MLproject, params or
    Hydra configs, `[tool.debtscan.data]`) and that are not committed to the repository.
    Files given on the command line or in configuration are not reported; each file is
    reported once, at its first read.
    A read behind an existence check (`if os.path.exists(p):`) or inside a `try` that
    handles `FileNotFoundError` is optional: the code goes on without the file. A file that a
    Markdown file beside the code (or the project's README) names is low confidence: a person
    can tell where it comes from, though no tool can fetch or check it.

    ## Why is this bad?
    Nobody can say where the file comes from, which version a result was computed on, or how
    to get it again: the input of the whole system is tribal knowledge.

    ## Example
    ```python
    df = pd.read_csv("data/raw/customers_export.csv")
    ```

    ## Use instead
    ```console
    dvc add data/raw/customers_export.csv   # or dvc import-url <source> data/raw/...
    ```
    or, without DVC, in `pyproject.toml`:
    ```toml
    [tool.debtscan.data]
    inputs = ["data/raw/customers_export.csv"]
    ```
    """

    code = "DS304"
    name = "untraced-data-source"
    summary = "Data read that nothing produces, nobody declares and the checkout does not hold"
    fix = "Declare where the file comes from: `dvc add`/`dvc import-url`, a Kedro catalog entry, or [tool.debtscan.data] inputs."
    confidence = Confidence.MEDIUM
    VALID = (
        "import pandas as pd\nimport os\ndf = pd.read_csv(os.environ['TRAIN_CSV'])\n",
        "import pandas as pd\n\ndef main():\n    pd.DataFrame().to_csv('data/clean.csv')\n    return pd.read_csv('data/clean.csv')\n",
    )
    INVALID = (
        "import pandas as pd\ndf = pd.read_csv('data/raw/customers_export.csv')\n",
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        declared = flow.declarations
        orphans = []
        for access in flow.accesses:
            if access.op != "read" or access.role not in LOCAL_ROLES or not access.specific or access.optional:
                continue  # a read behind `os.path.exists`, or one whose FileNotFoundError is handled, is optional
            if tracked_input(flow, access) or flow.stages_for(access):
                continue  # a stage's missing deps are DS301
            location = access.location
            if declared.declaring(location) is not None or flow.writers(location) or flow.exists(location):
                continue
            if any(flow.program(entry).downloads for entry in flow.runners(access)):
                continue  # it may come from that download, under a name we cannot see
            orphans.append(access)
        prose = ProseNotes(flow.root)
        for access, others in first_of_each(orphans, lambda a: a.location):
            literal = access.status == "literal"
            confidence = Confidence.HIGH if literal and flow.declares_data_for(access.where) else Confidence.MEDIUM
            noted = prose.naming(access.where, access.location)
            if noted is not None:  # a person can tell where it comes from; no tool can
                yield report(type(self), access,
                             f"`{shown_path(access.location)}` is read here, and only the prose of `{noted}` says where "
                             f"it comes from: nothing in the project writes it, no manifest declares it and it is not in "
                             f"the checkout, so no tool can fetch or check the version a result used.",
                             confidence=Confidence.LOW, others=others)
                continue
            yield report(type(self), access,
                         f"`{shown_path(access.location)}` is read here, but nothing in the project writes it, no manifest "
                         f"declares it and it is not in the checkout, so nobody can tell where it comes from or which version "
                         f"a result used.", confidence=confidence, others=others)


class ProseNotes:
    """The README and other Markdown files beside a file (and the project's README): where
    people write how to get a dataset (`wget … -O housing.csv`) when no code or manifest does."""

    LIMIT = 512 * 1024

    def __init__(self, root) -> None:
        self.root = root
        self.texts: dict[str, list[tuple[str, str]]] = {}

    def naming(self, path: str, location: str) -> str | None:
        """The Markdown file that names the file `location` points at, seen from `path`."""
        name = posixpath.basename(location.rstrip("/"))
        if self.root is None or len(name) < 4 or "*" in name:
            return None
        for folder in dict.fromkeys([posixpath.dirname(path), ""]):
            for rel, text in self._notes(folder):
                if name in text:
                    return rel
        return None

    def _notes(self, folder: str) -> list[tuple[str, str]]:
        if folder not in self.texts:
            notes = []
            directory = self.root / folder if folder else self.root
            try:
                names = sorted(entry.name for entry in directory.iterdir() if entry.name.lower().endswith(".md"))
            except OSError:
                names = []
            for name in names[:20]:
                try:
                    notes.append((f"{folder}/{name}" if folder else name, read_text_file(directory / name, self.LIMIT,
                                                                                         errors="replace")))
                except (UnreadableText, OSError):
                    continue
            self.texts[folder] = notes
        return self.texts[folder]


class BrokenManifest(ProjectRule):
    """A data manifest (dvc.yaml, MLproject, a Kedro catalog, ...) that cannot be read.

    ## What it does
    Reports manifests that are not valid YAML or TOML or do not have the shape their tool
    expects: a `dvc.yaml` stage without `cmd`, a `.dvc` file without `outs`, a Kedro dataset
    without `type`, an invalid `[tool.debtscan.data]` table. The scan goes on without them.

    ## Why is this bad?
    What the broken file declares is invisible to debtscan and usually to the tool it is
    written for: the pipeline fails, or runs without the dependencies it was meant to track.

    ## Example
    ```yaml
    stages:
      train:
        deps: [data/train.csv]
    ```

    ## Use instead
    ```yaml
    stages:
      train:
        cmd: python train.py
        deps: [data/train.csv]
    ```
    """

    code = "DS305"
    name = "broken-manifest"
    family = FAMILY
    summary = "A data manifest that cannot be parsed or has the wrong shape"
    fix = "Fix the file so its tool can read it; until then what it declares is ignored."
    collectors = (IOCollector,)
    VALID = ({"dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [data/train.csv]\n", "train.py": "x = 1\n"},)
    INVALID = (
        {"dvc.yaml": "stages:\n  train:\n    deps: [data/train.csv]\n", "train.py": "x = 1\n"},
        {"MLproject": "entry_points:\n  main:\n    command: [python train.py\n", "train.py": "x = 1\n"},
    )

    def check(self, project) -> Iterable[Finding]:
        flow = DataFlow.of(project)
        for problem in flow.declarations.problems:
            span = {"line": problem.line, "column": problem.column, "end_line": problem.line,
                    "end_column": problem.column, "cell": None, "snippet": ""}
            yield make_finding(type(self), problem.path, span,
                               f"`{problem.path}` cannot be used as a data manifest: {problem.message}; what it declares "
                               f"is ignored.")


RULES = (UndeclaredDataRead, UndeclaredOutput, UnstableDataSource, UntracedDataSource, BrokenManifest)


def graph_contribution(project) -> dict:
    """The data-flow part of the dependency graph (see `debtscan/graph.py` for the format)."""
    flow = DataFlow.of(project)
    declared = flow.declarations
    nodes: list[dict] = []
    edges: list[dict] = []
    sites: list[dict] = []
    for entry, reason in sorted(flow.entries.items()):
        nodes.append({"id": f"module:{entry}", "kind": "entry", "entry_reason": reason})
    for access in flow.accesses:
        node = access.node
        programs = [flow.program(entry) for entry in flow.runners(access)]
        stages = flow.stages_for(access)
        is_declared = (declared.declaring(access.location) is not None or flow.config_file(access.location)
                       or flow.stage_covers(stages, access.location, access.op))
        label = access.location if access.shown in (access.location, "") or access.status != "provided" \
            else access.shown if access.location.startswith(("{", "$")) else f"{access.location} ({access.shown})"
        nodes.append({"id": node, "kind": access.kind, "label": label,
                      "path": access.location, "role": access.role, "source": access.external or "",
                      "provided_by": access.provided_by, "declared": bool(is_declared), "resolution": access.status})
        module = f"module:{access.where}"
        role = _code_role(project, access) if access.role == "model" else None
        if access.op == "read":
            serves = access.role == "model" and (any(program.web for program in programs) or role == "serving")
            edges.append({"source": node, "target": module, "kind": "serves" if serves else "reads"})
        else:
            trains = access.role == "model" and (any(program.fits for program in programs) or role == "training")
            edges.append({"source": module, "target": node, "kind": "trains" if trains else "writes"})
        sites.append({"path": access.where, "line": access.where_line, "node": node, "match": access.location[:60]})
    accessed = {access.node for access in flow.accesses}
    for manifest in sorted(set(declared.manifests) | {problem.path for problem in declared.problems}):
        nodes.append({"id": f"manifest:{manifest}", "kind": "manifest", "label": manifest, "path": manifest})
    for stage in declared.stages:
        for script in stage.scripts:
            if script in project.files:
                edges.append({"source": f"manifest:{stage.manifest}", "target": f"module:{script}", "kind": "declares",
                              "stage": stage.name})
    for node in sorted(accessed):
        location = node.split(":", 1)[1]
        origin = declared.declaring(location)
        if origin is not None and not origin.startswith("["):
            edges.append({"source": f"manifest:{origin}", "target": node, "kind": "declares"})
    stats = flow.counts()
    stats.update({"manifests": len(declared.manifests), "stages": len(declared.stages)})
    return {"nodes": nodes, "edges": edges, "sites": sites, "graph": stats}


def _code_role(project, access: Access) -> str | None:
    """The role `rules/roles.py` gives the code of an access (training, serving, …), when its
    facts were collected (the DS4xx rules ran) and rest on code rather than on names."""
    if not any(ROLES_KEY in facts.data for facts in project.files.values()):
        return None
    role = scope_role(project, access.where, access.where_scope)
    return role.name if role.firm else None


GRAPH = (graph_contribution,)
