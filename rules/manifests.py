"""What a project declares about its data: pipeline stages, tracked inputs, outputs, config paths.

Read from the scanned root: `dvc.yaml` (stages with cmd/deps/outs/params/metrics/plots, `foreach`
and `matrix` templates), `dvc.lock`, `*.dvc` files, `params.yaml`, `MLproject` (entry points and
their path parameters), Kedro `conf/<env>/catalog*.yml`, Hydra/OmegaConf YAML under `conf/`,
`config/` or `configs/` (string values that are paths), and `[tool.debtscan.data]` in
`pyproject.toml` for projects that use none of these. A manifest that cannot be parsed or does
not have the expected shape becomes a `ManifestProblem` with its path and line; the scan goes on.

All paths are POSIX and relative to the scanned root; `*` stands for a templated part
(`${item}`, `{namespace}`).
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from debtscan.config import DEFAULT_EXCLUDE, ConfigError, validate_data_table
from debtscan.source import UnreadableText, read_text_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MAX_MANIFEST_BYTES = 2_000_000
MAX_WALK_FILES = 200_000
CONFIG_DIRS = ("conf", "config", "configs", "cfg")
TEMPLATE = re.compile(r"\$\{[^}]*\}|\{[^{}]*\}")
PATH_LIKE = re.compile(r"^(?:[\w.~-]+/)+[\w.*-]+/?$|^[\w.-]+\.(?:csv|tsv|parquet|json|jsonl|pkl|pickle|joblib|npy|npz|h5|"
                       r"hdf5|pt|pth|ckpt|onnx|txt|xml|feather|arrow|zip|gz|tar|db|sqlite|xlsx|xls|avro|orc|tfrecord)$")
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
SCRIPT = re.compile(r"\.(?:py|ipynb)$")


@dataclass
class ManifestProblem:
    path: str
    line: int
    column: int
    message: str


@dataclass
class Stage:
    """A step of a declared pipeline: the scripts its command runs and the data it declares."""

    name: str
    manifest: str
    line: int
    wdir: str = ""
    scripts: list[str] = field(default_factory=list)
    argv: dict[str, list[str]] = field(default_factory=dict)  # script -> arguments after it
    deps: list[str] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    kind: str = "dvc"  # dvc, mlproject, debtscan

    @property
    def tracks_data(self) -> bool:
        """Whether the stage declares its data: MLproject entry points name parameters, not deps or outs."""
        return self.kind != "mlproject"


@dataclass
class Declarations:
    """Everything the project's manifests say, merged."""

    manifests: list[str] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    inputs: dict[str, str] = field(default_factory=dict)  # path -> manifest that declares it
    outputs: dict[str, str] = field(default_factory=dict)
    config_paths: dict[str, str] = field(default_factory=dict)
    config_files: set[str] = field(default_factory=set)
    ignored: list[str] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)
    datasets: dict[str, str] = field(default_factory=dict)  # Kedro dataset name -> its location

    @property
    def declares_data(self) -> bool:
        """Whether the project uses any system for declaring data at all."""
        return bool(self.origins())

    def origins(self) -> set[str]:
        """The manifests that declare data (not only configuration values)."""
        found = set(self.inputs.values()) | set(self.outputs.values())
        return found | {stage.manifest for stage in self.stages if stage.tracks_data}

    def every_declared(self, with_config: bool = True) -> dict[str, str]:
        key = "_with_config" if with_config else "_without_config"
        cached = self.__dict__.get(key)
        if cached is not None:
            return cached
        merged = dict(self.config_paths) if with_config else {}
        merged.update(self.outputs)
        merged.update(self.inputs)
        for stage in self.stages:
            for path in stage.deps + stage.outs:
                merged.setdefault(path, stage.manifest)
        self.__dict__[key] = dict(sorted(merged.items()))
        return self.__dict__[key]

    def stages_of(self, script: str) -> list[Stage]:
        return [stage for stage in self.stages if script in stage.scripts]

    def declaring(self, path: str, with_config: bool = True) -> str | None:
        """The manifest that declares `path` (or a directory or pattern that covers it);
        `with_config=False` leaves out path values found in configuration files."""
        for declared, origin in self.every_declared(with_config).items():
            if covers(declared, path) or declared.startswith(path.rstrip("/") + "/"):
                return origin  # a folder holding a declared file (a checkpoint dir) counts as declared
        return None

    def is_ignored(self, path: str) -> bool:
        return any(covers(pattern, path) for pattern in self.ignored)


