"""The project's data flow: every read and write resolved to an artifact, the programs that run
them, and what the manifests declare. DS3xx, DS6xx and the dependency graph all read it.

Locations are resolved in three steps. Holes the file could not fill are filled here:
references to other modules' constants, `__file__`-relative paths, parameters from the
function's call sites (three calls deep), and `sys.argv[i]` or `--option` values from the
command of the pipeline stage that runs the script. Then each location is classified:
*literal* (fully known), *pattern* (constant parts kept, the rest `*`), *provided* (by the
command line, configuration or the environment), *unresolved* or *temporary* (dropped).
Finally relative paths are anchored: at the stage's working directory for stage scripts, at
the scanned root otherwise, or at the script's directory (or a folder above it, below the
root) when only that reading exists on disk, is declared, or stays inside the project.

A *program* is an entry point (a script with a main guard or top-level code that nothing
imports, a notebook, a web app, a script a manifest runs) together with every project module
it imports; an access belongs to the programs that reach the file supplying its location.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from debtscan.discovery import read_gitignore
from debtscan.model import MODULE_SCOPE
from debtscan.source import UnreadableText
from .io_facts import KEY, IOIndex, constant, is_hole, normalise, render
from .manifests import Declarations, Stage, covers, read_declarations

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
LOCAL_SCHEMES = ("file",)
ANCHOR = "\x00root:"
MAX_DEPTH = 3
DATA_EXTENSIONS = (".csv", ".tsv", ".parquet", ".feather", ".arrow", ".npy", ".npz", ".txt", ".xml", ".xlsx", ".xls",
                   ".jsonl", ".ndjson", ".avro", ".orc", ".tfrecord", ".tfrecords", ".hdf", ".zip", ".gz", ".tar",
                   ".tgz", ".bz2", ".db", ".sqlite", ".mat", ".wav", ".mp3", ".jpg", ".jpeg", ".png", ".tif", ".tiff")
VERSIONED = re.compile(r"(?:/|@|=|^)(?:v?\d+(?:\.\d+)+|[0-9a-f]{40}|[0-9a-f]{7,12})(?:/|$|\?|#)|/releases/download/|"
                       r"[_-]v\d+(?:\.\d+)*(?=[._-][^/]*$)|"  # a version in the file's name: aclImdb_v1.tar.gz
                       r"[?&](?:version|rev|revision|ref|sha|commit)=|zenodo\.org/records?/\d+|doi\.org/", re.I)
PROJECT_MARKERS = ("requirements.txt", "setup.py", "setup.cfg", "pyproject.toml", "Pipfile", "environment.yml",
                   "environment.yaml", "conda.yaml", "Dockerfile", "MLproject", "dvc.yaml", "Makefile", "README.md",
                   "README.rst", "README.txt", "README")
DOWNLOADED_EXTENSIONS = DATA_EXTENSIONS + (".json", ".pkl", ".pt", ".h5", ".bin")
SYSTEM_PATHS = ("/dev/", "/proc/", "/sys/")
TOKEN = re.compile(r"[A-Za-z][a-z0-9]*|[A-Z]+(?![a-z])|\d+")


@dataclass(frozen=True)
class Origin:
    """Where a location came from: a file, and the call in it that passed the location on."""

    path: str
    order: int | None = None
    span: dict | None = field(default=None, compare=False, hash=False)
    symbol: str = ""
    scope: str = MODULE_SCOPE
    guarded: bool = False  # in the `if __name__ == "__main__":` block


@dataclass
class Access:
    """One read or write of one artifact, with its location resolved as far as possible."""

    op: str
    role: str  # data, model, config, report
    path: str  # the file holding the I/O call
    site: str  # the file whose constant or call supplied the location
    span: dict
    symbol: str
    scope: str
    order: int
    api: str
    text: str
    status: str  # literal, pattern, provided, unresolved
    location: str  # canonical location ("" when unresolved)
    shown: str  # how the location reads in messages
    external: str | None = None  # url, bucket, table, hub, dataset, mlflow, torchhub, openml
    provided_by: str = ""  # cli, config, env
    unpinned: str | None = None
    moving: bool = False
    vague: bool = False  # a pattern whose first part is unknown (`{out_dir}/best.pt`)
    download: bool = False  # a write that stores a download
    via_catalog: bool = False  # a pipeline node's dataset: the catalog declares it
    call_span: dict | None = None  # the call in `site` that passed the location to a helper
    call_order: int | None = None
    call_symbol: str = ""
    call_scope: str = ""
    guarded: bool = False
    optional: bool = False  # behind an existence check or a handler for a missing file
    fills_missing: bool = False  # a write behind `if not os.path.exists(...)`: a cache being filled

    @property
    def where(self) -> str:
        """The file to report: the caller that named the location, else the I/O call's file."""
        return self.site if self.call_span else self.path

    @property
    def where_span(self) -> dict:
        return self.call_span or self.span

    @property
    def where_scope(self) -> str:
        return self.call_scope if self.call_span else self.scope

    @property
    def where_line(self) -> int:
        return self.where_span.get("line", 0)

    @property
    def where_symbol(self) -> str:
        return self.call_symbol if self.call_span else self.symbol

    @property
    def where_order(self) -> int:
        return self.call_order if self.call_span and self.call_order is not None else self.order

    @property
    def kind(self) -> str:
        """The graph node kind of the artifact: external, model or data."""
        if self.external:
            return "external"
        return "model" if self.role == "model" else "data"

    @property
    def node(self) -> str:
        return f"{self.kind}:{self.location}"

    @property
    def line(self) -> int:
        return self.span.get("line", 0)

    @property
    def resolved(self) -> bool:
        return self.status in ("literal", "pattern", "provided")

    @property
    def local(self) -> bool:
        return not self.external and bool(self.location)

    @property
    def specific(self) -> bool:
        """A local file known well enough to compare with others: a literal, or a pattern whose
        directory is known (`data/*.csv`, not `*/best.pt`)."""
        return self.local and (self.status == "literal" or self.status == "pattern" and not self.vague)


