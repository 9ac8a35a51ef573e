"""Dead experimental code paths (DS7xx): constant flags across modules, unreachable statements,
definitions nothing uses (and everything that does use one), commented-out code."""

from __future__ import annotations

import json

import pytest

from debtscan.model import Confidence
from debtscan.rules.dead_code import evaluate

from helpers import scan_project


def by_rule(result, rule):
    return [(finding.path, finding.location.line) for finding in result.findings if finding.rule == rule]


# -- DS701 ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tree,value", [
    (["const", False], False),
    (["not", ["const", False]], True),
    (["and", ["?"], ["const", False]], False),
    (["or", ["?"], ["const", True]], True),
    (["and", ["?"], ["const", True]], None),
    (["or", ["const", False], ["?"]], None),
    (["and", ["const", True], ["not", ["const", False]]], True),
])
def test_conditions_are_evaluated_with_three_values(tree, value):
    assert evaluate(tree, lambda leaf: None)[0] is value


FLAG_PROJECT = {
    "app/__init__.py": "",
    "app/settings.py": """\
        import os
        USE_V2 = False
        USE_CACHE = True
        PATCHED = False
        SET_ELSEWHERE = False
        FROM_ENV = os.environ.get("FROM_ENV") == "1"
    """,
    "app/model.py": """\
        from . import settings
        from .settings import FROM_ENV, USE_V2


        def predict(x):
            if USE_V2:
                x = x * 2
            if settings.USE_CACHE:
                x = x + 1
            else:
                x = x - 1
            if settings.PATCHED or FROM_ENV:
                x = 0
            if settings.SET_ELSEWHERE:
                x = -x
            return x
    """,
    "app/cli.py": """\
        from app import settings


        def enable():
            settings.SET_ELSEWHERE = True
    """,
    "tests/test_model.py": """\
        from app import model, settings


        def test_patched(monkeypatch):
            monkeypatch.setattr(settings, "PATCHED", True)
            assert model.predict(1) == 0
    """,
}


def test_flags_are_followed_across_modules_and_into_tests(tmp_path):
    result = scan_project(tmp_path, FLAG_PROJECT, select=("DS701",))
    assert by_rule(result, "DS701") == [("app/model.py", 6), ("app/model.py", 10)]
    first, second = result.findings
    assert "`USE_V2` is `False` in app/settings.py" in first.message and first.confidence is Confidence.MEDIUM
    assert second.message.startswith("The `else` branch of `if settings.USE_CACHE:` can never run")


def test_one_finding_per_switch_lists_its_other_dead_branches(tmp_path):
    code = "DEBUG_PLOTS = False\n\nif DEBUG_PLOTS:\n    print(1)\nx = 2\nif DEBUG_PLOTS and x:\n    print(2)\n" \
           "if not DEBUG_PLOTS:\n    x = 3\nelse:\n    print(3)\n"
    result = scan_project(tmp_path, {"explore.py": code}, select=("DS701",))
    (finding,) = result.findings
    assert finding.location.line == 3 and [related.line for related in finding.related] == [6, 10]
    assert finding.message.endswith("a dead experimental path, and so are 2 more branches in this file that test it.")


def test_a_flag_reassigned_in_its_own_module_is_not_constant(tmp_path):
    code = """\
    import sys

    FAST = False
    SLOW = False
    if "--fast" in sys.argv:
        FAST = True


    def enable_slow():
        global SLOW
        SLOW = True


    def run(x):
        if FAST:
            return x
        if SLOW:
            return -x
        return 0
    """
    assert by_rule(scan_project(tmp_path, {"run.py": code}), "DS701") == []


def test_module_using_globals_keeps_its_flags_alive(tmp_path):
    code = "USE_V2 = False\nglobals().update({'USE_V2': True})\n\nif USE_V2:\n    print('v2')\n"
    assert by_rule(scan_project(tmp_path, {"run.py": code}), "DS701") == []


def test_literal_conditions_are_reported_with_high_confidence(tmp_path):
    code = "if 0:\n    print('never')\nwhile False:\n    pass\nif 1:\n    pass\nelse:\n    print('never either')\n"
    result = scan_project(tmp_path, {"run.py": code}, select=("DS701",))
    assert by_rule(result, "DS701") == [("run.py", 1), ("run.py", 3), ("run.py", 7)]
    assert {finding.confidence for finding in result.findings} == {Confidence.HIGH}
    assert result.findings[0].message == ("The body of `if 0:` can never run: the condition is always false, "
                                          "so its 1 line is dead code.")


def test_type_checking_and_main_guard_are_not_constants(tmp_path):
    code = """\
    from typing import TYPE_CHECKING
    import typing

    TYPE_CHECKING = False
    if TYPE_CHECKING:
        import numpy
    if typing.TYPE_CHECKING:
        import pandas
    if __name__ == "__main__":
        print("run")
    """
    assert by_rule(scan_project(tmp_path, {"run.py": code}), "DS701") == []