def covers(declared: str, path: str) -> bool:
    """Whether a declared path (a file, a directory, or a pattern) covers an accessed path.

    Either side may contain `*` wildcards; a declared directory covers everything inside it.
    """
    declared, path = declared.rstrip("/"), path.rstrip("/")
    if not declared or not path:
        return False
    if declared == path or path.startswith(declared + "/"):
        return True
    if any(char in declared for char in "*?["):
        if fnmatch.fnmatchcase(path, declared) or fnmatch.fnmatchcase(path, declared + "/*"):
            return True
    if any(char in path for char in "*?["):
        if fnmatch.fnmatchcase(declared, path):
            return True
        # a pattern read inside a declared directory: data/raw/*.csv under data/raw
        fixed = path.split("*", 1)[0]
        if fixed and (fixed.rstrip("/") == declared or fixed.startswith(declared + "/")):
            return True
    return False


def normalise_path(path: str, base: str = "") -> str:
    """A root-relative POSIX path for a manifest path written relative to `base`."""
    path = TEMPLATE.sub("*", path.strip().replace("\\", "/"))
    if URL.match(path) or path.startswith("/"):
        return path.rstrip("/") if len(path) > 1 else path
    joined = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return "" if joined == "." else joined


# -- YAML with line numbers --------------------------------------------------------------------------

class _LineDict(dict):
    """A mapping that remembers the line of each key."""

    lines: dict


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    mapping = _LineDict(loader.construct_mapping(node, deep=deep))
    mapping.lines = {}
    for key_node, _ in node.value:
        try:
            key = loader.construct_object(key_node, deep=deep)
            mapping.lines[key] = key_node.start_mark.line + 1
        except (TypeError, yaml.YAMLError):
            continue
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def line_of(mapping: Any, key: Any, default: int = 1) -> int:
    return getattr(mapping, "lines", {}).get(key, default) if isinstance(mapping, dict) else default