@dataclass
class Program:
    entry: str
    files: set[str] = field(default_factory=set)
    stages: list[Stage] = field(default_factory=list)
    fits: bool = False
    web: bool = False
    downloads: bool = False  # fetches or unpacks data into files we cannot name (`_fetches_unnamed`, archives)

    @property
    def declared(self) -> bool:
        """Run as a stage of a declared pipeline (one that lists its data)."""
        return any(stage.tracks_data for stage in self.stages)


class DataFlow:
    """Resolved accesses, programs and declarations of one project (memoised per project)."""

    def __init__(self, project) -> None:
        self.project = project
        self.root: Path | None = project.root
        self.index = IOIndex.of(project.catalog)
        self.declarations: Declarations = read_declarations(
            self.root, project.options.get("data") or None, project.options.get("data_origin"))
        self.stages_by_script: dict[str, list[Stage]] = {}
        for stage in self.declarations.stages:
            for script in stage.scripts:
                self.stages_by_script.setdefault(script, []).append(stage)
        self._callers = self._call_sites()
        self._gitignores: dict[str, list] = {}
        self._project_dirs: dict[str, bool] = {}
        self.entries = self._entries()
        self.programs = {entry: self._program(entry) for entry in sorted(self.entries)}
        self._programs_of: dict[str, list[str]] | None = None  # path -> entries, built on first use
        self._runners: dict[tuple, list[str]] = {}
        self._orphans: dict[str, Program] = {}
        self._running: dict[tuple[str, str], list[str]] | None = None  # (file, scope) -> entries
        self._writers: dict[str, list[Access]] = {}
        self._write_index: tuple[dict[str, list[tuple[int, Access]]], list[tuple[int, Access]]] | None = None
        self._read_locally: set[str] | None = None
        self.unresolved: list[Access] = []
        self.accesses = self._accesses()

    @classmethod
    def of(cls, project) -> "DataFlow":
        if "dataflow" not in project.memo:
            project.memo["dataflow"] = cls(project)
        return project.memo["dataflow"]

    # -- programs --------------------------------------------------------------------------
    def _io(self, path: str) -> dict:
        return self.project.files[path].data.get(KEY, {}) if path in self.project.files else {}

    def _entries(self) -> dict[str, str]:
        imported = self.project.imported_paths()
        entries: dict[str, str] = {}
        for path, facts in self.project.files.items():
            io = facts.data.get(KEY, {})
            module_calls = facts.scopes.get(MODULE_SCOPE)
            if path in self.stages_by_script:
                entries[path] = "declared by " + self.stages_by_script[path][0].manifest
            elif facts.data.get("engine", {}).get("main_guard"):
                entries[path] = "main guard"
            elif path.endswith(".ipynb"):
                entries[path] = "notebook"
            elif io.get("web"):
                entries[path] = "web app"
            elif path not in imported and not facts.is_package and module_calls is not None and \
                    (any(event["scope"] == MODULE_SCOPE for event in io.get("events", [])) or
                     self._has_project_calls(facts)):
                entries[path] = "script"
        return entries

    def _has_project_calls(self, facts) -> bool:
        module = facts.scopes.get(MODULE_SCOPE)
        return module is not None and any(self.project.resolve_function(callee, facts.module)
                                          for _, callee, _ in module.calls)

    def _program(self, entry: str) -> Program:
        files = {entry} | self.project.reachable_from([entry])
        program = Program(entry=entry, files=files, stages=self.stages_by_script.get(entry, []))
        program.fits = any(self._io(path).get("fits") for path in files)
        program.web = any(self._io(path).get("web") for path in files)
        program.downloads = any(_fetches_unnamed(self._io(path).get("events", [])) or self._io(path).get("extracts")
                                for path in files)
        return program

    def programs_of(self, path: str) -> list[str]:
        """Entry points whose program runs `path` (the file itself when nothing runs it)."""
        if self._programs_of is None:  # inverted once: asking every program about every file is quadratic
            self._programs_of = {}
            for entry in sorted(self.programs):
                for member in self.programs[entry].files:
                    self._programs_of.setdefault(member, []).append(entry)
        return self._programs_of.get(path) or [path]

    def runners(self, access: Access) -> list[str]:
        """Entry points whose program executes an access: code in a main guard runs only in
        its own script; functions run in the programs whose calls reach them; module code runs
        wherever the module is imported."""
        key = (access.where, access.where_scope, access.guarded)
        if key not in self._runners:
            path, scope, guarded = key
            found = [path] if guarded else self._running_index().get((path, scope), [])
            self._runners[key] = found or self.programs_of(path)
        return self._runners[key]

    def runners_of(self, path: str, scope: str) -> list[str]:
        """The entry points whose code runs function `scope` of `path` (its module code when
        `scope` is the module's), following calls from each entry's module code."""
        return self._running_index().get((path, scope), [])

    def executed(self, access: Access) -> bool:
        """Whether some entry point may run the code of an access: module code, a main guard, a
        method (calls through instances are not followed), or a function an entry point's code
        calls, directly or through other functions."""
        scope = access.where_scope
        return access.guarded or scope == MODULE_SCOPE or "." in scope or \
            (access.where, scope) in self._running_index()

    def _running_index(self) -> dict[tuple[str, str], list[str]]:
        """(file, scope) -> the entry points that execute it, in order: module code of everything
        an entry imports, and every project function called from there, transitively. Built in
        one pass over the entries, since asking each entry about each scope is quadratic."""
        if self._running is None:
            calls: dict[tuple[str, str], set[tuple[str, str]]] = {}
            for caller, scope, _, callee, callee_scope in self.project.call_edges():
                calls.setdefault((caller, scope), set()).add((callee, callee_scope))
            self._running = {}
            for entry in sorted(self.programs):
                stack = [(path, MODULE_SCOPE) for path in self.programs[entry].files]
                seen: set[tuple[str, str]] = set()
                while stack:
                    item = stack.pop()
                    if item in seen:
                        continue
                    seen.add(item)
                    self._running.setdefault(item, []).append(entry)
                    stack.extend(calls.get(item, ()))
        return self._running

    def program(self, entry: str) -> Program:
        """The program an entry point runs; a file nothing runs counts as its own program."""
        if entry not in self.programs:
            self._orphans.setdefault(entry, self._program(entry))
            return self._orphans[entry]
        return self.programs[entry]

    def stages_for(self, access: Access) -> list[Stage]:
        """The pipeline stages (that list their data) running the code of an access."""
        stages: list[Stage] = []
        for entry in self.runners(access):
            for stage in self.program(entry).stages:
                if stage.tracks_data and stage not in stages:
                    stages.append(stage)
        return stages

    # -- call sites --------------------------------------------------------------------------
    def _call_sites(self) -> dict[tuple[str, str], list[tuple]]:
        callers: dict[tuple[str, str], list[tuple]] = {}
        for path, facts in self.project.files.items():
            for call in facts.data.get(KEY, {}).get("calls", []):
                target = self.project.resolve_function(call["callee"], facts.module)
                if target is not None:
                    callers.setdefault(target, []).append((path, call["scope"], freeze(call["args"]),
                                                           call.get("order"), call.get("span"), call.get("symbol", ""),
                                                           bool(call.get("guarded"))))
        return callers

    def _callers_of(self, path: str, scope: str) -> list[tuple]:
        return self._callers.get((path, scope), [])

    # -- resolution --------------------------------------------------------------------------
    def resolve(self, template, path: str, scope: str, depth: int = 0) -> list[tuple[tuple, Origin]]:
        """(template, origin) alternatives with references, parameters and stage arguments
        filled; the origin is the outermost call that supplied a parameter, if any."""
        if depth < MAX_DEPTH and any(is_hole(part) and part[0] == "param" for part in template):
            out: list[tuple[tuple, Origin]] = []
            for expanded, origin in self._expand_parameters(template, path, scope, depth):
                out += [(resolved, inner if inner.span else origin)
                        for resolved, inner in self._resolve_parts(expanded, path, scope, depth)]
            return _unique(out)
        return self._resolve_parts(template, path, scope, depth)

    def _expand_parameters(self, template, path: str, scope: str, depth: int) -> list[tuple[tuple, Origin]]:
        """The template once per call site of its function, every parameter filled from that
        call (or its default), so `f(a, b)` and `f(c, d)` never mix into `a`+`d`."""
        params = [part for part in template if is_hole(part) and part[0] == "param"]
        owner = next((part[4] for part in params if len(part) > 4 and part[4]), scope)
        callers = self._callers_of(path, owner)
        calls = [(caller_path, caller_scope, args, Origin(caller_path, order, span, symbol, caller_scope, guarded))
                 for caller_path, caller_scope, args, order, span, symbol, guarded in callers] or [None]
        out: list[tuple[tuple, Origin]] = []
        for call in calls:
            options: list[list[tuple[tuple, Origin]]] = []
            for part in template:
                if not (is_hole(part) and part[0] == "param"):
                    options.append([((part,), Origin(path))])
                    continue
                _, name, position, default = part[:4]
                supplied = None
                if call is not None:
                    supplied = next((values for slot, values in call[2]
                                     if slot == name or (isinstance(slot, int) and slot == position >= 0)), None)
                if supplied is not None:
                    values = [(resolved, inner if inner.span else call[3]) for value in supplied
                              for resolved, inner in self.resolve(freeze(value), call[0], call[1], depth + 1)]
                elif default is not None:
                    values = self.resolve(freeze(default), path, owner, depth + 1)
                else:
                    values = [((part,), call[3] if call is not None else Origin(path))]
                options.append(values[:4])
            combined: list[tuple[tuple, Origin]] = [((), Origin(path))]
            for choices in options:
                combined = [(normalise(prefix + choice), choice_origin if choice_origin.span else origin)
                            for prefix, origin in combined for choice, choice_origin in choices][:4]
            out += combined
        return _unique(out)

    def _resolve_parts(self, template, path: str, scope: str, depth: int) -> list[tuple[tuple, Origin]]:
        results: list[tuple[tuple, Origin]] = [((), Origin(path))]
        for part in template:
            options = self._resolve_part(part, path, scope, depth)
            combined = []
            for prefix, origin in results:
                for option, option_origin in options:
                    combined.append((normalise(prefix + option), option_origin if option_origin.span else origin))
                    if len(combined) >= 4:
                        break
            results = combined[:4]
        return results

    def _resolve_part(self, part, path: str, scope: str, depth: int) -> list[tuple[tuple, Origin]]:
        here = Origin(path)
        if isinstance(part, str):
            return [((part,), here)]
        kind = part[0]
        if kind == "here":  # ("here", 0) is the file itself, ("here", 1) its folder
            folder = path
            for _ in range(int(part[1])):
                folder = posixpath.dirname(folder)
            return [((ANCHOR + (folder or "."),), here)]
        if kind == "ref" and depth < MAX_DEPTH + 2:
            resolved = self._resolve_reference(part[1], path, depth)
            if resolved:
                return [(template, here) for template in resolved]
            return [((("unknown", part[1]),), here)]
        if kind == "cli":
            value = self._stage_argument(part, path)
            if value is not None:
                return [((value,), here)]
        return [((part,), here)]

    def _resolve_reference(self, qualified: str, path: str, depth: int) -> list[tuple]:
        """A module constant or class attribute; `a.b.c` where `a.b` holds an instance of a
        class resolves `c` on that class (`self.config.train_path`)."""
        importer = self.project.files[path].module if path in self.project.files else ""
        split = self.project.split_qualified(qualified, importer)
        if split is None:
            return []
        facts, name = split
        constants = facts.data.get(KEY, {}).get("constants", {})
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            values = constants.get(".".join(parts[:cut]))
            if not values:
                continue
            rest = parts[cut:]
            out: list[tuple] = []
            for value in freeze(values):
                if rest:
                    if len(value) == 1 and is_hole(value[0]) and value[0][0] == "ref" and depth < MAX_DEPTH + 2:
                        out += self._resolve_reference(".".join([value[0][1], *rest]), facts.path, depth + 1)
                    continue
                out += [template for template, _ in self.resolve(value, facts.path, MODULE_SCOPE, depth + 1)]
            return out[:4]
        return []

    def _stage_argument(self, part, path: str) -> str | None:
        """`sys.argv[2]` or `args.out` filled from the command of the stage that runs `path`."""
        text = part[1]
        for stage in self.stages_by_script.get(path, []):
            argv = stage.argv.get(path, [])
            match = re.fullmatch(r"sys\.argv\[(\d+)\]", text)
            if match:
                position = int(match.group(1)) - 1
                if 0 <= position < len(argv):
                    return self._in_wdir(argv[position], stage)
                continue
            option = "--" + text.rsplit(".", 1)[-1].lstrip("-").replace("_", "-")
            for position, token in enumerate(argv):
                if token.replace("_", "-") == option and position + 1 < len(argv):
                    return self._in_wdir(argv[position + 1], stage)
                if token.replace("_", "-").startswith(option + "="):
                    return self._in_wdir(token.split("=", 1)[1], stage)
        return None

    @staticmethod
    def _in_wdir(value: str, stage: Stage) -> str:
        if value.startswith("/") or SCHEME.match(value) or not stage.wdir:
            return value
        return ANCHOR + stage.wdir + "/" + value

    # -- accesses -----------------------------------------------------------------------------
    def _accesses(self) -> list[Access]:
        accesses: list[Access] = []
        for path, facts in self.project.files.items():
            for event in facts.data.get(KEY, {}).get("events", []):
                seen: set[str] = set()
                for template in event["paths"]:
                    for resolved, origin in self.resolve(freeze(template), path, event["scope"]):
                        access = self._classify(event, path, origin, resolved)
                        if access is None or (access.location, access.status) in seen:
                            continue
                        seen.add((access.location, access.status))
                        if access.status == "unresolved":
                            self.unresolved.append(access)
                        else:
                            accesses.append(access)
        accesses.sort(key=lambda a: (a.path, a.line, a.span.get("column", 0), a.op, a.location))
        self.unresolved.sort(key=lambda a: (a.path, a.line, a.op))
        return accesses

    def _classify(self, event: dict, path: str, origin: Origin, template: tuple) -> Access | None:
        site = origin.path
        parts = list(template)
        kinds = {part[0] for part in parts if is_hole(part)}
        if "tmp" in kinds:
            return None
        provided = [part for part in parts if is_hole(part) and part[0] in ("cli", "config", "env", "cliobj", "configobj")]
        text = constant(template)
        base = dict(op=event["op"], path=path, site=site, span=event["span"], symbol=event["symbol"], scope=event["scope"],
                    order=event["order"], api=event["api"], text=event["text"], unpinned=event.get("unpinned"),
                    download=bool(event.get("download")), call_span=origin.span, call_order=origin.order,
                    call_symbol=origin.symbol, call_scope=origin.scope,
                    guarded=origin.guarded if origin.span else bool(event.get("guarded")),
                    optional=bool(event.get("optional")), fills_missing=bool(event.get("fills_missing")))
        if text is not None:
            status, raw = "literal", text
        elif provided:
            status, raw = "provided", self._with_defaults(parts)
        else:
            raw = "".join(part if isinstance(part, str) else "*" for part in parts)
            status = "pattern" if _informative(parts) else "unresolved"
        shown = render(tuple(part if not (isinstance(part, str) and part.startswith(ANCHOR)) else
                             part[len(ANCHOR):] for part in parts))
        access = Access(status=status, location="", shown=shown, role="data", **base)
        access.vague = status == "pattern" and not (isinstance(parts[0], str) and not parts[0].startswith("*"))
        if status == "unresolved":
            access.role = self._role(event, raw)
            return access
        if provided:
            access.provided_by = {"cliobj": "cli", "configobj": "config"}.get(provided[0][0], provided[0][0])
        location, external = self._location(raw, event, site)
        if location is None or location.startswith(SYSTEM_PATHS):
            return None
        access.via_catalog = event.get("external") == "catalog"
        access.location, access.external = location, external
        access.role = self._role(event, location)
        access.shown = shown if status == "provided" else location
        access.unpinned = None
        if external and status == "literal":
            access.moving = self._moving(location)
            access.unpinned = self._unpinned(event, location, access.moving)
        return access

    def _with_defaults(self, parts: list) -> str:
        """A provided location with the parser's or environment's default filled in, when there is one."""
        out = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            elif part[0] in ("cli", "env") and len(part) > 2 and part[2] is not None \
                    and constant(tuple(part[2])) is not None:
                out.append(constant(tuple(part[2])))
            else:
                out.append("{" + str(part[1]) + "}" if part[0] in ("cli", "config", "cliobj", "configobj")
                           else "$" + str(part[1]) if part[0] == "env" else "*")
        return "".join(out)

    def _location(self, raw: str, event: dict, site: str) -> tuple[str | None, str | None]:
        """The canonical location of a raw path and the kind of external source it is, if any."""
        external = event.get("external")
        raw = raw.strip()
        if not raw or raw in (".", "-"):
            return None, None
        if raw.startswith("catalog:"):
            location = self.declarations.datasets.get(raw[len("catalog:"):])
            return (location, None) if location else (None, None)  # others are kept in memory
        if raw.startswith(("sql:", "dataset:")):
            return raw.replace(".load_data", ""), "table" if raw.startswith("sql:") else "dataset"
        scheme = SCHEME.match(raw)
        if scheme and "://" in raw and scheme.group(1).lower() not in LOCAL_SCHEMES:
            kind = scheme.group(1).lower()
            kind = "url" if kind in ("http", "https", "ftp") else "hub" if kind == "hf" else "bucket"
            return raw, kind
        if external == "table":
            return f"sql:{raw}", "table"
        if external == "mlflow":
            return f"mlflow:{raw}", "mlflow"
        if external == "torchhub":
            return f"torchhub:{raw}", "torchhub"
        if external == "openml":
            return f"openml:{raw}", "openml"
        if external == "dataset":
            return f"dataset:{raw}", "dataset"
        if external == "hub":
            local = self._canonical(raw, site)
            if self._local_model(raw, local):
                return local, None
            return f"hf:{raw}", "hub"
        if external == "url" and not raw.startswith(("/", ".", ANCHOR)):
            return None, None  # a URL held in a variable we could not resolve
        return self._canonical(raw, site), None

    def _local_model(self, raw: str, local: str) -> bool:
        if raw.startswith((ANCHOR, "/", ".", "~")) or raw.count("/") > 1 or "*" in raw or "{" in raw:
            return True
        if re.search(r"\.[A-Za-z0-9]{1,6}$", raw):
            return True
        return self.exists(local) or self.declarations.declaring(local, with_config=False) is not None or \
            any(event["op"] == "write" for facts in self.project.files.values()
                for event in facts.data.get(KEY, {}).get("events", [])
                for template in event["paths"] if constant(tuple(template)) == raw)

    def _canonical(self, raw: str, site: str) -> str:
        if raw.startswith(ANCHOR):
            return _norm(raw[len(ANCHOR):])
        if raw.startswith(("/", "~", "\\\\")) or re.match(r"^[A-Za-z]:[\\/]", raw) or raw.startswith(("{", "$")):
            return _norm(raw) if raw.startswith("/") else raw
        if "\\" in raw and "/" not in raw:
            raw = raw.replace("\\", "/")  # 'data\\train.csv' written for Windows
        stages = [stage for entry in self.programs_of(site) for stage in self.program(entry).stages]
        if stages:
            return _norm((stages[0].wdir + "/" if stages[0].wdir else "") + raw)
        candidates = []
        # the folders a script is most likely run from, then the ones above its own (a script
        # moved into `old/` or `trash/` still reads what its siblings read), used only when the
        # file is there or declared
        here = posixpath.dirname(site)
        above = []
        while here and posixpath.dirname(here) != here:
            here = posixpath.dirname(here)
            if here:
                above.append(here)
        for folder in (self.working_directory(site), "", posixpath.dirname(site), *above):
            candidate = _norm(f"{folder}/{raw}" if folder else raw)
            if candidate not in candidates:
                candidates.append(candidate)
        for candidate in candidates:
            if self.exists(candidate) or self.declarations.declaring(candidate) is not None:
                return candidate
        inside = [candidate for candidate in candidates if not candidate.startswith("../") and candidate != ".."]
        return inside[0] if inside else candidates[0]

    def working_directory(self, path: str) -> str:
        """Where a file's relative paths most likely start: a notebook's own folder, else the
        nearest folder below the root that looks like a project of its own (a README,
        requirements, a Dockerfile…), else the root."""
        folder = posixpath.dirname(path)
        if path.endswith(".ipynb"):
            return folder
        while folder:
            if folder not in self._project_dirs:
                self._project_dirs[folder] = self.root is not None and any(
                    (self.root / folder / marker).is_file() for marker in PROJECT_MARKERS)
            if self._project_dirs[folder]:
                return folder
            folder = posixpath.dirname(folder)
        return ""

    def _role(self, event: dict, location: str) -> str:
        role = event.get("role", "data")
        if role in ("model", "config", "report"):
            return role
        settings = self.index.settings
        name = location.rsplit("/", 1)[-1].lower()
        extension = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        suffixes = {"." + part for part in name.split(".")[1:]}
        tokens = {token.lower() for token in TOKEN.findall(location.rsplit("/", 2)[-1] if location else "")}
        obj_tokens = {token.lower() for token in TOKEN.findall(event.get("object") or "")}
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in settings.get("project_files", [])):
            return "config"  # requirements.txt, README.md: project files, not data
        if extension in settings.get("report_extensions", []) or tokens & set(settings.get("report_words", [])):
            return "report"
        if extension in settings.get("config_extensions", []) or tokens & set(settings.get("config_words", [])):
            return "config"
        if suffixes & set(settings.get("model_extensions", [])):
            return "model"  # checkpoint.pth.tar
        if extension in DATA_EXTENSIONS or role == "data":
            return "data"
        model_words = set(settings.get("model_words", []))
        if (tokens | obj_tokens) & model_words:
            return "model"
        if extension in settings.get("model_extensions", []):
            return "model"
        return "model" if role == "auto_model" else "data"

    def _moving(self, location: str) -> bool:
        refs = set(self.index.settings.get("moving_refs", []))
        segments = re.split(r"[/@:?&=#]+", location.split("://", 1)[-1])
        return any(segment in refs for segment in segments[1:])

    def _unpinned(self, event: dict, location: str, moving: bool) -> str | None:
        """Why a remote source can change under the project, or None."""
        if moving:
            return "moving"
        reason = event.get("unpinned")
        if reason == "pinned":
            return None
        if location.startswith("torchhub:"):
            return None if ":" in location[len("torchhub:"):] else "tag"
        if location.startswith("mlflow:"):
            return None
        if location.startswith(("http://", "https://", "ftp://")):
            if VERSIONED.search(location):
                return None
            if reason in ("checksum", "command"):  # a download call, or a download command line
                return reason
            if event["op"] == "read" and location.lower().split("?", 1)[0].endswith(DOWNLOADED_EXTENSIONS) \
                    and event.get("role") in ("data", "auto"):
                return "version"
            return None
        if location.startswith(("hf:", "openml:")):
            return reason
        return None

    # -- questions rules ask -----------------------------------------------------------------
    def exists(self, location: str) -> bool:
        """Whether `location` is in the scanned tree and not ignored by git (so git versions it)."""
        if self.root is None or not location or location.startswith(("/", "..", "~", "{", "$")) or "*" in location \
                or SCHEME.match(location):
            return False
        target = self.root / location
        try:
            if not target.exists():
                return False
        except OSError:
            return False
        return not self._git_ignored(location)

    def _git_ignored(self, location: str) -> bool:
        parts = location.split("/")
        for depth in range(len(parts)):
            folder = "/".join(parts[:depth])
            if folder not in self._gitignores:
                self._gitignores[folder] = []
                try:
                    spec = read_gitignore(self.root / folder if folder else self.root)
                except (OSError, UnreadableText):
                    spec = None  # discovery reports a .gitignore it cannot read
                if spec is not None:
                    self._gitignores[folder] = [spec]
            rest = "/".join(parts[depth:])
            if any(spec.match_file(rest) for spec in self._gitignores[folder]):
                return True
        return False

    def declares_data_for(self, path: str) -> bool:
        """Whether a manifest declares data for the part of the project holding `path`: the
        project folder of the manifest (see `working_directory`) holds `path`, so in a monorepo
        each sub-project counts on its own."""
        for origin in self.declarations.origins():
            folder = "" if origin.startswith("[") else self.working_directory(origin)
            if not folder or path.startswith(folder + "/"):
                return True
        return False

    def written_by_own_program(self, reader: Access) -> bool:
        """Whether every program that runs the read also writes the file (reads its own output)."""
        writing = {program for writer in self.writers(reader.location) for program in self.runners(writer)}
        return all(program in writing for program in self.runners(reader))

    def read_locally(self, location: str) -> bool:
        """Whether any local read in the project reads exactly `location`."""
        if self._read_locally is None:
            self._read_locally = {access.location for access in self.accesses if access.op == "read" and access.local}
        return location in self._read_locally

    def writers(self, location: str) -> list[Access]:
        """The writes of `location` (or of a pattern covering it), in access order."""
        if location not in self._writers:
            if self._write_index is None:  # every read asks: indexed once, not a scan per read
                exact: dict[str, list[tuple[int, Access]]] = {}
                patterns: list[tuple[int, Access]] = []
                for number, access in enumerate(self.accesses):
                    if access.op == "write" and (access.specific or access.status == "provided" and access.local):
                        exact.setdefault(access.location, []).append((number, access))
                        if "*" in access.location:
                            patterns.append((number, access))
                self._write_index = (exact, patterns)
            exact, patterns = self._write_index
            if "*" in location:
                fixed = literal_prefix(location)
                found = [item for written, items in exact.items() if may_cover(written, fixed, location)
                         for item in items if same_location(written, location)]
            else:
                found = exact.get(location, []) + [item for item in patterns
                                                   if item[1].location != location and same_location(item[1].location, location)]
            self._writers[location] = [access for _, access in sorted(found, key=lambda item: item[0])]
        return self._writers[location]

    def produced_by_stage(self, location: str) -> Stage | None:
        for stage in self.declarations.stages:
            if any(covers(out, location) for out in stage.outs):
                return stage
        return None

    def stage_covers(self, stages: list[Stage], location: str, op: str) -> bool:
        for stage in stages:
            declared = stage.deps + stage.outs if op == "read" else stage.outs
            if any(covers(path, location) for path in declared):
                return True
        return False

    def config_file(self, location: str) -> bool:
        return location in self.declarations.config_files

    def counts(self) -> dict[str, int]:
        """How many reads and writes were resolved (literal, pattern, provided) and how many not."""
        counts = {"reads_resolved": 0, "reads_unresolved": 0, "writes_resolved": 0, "writes_unresolved": 0}
        for access in self.accesses + self.unresolved:
            key = ("reads" if access.op == "read" else "writes") + ("_resolved" if access.resolved else "_unresolved")
            counts[key] += 1
        return counts


