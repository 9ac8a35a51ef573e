"""The per-file cache: what analysing one file produced, stored as JSON and found by content.

An entry holds a file's findings (before any suppression or filter), its problems, its
suppression directives and its facts, so a warm run skips parsing and project rules still
run on every file's facts. It is found by a key hashing

* the file's bytes (sha256) and its path relative to the scanned root (module names and
  reported paths come from it), and
* the setup digest: debtscan's version and code, the code of every rule, scanner and
  collector that runs, the whole catalog, the per-file options, libcst's and Python's
  versions -- everything that can change what the per-file phase produces.

Project rules keep costly intermediate results here too (`Project.remembered`), found by a
digest of their inputs: DS401's pairing of training and serving code, so that a warm run
does not import scikit-learn to compute the same pairs again.

Entries are data, never code: JSON checked field by field on the way in, behind a header
holding the key and a sha256 of the body. A truncated, corrupted or planted entry is a miss
(and is replaced), never an error and never executed. Writes go to a temporary file that is
renamed into place, so two runs sharing the cache never see half an entry. Entries not used
for `MAX_AGE_DAYS` are pruned (at most once a day, by whichever run comes first); a hit
refreshes the entry's age.

The cache directory a user names (`--cache-dir DIR`) may be anything, a checkout or another
tool's cache among them, so debtscan keeps its entries in a folder of its own inside it,
`DIR/debtscan-cache/`, which is born marked: it is made under a temporary name with a
`CACHEDIR.TAG` (the Cache Directory Tagging spec) inside and renamed into place. Only a
folder that carries that tag is used, and pruning deletes only files in it that carry an
entry's name and header: nothing else is ever deleted, whatever DIR is.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import stat
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable

from debtscan import __version__
from debtscan.model import Confidence, FileFacts, FileProblem, FileResult, Finding, Location, ScopeFacts, Severity
from debtscan.source import read_regular_file
from debtscan.suppress import Directive

FORMAT = "v2"  # bump when the entry layout changes; other layouts are pruned
MAX_AGE_DAYS = 30
PRUNE_EVERY_SECONDS = 24 * 3600
_DAY = 24 * 3600
_MAGIC = b"debtscan-cache"
STORE_NAME = "debtscan-cache"  # debtscan's own folder inside the cache directory a user names
TAG_NAME = "CACHEDIR.TAG"
TAG = (b"Signature: 8a477f597d28d172789f06886806bc55\n"
       b"# This file is a cache directory tag created by debtscan.\n"
       b"# For information about cache directory tags, see https://bford.info/cachedir/\n")
_LAYOUT = re.compile(r"v[0-9]+")
_SHARD = re.compile(r"[0-9a-f]{2}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{62}\.json|\.tmp-[A-Za-z0-9_]+")
MAX_ENTRY_BYTES = 128 * 1024 * 1024  # far above any real entry; a larger file is not ours


# scope names of a file -> whether a call (callee, text) is kept (`project.call_filter`)
CallFilter = Callable[[Iterable[str]], Callable[[str, str], bool]]


class EntryError(ValueError):
    """A cache entry that is not exactly what this version of debtscan writes."""


def default_cache_dir() -> Path:
    """The user's cache directory for debtscan ($XDG_CACHE_HOME/debtscan, ~/.cache/debtscan…)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("debtscan", appauthor=False))


# -- keys ---------------------------------------------------------------------------------------