# -- DS702 ----------------------------------------------------------------------------------------

def test_statements_after_an_if_whose_branches_all_leave_are_unreachable(tmp_path):
    code = """\
    def pick(flag):
        if flag:
            return 1
        elif flag is None:
            raise ValueError("no flag")
        else:
            return 0
        print("unreachable")
        return -1
    """
    result = scan_project(tmp_path, {"pick.py": code}, select=("DS702",))
    assert by_rule(result, "DS702") == [("pick.py", 8)]
    assert result.findings[0].message == ("2 statements after an `if` whose every branch leaves the block can never "
                                          "run, so they are dead code.")


def test_an_if_without_else_or_a_with_block_does_not_end_the_block(tmp_path):
    code = """\
    import contextlib


    def run(flag):
        if flag:
            return 1
        with contextlib.suppress(ValueError):
            raise ValueError("ignored")
        print("reached: suppress() swallows the error")
    """
    assert by_rule(scan_project(tmp_path, {"run.py": code}), "DS702") == []


def test_a_shadowed_exit_is_not_an_exit(tmp_path):
    code = "def run(exit):\n    exit(0)\n    print('still runs')\n"
    assert by_rule(scan_project(tmp_path, {"run.py": code}), "DS702") == []


# -- DS703 ----------------------------------------------------------------------------------------

SCRIPT = """\
def used():
    return 1


def unused_helper():
    return 2


if __name__ == "__main__":
    used()
"""


def test_unused_function_in_a_script_is_reported(tmp_path):
    result = scan_project(tmp_path, {"train.py": SCRIPT}, select=("DS703",))
    (finding,) = result.findings
    assert (finding.path, finding.location.line, finding.location.column) == ("train.py", 5, 4)
    assert finding.message.startswith("Function `unused_helper` is never used") and finding.confidence is Confidence.MEDIUM


def test_a_module_nobody_runs_or_imports_is_an_api_not_a_leftover(tmp_path):
    result = scan_project(tmp_path, {"snippets.py": "def a():\n    return b()\n\n\ndef b():\n    return 1\n\n\ndef c():\n    pass\n"})
    assert by_rule(result, "DS703") == []


@pytest.mark.parametrize("extra", [
    {"pyproject.toml": "[project]\nname = 'x'\n\n[project.scripts]\nhelp = 'train:unused_helper'\n"},
    {"conf/model.yaml": "model:\n  _target_: train.unused_helper\n"},
    {"Makefile": "run:\n\tpython -c 'import train; train.unused_helper()'\n"},
    {"README.md": "Call `unused_helper()` to get two.\n"},
    {"other.py": "import train\nprint(getattr(train, 'unused_helper')())\n"},
    {"other.py": "import train\nprint(train.unused_helper())\n"},
    {"other.py": "import importlib\n\ndef load(name):\n    return getattr(importlib.import_module('train'), 'unused_' + name)\n"},
])
def test_references_outside_python_calls_count(tmp_path, extra):
    result = scan_project(tmp_path, {"train.py": SCRIPT, **extra}, select=("DS703",))
    assert by_rule(result, "DS703") == []


def test_python_files_that_are_not_scanned_still_count_as_references(tmp_path):
    files = {".gitignore": "*_check.py\n", "train.py": SCRIPT, "tools/helper_check.py": "from train import unused_helper\n"}
    assert by_rule(scan_project(tmp_path, files, select=("DS703",)), "DS703") == []


def test_computed_lookups_on_a_module_keep_its_definitions(tmp_path):
    files = {"train.py": SCRIPT, "run.py": "import sys\nimport train\n\nfn = getattr(train, sys.argv[1])\n"}
    assert by_rule(scan_project(tmp_path, files), "DS703") == []


def test_import_module_lookups_lower_the_confidence_of_everything(tmp_path):
    files = {"train.py": SCRIPT, "plugins.py": "import importlib\nimport sys\n\nmod = importlib.import_module(sys.argv[1])\nfn = getattr(mod, sys.argv[2])\n"}
    result = scan_project(tmp_path, files, select=("DS703",))
    assert [(finding.path, finding.confidence) for finding in result.findings] == [("train.py", Confidence.LOW)]


def test_fire_exposes_every_function_of_its_module(tmp_path):
    code = SCRIPT.replace("    used()", "    import fire\n    fire.Fire()")
    assert by_rule(scan_project(tmp_path, {"train.py": code}), "DS703") == []