def _unique(items: list[tuple[tuple, Origin]]) -> list[tuple[tuple, Origin]]:
    seen, out = set(), []
    for template, origin in items:
        if template not in seen:
            seen.add(template)
            out.append((template, origin))
    return out[:4]


def freeze(value):
    """Templates as hashable tuples (facts may come back from the JSON cache as lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard."""
    return re.split(r"[*?\[]", pattern.rstrip("/"), maxsplit=1)[0]


def may_cover(written: str, fixed: str, pattern: str) -> bool:
    """A cheap necessary condition for `same_location(written, pattern)`, where `fixed` is the
    pattern's `literal_prefix`: a literal path matches a pattern only when it starts with that
    part, or when it is a folder the pattern lies in."""
    plain = written.rstrip("/")
    return plain.startswith(fixed) or pattern.startswith(plain) or any(char in written for char in "*?[")


def same_location(left: str, right: str) -> bool:
    return left == right or covers(left, right) and ("*" in left or "*" in right)


def _norm(path: str) -> str:
    normal = posixpath.normpath(path)
    return "" if normal == "." else normal


def _informative(parts: list) -> bool:
    """A partly known location worth keeping as a pattern: a known directory or file name."""
    texts = [part for part in parts if isinstance(part, str)]
    if not texts:
        return False
    known = "".join(texts).strip("/")
    if not re.search(r"[A-Za-z]", known):
        return False
    first_known = isinstance(parts[0], str) and "/" in parts[0].strip("/") + "/" and len(parts[0].strip("/")) > 1
    last_named = isinstance(parts[-1], str) and re.search(r"[A-Za-z0-9_-]\.[A-Za-z0-9]{1,8}$", parts[-1]) is not None
    return first_known or last_named


