"""Which files to scan: Python files and notebooks under the given paths.

Directories are walked without following symlinked directories (so symlink loops cannot trap
the walk), and a symlinked file whose target lies outside the scanned tree is reported, not
read; `.gitignore` files are honoured at every level, as git does, with pathspec; excludes use
the same gitignore-style patterns. A file named explicitly is always scanned.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from debtscan.source import UnreadableText, read_text_file

SUFFIXES = (".py", ".pyi", ".ipynb")
MAX_GITIGNORE_BYTES = 4 * 1024 * 1024  # far above any real one; a bound on what a hostile one costs


@dataclass
class Discovered:
    files: list[tuple[str, str]] = field(default_factory=list)  # (absolute path, root-relative posix path)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (relative path, message)
    missing: list[str] = field(default_factory=list)  # path arguments that do not exist


def reported(path: Path, root: Path) -> str:
    """A file's root-relative name as every report can carry it: bytes that are not UTF-8 and
    control characters (a newline would forge a line of a CI log) become backslash escapes."""
    name = relative(path, root)
    if name.isprintable():
        return name
    return "".join(char if char.isprintable() else _escaped(char) for char in name)


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode smuggles it in
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, root)).as_posix()


def discover(paths: list[Path], root: Path, exclude: tuple[str, ...], respect_gitignore: bool = True) -> Discovered:
    found = Discovered()
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    seen: set[str] = set()

    def add(absolute: Path) -> None:
        rel = reported(absolute, root)
        if rel not in seen:
            seen.add(rel)
            found.files.append((str(absolute), rel))

    for argument in paths:
        absolute = Path(os.path.abspath(argument))
        try:
            kind = _kind(absolute)
        except OSError as error:  # inside a directory that cannot be searched
            found.problems.append((reported(absolute, root), f"cannot be read ({error.strerror})"))
            continue
        if kind == "broken":
            found.problems.append((reported(absolute, root), "is a broken or looping symlink"))
        elif kind == "missing":
            found.missing.append(str(argument))
        elif kind == "file":
            add(absolute)
        elif kind == "directory":
            _walk(absolute, root, excluded, respect_gitignore, add, found)
        else:
            found.problems.append((reported(absolute, root), "is not a regular file or directory"))
    found.files.sort(key=lambda item: item[1])
    found.problems.sort()
    return found


def _kind(path: Path) -> str:
    """What a path named on the command line is: file, directory, broken, missing or other."""
    if path.is_symlink() and not path.exists():
        return "broken"
    if not path.exists():
        return "missing"
    return "file" if path.is_file() else "directory" if path.is_dir() else "other"


def _walk(top: Path, root: Path, excluded, respect_gitignore: bool, add, found: Discovered) -> None:
    ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def onerror(error: OSError) -> None:
        found.problems.append((reported(Path(error.filename), root), f"cannot be read ({error.strerror})"))

    if respect_gitignore:
        # .gitignore files between the root and `top` apply too
        for directory in reversed([top, *top.parents]):
            if directory == root or root in directory.parents:
                try:
                    _load_gitignore(directory, root, ignores, found)
                except OSError as error:
                    onerror(OSError(error.errno, error.strerror, str(directory)))
                    return

    inside = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(top, onerror=onerror, followlinks=False):
        directory = Path(dirpath)
        rel_dir = relative(directory, root)
        try:
            if respect_gitignore and directory != top:
                _load_gitignore(directory, root, ignores, found)
            kept = []
            for name in sorted(dirnames):
                rel = f"{rel_dir}/{name}" if rel_dir != "." else name
                if excluded.match_file(rel + "/") or _ignored(rel + "/", ignores):
                    continue
                if (directory / name).is_symlink():
                    continue
                kept.append(name)
        except OSError as error:  # listed, but what it holds cannot be looked at (no search permission)
            onerror(OSError(error.errno, error.strerror, dirpath))
            dirnames[:] = []
            continue
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(SUFFIXES):
                continue
            rel = f"{rel_dir}/{name}" if rel_dir != "." else name
            if excluded.match_file(rel) or _ignored(rel, ignores):
                continue
            if _links_out(directory / name, inside):
                found.problems.append((reported(directory / name, root), "is a symlink to a file outside the "
                                                                         "scanned tree, which is not read"))
                continue
            add(directory / name)


def _links_out(path: Path, inside: str) -> bool:
    """Whether `path` is a symlink to a regular file outside the directory `inside` (a real
    path). Its lines would be quoted in reports, so a tree could copy any file of the machine
    that scans it into them; symlinked directories are not walked, for the same reason and for
    loops. A link to no regular file is left to the reader, which refuses it with its reason."""
    if not os.path.islink(path):
        return False
    target = os.path.realpath(path)
    return os.path.isfile(target) and os.path.commonpath([inside, target]) != inside


def read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    """The patterns of `directory`'s .gitignore, None when it has none. Raises UnreadableText for
    one that is there but cannot be read (a pipe, no permission), and OSError when the directory
    cannot be searched, so that the caller can say which."""
    gitignore = directory / ".gitignore"
    try:
        os.lstat(gitignore)
    except (FileNotFoundError, NotADirectoryError):
        return None
    lines = read_text_file(gitignore, MAX_GITIGNORE_BYTES, errors="replace").splitlines()
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _load_gitignore(directory: Path, root: Path, ignores: list, found: Discovered) -> None:
    """Add `directory`'s .gitignore to `ignores`; one that cannot be read is reported with its
    path, and the walk goes on without its patterns."""
    try:
        spec = read_gitignore(directory)
    except UnreadableText as error:
        found.problems.append((reported(directory / ".gitignore", root), str(error)))
        return
    if spec is not None:
        prefix = relative(directory, root)
        ignores.append(("" if prefix == "." else prefix + "/", spec))


def _ignored(rel: str, ignores: list) -> bool:
    for prefix, spec in ignores:
        if prefix and not rel.startswith(prefix):
            continue
        if spec.match_file(rel[len(prefix):]):
            return True
    return False


def module_name(rel: str) -> tuple[str, bool]:
    """The dotted module a root-relative file would be imported as, and whether it is a package."""
    stem = rel.rsplit(".", 1)[0]
    parts = stem.split("/")
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def in_template(rel: str) -> bool:
    """A file of a project template (cookiecutter, copier: a folder named `{{ cookiecutter.x }}`):
    its code is Python once rendered, and until then may not parse."""
    return any("{{" in part and "}}" in part for part in rel.split("/")[:-1])
