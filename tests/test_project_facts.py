"""What the parent keeps of each file's facts for the project phase, and that dropping the
rest changes no finding."""

from __future__ import annotations

from debtscan.config import Settings
from debtscan.model import MODULE_SCOPE, FileFacts, ScopeFacts
from debtscan.project import keep_for_project, project_callees
from debtscan.registry import all_rules, visitors_for
from debtscan.runner import scan
from helpers import write_project


def test_a_callee_reaches_the_project_only_through_a_project_module_name():
    reaches = project_callees(["pkg.features", "pkg", "train", "scripts.run"])
    assert reaches("pkg.features.build")
    assert reaches("train.main")
    assert reaches("features.build")  # a script-relative import inside pkg/
    assert reaches("src.pkg.features.build")  # a src/ layout imported with its prefix
    assert reaches("pkg.Model().fit")
    assert not reaches("pytest.raises")
    assert not reaches("builtins.print")
    assert not reaches("")


def test_calls_that_cannot_reach_project_code_are_dropped():
    facts = FileFacts(path="tests/test_a.py", module="tests.test_a")
    facts.scopes = {
        MODULE_SCOPE: ScopeFacts(MODULE_SCOPE, calls=[(1, "pytest.mark.parametrize", "pytest.mark.parametrize"),
                                                      (2, "", "helper"), (3, "", "frame.head")], entry=True),
        "helper": ScopeFacts("helper", calls=[(1, "pkg.features.build", "build"), (2, "builtins.len", "len")]),
    }
    facts.data["io"] = {"calls": [{"callee": "pytest.raises", "args": []}, {"callee": "pkg.features.build", "args": []}]}
    _, collectors = visitors_for(all_rules())
    keep_for_project(facts, project_callees(["pkg.features", "tests.test_a"]), collectors)
    assert facts.scopes[MODULE_SCOPE].calls == [(2, "", "helper")]  # a call of this file's own function stays
    assert facts.scopes["helper"].calls == [(1, "pkg.features.build", "build")]
    assert facts.data["io"]["calls"] == [{"callee": "pkg.features.build", "args": []}]


def test_a_scan_keeps_the_project_only_when_asked(tmp_path):
    write_project(tmp_path, {"train.py": "import numpy as np\nx = np.random.rand(3)\n"})
    kept = scan([tmp_path], tmp_path, Settings(), jobs=1)
    dropped = scan([tmp_path], tmp_path, Settings(), jobs=1, keep_project=False)
    assert kept.project is not None and "train.py" in kept.project.files
    assert dropped.project is None
    assert dropped.findings == kept.findings