def dataflow(project) -> DataFlow:
    return DataFlow.of(project)


__all__ = ["Access", "DataFlow", "Program", "dataflow", "Any"]


ARCHIVE_SUFFIXES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar")


def _fetches_unnamed(events: list[dict]) -> bool:
    """Whether a file fetches remote data that may land in files nobody can name from the code:
    a fetch with no local file written by the same call, or one written into a directory or an
    archive (`wget -P data/`, `… -O data.zip` then unzipped). A download to a named file
    (`!wget URL -O data.csv`, `urlretrieve(URL, "data.csv")`) is the writer of that file."""
    named = set()
    for event in events:
        if event["op"] == "write" and event.get("download"):
            names = [_last_literal(path) for path in event.get("paths", [])]
            if names and all(name and "." in name and not name.lower().endswith(ARCHIVE_SUFFIXES) for name in names):
                named.add(_where(event))
    return any(event.get("fetch") and event["op"] == "read" and _where(event) not in named for event in events)


def _where(event: dict) -> tuple:
    span = event.get("span") or {}
    return span.get("cell"), span.get("line"), span.get("column")


def _last_literal(path: list) -> str | None:
    """The file name a template ends with, when it ends in written-out text."""
    tail = path[-1] if path else None
    return tail.rsplit("/", 1)[-1] if isinstance(tail, str) else None
