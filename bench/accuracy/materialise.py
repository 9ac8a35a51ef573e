"""Write each pinned repository's tree, at its pinned commit, to WORK/owner+name/.

    python bench/accuracy/materialise.py --work DIR [--mirrors MIRRORDIR] [--only owner/name]

A tree comes from a local git mirror when MIRRORDIR/owner+name holds one (a bare repository
or a checkout's .git, at any depth below it), else from a partial clone of the repository on
GitHub kept in WORK/.clones/. Only the pinned `subdir` is written when one is set. The tree
has no .git, and no file of 4 MiB or more (those are listed in WORK/owner+name.left-out; a
data file among them is written empty).
WORK/owner+name.commit records what was written, so a second run skips the trees already at
their commit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LARGE = 4 * 1024 * 1024  # files this large or larger are not written
CODE_SUFFIXES = (".py", ".pyi", ".ipynb")

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


class Failure(Exception):
    """An error to print as one line, without a traceback."""


def slug(name: str) -> str:
    return name.replace("/", "+")


def load_pins(path: Path) -> list[dict]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise Failure(f"cannot read {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise Failure(f"{path} is not valid TOML: {error}") from None
    pins = data.get("repo", [])
    seen = set()
    for index, pin in enumerate(pins, 1):
        for key in ("name", "commit", "kind"):
            if not isinstance(pin.get(key), str) or not pin[key]:
                raise Failure(f"{path}: repo #{index} has no {key}")
        name, commit = pin["name"], pin["commit"]
        if name.count("/") != 1:
            raise Failure(f"{path}: {name!r} is not owner/name")
        if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
            raise Failure(f"{path}: {name} has commit {commit!r}, not 40 lower-case hex digits")
        if name in seen:
            raise Failure(f"{path}: {name} is pinned twice")
        seen.add(name)
    return pins


def select(pins: list[dict], only: list[str] | None) -> list[dict]:
    if not only:
        return pins
    names = {pin["name"] for pin in pins}
    unknown = [name for name in only if name not in names]
    if unknown:
        raise Failure(f"not pinned: {', '.join(unknown)}")
    return [pin for pin in pins if pin["name"] in only]


def git(*args: str, git_dir: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    command = ["git"] + ([f"--git-dir={git_dir}"] if git_dir else []) + list(args)
    environment = dict(os.environ, GIT_TERMINAL_PROMPT="0")  # fail, do not ask for a password
    return subprocess.run(command, capture_output=True, env=environment, **kwargs)


def is_git_dir(path: Path) -> bool:
    if not ((path / "HEAD").is_file() and (path / "objects").is_dir()):
        return False
    return git("rev-parse", "--git-dir", git_dir=path).returncode == 0


def find_git_dir(root: Path, depth: int = 3) -> Path | None:
    """The first git directory at or below root (breadth first, names sorted)."""
    level = [root]
    for _ in range(depth + 1):
        following = []
        for folder in level:
            if is_git_dir(folder):
                return folder
            try:
                children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                continue
            following.extend(child for child in children if child.name != "objects")
        level = following
    return None


def has_commit(git_dir: Path, commit: str) -> bool:
    return git("cat-file", "-e", f"{commit}^{{commit}}", git_dir=git_dir).returncode == 0


def clone(pin: dict, work: Path) -> Path:
    """A bare clone from GitHub without its large files, holding the pinned commit."""
    target = work / ".clones" / f"{slug(pin['name'])}.git"
    url = f"https://github.com/{pin['name']}"
    if not is_git_dir(target):
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        done = git("clone", "--quiet", "--bare", f"--filter=blob:limit={LARGE}", url, str(target))
        if done.returncode != 0:
            raise Failure(f"{pin['name']}: cannot clone {url}: {last_line(done.stderr)}")
    if not has_commit(target, pin["commit"]):
        git("fetch", "--quiet", f"--filter=blob:limit={LARGE}", "origin", pin["commit"], git_dir=target)
    return target


def last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"


def extract(name: str, git_dir: Path, commit: str, subdir: str, target: Path) -> list[str]:
    """Write the files of the tree at commit (subdir only when set) into target.

    What `git archive | tar -x` writes, less the files of LARGE bytes or more: the mirrors
    lack them (data, weights, notebooks with large outputs) and a clone does not fetch them,
    so a tree is the same whichever source it came from. A data file left out is written empty,
    so that the tree still shows the checkout has it; a notebook or module is not written at all.
    Returns the files left out.
    """
    listing = git("ls-tree", "-r", "-z", "--full-tree", commit, *([subdir] if subdir else []), git_dir=git_dir)
    if listing.returncode != 0:
        raise Failure(f"{name}: git ls-tree failed: {last_line(listing.stderr)}")
    absent_objects = missing_objects(name, git_dir, commit)
    entries, left_out = [], []
    for record in listing.stdout.split(b"\0"):
        if record:
            meta, raw_path = record.split(b"\t", 1)
            mode, kind, sha = meta.split()
            path = raw_path.decode("utf-8", "surrogateescape")
            if kind != b"blob":
                continue  # a submodule
            (left_out if sha in absent_objects else entries).append((mode, sha, path))
    sizes = git("cat-file", "--batch-check=%(objectsize)", git_dir=git_dir,
                input=b"".join(sha + b"\n" for _, sha, _ in entries)).stdout.split()
    if len(sizes) != len(entries):
        raise Failure(f"{name}: git cat-file could not size the files of {commit[:12]}")
    kept = []
    for entry, size in zip(entries, sizes):
        (kept if int(size) < LARGE else left_out).append(entry)
    batch = git("cat-file", "--batch", git_dir=git_dir, input=b"".join(sha + b"\n" for _, sha, _ in kept))
    stream, at = batch.stdout, 0
    for mode, sha, path in kept:
        end = stream.index(b"\n", at)
        size = int(stream[at:end].split()[2])
        content, at = stream[end + 1:end + 1 + size], end + 2 + size
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        if mode == b"120000":
            os.symlink(content.decode("utf-8", "surrogateescape"), destination)
        else:
            destination.write_bytes(content)
            if mode == b"100755":
                destination.chmod(0o755)
    for _, _, path in left_out:
        if not path.endswith(CODE_SUFFIXES):  # a data file still shows that the checkout has it
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            (target / path).touch()
    return sorted(path for _, _, path in left_out)


def missing_objects(name: str, git_dir: Path, commit: str) -> set[bytes]:
    """The objects of commit's tree that the repository lacks, found without fetching them."""
    listing = git("rev-list", "--objects", "--no-walk", "--missing=print", commit, git_dir=git_dir)
    if listing.returncode != 0:
        raise Failure(f"{name}: git rev-list failed: {last_line(listing.stderr)}")
    return {line[1:].split()[0] for line in listing.stdout.splitlines() if line.startswith(b"?")}


