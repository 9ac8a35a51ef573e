"""Baselines: accepted debt recorded once, so a CI gate fails only on what is new.

A finding's fingerprint holds no line number: it hashes the rule, the path, the enclosing
symbol and the code of the finding's first line (whitespace and comments normalised away),
plus an occurrence index among findings with the same key. Code that moves up or down keeps
its fingerprint; a third copy of a finding accepted twice gets a third index, so it is new.
Baselines compare as multisets of fingerprints.

A baseline file is either a JSON report (`--format json`) or the smaller document written by
`debtscan baseline write`:

    {"version": 1, "tool": "debtscan", "root": ".", "findings": [
        {"rule": "DS101", "path": "train.py", "symbol": "main", "snippet": "x = np.random.rand(3)",
         "fingerprint": "…"}]}

Paths and fingerprints are relative to one root whichever directory or file is scanned: the
project root (`project_root`: the directory of the config file, else the checkout's top, else
the scanned root). The baseline records it, relative to the baseline file itself, so a scan
of a subdirectory, or from one, compares the same paths.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tokenize
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

from debtscan import __version__
from debtscan.model import Finding

FORMAT_VERSION = 1
ENTRY_KEYS = ("rule", "path", "symbol", "snippet", "fingerprint")


class BaselineError(ValueError):
    """A baseline file that cannot be read or is not a debtscan baseline."""


# -- fingerprints ---------------------------------------------------------------------------

def normalise_snippet(snippet: str) -> str:
    """The code of a line without its comment and with runs of whitespace collapsed.

    Comments are dropped so that editing one (or adding `# noqa`) does not make accepted debt
    look new; tokenize finds them, so a `#` inside a string stays.
    """
    return re.sub(r"\s+", " ", _without_comment(snippet)).strip()


def _without_comment(line: str) -> str:
    if "#" not in line:
        return line
    try:
        for token in tokenize.generate_tokens(io.StringIO(line.rstrip("\n") + "\n").readline):
            if token.type == tokenize.COMMENT:
                return line[: token.start[1]]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass  # an unclosed bracket ends the line early; any comment before it was seen already
    return line


def project_root(scan_root: Path, config: Path | None) -> Path:
    """The root baseline paths and fingerprints are relative to, found the way the config is:
    the config file's directory, else the nearest directory holding `.git`, else `scan_root`."""
    if config is not None:
        return Path(config).resolve().parent
    start = Path(scan_root).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def prefix_of(scan_root: Path, root: Path) -> str | None:
    """`scan_root` relative to `root` as a path prefix ("" or "sub/dir/"), None when outside it."""
    try:
        rel = Path(scan_root).resolve().relative_to(Path(root).resolve()).as_posix()
    except (ValueError, OSError):
        return None
    return "" if rel == "." else rel + "/"


def fingerprint(findings: Iterable[Finding], prefix: str = "") -> list[Finding]:
    """The findings, sorted, each with its line-free fingerprint set; `prefix` puts the
    scanned root's paths under the project root (`prefix_of`)."""
    ordered = sorted(findings, key=Finding.sort_key)
    seen: Counter = Counter()
    out = []
    for finding in ordered:
        key = (finding.rule, prefix + finding.path, finding.symbol, normalise_snippet(finding.snippet))
        index = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join([*key, str(index)]).encode("utf-8")).hexdigest()[:20]
        out.append(replace(finding, fingerprint=digest))
    return out


# -- comparing with a baseline -----------------------------------------------------------------

@dataclass
class Comparison:
    new: list[Finding]            # findings the baseline does not accept
    accepted: int                 # findings the baseline accepts
    paid_off: list[dict]          # baseline entries whose debt is gone


def scope_of(paths: Iterable[Path], root: Path) -> Callable[[str], bool]:
    """Which root-relative paths a scan of `paths` checked (a deleted file under a scanned
    directory was checked too: its debt is gone)."""
    prefixes = []
    for path in paths:
        absolute = Path(path).absolute()
        try:
            rel = absolute.resolve().relative_to(root.resolve()).as_posix()
        except (ValueError, OSError):
            continue
        prefixes.append("" if rel == "." else rel)

    def checked(path: str) -> bool:
        return any(not prefix or path == prefix or path.startswith(prefix + "/") for prefix in prefixes)

    return checked


def covers(paths: Iterable[Path], root: Path) -> bool:
    """Whether a scan of `paths` is a scan of the whole project under `root`."""
    try:
        resolved = root.resolve()
        return any(Path(path).resolve() == resolved for path in paths)
    except OSError:
        return False