def setup_digest(file_rules: Iterable[type], collectors: Iterable[type], catalog: Any, options: dict[str, Any]) -> str:
    """A digest of everything besides the file itself that decides the per-file results."""
    import libcst

    file_rules, collectors = list(file_rules), list(collectors)
    visitors = [*file_rules, *collectors]
    parts = [
        FORMAT, __version__, _code_digest(tuple(sorted({_source_file(kind) for kind in visitors} - {None}))),
        getattr(libcst, "__version__", "") or _distribution_version("libcst"), platform.python_implementation(),
        ".".join(map(str, sys.version_info[:3])),
        json.dumps([[f"{kind.__module__}.{kind.__qualname__}" for kind in group] for group in (file_rules, collectors)]),
        json.dumps(catalog, sort_keys=True, default=repr), json.dumps(options, sort_keys=True, default=repr),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def entry_key(setup_key: str, rel: str, content_digest: str) -> str:
    return hashlib.sha256(f"{setup_key}\0{rel}\0{content_digest}".encode("utf-8", "surrogatepass")).hexdigest()


def value_key(setup_key: str, name: str, digest: str) -> str:
    """A project-phase value's key; never a file's (no path holds a NUL)."""
    return hashlib.sha256(f"{setup_key}\0\0{name}\0{digest}".encode("utf-8", "surrogatepass")).hexdigest()


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _source_file(kind: type) -> str | None:
    module = sys.modules.get(kind.__module__)
    return getattr(module, "__file__", None)


@lru_cache(maxsize=8)
def _code_digest(extra_files: tuple[str, ...]) -> str:
    """sha256 over debtscan's own source, its rule pack and the modules defining the visitors.

    The version alone is not enough: an editable install (or a plugin) changes its code
    without changing any version number, and a cache must never outlive the code that wrote it.
    """
    import debtscan

    roots = [Path(debtscan.__file__).resolve().parent]
    pack = sys.modules.get("debtscan.rules")
    if pack is not None and getattr(pack, "__file__", None):
        roots.append(Path(pack.__file__).resolve().parent)
    files = {str(path) for root in roots for pattern in ("*.py", "*.toml") for path in root.rglob(pattern)}
    files.update(str(Path(name).resolve()) for name in extra_files)
    digest = hashlib.sha256()
    for name in sorted(files):
        try:
            data = Path(name).read_bytes()
        except OSError:
            data = b"unreadable"
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _distribution_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


# -- the store ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cache:
    """A cache directory for one setup; plain data, so it travels to pool workers as is."""

    directory: str
    setup_key: str

    @property
    def folder(self) -> Path:
        """debtscan's own marked folder inside `directory`."""
        return Path(self.directory) / STORE_NAME

    @property
    def entries(self) -> Path:
        return self.folder / FORMAT

    def path_for(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key[2:]}.json"

    def load(self, rel: str, digest: str, call_filter: CallFilter | None = None) -> FileResult | None:
        """The cached result for `rel` with content `digest`, or None (a miss, whatever the reason).
        With `call_filter` (`project.call_filter` given the project's callees), the calls
        `project.keep_for_project` would drop are dropped as they are read, before they cost
        anything more."""
        key = entry_key(self.setup_key, rel, digest)
        return self._load(key, lambda raw: decode_entry(raw, key, rel, call_filter))

    def store(self, rel: str, digest: str, result: FileResult) -> None:
        """Write the entry atomically; a cache that cannot be written is simply not used."""
        if not cacheable(result):
            return
        key = entry_key(self.setup_key, rel, digest)
        try:
            body = encode_entry(result, key)
        except (TypeError, ValueError, RecursionError):
            return  # facts that are not plain JSON data: analysed afresh every time
        self._write(key, body)

    def load_value(self, name: str, digest: str) -> Any | None:
        """A project-phase result stored under `name` for inputs with `digest`, or None."""
        key = value_key(self.setup_key, name, digest)
        return self._load(key, lambda raw: decode_value(raw, key, name))

    def store_value(self, name: str, digest: str, value: Any) -> None:
        """Store plain data (`plain`) as `load_value` gives it back."""
        key = value_key(self.setup_key, name, digest)
        try:
            body = encode_value(value, key, name)
        except (TypeError, ValueError, RecursionError):
            return
        self._write(key, body)

    def _load(self, key: str, decode: Callable[[bytes], Any]) -> Any | None:
        path = self.path_for(key)
        # a planted symlink is not followed, nor a FIFO or device waited on or read
        read = read_regular_file(path, MAX_ENTRY_BYTES, follow_symlinks=False)
        if isinstance(read, str):
            return None
        raw, modified = read[0], read[1].st_mtime
        try:
            result = decode(raw)
        except (EntryError, ValueError, TypeError, KeyError, IndexError, RecursionError):
            if is_marked(self.folder):
                _remove_entry(path)
            return None
        if time.time() - modified > _DAY:
            _touch(path)  # a used entry is young again, so pruning keeps it
        return result

    def _write(self, key: str, body: bytes) -> None:
        """Write atomically: a temporary file renamed into place, so no reader sees half an entry.
        Nothing is written unless debtscan's marked folder is there (or can be made)."""
        if not ensure_store(self.folder):
            return
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(body)
                os.replace(temporary, path)
            except BaseException:
                _remove(Path(temporary))
                raise
        except OSError:
            return

    def prune(self, now: float | None = None, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries unused for `max_age_days` and every other layout's entries.

        Only inside debtscan's marked folder, and only files that are entries by name and by
        header (`is_entry`). Runs at most once every `PRUNE_EVERY_SECONDS` per cache
        directory; returns how many files it removed.
        """
        now = time.time() if now is None else now
        store = self.folder
        if not is_marked(store):
            return 0
        stamp = store / ".last-prune"
        try:
            if now - stamp.lstat().st_mtime < PRUNE_EVERY_SECONDS:
                return 0
        except OSError:
            pass
        try:
            stamp.touch()
            os.utime(stamp, (now, now), follow_symlinks=False)
        except OSError:
            return 0
        removed = 0
        limit = now - max_age_days * _DAY
        for layout in _children(store):
            if not _LAYOUT.fullmatch(layout.name) or not _is_plain_directory(layout):
                continue
            current = layout.name == FORMAT
            for shard in _children(layout):
                if not _SHARD.fullmatch(shard.name) or not _is_plain_directory(shard):
                    continue
                for path in _children(shard):
                    try:
                        young = path.lstat().st_mtime >= limit
                    except OSError:
                        continue
                    if (current and young) or not is_entry(path):
                        continue
                    if _remove_entry(path):
                        removed += 1
                if not current or not any(True for _ in _children(shard)):
                    _rmdir(shard)
            if not current:
                _rmdir(layout)
        return removed


def is_marked(store: Path) -> bool:
    """Whether `store` is a folder debtscan made: a real directory holding its `CACHEDIR.TAG`."""
    try:
        if not _is_plain_directory(store):
            return False
        read = read_regular_file(store / TAG_NAME, 4096, follow_symlinks=False)
    except OSError:
        return False
    return not isinstance(read, str) and read[0] == TAG


def ensure_store(store: Path) -> bool:
    """Make debtscan's folder, marked from its first moment, unless it is there already.

    The folder is made beside its final place under a temporary name, tagged, and renamed:
    no run ever sees it unmarked. A folder of that name that debtscan did not make (no tag)
    is left alone and the cache is not used.
    """
    if is_marked(store):
        return True
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{STORE_NAME}-", dir=store.parent))
    except OSError:
        return False
    try:
        (staging / TAG_NAME).write_bytes(TAG)
        os.rename(staging, store)
    except OSError:
        pass  # another run made it first, or the name is taken by something not ours
    finally:
        if staging.exists():
            _remove(staging / TAG_NAME)
            _rmdir(staging)
    return is_marked(store)


def is_entry(path: Path) -> bool:
    """A regular file named like an entry (or a temporary one) whose bytes start with an
    entry's header: the only kind of file pruning deletes."""
    if not _ENTRY_NAME.fullmatch(path.name):
        return False
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return False
        with open(path, "rb", buffering=0, opener=_no_follow) as stream:
            return stream.read(len(_MAGIC) + 1) == _MAGIC + b" "
    except OSError:
        return False


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


def _is_plain_directory(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _children(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def cacheable(result: FileResult) -> bool:
    """Internal errors and unreadable files are retried on every run, never remembered."""
    return result.internal_error is None and result.facts is not None and not any(
        problem.kind == "read" for problem in result.problems)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _remove_entry(path: Path) -> bool:
    """Delete `path` if, and only if, it is a cache entry (`is_entry`)."""
    if not is_entry(path):
        return False
    try:
        path.unlink()
        return True
    except OSError:
        return False


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass


def _rmdir(path: Path) -> None:
    """Remove an empty directory; one that holds anything stays."""
    try:
        path.rmdir()
    except OSError:
        pass


# -- plain data <-> results ------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """`value` as JSON would give it back: tuples become lists; anything JSON cannot hold exactly
    (sets, objects, non-string keys) raises TypeError."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        if not all(type(key) is str for key in value):
            raise TypeError("facts must use string keys")
        return {key: plain(item) for key, item in value.items()}
    raise TypeError(f"{type(value).__name__} is not plain data")


def normalise(result: FileResult) -> bool:
    """Put fresh facts in the shape the cache gives back, so output never depends on a hit.

    Returns False when the facts hold something JSON cannot represent: such a result is kept
    as it is and never cached.
    """
    facts = result.facts
    if facts is None:
        return True
    try:
        facts.data = plain(facts.data)
    except (TypeError, RecursionError):
        return False
    return True


def share_strings(result: FileResult) -> FileResult:
    """Make equal strings in `result`'s facts one object (`sys.intern`), in place (results read
    from the cache come back shared already).

    Facts repeat the same names in every file (callees, modules, scope names, dictionary
    keys); a 5,000-file project holds millions of copies. Sharing them more than halves the
    memory the parent holds while the project rules run.
    """
    facts = result.facts
    if facts is None:
        return result
    for scope in facts.scopes.values():
        scope.calls = [(order, sys.intern(callee), sys.intern(text)) for order, callee, text in scope.calls]
    _share_all_but_calls(facts)
    return result


def _share_all_but_calls(facts: FileFacts) -> None:
    facts.path, facts.module = sys.intern(facts.path), sys.intern(facts.module)
    facts.imports = _shared(facts.imports)
    facts.imported_modules = _shared(facts.imported_modules)
    facts.data = _shared(facts.data)
    for scope in facts.scopes.values():
        scope.name = sys.intern(scope.name)
    facts.scopes = {sys.intern(name): scope for name, scope in facts.scopes.items()}


def _shared(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return sys.intern(value)
    if kind is list:
        for index, item in enumerate(value):
            if type(item) in _CONTAINERS:
                value[index] = _shared(item)
        return value
    if kind is dict:
        return {sys.intern(key) if type(key) is str else key: _shared(item) if type(item) in _CONTAINERS else item
                for key, item in value.items()}
    if kind is tuple:
        return tuple(_shared(item) if type(item) in _CONTAINERS else item for item in value)
    return value


_CONTAINERS = frozenset({str, list, dict, tuple})


def encode_entry(result: FileResult, key: str) -> bytes:
    return _framed({
        "path": result.path,
        "findings": [_encode_finding(finding) for finding in result.findings],
        "problems": [[getattr(problem, name) for name in _PROBLEM] for problem in result.problems],
        "directives": [_encode_directive(directive) for directive in result.directives],
        "facts": _encode_facts(result.facts),
    }, key)


def decode_entry(raw: bytes, key: str, rel: str, call_filter: CallFilter | None = None) -> FileResult:
    payload = _unframed(raw, key)
    if not isinstance(payload, dict) or payload.get("path") != rel:
        raise EntryError("entry for another path")
    result = FileResult(path=rel)
    result.findings = [_decode_finding(item, rel) for item in _list(payload["findings"])]
    result.problems = [FileProblem(*_typed(item, _PROBLEM_TYPES)) for item in _list(payload["problems"])]
    if any(problem.path != rel for problem in result.problems):
        raise EntryError("problem for another path")
    result.directives = [_decode_directive(item) for item in _list(payload["directives"])]
    result.facts = _decode_facts(payload["facts"], rel, call_filter)
    return result


def encode_value(value: Any, key: str, name: str) -> bytes:
    return _framed({"name": name, "value": plain(value)}, key)


def decode_value(raw: bytes, key: str, name: str) -> Any:
    payload = _unframed(raw, key)
    if not isinstance(payload, dict) or payload.get("name") != name or "value" not in payload:
        raise EntryError("value for another name")
    return payload["value"]


def _framed(payload: dict, key: str) -> bytes:
    """The JSON body behind a header holding the format, the key and the body's sha256."""
    body = json.dumps(payload, ensure_ascii=True, allow_nan=True, separators=(",", ":"), check_circular=True).encode("ascii")
    header = b"%s %s %s %s\n" % (_MAGIC, FORMAT.encode(), key.encode(), hashlib.sha256(body).hexdigest().encode())
    return header + body


def _unframed(raw: bytes, key: str) -> Any:
    header, _, body = raw.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 4 or parts[0] != _MAGIC or parts[1] != FORMAT.encode() or parts[2] != key.encode():
        raise EntryError("not an entry for this key")
    if hashlib.sha256(body).hexdigest().encode() != parts[3]:
        raise EntryError("checksum mismatch")
    return json.loads(body.decode("ascii"))


# field order and types of the dataclasses stored as lists
_OPT_INT = (int, type(None))
_LOCATION = ("path", "line", "column", "end_line", "end_column", "cell", "file_line")
_LOCATION_TYPES = ((str,), (int,), (int,), (int,), (int,), _OPT_INT, (int,))
_PROBLEM = ("path", "kind", "message", "line", "column", "cell", "file_line")
_PROBLEM_TYPES = ((str,), (str,), (str,), (int,), (int,), _OPT_INT, (int,))
_DIRECTIVE = ("cell", "line", "column", "kind", "codes", "reason", "own_line", "text", "target", "file_line")
_DIRECTIVE_TYPES = (_OPT_INT, (int,), (int,), (str,), (list,), (str,), (bool,), (str,), (int,), (int,))


def _list(value: Any) -> list:
    if type(value) is not list:
        raise EntryError("expected a list")
    return value


def _typed(values: Any, types: tuple[tuple[type, ...], ...]) -> list:
    if type(values) is not list or len(values) != len(types):
        raise EntryError("wrong shape")
    for value, allowed in zip(values, types):
        if type(value) not in allowed:
            raise EntryError("wrong type")
    return values


def _location(location: Location) -> list:
    return [getattr(location, name) for name in _LOCATION]


def _encode_finding(finding: Finding) -> list:
    return [finding.rule, finding.name, finding.family, finding.severity.label, finding.confidence.label,
            _location(finding.location), finding.message, finding.fix, finding.symbol, finding.snippet,
            [_location(location) for location in finding.related], finding.fingerprint, finding.suppressed]


_FINDING_TYPES = ((str,), (str,), (str,), (str,), (str,), (list,), (str,), (str,), (str,), (str,), (list,), (str,),
                  (str, type(None)))


def _decode_finding(item: Any, rel: str) -> Finding:
    (rule, name, family, severity, confidence, location, message, fix, symbol, snippet, related, fingerprint,
     suppressed) = _typed(item, _FINDING_TYPES)
    where = Location(*_typed(location, _LOCATION_TYPES))
    if where.path != rel:
        raise EntryError("finding for another path")
    return Finding(rule=rule, name=name, family=family, severity=Severity.parse(severity),
                   confidence=Confidence.parse(confidence), location=where, message=message, fix=fix, symbol=symbol,
                   snippet=snippet, related=tuple(Location(*_typed(other, _LOCATION_TYPES)) for other in related),
                   fingerprint=fingerprint, suppressed=suppressed)


def _encode_directive(directive: Directive) -> list:
    values = [getattr(directive, name) for name in _DIRECTIVE]
    values[_DIRECTIVE.index("codes")] = list(directive.codes)
    return values


def _decode_directive(item: Any) -> Directive:
    values = list(_typed(item, _DIRECTIVE_TYPES))
    codes = values[_DIRECTIVE.index("codes")]
    if not all(type(code) is str for code in codes):
        raise EntryError("directive codes must be strings")
    values[_DIRECTIVE.index("codes")] = tuple(codes)
    return Directive(*values)


def _encode_facts(facts: FileFacts | None) -> dict | None:
    if facts is None:
        return None
    return {
        "path": facts.path, "module": facts.module, "is_package": facts.is_package, "imports": facts.imports,
        "imported_modules": facts.imported_modules,
        "scopes": [[scope.name, scope.line, [list(call) for call in scope.calls], scope.entry] for scope in facts.scopes.values()],
        "data": plain(facts.data),
    }


def _decode_facts(item: Any, rel: str, call_filter: CallFilter | None) -> FileFacts | None:
    if item is None:
        return None
    if type(item) is not dict:
        raise EntryError("facts must be an object")
    path, module, is_package = item["path"], item["module"], item["is_package"]
    imports, imported, scopes, data = item["imports"], item["imported_modules"], item["scopes"], item["data"]
    if path != rel or type(module) is not str or type(is_package) is not bool or type(data) is not dict:
        raise EntryError("malformed facts")
    if type(imports) is not dict or not all(type(value) is str for value in imports.values()):
        raise EntryError("malformed imports")
    if not all(type(name) is str for name in _list(imported)):
        raise EntryError("malformed imported modules")
    facts = FileFacts(path=path, module=module, is_package=is_package, imports=imports, imported_modules=imported,
                      data=data)
    intern = sys.intern
    keeps = None if call_filter is None else call_filter(
        scope[0] for scope in _list(scopes) if type(scope) is list and scope and type(scope[0]) is str)
    for scope in scopes:
        name, line, calls, entry = _typed(scope, ((str,), (int,), (list,), (bool,)))
        checked = []
        for call in calls:  # the bulk of an entry: checked inline, and shared as it is read
            if type(call) is not list or len(call) != 3:
                raise EntryError("malformed call")
            order, callee, text = call
            if type(order) is not int or type(callee) is not str or type(text) is not str:
                raise EntryError("malformed call")
            if keeps is None or keeps(callee, text):
                checked.append((order, intern(callee), intern(text)))
        facts.scopes[name] = ScopeFacts(name, line, checked, entry)
    _share_all_but_calls(facts)
    return facts
