"""Name resolution: the import forms and shadowing ML code actually uses."""

from __future__ import annotations

import libcst as cst
import pytest

from debtscan.names import Scopes, absolute_module

from helpers import found, lines_of, scan_project


def qualify_last_call(code: str, module: str = "pkg.mod", is_package: bool = False) -> str | None:
    tree = cst.parse_module(code)
    scopes = Scopes(module, is_package)
    scopes.prescan(tree)
    last = tree.body[-1].body[0]
    call = last.value if isinstance(last, (cst.Expr, cst.Assign)) else last
    return scopes.qualify(call.func)


@pytest.mark.parametrize("code,expected", [
    ("import numpy as np\nnp.random.rand(3)\n", "numpy.random.rand"),
    ("from numpy import random\nrandom.rand(3)\n", "numpy.random.rand"),
    ("import numpy.random as npr\nnpr.normal()\n", "numpy.random.normal"),
    ("import numpy.random\nnumpy.random.shuffle(x)\n", "numpy.random.shuffle"),
    ("from sklearn.model_selection import train_test_split as tts\ntts(X, y)\n", "sklearn.model_selection.train_test_split"),
    ("import numpy as np\nrng = np.random.default_rng()\nrng.normal()\n", "numpy.random.default_rng().normal"),
    ("from .utils import seed_all\nseed_all(1)\n", "pkg.utils.seed_all"),
    ("from . import utils\nutils.seed_all(1)\n", "pkg.utils.seed_all"),
    ("from ..common import seeds\nseeds.fix()\n", "common.seeds.fix"),
    ("try:\n    import torch\nexcept ImportError:\n    torch = None\ntorch.rand(2)\n", "torch.rand"),
    ("open('x')\n", "builtins.open"),
    ("undefined_name()\n", None),
])
def test_qualified_names(code, expected):
    assert qualify_last_call(code) == expected


def test_relative_import_inside_package_init():
    assert absolute_module("pkg", True, 1, "utils") == "pkg.utils"
    assert absolute_module("pkg.sub.mod", False, 2, "x") == "pkg.x"


def test_parameter_shadowing_module_is_not_resolved(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        import random
        import numpy as np

        def pick(random, np):
            random.choice([1, 2])
            return np.random.rand(2)
    """})
    assert found(result, "DS101") == []


def test_local_assignment_shadows_module(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        import random

        def pick(items):
            random = make_sampler()
            return random.choice(items)
    """})
    assert found(result, "DS101") == []


def test_shadowing_ends_with_its_function(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        import random

        def pick(random):
            return random.choice([1])

        def roll():
            return random.randint(1, 6)
    """})
    assert lines_of(result, "DS101") == [8]


def test_generator_methods_are_not_global_draws(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        import numpy as np

        rng = np.random.default_rng(0)
        rng.shuffle(items)
        values = rng.normal(size=3)
        other = np.random.default_rng()
        other.integers(10)
    """})
    assert found(result) == [("m.py", 7, "DS102")]


def test_alias_of_random_module_through_from_import(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        from random import shuffle as mix
        from numpy.random import permutation

        mix([1, 2, 3])
        order = permutation(10)
        print(order)
    """})
    # one cause each: Python's `random` (shuffled in place) and NumPy's global state
    assert lines_of(result, "DS101") == [5, 6]


def test_method_on_self_resolves_to_class_method(tmp_path):
    result = scan_project(tmp_path, {"m.py": """
        import torch

        class Trainer:
            def seed(self):
                torch.manual_seed(0)

            def run(self):
                self.seed()
                return torch.rand(3)
    """})
    assert found(result, "DS101") == []