def compare(kept: list[Finding], entries: list[dict], present: Iterable[Finding], enabled: set[str],
            checked: Callable[[str], bool]) -> Comparison:
    """Split `kept` into new and accepted findings, and find the entries that were paid off.

    `present` is all the debt that still exists (every confidence, fixme included, inline
    ignores excluded): an entry is paid off only if its rule ran, its file was checked and
    nothing present matches it, so a narrower `--min-confidence`, `--select` or a scan of a
    few files never counts accepted debt as paid. `enabled` holds the rules whose verdict
    counts: the caller leaves out project rules when only part of the project was scanned.
    """
    remaining = Counter(entry.get("fingerprint") for entry in entries)
    new, accepted = [], 0
    for finding in sorted(kept, key=Finding.sort_key):
        if remaining[finding.fingerprint] > 0:
            remaining[finding.fingerprint] -= 1
            accepted += 1
        else:
            new.append(finding)
    unmatched = Counter(entry.get("fingerprint") for entry in entries)
    unmatched.subtract(Counter(finding.fingerprint for finding in present))
    paid_off = []
    for entry in sorted(entries, key=_entry_key):
        key = entry.get("fingerprint")
        if unmatched[key] <= 0:
            continue
        if entry.get("rule") not in enabled or not checked(str(entry.get("path", ""))):
            continue
        unmatched[key] -= 1
        paid_off.append(entry)
    return Comparison(new=new, accepted=accepted, paid_off=paid_off)


def _entry_key(entry: dict):
    line = entry.get("line")
    return (str(entry.get("path", "")), line if isinstance(line, int) else 0, str(entry.get("rule", "")),
            str(entry.get("fingerprint")))


# -- the file ------------------------------------------------------------------------------------

@dataclass
class Baseline:
    entries: list[dict]
    root: Path | None  # the project root its paths are relative to; None: not recorded (a JSON report)

    def files(self) -> set[str]:
        return {str(entry.get("path", "")) for entry in self.entries}


def read_baseline(path: Path) -> Baseline:
    """The entries of a baseline file or of a JSON report; BaselineError says what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise BaselineError(f"{path}: not a readable baseline ({error})") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
                                                for entry in entries):
        raise BaselineError(f"{path}: not a debtscan baseline (expected a baseline or JSON report whose findings "
                            f"have fingerprints)")
    version = document.get("version")
    report = isinstance(document.get("summary"), dict) and "tool" not in document
    if not report and (document.get("tool") != "debtscan" or version != FORMAT_VERSION):
        shown = f"format version {version!r}" if document.get("tool") == "debtscan" else f"version {version!r}"
        raise BaselineError(f"{path}: baseline {shown} is not supported (expected a debtscan baseline of version "
                            f"{FORMAT_VERSION}, or a JSON report)")
    root = document.get("root")
    if report or root is None:
        return Baseline(entries, None)
    if not isinstance(root, str) or "\0" in root:
        raise BaselineError(f"{path}: `root` must be a path relative to the baseline file")
    return Baseline(entries, (Path(path).absolute().parent / root).resolve())


def entry_of(finding: Finding, prefix: str = "") -> dict:
    entry = {key: getattr(finding, key) for key in ENTRY_KEYS}
    entry["path"] = prefix + finding.path
    entry["line"] = finding.location.line  # for people reading the file; matching ignores it
    return entry


def render_baseline(entries: Iterable[dict], root: Path, baseline_file: Path) -> str:
    """The baseline document: entries sorted by path and line, so diffs of it stay readable,
    and the project root relative to the baseline file."""
    cleaned = [{key: entry.get(key) for key in (*ENTRY_KEYS, "line") if key in entry} for entry in entries]
    cleaned.sort(key=_entry_key)
    where = Path(os.path.relpath(Path(root).resolve(), Path(baseline_file).absolute().parent.resolve())).as_posix()
    document = {"version": FORMAT_VERSION, "tool": "debtscan", "debtscan_version": __version__, "root": where,
                "findings": cleaned}
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def without(entries: list[dict], removed: list[dict]) -> list[dict]:
    """`entries` less `removed`, as multisets of fingerprints (prune only ever removes)."""
    drop = Counter(entry.get("fingerprint") for entry in removed)
    kept = []
    for entry in entries:
        if drop[entry.get("fingerprint")] > 0:
            drop[entry.get("fingerprint")] -= 1
            continue
        kept.append(entry)
    return kept
