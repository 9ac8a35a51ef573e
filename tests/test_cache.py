"""The per-file cache: same output with or without it, found by content, safe against bad entries."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from debtscan import cache as cache_module
from debtscan import runner
from debtscan.cache import FORMAT, STORE_NAME, Cache, decode_entry, encode_entry, entry_key, normalise, setup_digest
from debtscan.cli import main
from debtscan.config import Settings
from debtscan.model import Confidence

from expectations import fixture_roots
from helpers import write_project

ROOTS = fixture_roots()
SETTINGS = Settings(min_confidence=Confidence.LOW)


def _outcome(result):
    facts = {path: facts for path, facts in result.project.files.items()} if getattr(result, "project", None) else None
    return result.findings, result.fixme, result.errors, result.counts, result.files_scanned, facts


def _entries(directory: Path) -> list[Path]:
    return sorted(path for path in (directory / STORE_NAME / FORMAT).rglob("*.json"))


def _project(root: Path) -> Path:
    return write_project(root, {
        "seeding.py": "import numpy as np\n\ndef fix(seed):\n    np.random.seed(seed)\n",
        "train.py": "import numpy as np\nimport random\nfrom seeding import fix\n\n"
                    "DATA = '/home/ann/data.csv'\n\ndef main():\n    fix(0)\n    return np.random.rand(3), random.random()\n"
                    "# debtscan: ignore[DS201]\n\nif __name__ == '__main__':\n    main()\n",
        "py2.py": "print 'hello'\n",
        "nb.ipynb": json.dumps({"nbformat": 4, "metadata": {}, "cells": [
            {"cell_type": "code", "source": ["import numpy as np\n", "x = np.random.rand(2)\n"], "metadata": {}, "outputs": []},
            {"cell_type": "code", "source": "%%bash\nls\n", "metadata": {}, "outputs": []},
            {"cell_type": "code", "source": "y = (\n", "metadata": {}, "outputs": []}]}),
        "noqa.py": "PATH = 's3://bucket/key'  # noqa: DS204\nOTHER = 'gs://b/k'  # debtscan: fixme[DS204] later\n",
    })


@pytest.mark.parametrize("root", ROOTS, ids=[root.name for root in ROOTS])
def test_output_is_identical_with_and_without_the_cache(root, tmp_path):
    uncached = _outcome(runner.scan([root], root, SETTINGS, jobs=1))
    cold = _outcome(runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path))
    warm = _outcome(runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path))
    assert uncached == cold == warm


def test_round_trip_keeps_problems_directives_notebooks_and_facts(tmp_path):
    root = _project(tmp_path / "p")
    uncached = _outcome(runner.scan([root], root, SETTINGS, jobs=1))
    runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert len(_entries(tmp_path / "c")) == 5
    warm = _outcome(runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c"))
    assert warm == uncached
    assert {f.rule for f in uncached[0]} >= {"DS001", "DS101", "DS202"} and uncached[1]


def test_warm_run_parses_nothing(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    cold = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")

    def fail(*args, **kwargs):
        raise AssertionError("a cached file was analysed again")

    monkeypatch.setattr(runner, "analyze_source", fail)
    warm = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert _outcome(warm) == _outcome(cold)


def test_only_the_changed_file_is_analysed_again(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    (root / "seeding.py").write_text("import numpy as np\n\ndef fix(seed):\n    pass\n", encoding="utf-8")
    analysed = []
    original = runner.analyze_source
    monkeypatch.setattr(runner, "analyze_source", lambda data, rel, *rest: analysed.append(rel) or original(data, rel, *rest))
    warm = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert analysed == ["seeding.py"]
    # the seed is gone, so the project rule re-ran on cached facts and now reports the draw
    assert _outcome(warm) == _outcome(runner.scan([root], root, SETTINGS, jobs=1))
    assert any(f.rule == "DS101" and f.path == "train.py" and "np.random.rand" in f.message for f in warm.findings)


def test_settings_that_change_results_use_other_entries(tmp_path):
    root = _project(tmp_path / "p")
    runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    first = len(_entries(tmp_path / "c"))
    narrow = Settings(select=("DS2",), min_confidence=Confidence.LOW)
    result = runner.scan([root], root, narrow, jobs=1, cache_dir=tmp_path / "c")
    assert len(_entries(tmp_path / "c")) == 2 * first
    assert _outcome(result) == _outcome(runner.scan([root], root, narrow, jobs=1))
    extended = Settings(min_confidence=Confidence.LOW,
                        catalog={"seed_setters": [{"names": ["seeding.fix"], "streams": ["python"]}]})
    assert _outcome(runner.scan([root], root, extended, jobs=1, cache_dir=tmp_path / "c")) == \
        _outcome(runner.scan([root], root, extended, jobs=1))


def test_setup_digest_covers_rules_catalog_and_options():
    class A:
        pass

    class B:
        pass

    base = setup_digest((A,), (), {"x": [1]}, {"enabled": ("DS1",)})
    assert base == setup_digest((A,), (), {"x": [1]}, {"enabled": ("DS1",)})
    assert base != setup_digest((B,), (), {"x": [1]}, {"enabled": ("DS1",)})
    assert base != setup_digest((), (A,), {"x": [1]}, {"enabled": ("DS1",)})
    assert base != setup_digest((A,), (), {"x": [2]}, {"enabled": ("DS1",)})
    assert base != setup_digest((A,), (), {"x": [1]}, {"enabled": ("DS1", "DS2")})


def test_the_same_bytes_at_another_path_are_another_entry():
    assert entry_key("s", "a.py", "d") != entry_key("s", "b.py", "d")
    assert entry_key("s", "a.py", "d") != entry_key("t", "a.py", "d")


def _single_entry(tmp_path: Path) -> tuple[Path, Path]:
    root = write_project(tmp_path / "p", {"a.py": "import numpy as np\nx = np.random.rand(3)\nP = '/data/a.csv'\n"})
    runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    (entry,) = _entries(tmp_path / "c")
    return root, entry


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "empty", "not json", "other key"])
def test_a_damaged_entry_is_a_miss_and_is_replaced(tmp_path, damage):
    root, entry = _single_entry(tmp_path)
    good = entry.read_bytes()
    header, body = good.split(b"\n", 1)
    broken = {
        "flip a byte": header + b"\n" + body.replace(b"DS101", b"DS102", 1),
        "truncate": good[: len(good) // 2],
        "empty": b"",
        "not json": header + b"\n{{{",
        "other key": header.replace(header.split(b" ")[2], b"0" * 64) + b"\n" + body,
    }[damage]
    entry.write_bytes(broken)
    result = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert _outcome(result) == _outcome(runner.scan([root], root, SETTINGS, jobs=1))
    assert entry.read_bytes() == good


class _Exploit:
    def __reduce__(self):
        return (os.mkdir, (str(Path(os.environ["DEBTSCAN_TEST_MARKER"])),))


def test_a_planted_pickle_is_never_executed(tmp_path, monkeypatch):
    root, entry = _single_entry(tmp_path)
    marker = tmp_path / "pwned"
    monkeypatch.setenv("DEBTSCAN_TEST_MARKER", str(marker))
    entry.write_bytes(pickle.dumps(_Exploit()))
    result = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert not marker.exists()
    assert _outcome(result) == _outcome(runner.scan([root], root, SETTINGS, jobs=1))


def test_an_entry_with_a_valid_checksum_but_wrong_types_is_rejected(tmp_path):
    root, entry = _single_entry(tmp_path)
    header, body = entry.read_bytes().split(b"\n", 1)
    payload = json.loads(body)
    payload["findings"][0][5][1] = "seven"  # a line number that is a string
    forged_body = json.dumps(payload).encode()
    magic, layout, key, _checksum = header.split(b" ")
    import hashlib

    forged = b" ".join([magic, layout, key, hashlib.sha256(forged_body).hexdigest().encode()]) + b"\n" + forged_body
    with pytest.raises(cache_module.EntryError):
        decode_entry(forged, key.decode(), "a.py")
    entry.write_bytes(forged)
    result = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert _outcome(result) == _outcome(runner.scan([root], root, SETTINGS, jobs=1))


def test_facts_that_json_cannot_hold_are_never_cached(tmp_path):
    root = write_project(tmp_path / "p", {"a.py": "x = 1\n"})
    result = runner.analyse_file(str(root / "a.py"), "a.py", _setup())
    result.facts.data["odd"] = {1: "int key"}
    assert not normalise(result)
    store = Cache(str(tmp_path / "c"), "setup")
    store.store("a.py", "digest", result)
    assert not _entries(tmp_path / "c")
    result.facts.data = {"pairs": [("a", 1)], "nested": {"t": (1, (2, 3))}}
    assert normalise(result) and result.facts.data == {"pairs": [["a", 1]], "nested": {"t": [1, [2, 3]]}}
    store.store("a.py", "digest", result)
    assert store.load("a.py", "digest") == result


def _setup():
    from debtscan import registry
    from debtscan.catalog import load_catalog
    from debtscan.engine import ScanSetup

    enabled = registry.select(("DS",), ())
    file_rules, collectors = registry.visitors_for(enabled)
    return ScanSetup(file_rules=file_rules, collectors=collectors, catalog=load_catalog(),
                     options={"enabled": tuple(rule.code for rule in enabled)})


def test_round_trip_of_every_fixture_file_is_exact():
    setup = _setup()
    for root in ROOTS:
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".ipynb"):
                continue
            rel = path.relative_to(root).as_posix()
            fresh = runner.analyse_file(str(path), rel, setup)
            assert normalise(fresh)
            key = entry_key("setup", rel, "digest")
            assert decode_entry(encode_entry(fresh, key), key, rel) == fresh, rel


def test_calls_dropped_as_an_entry_is_read_are_those_the_project_phase_drops():
    from debtscan.project import call_filter, keep_for_project, project_callees

    setup = _setup()
    kept = dropped = 0
    for root in ROOTS:
        files = [path for path in sorted(root.rglob("*")) if path.suffix in (".py", ".ipynb")]
        rels = [path.relative_to(root).as_posix() for path in files]
        reaches = project_callees(runner.module_name(rel)[0] for rel in rels)
        for path, rel in zip(files, rels):
            fresh = runner.analyse_file(str(path), rel, setup)
            if fresh.facts is None:
                continue
            assert normalise(fresh)
            key = entry_key("setup", rel, "digest")
            whole = decode_entry(encode_entry(fresh, key), key, rel)
            read_kept = decode_entry(encode_entry(fresh, key), key, rel, partial(call_filter, reaches))
            keep_for_project(whole.facts, reaches, ())
            assert read_kept.facts.scopes == whole.facts.scopes, rel
            kept += sum(len(scope.calls) for scope in whole.facts.scopes.values())
            dropped += sum(len(scope.calls) for scope in fresh.facts.scopes.values()) - \
                sum(len(scope.calls) for scope in whole.facts.scopes.values())
    assert kept > 100 and dropped > 1000  # both ways are exercised


def test_a_call_through_a_name_defined_in_the_file_is_kept_as_it_is_read():
    from debtscan.model import FileFacts, FileResult, ScopeFacts
    from debtscan.project import call_filter, project_callees

    calls = [(1, "helper().run", "helper.run"), (2, "numpy.sum", "np.sum"), (3, "pkg.train.fit", "fit")]
    facts = FileFacts(path="pkg/a.py", module="pkg.a", is_package=False, imports={}, imported_modules=[], data={})
    facts.scopes = {"<module>": ScopeFacts("<module>", 0, calls, True), "helper": ScopeFacts("helper", 2, [], False)}
    key = entry_key("setup", "pkg/a.py", "digest")
    read = decode_entry(encode_entry(FileResult(path="pkg/a.py", facts=facts), key), key, "pkg/a.py",
                        partial(call_filter, project_callees(["pkg.a", "pkg.train"])))
    assert [call[0] for call in read.facts.scopes["<module>"].calls] == [1, 3]


def _scan_into(arguments):
    root, directory = arguments
    return _outcome(runner.scan([Path(root)], Path(root), SETTINGS, jobs=1, cache_dir=Path(directory)))[:5]


def test_two_runs_at_once_share_a_cache(tmp_path):
    root = _project(tmp_path / "p")
    for number in range(40):
        (root / f"extra_{number}.py").write_text(f"import random\nX = random.random() * {number}\n", encoding="utf-8")
    expected = _outcome(runner.scan([root], root, SETTINGS, jobs=1))[:5]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    with context.Pool(2) as pool:
        outcomes = pool.map(_scan_into, [(str(root), str(tmp_path / "c"))] * 4)
    assert all(outcome == expected for outcome in outcomes)
    assert not [path for path in (tmp_path / "c").rglob(".tmp-*")]
    assert len(_entries(tmp_path / "c")) == 45


def test_prune_removes_unused_entries_and_other_layouts(tmp_path):
    root, entry = _single_entry(tmp_path)
    store_dir = tmp_path / "c" / STORE_NAME
    (store_dir / ".last-prune").unlink(missing_ok=True)
    old_layout = store_dir / "v0" / "ab"
    old_layout.mkdir(parents=True)
    old_entry = old_layout / ("c" * 62 + ".json")
    old_entry.write_bytes(b"debtscan-cache v0 key sum\n{}")
    store = Cache(str(tmp_path / "c"), "setup")
    now = time.time()
    assert store.prune(now=now) == 1  # the other layout's entry; ours is in use
    assert not (store_dir / "v0").exists() and entry.exists()
    assert store.prune(now=now + 10) == 0  # pruned recently: nothing to do
    later = now + (cache_module.MAX_AGE_DAYS + 1) * 24 * 3600
    assert store.prune(now=later) == 1
    assert not entry.exists()


def _snapshot(top: Path) -> dict[str, bytes]:
    """Every file and link below `top` with its bytes (or link target): what must not change."""
    seen = {}
    for folder, dirs, names in os.walk(top):
        for name in dirs + names:
            path = Path(folder) / name
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                seen[rel] = b"-> " + os.readlink(path).encode()
            elif path.is_file():
                seen[rel] = path.read_bytes()
    return seen


def _age_everything(top: Path, days: float) -> None:
    past = time.time() - days * 24 * 3600
    for folder, dirs, names in os.walk(top):
        for name in dirs + names:
            os.utime(Path(folder) / name, (past, past), follow_symlinks=False)


def test_a_cache_dir_that_is_a_checkout_loses_nothing(tmp_path):
    """`debtscan check . --cache-dir .` once deleted every file in every subdirectory of the
    checkout, `.git/` included, as "other layouts"; now only debtscan's own marked folder is
    ever touched, whatever the files' age, names or layout."""
    repo = write_project(tmp_path / "repo", {
        "train.py": "import numpy as np\nx = np.random.rand(3)\n",
        "src/pkg/model.py": "def fit():\n    return 1\n",
        ".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cdef": "blob",
        "v1/ab/" + "d" * 62 + ".json": "not ours, though shaped like an entry\n",
        "debtscan-cache-look-alike/v2/ab/x.json": "{}",
    })
    _age_everything(repo, days=400)
    before = _snapshot(repo)
    for _ in range(2):
        result = CliRunner().invoke(main, ["check", str(repo), "--cache-dir", str(repo), "--exit-zero"])
        assert result.exit_code == 0, result.output
        _age_everything(repo / STORE_NAME, days=400)  # every entry stale, every prune due
        (repo / STORE_NAME / ".last-prune").unlink(missing_ok=True)
    after = _snapshot(repo)
    assert {rel: data for rel, data in after.items() if rel.split("/")[0] != STORE_NAME} == before
    assert (repo / STORE_NAME / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172789f06886806bc55")


def test_an_unmarked_folder_of_the_cache_name_is_not_used_or_pruned(tmp_path):
    """A `debtscan-cache/` folder debtscan did not make (no CACHEDIR.TAG) is left as it is."""
    directory = tmp_path / "cache"
    theirs = directory / STORE_NAME / FORMAT / "ab" / ("e" * 62 + ".json")
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"debtscan-cache v2 planted\n{}")
    _age_everything(directory, days=400)
    before = _snapshot(directory)
    root = write_project(tmp_path / "p", {"a.py": "import numpy as np\nx = np.random.rand(3)\n"})
    cold = runner.scan([root], root, SETTINGS, jobs=1)
    assert _outcome(runner.scan([root], root, SETTINGS, jobs=1, cache_dir=directory))[:5] == _outcome(cold)[:5]
    assert _snapshot(directory) == before


