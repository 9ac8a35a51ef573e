"""Glue code (DS5xx): which statements count as conversions, the thresholds and where they are
set, and the per-module glue ratio in the summary."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.config import ConfigError, load_settings
from debtscan.model import Confidence

from helpers import found, scan_project

GLUE_FUNCTION = """\
import json
import numpy as np
import pandas as pd
import torch


def to_model_input(rows):
    frame = pd.DataFrame(rows)
    values = frame.values
    values = values.astype(np.float32)
    batch = torch.from_numpy(values)
    return batch.unsqueeze(0)


def to_response(scores):
    listed = scores.numpy().tolist()
    return json.dumps({"scores": listed})
"""


def glue_findings(result, rule="DS501"):
    return [finding for finding in result.findings if finding.rule == rule]


def test_function_made_of_conversions_is_reported_with_ratio_and_conversions(tmp_path):
    result = scan_project(tmp_path, {"serve.py": GLUE_FUNCTION})
    (finding,) = glue_findings(result)
    assert (finding.path, finding.location.line, finding.symbol) == ("serve.py", 7, "to_model_input")
    assert "5 of its 5 statements (100%)" in finding.message
    for conversion in ("`pd.DataFrame`", "`.values`", "`.astype()`", "`torch.from_numpy`", "`.unsqueeze()`"):
        assert conversion in finding.message
    assert finding.confidence is Confidence.MEDIUM and finding.severity.label == "info"


def test_short_converter_is_not_glue(tmp_path):
    result = scan_project(tmp_path, {"serve.py": GLUE_FUNCTION})
    assert [finding.symbol for finding in glue_findings(result)] == ["to_model_input"]  # to_response: 2 statements


def test_casts_and_reshapes_alone_are_computation_not_glue(tmp_path):
    code = """\
    import torch


    def split_heads(x, heads):
        b, n, d = x.shape
        x = x.reshape(b, n, heads, d // heads)
        x = x.float()
        x = x.flatten(0, 1)
        x = x.unsqueeze(1)
        return x.squeeze(-1)
    """
    assert glue_findings(scan_project(tmp_path, {"model.py": code})) == []


def test_building_constants_is_not_converting_data(tmp_path):
    code = """\
    import numpy as np
    import pandas as pd
    import torch


    def constants():
        a = np.array([1, 2, 3])
        b = torch.tensor(0.5)
        c = pd.DataFrame()
        d = np.asarray([[0.0, 1.0], [1.0, 0.0]])
        return pd.Series(["x", "y"])
    """
    assert glue_findings(scan_project(tmp_path, {"consts.py": code})) == []


def test_a_statement_that_also_computes_is_not_glue(tmp_path):
    code = """\
    import numpy as np
    import torch


    def predict(model, frame):
        x = torch.from_numpy(frame.values)
        y = model(torch.from_numpy(frame.values))
        z = np.mean(frame.values)
        w = model(x).numpy()
        return y, z, w
    """
    result = scan_project(tmp_path, {"predict.py": code})
    assert glue_findings(result) == []
    metric = result.metrics["glue_ratio"]["modules"]["predict.py"]
    assert (metric["glue_statements"], metric["statements"]) == (1, 5)


def test_thresholds_come_from_tool_debtscan_glue(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.debtscan.glue]\nmin-statements = 2\nfunction-ratio = 1.0\n", encoding="utf-8")
    settings = load_settings(tmp_path / "pyproject.toml")
    result = scan_project(tmp_path, {"serve.py": GLUE_FUNCTION}, glue=settings.glue)
    assert sorted(finding.symbol for finding in glue_findings(result)) == ["to_model_input", "to_response"]
    stricter = scan_project(tmp_path, {"serve.py": GLUE_FUNCTION}, glue=(("min-statements", 6),))
    assert glue_findings(stricter) == []


@pytest.mark.parametrize("body,needle", [
    ("minimum = 3", "unknown key(s) in [tool.debtscan.glue]: minimum"),
    ("function-ratio = 1.5", "glue.function-ratio must be a number above 0 and at most 1"),
    ("module-ratio = 0", "glue.module-ratio must be a number above 0 and at most 1"),
    ("min-statements = 0", "glue.min-statements must be a whole number of at least 1"),
    ("min-statements = 2.5", "glue.min-statements must be a whole number of at least 1"),
    ("module-min-statements = true", "glue.module-min-statements must be a whole number of at least 1"),
])
def test_bad_glue_thresholds_are_errors_naming_the_key(tmp_path, body, needle):
    path = tmp_path / "pyproject.toml"
    path.write_text(f"[tool.debtscan.glue]\n{body}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert needle in str(error.value) and str(path) in str(error.value)


def test_glue_must_be_a_table(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.debtscan]\nglue = 0.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[tool.debtscan.glue\] must be a table"):
        load_settings(path)


def test_catalog_extension_teaches_a_project_converter(tmp_path):
    code = """\
    from acme.frames import to_tensor, from_tensor


    def roundtrip(a, b, c, d, e):
        a = to_tensor(a)
        b = to_tensor(b)
        c = from_tensor(c)
        d = from_tensor(d)
        return to_tensor(e)
    """
    plain = scan_project(tmp_path, {"adapters.py": code})
    assert glue_findings(plain) == []
    extension = {"glue_functions": [{"kind": "format", "names": ["acme.frames.to_tensor", "acme.frames.from_tensor"]}]}
    taught = scan_project(tmp_path, {"adapters.py": code}, catalog=extension)
    assert [finding.symbol for finding in glue_findings(taught)] == ["roundtrip"]


def test_module_mostly_glue_is_reported_once_on_its_first_line(tmp_path):
    lines = ["import numpy as np", "import torch", ""]
    lines += [f"x{i} = torch.from_numpy(np.asarray(raw{i}))" for i in range(15)]
    lines += [f"y{i} = compute(x{i})" for i in range(6)]
    result = scan_project(tmp_path, {"adapters.py": "\n".join(lines) + "\n"})
    (finding,) = glue_findings(result, "DS502")
    assert (finding.location.line, finding.location.end_line) == (1, 1)
    assert "15 of its 21 statements (71%)" in finding.message


def test_test_files_are_neither_reported_nor_measured(tmp_path):
    result = scan_project(tmp_path, {"tests/test_serve.py": GLUE_FUNCTION})
    assert glue_findings(result) == [] and result.metrics["glue_ratio"]["modules"] == {}


def test_glue_in_a_notebook_points_at_its_cell(tmp_path):
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Scoring"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": GLUE_FUNCTION},
    ]}
    result = scan_project(tmp_path, {"score.ipynb": json.dumps(notebook)})
    (finding,) = glue_findings(result)
    assert (finding.location.cell, finding.location.line) == (2, 7)


def test_summary_lists_every_module_glue_ratio_and_text_names_the_highest(tmp_path):
    files = {
        "serve.py": GLUE_FUNCTION,
        "train.py": "import numpy as np\n\ndef fit(x):\n    y = x * 2\n    z = np.asarray(y)\n    return z.sum()\n",
        "empty.py": "import os\n",
    }
    scan_project(tmp_path, files)
    runner = CliRunner()
    report = runner.invoke(main, [str(tmp_path), "--format", "json", "--exit-zero"])
    metric = json.loads(report.output)["summary"]["metrics"]["glue_ratio"]
    assert metric["modules"] == {
        "serve.py": {"ratio": 1.0, "statements": 7, "glue_statements": 7},
        "train.py": {"ratio": 0.333, "statements": 3, "glue_statements": 1},
    }
    text = runner.invoke(main, [str(tmp_path), "--exit-zero"]).output
    assert "Glue ratio (statements that only convert between library formats): highest in serve.py 100% (7 of 7), " \
           "train.py 33% (1 of 3)." in text


def test_no_glue_metric_when_the_glue_rules_are_not_selected(tmp_path):
    result = scan_project(tmp_path, {"serve.py": GLUE_FUNCTION}, select=("DS1",))
    assert result.metrics == {} and found(result) == []


def test_a_redefined_function_is_measured_per_definition(tmp_path):
    first = "import numpy as np\n\ndef prepare(x):\n    a = np.asarray(x)\n    b = np.asarray(a)\n    return a, b\n"
    second = "\n\ndef prepare(x):\n    y = x.values\n    z = y.tolist()\n    w = y.tolist()\n    return z, w\n"
    result = scan_project(tmp_path, {"cells.py": first + second}, glue=(("min-statements", 3),))
    assert [(finding.location.line, finding.message.split(":")[1].strip()[:26]) for finding in glue_findings(result)] \
        == [(3, "2 of its 3 statements (67%"), (9, "3 of its 4 statements (75%")]


def test_an_index_is_never_reused_for_another_catalog_at_the_same_address():
    """Catalogs are dicts, keyed by id: a freed catalog's id is given to the next one made."""
    from debtscan.catalog import CatalogIndex
    from debtscan.rules.glue import GlueIndex

    first = {"glue_functions": []}
    second = {"glue_functions": [{"kind": "format", "names": ["acme.frames.to_tensor"]}]}
    stale = GlueIndex.of(first)
    CatalogIndex._instances[(GlueIndex, id(second))] = (first, stale)  # as if `first` had lived at that id
    fresh = GlueIndex.of(second)
    assert fresh is not stale and "acme.frames.to_tensor" in fresh.functions
    assert GlueIndex.of(second) is fresh