def stamp_text(pin: dict) -> str:
    return f"{pin['commit']} {pin.get('subdir', '')}".rstrip() + "\n"


def materialise(pin: dict, work: Path, mirrors: Path | None) -> str:
    """Write one tree; return what was done."""
    name, commit, subdir = pin["name"], pin["commit"], pin.get("subdir", "").strip("/")
    tree, stamp = work / slug(name), work / f"{slug(name)}.commit"
    if tree.is_dir() and stamp.is_file() and stamp.read_text() == stamp_text(pin):
        return "already at its commit"
    source = "mirror"
    git_dir = None
    if mirrors is not None and (mirrors / slug(name)).is_dir():
        git_dir = find_git_dir(mirrors / slug(name))
        if git_dir is None:
            raise Failure(f"{name}: no git directory below {mirrors / slug(name)}")
    if git_dir is None:
        source = "clone"
        git_dir = clone(pin, work)
    if not has_commit(git_dir, commit):
        raise Failure(f"{name}: commit {commit} is not in {git_dir}")
    if subdir and git("cat-file", "-e", f"{commit}:{subdir}", git_dir=git_dir).returncode != 0:
        raise Failure(f"{name}: {subdir!r} is not a folder at commit {commit[:12]}")
    work.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    absent_list = work / f"{slug(name)}.left-out"
    absent_list.unlink(missing_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug(name)}.", dir=work))
    try:
        absent = extract(name, git_dir, commit, subdir, staging)
        shutil.rmtree(tree, ignore_errors=True)
        os.replace(staging, tree)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if absent:
        absent_list.write_text("".join(f"{path}\n" for path in absent))
    stamp.write_text(stamp_text(pin))
    done = f"written from the {source} at {commit[:12]}" + (f" ({subdir}/ only)" if subdir else "")
    if absent:
        done += f"; {len(absent)} files of 4 MiB or more left out (listed in {absent_list.name})"
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", required=True, type=Path, help="folder to write the trees to")
    parser.add_argument("--mirrors", type=Path, help="folder holding owner+name git mirrors")
    parser.add_argument("--only", action="append", metavar="OWNER/NAME", help="only this repository (repeatable)")
    parser.add_argument("--pins", type=Path, default=HERE / "pins.toml", help="pins file [default: the one beside this script]")
    args = parser.parse_args(argv)
    if shutil.which("git") is None or shutil.which("tar") is None:
        print("error: git and tar must be on PATH", file=sys.stderr)
        return 2
    if args.mirrors is not None and not args.mirrors.is_dir():
        print(f"error: --mirrors {args.mirrors} is not a folder", file=sys.stderr)
        return 2
    try:
        pins = select(load_pins(args.pins), args.only)
    except Failure as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = 0
    for pin in pins:
        try:
            print(f"{pin['name']}: {materialise(pin, args.work, args.mirrors)}")
        except Failure as error:
            failed += 1
            print(f"error: {error}", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(pins)} trees not written", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