def test_other_tools_files_in_the_marked_folder_are_kept(tmp_path):
    """Inside its own folder, too, pruning deletes only files that are entries by name and header."""
    root, entry = _single_entry(tmp_path)
    store_dir = tmp_path / "c" / STORE_NAME
    keep = [store_dir / "notes.txt", store_dir / FORMAT / "ab" / ("f" * 62 + ".json"),
            store_dir / "v0" / "zz" / "weights.bin", store_dir / "v0" / "ab" / "model.json"]
    for path in keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"precious")
    outside = tmp_path / "c" / "v0" / "ab" / ("a" * 62 + ".json")  # an entry, but not in the marked folder
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"debtscan-cache v0 k s\n{}")
    _age_everything(tmp_path / "c", days=400)
    removed = Cache(str(tmp_path / "c"), "setup").prune()
    assert removed == 1 and not entry.exists()
    assert all(path.read_bytes() == b"precious" for path in keep) and outside.exists()


def test_a_symlinked_store_or_tag_is_not_trusted(tmp_path):
    """A marked folder reached through a symlink is someone else's: not used, not pruned."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / FORMAT / "ab").mkdir(parents=True)
    (elsewhere / "CACHEDIR.TAG").write_bytes(cache_module.TAG)
    victim = elsewhere / FORMAT / "ab" / ("b" * 62 + ".json")
    victim.write_bytes(b"debtscan-cache v2 k s\n{}")
    _age_everything(elsewhere, days=400)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / STORE_NAME).symlink_to(elsewhere, target_is_directory=True)
    store = Cache(str(tmp_path / "c"), "setup")
    assert store.prune() == 0 and victim.exists()
    assert not cache_module.ensure_store(store.folder)


def test_a_hit_keeps_an_entry_young(tmp_path):
    root, entry = _single_entry(tmp_path)
    old = time.time() - 10 * 24 * 3600
    os.utime(entry, (old, old))
    runner.scan([root], root, SETTINGS, jobs=1, cache_dir=tmp_path / "c")
    assert entry.stat().st_mtime > old + 9 * 24 * 3600


def test_a_cache_that_cannot_be_written_is_not_used(tmp_path):
    root = _project(tmp_path / "p")
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = runner.scan([root], root, SETTINGS, jobs=1, cache_dir=blocker)
    assert _outcome(result) == _outcome(runner.scan([root], root, SETTINGS, jobs=1))


@pytest.mark.skipif(os.name != "posix" or not hasattr(os, "sched_getaffinity"), reason="XDG applies on Linux")
def test_default_location_is_the_user_cache_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_module.default_cache_dir() == tmp_path / "debtscan"


def test_cli_cache_options(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    runner_ = CliRunner()
    first = runner_.invoke(main, [str(root), "--format", "json", "--no-cache"])
    assert not (tmp_path / "xdg").exists()
    second = runner_.invoke(main, [str(root), "--format", "json", "--cache-dir", str(tmp_path / "mine")])
    assert len(_entries(tmp_path / "mine")) == 5
    third = runner_.invoke(main, [str(root), "--format", "json"])
    assert len(_entries(tmp_path / "xdg" / "debtscan")) == 5
    assert first.exit_code == second.exit_code == third.exit_code == 1
    assert first.output == second.output == third.output


def test_cli_profile_prints_time_per_stage_and_rule_to_stderr(tmp_path):
    root = _project(tmp_path / "p")
    plain = subprocess.run([sys.executable, "-m", "debtscan", str(root), "--no-cache"], capture_output=True, text=True)
    profiled = subprocess.run([sys.executable, "-m", "debtscan", str(root), "--no-cache", "--profile"],
                              capture_output=True, text=True)
    assert profiled.returncode == plain.returncode == 1
    assert profiled.stdout == plain.stdout  # the report is untouched
    assert "parse" in profiled.stderr and "DS101" in profiled.stderr and "DS2" in profiled.stderr
