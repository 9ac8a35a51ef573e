"""pre-commit, for real: the hooks in .pre-commit-hooks.yaml installed from a commit of this
working tree into a temporary repository. A commit adding an unseeded random call is blocked;
it goes through once the call is suppressed or baselined; and the changed-files hook still
sees the whole repository (a seed set in an unchanged helper module counts).

pre-commit installs debtscan into its own environment with pip, from this checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git")

LEFT_OUT = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                  ".hypothesis", ".debtscan_cache", ".venv", "venv", "results")

SEEDING = """\
import numpy as np


def seed_everything(seed):
    np.random.seed(seed)
"""
TRAIN = """\
import numpy as np

from seeding import seed_everything


def main():
    seed_everything(0)
    return np.random.rand(3)


if __name__ == "__main__":
    main()
"""
AUGMENT = """\
import numpy as np

NOISE = np.random.rand(3)
"""
SAMPLE = """\
import numpy as np

PICKED = np.random.choice(10, 3)
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("pre-commit-home")
    gitconfig = tmp_path_factory.mktemp("git") / "config"  # no user or system git settings leak in
    gitconfig.write_text("")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    environment.update(GIT_AUTHOR_NAME="debtscan tests", GIT_AUTHOR_EMAIL="tests@example.invalid",
                       GIT_COMMITTER_NAME="debtscan tests", GIT_COMMITTER_EMAIL="tests@example.invalid",
                       GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(gitconfig), PRE_COMMIT_HOME=str(home),
                       NO_COLOR="1")
    return environment


def sh(args, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def git(cwd: Path, env: dict, *args) -> subprocess.CompletedProcess:
    completed = sh(["git", *args], cwd, env)
    assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory, env) -> tuple[Path, str]:
    """This working tree, copied and committed: pre-commit installs hooks from a commit."""
    repo = tmp_path_factory.mktemp("hook-repo") / "debtscan"
    shutil.copytree(ROOT, repo, ignore=LEFT_OUT)
    git(repo, env, "init", "-q")
    git(repo, env, "add", "-A")
    git(repo, env, "commit", "-q", "-m", "debtscan under test")
    return repo, git(repo, env, "rev-parse", "HEAD").stdout.strip()


def new_project(path: Path, env: dict) -> Path:
    path.mkdir(parents=True)
    git(path, env, "init", "-q")
    return path


def write(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def pre_commit(cwd: Path, env: dict, *args) -> subprocess.CompletedProcess:
    return sh([sys.executable, "-m", "pre_commit", *args], cwd, env)


def commit(project: Path, env: dict, message: str) -> tuple[int, str]:
    """The exit status of `git commit` and everything it printed (hooks print to stderr)."""
    git(project, env, "add", "-A")
    completed = sh(["git", "commit", "-m", message], project, env)
    return completed.returncode, completed.stdout + completed.stderr


def commits(project: Path, env: dict) -> int:
    completed = sh(["git", "rev-list", "--count", "HEAD"], project, env)
    return int(completed.stdout) if completed.returncode == 0 else 0


def configure(project: Path, repo: Path, rev: str, args: list[str] | None = None) -> None:
    # the randomness rules only, so rules of other families cannot change what this test is about
    hook = {"id": "debtscan", "args": ["--select", "DS1", *(args or [])]}
    config = {"repos": [{"repo": str(repo), "rev": rev, "hooks": [hook]}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")


def test_hooks_file_declares_both_hooks():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"debtscan", "debtscan-project"}
    assert "--changed-only" in hooks["debtscan"]["entry"] and hooks["debtscan"]["require_serial"]
    assert hooks["debtscan-project"]["pass_filenames"] is False


def test_try_repo_blocks_a_staged_unseeded_random_call(tmp_path, env, hook_repo):
    repo, _ = hook_repo
    project = new_project(tmp_path / "project", env)
    write(project / "seeding.py", SEEDING)
    write(project / "augment.py", AUGMENT)
    git(project, env, "add", "-A")
    result = pre_commit(project, env, "try-repo", repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^debtscan\.+Failed$", result.stdout, re.M), result.stdout
    assert re.search(r"^debtscan \(whole project\)\.+Failed$", result.stdout, re.M), result.stdout
    assert "augment.py" in result.stdout and "DS101" in result.stdout


def test_commit_blocked_until_suppressed_or_baselined(tmp_path, env, hook_repo):
    repo, rev = hook_repo
    project = new_project(tmp_path / "project", env)
    configure(project, repo, rev)
    installed = pre_commit(project, env, "install")
    assert installed.returncode == 0, installed.stderr
    write(project / "seeding.py", SEEDING)
    status, output = commit(project, env, "seed helper")
    assert status == 0, output
    assert commits(project, env) == 1

    # only train.py is committed; the seed it relies on lives in the unchanged seeding.py
    write(project / "train.py", TRAIN)
    status, output = commit(project, env, "train with a seed set in a helper")
    assert status == 0, output

    write(project / "augment.py", AUGMENT)
    status, output = commit(project, env, "unseeded augmentation")
    assert status != 0 and "augment.py" in output and "DS101" in output, output
    assert commits(project, env) == 2

    suppressed = AUGMENT.replace("rand(3)", "rand(3)  # debtscan: ignore[DS101] noise is the point")
    write(project / "augment.py", suppressed)
    status, output = commit(project, env, "intended noise")
    assert status == 0, output

    write(project / "sample.py", SAMPLE)
    status, output = commit(project, env, "another unseeded draw")
    assert status != 0 and "sample.py" in output, output
    written = sh([sys.executable, "-m", "debtscan", "baseline", "write", ".", "-o", "debtscan-baseline.json"],
                 project, env)
    assert written.returncode == 0, written.stderr
    configure(project, repo, rev, ["--baseline", "debtscan-baseline.json"])
    status, output = commit(project, env, "accept the draw in sample.py as known debt")
    assert status == 0, output
    assert commits(project, env) == 4

    # new debt: a draw from Python's `random` (another NumPy draw would join the accepted finding)
    write(project / "sample.py", SAMPLE + "import random\nEXTRA = random.random()\n")
    status, output = commit(project, env, "new debt beyond the baseline")
    assert status != 0 and "EXTRA = random.random()" in output, output
    assert "np.random.choice" not in output  # the accepted draw stays accepted


def test_readme_pre_commit_config_uses_the_real_hooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Pre-commit\n", 1)[1].split("\n## ", 1)[0]
    config = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    used = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert [hook["id"] for hook in used] == ["debtscan"] and "- id: debtscan-project" in section
    assert {hook["id"] for hook in used} <= hooks
    assert used[0]["args"] == ["--baseline", "debtscan-baseline.json"]