class _Bad(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_yaml(text: str) -> Any:
    """Parse YAML safely; raises _Bad with a line on any error."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = error.problem or error.context or "invalid YAML"
        raise _Bad(line, f"invalid YAML: {problem}") from None
    except (yaml.YAMLError, RecursionError, TypeError, ValueError) as error:
        raise _Bad(1, f"invalid YAML: {str(error).splitlines()[0] if str(error) else type(error).__name__}") from None


# -- finding the manifests ------------------------------------------------------------------------------

def _excluded(name: str) -> bool:
    """Folders whose files declare nothing: hidden ones, the default excludes, and the folders
    of a project template (`{{ cookiecutter.repo_name }}`), whose manifests are not yet rendered."""
    return name.startswith(".") or ("{{" in name and "}}" in name) or \
        any(fnmatch.fnmatchcase(name, pattern) for pattern in DEFAULT_EXCLUDE)


def manifest_files(root: Path) -> list[str]:
    """Root-relative paths of the files that may declare data, in a stable order."""
    found: list[str] = []
    seen = 0
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(name for name in dirnames if not _excluded(name))
        rel_dir = Path(directory).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir
        parts = rel_dir.split("/") if rel_dir else []
        in_config_dir = any(part in CONFIG_DIRS for part in parts)
        for name in sorted(filenames):
            seen += 1
            if seen > MAX_WALK_FILES:
                return found
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if os.path.islink(os.path.join(directory, name)):
                continue
            if name in ("dvc.yaml", "dvc.yml", "dvc.lock", "MLproject", "params.yaml", "params.yml") \
                    or name.endswith(".dvc") or (name == "pyproject.toml" and not rel_dir):
                found.append(rel)
            elif name.endswith((".yaml", ".yml")) and (in_config_dir or (not rel_dir and name.startswith("config"))):
                found.append(rel)
    return found


# -- reading them ------------------------------------------------------------------------------------

def read_declarations(root: Path | None, extra_data: dict | None = None, extra_origin: str | None = None) -> Declarations:
    """Every declaration under `root`, plus a `[tool.debtscan.data]` table from settings."""
    declarations = Declarations()
    if root is None or not root.is_dir():
        return declarations
    for rel in manifest_files(root):
        absolute = root / rel
        try:
            text = read_text_file(absolute, MAX_MANIFEST_BYTES)
        except UnreadableText as error:
            declarations.problems.append(ManifestProblem(rel, 1, 0, str(error)))
            continue
        try:
            _read_one(rel, text, declarations, root)
        except _Bad as bad:
            declarations.problems.append(ManifestProblem(rel, bad.line, 0, bad.message))
    if extra_data:
        origin = "[tool.debtscan.data]"
        same_file = extra_origin and (root / "pyproject.toml").is_file() and \
            Path(extra_origin).resolve() == (root / "pyproject.toml").resolve()
        if not same_file:
            _read_debtscan_table(extra_data, origin, declarations)
    declarations.problems.sort(key=lambda problem: (problem.path, problem.line))
    return declarations


def _read_one(rel: str, text: str, declarations: Declarations, root: Path) -> None:
    name = posixpath.basename(rel)
    base = posixpath.dirname(rel)
    if name == "pyproject.toml":
        _read_pyproject(rel, text, declarations)
        return
    manifest = name in ("dvc.yaml", "dvc.yml", "dvc.lock", "MLproject") or name.endswith(".dvc") or _is_kedro_catalog(rel)
    try:
        data = load_yaml(text)
    except _Bad:
        if manifest:
            raise
        return  # a YAML file that is not a data manifest (logging, CI, templates): not ours to judge
    if name in ("dvc.yaml", "dvc.yml"):
        declarations.manifests.append(rel)
        _read_dvc_yaml(rel, base, data, declarations)
    elif name == "dvc.lock":
        declarations.manifests.append(rel)
        _read_dvc_lock(rel, base, data, declarations)
    elif name.endswith(".dvc"):
        declarations.manifests.append(rel)
        _read_dvc_file(rel, base, data, declarations)
    elif name == "MLproject":
        declarations.manifests.append(rel)
        _read_mlproject(rel, base, data, declarations)
    elif _is_kedro_catalog(rel):
        declarations.manifests.append(rel)
        _read_kedro_catalog(rel, data, declarations, root)
    else:  # params.yaml, Hydra / OmegaConf configuration
        declarations.config_files.add(rel)
        for value in _strings(data):
            if _path_like(value):
                declarations.config_paths.setdefault(normalise_path(value, ""), rel)


def _is_kedro_catalog(rel: str) -> bool:
    parts = rel.split("/")
    if "conf" not in parts:
        return False
    after = parts[parts.index("conf") + 1:]
    return len(after) >= 2 and (after[1].startswith("catalog") or "catalog" in after[1:-1])


def _expect_mapping(value: Any, line: int, what: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Bad(line, f"{what} must be a mapping, not {type(value).__name__}")
    return value


def _expect_list(value: Any, line: int, what: str) -> list:
    if value is None:
        return []
    if isinstance(value, (str, dict)):
        return [value]
    if not isinstance(value, list):
        raise _Bad(line, f"{what} must be a list, not {type(value).__name__}")
    return value


def _named_mappings(document: dict, key: str, what: str):
    """(name, mapping, line) for each entry of a mapping of mappings (`stages`, `entry_points`)."""
    table = _expect_mapping(document.get(key), line_of(document, key), f"`{key}`")
    for name, definition in table.items():
        line = line_of(table, name)
        yield name, _expect_mapping(definition, line, f"{what} `{name}`"), line


def _entry_paths(entries: list, line: int, what: str) -> list[str]:
    """Paths of dvc deps/outs entries: strings, `{path: options}` or `{path: ..., md5: ...}`."""
    paths = []
    for entry in entries:
        if isinstance(entry, str):
            paths.append(entry)
        elif isinstance(entry, dict):
            if "path" in entry and isinstance(entry["path"], str):
                paths.append(entry["path"])
            else:
                paths.extend(key for key in entry if isinstance(key, str))
        else:
            raise _Bad(line, f"{what} entries must be paths, not {type(entry).__name__}")
    return paths


def _read_dvc_yaml(rel: str, base: str, data: Any, declarations: Declarations) -> None:
    document = _expect_mapping(data, 1, "dvc.yaml")
    for name, definition, line in _named_mappings(document, "stages", "stage"):
        if "do" in definition and "foreach" in definition:
            definition = _expect_mapping(definition.get("do"), line, f"`do` of stage `{name}`")
        stage = Stage(name=str(name), manifest=rel, line=line)
        wdir = definition.get("wdir", ".")
        if not isinstance(wdir, str):
            raise _Bad(line, f"`wdir` of stage `{name}` must be a path")
        stage.wdir = normalise_path(wdir, base)
        commands = definition.get("cmd")
        if commands is None:
            raise _Bad(line, f"stage `{name}` has no `cmd`")
        for command in _expect_list(commands, line, f"`cmd` of stage `{name}`"):
            if not isinstance(command, str):
                raise _Bad(line, f"`cmd` of stage `{name}` must be text")
            _read_command(command, stage, stage.wdir)
        stage.deps = [normalise_path(p, stage.wdir) for p in _entry_paths(
            _expect_list(definition.get("deps"), line, f"`deps` of stage `{name}`"), line, "deps")]
        outs = []
        for key in ("outs", "metrics", "plots"):
            outs += _entry_paths(_expect_list(definition.get(key), line, f"`{key}` of stage `{name}`"), line, key)
        stage.outs = [normalise_path(p, stage.wdir) for p in outs]
        for entry in _expect_list(definition.get("params"), line, f"`params` of stage `{name}`"):
            if isinstance(entry, str):
                stage.params.append(entry)
            elif isinstance(entry, dict):
                for params_file, keys in entry.items():
                    declarations.config_files.add(normalise_path(str(params_file), stage.wdir))
                    stage.params.extend(str(key) for key in (keys or []) if isinstance(keys, list))
        declarations.stages.append(stage)
    for path in _entry_paths(_expect_list(document.get("metrics"), line_of(document, "metrics"), "`metrics`"), 1, "metrics"):
        declarations.outputs.setdefault(normalise_path(path, base), rel)
    for path in _plot_paths(_expect_list(document.get("plots"), line_of(document, "plots"), "`plots`")):
        declarations.outputs.setdefault(normalise_path(path, base), rel)
    for entry in _expect_list(document.get("params"), line_of(document, "params"), "`params`"):
        if isinstance(entry, str):
            declarations.config_files.add(normalise_path(entry, base))
    for _, artifact, _ in _named_mappings(document, "artifacts", "artifact"):
        if isinstance(artifact.get("path"), str):
            declarations.outputs.setdefault(normalise_path(artifact["path"], base), rel)


def _plot_paths(entries: list) -> list[str]:
    """Files named by top-level `plots`: a path, or `{id: {x: ..., y: {file: field}}}`."""
    paths = []
    for entry in entries:
        if isinstance(entry, str):
            paths.append(entry)
        elif isinstance(entry, dict):
            for name, options in entry.items():
                axes = [options.get(axis) for axis in ("x", "y")] if isinstance(options, dict) else []
                named = [key for axis in axes if isinstance(axis, dict) for key in axis if isinstance(key, str)]
                if named:
                    paths.extend(named)
                elif isinstance(name, str) and _path_like(name):
                    paths.append(name)
    return paths


def _read_command(command: str, stage: Stage, wdir: str) -> None:
    """The Python scripts a shell command runs, and their arguments."""
    try:
        tokens = shlex.split(command, comments=True)
    except ValueError:
        tokens = command.split()
    for position, token in enumerate(tokens):
        if token in ("&&", "||", ";", "|"):
            continue
        script = None
        if SCRIPT.search(token) and not token.startswith("-"):
            script = normalise_path(token, wdir)
        elif token == "-m" and position + 1 < len(tokens) and position > 0 and "python" in tokens[position - 1]:
            module = tokens[position + 1]
            script = normalise_path(module.replace(".", "/") + ".py", wdir)
            position += 1
        if script is not None and script not in stage.scripts:
            stage.scripts.append(script)
            arguments = []
            for token_after in tokens[position + 1:]:
                if token_after in ("&&", "||", ";", "|", ">", ">>", "2>"):
                    break
                arguments.append(token_after)
            stage.argv[script] = arguments


def _read_dvc_lock(rel: str, base: str, data: Any, declarations: Declarations) -> None:
    document = _expect_mapping(data, 1, "dvc.lock")
    for _, definition, line in _named_mappings(document, "stages", "stage"):
        for path in _entry_paths(_expect_list(definition.get("outs"), line, "outs"), line, "outs"):
            declarations.outputs.setdefault(normalise_path(path, base), rel)


def _read_dvc_file(rel: str, base: str, data: Any, declarations: Declarations) -> None:
    document = _expect_mapping(data, 1, posixpath.basename(rel))
    outs = _entry_paths(_expect_list(document.get("outs"), line_of(document, "outs"), "`outs`"), 1, "outs")
    if not outs:
        raise _Bad(1, "declares no `outs`, so it tracks nothing")
    wdir = document.get("wdir", ".")
    folder = normalise_path(wdir if isinstance(wdir, str) else ".", base)
    for path in outs:
        declarations.inputs.setdefault(normalise_path(path, folder), rel)


def _read_mlproject(rel: str, base: str, data: Any, declarations: Declarations) -> None:
    document = _expect_mapping(data, 1, "MLproject")
    for name, definition, line in _named_mappings(document, "entry_points", "entry point"):
        command = definition.get("command")
        if not isinstance(command, str):
            raise _Bad(line, f"entry point `{name}` has no `command`")
        parameters = _expect_mapping(definition.get("parameters"), line, f"`parameters` of `{name}`")
        defaults: dict[str, str] = {}
        stage = Stage(name=str(name), manifest=rel, line=line, wdir=base, kind="mlproject")
        for parameter, spec in parameters.items():
            kind, default = (spec, None) if isinstance(spec, str) else (
                (spec.get("type"), spec.get("default")) if isinstance(spec, dict) else (None, spec))
            if default is not None:
                defaults[str(parameter)] = str(default)
            if kind in ("path", "uri") and isinstance(default, str) and default:
                stage.deps.append(normalise_path(default, base))
        expanded = re.sub(r"\{(\w+)\}", lambda match, known=defaults: known.get(match.group(1), "*"), command)
        _read_command(expanded, stage, base)
        declarations.stages.append(stage)


def _read_kedro_catalog(rel: str, data: Any, declarations: Declarations, root: Path) -> None:
    document = _expect_mapping(data, 1, "Kedro catalog")
    parts = rel.split("/")
    project = "/".join(parts[: parts.index("conf")])
    for name, entry in document.items():
        if not isinstance(entry, dict) or str(name).startswith("_"):
            continue
        if "type" not in entry:
            raise _Bad(line_of(document, name), f"dataset `{name}` has no `type`")
        for key in ("filepath", "path", "table_name", "filename"):
            value = entry.get(key)
            if isinstance(value, str) and value:
                location = f"sql:{value}" if key == "table_name" else normalise_path(value, project)
                declarations.inputs.setdefault(location, rel)
                declarations.datasets.setdefault(str(name), location)
                break


def _read_pyproject(rel: str, text: str, declarations: Declarations) -> None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        raise _Bad(int(match.group(1)) if match else 1, f"invalid TOML: {error}") from None
    table = document.get("tool", {}).get("debtscan", {})
    if not isinstance(table, dict) or "data" not in table:
        return
    try:
        data = validate_data_table(table["data"], rel)
    except ConfigError as error:
        raise _Bad(_toml_line(text, "data"), str(error).split(": ", 1)[-1]) from None
    declarations.manifests.append(rel)
    _read_debtscan_table(data, rel, declarations)


def _toml_line(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(rf"^\s*\[\[?tool\.debtscan\.{key}", line):
            return number
    return 1


def _read_debtscan_table(data: dict, origin: str, declarations: Declarations) -> None:
    for path in data.get("inputs", []):
        declarations.inputs.setdefault(normalise_path(path), origin)
    for path in data.get("outputs", []):
        declarations.outputs.setdefault(normalise_path(path), origin)
    declarations.ignored.extend(normalise_path(path) for path in data.get("ignore", []))
    for stage_data in data.get("stages", []):
        stage = Stage(name=stage_data["name"], manifest=origin, line=1, kind="debtscan")
        for command in stage_data.get("cmd", []):
            _read_command(command, stage, "")
        stage.deps = [normalise_path(path) for path in stage_data.get("deps", [])]
        stage.outs = [normalise_path(path) for path in stage_data.get("outs", [])]
        declarations.stages.append(stage)


# -- values of configuration files --------------------------------------------------------------------

def _strings(value: Any, limit: int = 20_000) -> list[str]:
    """Every string value (not key) in a parsed YAML document; aliases are visited once."""
    out: list[str] = []
    stack = [value]
    seen: set[int] = set()
    while stack and len(out) < limit:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, (dict, list)):
            if id(item) in seen:
                continue
            seen.add(id(item))
            stack.extend(item.values() if isinstance(item, dict) else item)
    return out


def _path_like(value: str) -> bool:
    value = value.strip()
    if not value or "\n" in value or " " in value or len(value) > 300:
        return False
    if URL.match(value):
        return True
    return PATH_LIKE.match(TEMPLATE.sub("x", value)) is not None


__all__ = ["Declarations", "Stage", "ManifestProblem", "read_declarations", "covers", "normalise_path", "manifest_files"]