def test_registering_decorators_abstract_methods_and_hooks_are_reachable(tmp_path):
    code = """\
    import functools
    from abc import abstractmethod
    from fastapi import FastAPI
    import pytest

    app = FastAPI()


    @app.post("/predict")
    def predict():
        return {}


    @pytest.fixture
    def rows():
        return [1]


    @functools.cache
    def _old_vocab():
        return []


    def predict_fn(data, model):
        return model(data)


    def init():
        pass


    class Step:
        @abstractmethod
        def _prepare(self):
            ...

        def __call__(self):
            return 1


    if __name__ == "__main__":
        Step()()
    """
    result = scan_project(tmp_path, {"serve.py": code}, select=("DS703",))
    assert [(finding.symbol, finding.confidence) for finding in result.findings] == [("_old_vocab", Confidence.HIGH)]


def test_methods_are_reported_only_when_no_library_can_call_them(tmp_path):
    code = """\
    import torch


    class Net(torch.nn.Module):
        def _unused_private(self):
            return 1

        def forward(self, x):
            return x


    class Cache:
        def _old_evict(self):
            return None

        def _shared(self):
            return None

        def get(self, key):
            return key


    class Other:
        def _shared(self):
            return None


    if __name__ == "__main__":
        print(Net(), Cache().get(1), Other())
    """
    result = scan_project(tmp_path, {"cache.py": code}, select=("DS703",))
    assert [finding.symbol for finding in result.findings] == ["Cache._old_evict"]


def test_definitions_in_tests_and_tool_files_are_never_reported(tmp_path):
    files = {
        "tests/test_train.py": "def helper():\n    return 1\n\n\ndef test_x():\n    pass\n",
        "conftest.py": "def rows():\n    return []\n",
        "setup.py": "def read(path):\n    return path\n\nif __name__ == '__main__':\n    pass\n",
    }
    assert by_rule(scan_project(tmp_path, files), "DS703") == []


def test_confidence_follows_how_public_the_name_is(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "def public_api():\n    return 1\n\n\ndef _private():\n    return 2\n\n\ndef rank_legacy():\n    return 3\n\n\ndef used():\n    return 4\n",
        "main.py": "from pkg.core import used\n\nif __name__ == '__main__':\n    used()\n",
    }
    result = scan_project(tmp_path, files, select=("DS703",))
    assert [(finding.symbol, finding.confidence) for finding in result.findings] == [
        ("public_api", Confidence.LOW), ("_private", Confidence.HIGH), ("rank_legacy", Confidence.MEDIUM)]
    assert "dead experimental code" in result.findings[2].message


def test_definitions_sharing_a_name_are_placed_in_order(tmp_path):
    code = """\
    class Cache:
        def _old_evict(self):
            return None


    def _old_evict():
        return None


    if __name__ == "__main__":
        print(Cache())
    """
    result = scan_project(tmp_path, {"cache.py": code}, select=("DS703",))
    assert [(finding.symbol, finding.location.line, finding.location.column) for finding in result.findings] == [
        ("Cache._old_evict", 2, 8), ("_old_evict", 6, 4)]


# -- DS704 ----------------------------------------------------------------------------------------

def test_commented_out_code_is_one_finding_per_block(tmp_path):
    code = """\
    def train(model, data):
        model.fit(data)
        #if model.supports_early_stopping:
            ## stop when the validation loss stalls
            #model.set_params(early_stopping=True)
            #model.fit(data)
        #else:
            #model.fit(data, epochs=3)
        return model
    """
    result = scan_project(tmp_path, {"train.py": code}, select=("DS704",))
    (finding,) = result.findings
    assert (finding.location.line, finding.location.end_line, finding.location.column) == (3, 8, 4)
    assert finding.message.startswith("6 lines of commented-out code")


def test_prose_headers_and_two_line_snippets_are_not_commented_out_code(tmp_path):
    code = """\
    # Licensed under the Apache License, Version 2.0 (the "License");
    # you may not use this file except in compliance with the License.
    # See the License for the specific language governing permissions.
    import os

    # Note: the model expects
    # features: list
    # labels: list

    # x = os.getcwd()
    # print(x)

    # Shapes: (batch, time, features)
    # (32, 100, 8)
    # (32, 100, 1)
    TEXT = '''
    # a = 1
    # b = 2
    # c = 3
    '''
    """
    assert by_rule(scan_project(tmp_path, {"notes.py": code}), "DS704") == []


def test_comment_blocks_do_not_run_across_notebook_cells(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        dict(cell, source="x = 1\n# y = 2\n# z = 3"),
        dict(cell, source="# w = 4\nprint(x)"),
        dict(cell, source="# a = 1\n# b = a + 1\n# print(a, b)\nx = 2"),
    ]}
    result = scan_project(tmp_path, {"explore.ipynb": json.dumps(notebook)}, select=("DS704",))
    assert [(finding.location.cell, finding.location.line) for finding in result.findings] == [(3, 1)]
