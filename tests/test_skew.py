"""Training-serving skew (DS4xx): copies, diverged copies, renamed features, fitted state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from debtscan.config import Settings
from debtscan.model import Confidence, Severity
from debtscan.rules import skew
from debtscan.rules.skew import compare_units, nearest_pairs, vectorise
from debtscan.runner import scan

from helpers import scan_project

TRAIN = """
    import sys

    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression


    def build(df):
        df = df.copy()
        df["weight_kg"] = df["weight_lb"] * 0.4536
        df["is_senior"] = (df["age"] >= 65).astype(int)
        df["visits_log"] = np.log1p(df["visits"])
        return df


    if __name__ == "__main__":
        df = build(pd.read_csv(sys.argv[1]))
        LogisticRegression().fit(df[["weight_kg", "is_senior", "visits_log"]], df["readmitted"])
"""

SERVE = """
    import numpy as np
    import pandas as pd
    from fastapi import FastAPI

    app = FastAPI()


    def build(frame):
        frame = frame.copy()
        frame["weight_kg"] = frame["weight_lb"] * {centre}
        frame["is_senior"] = (frame["age"] {comparison}).astype(int)
        frame["visits_log"] = np.log1p(frame["visits"])
        return frame


    @app.post("/predict")
    def predict(patient: dict):
        return build(pd.DataFrame([patient])).to_dict()
"""


def ds4(result, rule=None):
    return [f for f in result.findings if f.rule.startswith("DS4") and (rule is None or f.rule == rule)]


def project(tmp_path, serve_centre="0.4536", comparison=">= 65", **extra):
    files = {"train.py": TRAIN, "serve.py": SERVE.format(centre=serve_centre, comparison=comparison), **extra}
    return scan_project(tmp_path, files)


def test_exact_copy_is_a_warning_pointing_at_its_twin(tmp_path):
    findings = ds4(project(tmp_path))
    assert [(f.rule, f.path, f.location.line) for f in findings] == [("DS401", "serve.py", 9)]
    finding = findings[0]
    assert finding.severity is Severity.WARNING and finding.confidence is Confidence.HIGH
    assert "repeats 3 feature statements of `build` in train.py" in finding.message
    assert finding.related[0].path == "train.py" and finding.related[0].line == 9


def test_diverged_constant_is_an_error_showing_the_pair(tmp_path):
    findings = ds4(project(tmp_path, serve_centre="0.4535"))
    assert [(f.rule, f.location.line) for f in findings] == [("DS402", 11)]
    assert findings[0].severity is Severity.ERROR
    assert "`0.4535` vs `0.4536` (serving vs training)" in findings[0].message
    assert (findings[0].related[0].path, findings[0].related[0].line) == ("train.py", 11)


def test_diverged_comparison_shows_operator_and_threshold(tmp_path):
    findings = ds4(project(tmp_path, comparison=">= 60"))
    assert [f.rule for f in findings] == ["DS402"]
    assert "`>= 60` vs `>= 65`" in findings[0].message


def test_diverged_operator_alone_is_shown(tmp_path):
    findings = ds4(project(tmp_path, comparison="> 65"))
    assert "`> 65` vs `>= 65`" in findings[0].message


def test_shared_module_imported_by_both_sides_is_never_reported(tmp_path):
    files = {
        "features.py": TRAIN.split("if __name__")[0],
        "train.py": "import sys\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"
                    "from features import build\n\ndf = build(pd.read_csv(sys.argv[1]))\n"
                    "Ridge().fit(df[['weight_kg']], df['y'])\n",
        "serve.py": "import pandas as pd\nfrom fastapi import FastAPI\nfrom features import build\napp = FastAPI()\n\n"
                    "@app.post('/p')\ndef p(x: dict):\n    return build(pd.DataFrame([x])).to_dict()\n",
    }
    assert ds4(scan_project(tmp_path, files)) == []


def test_tests_that_mirror_production_code_are_not_reported(tmp_path):
    mirror = SERVE.format(centre="0.45", comparison="> 70").replace("@app.post(\"/predict\")\n", "")
    result = project(tmp_path, **{"tests/test_build.py": mirror})
    assert [(f.rule, f.path) for f in ds4(result)] == [("DS401", "serve.py")]


def test_unrelated_models_with_look_alike_code_are_not_paired(tmp_path):
    other = SERVE.format(centre="0.4536", comparison=">= 65")
    for old, new in (("weight", "spend"), ("age", "tenure"), ("visits", "tickets"), ("is_senior", "is_loyal")):
        other = other.replace(old, new)
    assert ds4(scan_project(tmp_path, {"train.py": TRAIN, "serve.py": other})) == []


def test_separate_projects_in_one_repository_are_not_paired(tmp_path):
    files = {"week_1/train.py": TRAIN, "week_1/serve.py": "from fastapi import FastAPI\napp = FastAPI()\n",
             "week_2/serve.py": SERVE.format(centre="0.4536", comparison=">= 65"),
             "week_2/train.py": "from sklearn.linear_model import Ridge\n\ndef fit(X, y):\n    Ridge().fit(X, y)\n"}
    assert ds4(scan_project(tmp_path, files)) == []


ROW_TRAIN = """
    import sys

    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier


    def features(df):
        df["income_log"] = np.log1p(df["income"])
        df["debt_ratio"] = df["debt"] * 12 / df["income"].clip(lower=1)
        df["band"] = (df["years"] >= 5).astype(int)
        df["zone"] = df["region"].astype(str) + "_" + df["plan"].astype(str)
        df["age"] = df["age"].fillna(0)
        return df


    if __name__ == "__main__":
        df = features(pd.read_parquet(sys.argv[1]))
        RandomForestClassifier(random_state=0).fit(df[["income_log"]], df["default"])
"""

ROW_SERVE = """
    import math

    from flask import Flask, request

    app = Flask(__name__)


    def row(a):
        return {{
            "income_log": {income_log},
            "debt_ratio": a["debt"] * 12 / max(a["income"], 1),
            "band": {band},
            "zone": f"{{a['region']}}_{{a['plan']}}",
            "age": a["age"],
            "prediction": a["income"] * 2,
        }}


    @app.route("/score", methods=["POST"])
    def score():
        return row(request.get_json())
"""


def row_project(tmp_path, income_log='math.log(1 + a["income"])', band='1 if a["years"] >= 5 else 0'):
    return scan_project(tmp_path, {"train.py": ROW_TRAIN,
                                   "app.py": ROW_SERVE.format(income_log=income_log, band=band)})


def test_pandas_and_row_wise_code_that_agree_are_not_reported(tmp_path):
    assert ds4(row_project(tmp_path)) == []


def test_same_feature_computed_differently_is_reported_with_both_expressions(tmp_path):
    findings = ds4(row_project(tmp_path, band='int(a["years"] > 5)'))
    assert [(f.rule, f.path, f.location.line) for f in findings] == [("DS403", "app.py", 13)]
    message = findings[0].message
    assert 'as `int(a["years"] > 5)` here but as `(df["years"] >= 5).astype(int)` in training code (train.py:12)' \
        in message
    assert findings[0].confidence is Confidence.MEDIUM
    assert (findings[0].related[0].path, findings[0].related[0].line) == ("train.py", 12)


def test_log_against_log1p_is_a_difference(tmp_path):
    findings = ds4(row_project(tmp_path, income_log='math.log(a["income"])'))
    assert [f.rule for f in findings] == ["DS403"] and "`income_log`" in findings[0].message


FITTED = """
    import pandas as pd
    from flask import Flask, request
    from sklearn.preprocessing import StandardScaler

    app = Flask(__name__)
    startup_scaler = StandardScaler().fit(pd.read_csv("reference.csv"))


    @app.route("/score", methods=["POST"])
    def score():
        frame = pd.DataFrame(request.get_json())
        return prepare(frame).tolist()


    def prepare(frame):
        scaler = StandardScaler()
        scaler.fit(frame[["a", "b"]])
        return scaler.transform(frame[["a", "b"]])


    @app.route("/z", methods=["POST"])
    def z():
        payload = request.get_json()
        pixel = (payload["pixel"] - 0.485) / 0.229
        return {"age_z": (payload["age"] - 41.7) / 12.3, "centred": payload["x"] - payload["x"],
                "batch": (frame_of(payload)["a"] - frame_of(payload)["a"].mean()), "pixel": pixel}


    def frame_of(payload):
        return pd.DataFrame([payload])
"""


def test_fitting_in_what_a_handler_calls_is_a_refit_but_startup_fitting_is_not(tmp_path):
    findings = ds4(scan_project(tmp_path, {"app.py": FITTED}), "DS404")
    lines = [(f.location.line, f.confidence) for f in findings]
    assert (18, Confidence.HIGH) in lines  # scaler.fit(...) in prepare(), called by the route
    assert all(line != 7 for line, _ in lines)  # fitted once at start-up, on reference data
    batch = [f for f in findings if "statistics of the request's own rows" in f.message]
    assert len(batch) == 1 and batch[0].confidence is Confidence.MEDIUM


def test_hard_coded_statistics_confidence_depends_on_training_fitting_a_scaler(tmp_path):
    alone = ds4(scan_project(tmp_path / "alone", {"app.py": FITTED}), "DS405")
    assert [(f.location.line, f.confidence) for f in alone] == [(26, Confidence.LOW)]
    trained = ds4(scan_project(tmp_path / "trained", {"app.py": FITTED, "train.py": """
        from sklearn.preprocessing import StandardScaler
        from sklearn.linear_model import Ridge

        def main(X, y):
            X = StandardScaler().fit_transform(X)
            Ridge().fit(X, y)
    """}), "DS405")
    assert [(f.location.line, f.confidence) for f in trained] == [(26, Confidence.MEDIUM)]
    assert "41.7" in trained[0].message and "0.485" not in trained[0].message


def test_get_dummies_at_serving_time_is_reported_and_in_training_it_is_not(tmp_path):
    result = scan_project(tmp_path, {
        "app.py": "import pandas as pd\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.post('/p')\n"
                  "def p(rows: list):\n    return pd.get_dummies(pd.DataFrame(rows)).to_dict()\n",
        "train.py": "import pandas as pd\n\ndef main(df, model):\n    model.fit(pd.get_dummies(df), df['y'])\n",
    })
    assert [(f.rule, f.path, f.location.line) for f in ds4(result)] == [("DS404", "app.py", 7)]


def test_notebook_units_point_at_their_cell(tmp_path):
    cell = lambda source: {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"
             "df = pd.read_csv('x.csv')\n"),
        cell("df['weight_kg'] = df['weight_lb'] * 0.4536\ndf['is_senior'] = (df['age'] >= 65).astype(int)\n"
             "df['visits_log'] = np.log1p(df['visits'])\n"),
        cell("Ridge().fit(df[['weight_kg']], df['y'])\n"),
    ]}
    result = scan_project(tmp_path, {"explore.ipynb": json.dumps(notebook),
                                     "serve.py": SERVE.format(centre="0.4536", comparison=">= 60")})
    findings = ds4(result)
    assert [f.rule for f in findings] == ["DS402"]
    twin = findings[0].related[0]
    assert (twin.path, twin.cell, twin.line) == ("explore.ipynb", 2, 2)
    assert "the top-level feature code (cell 2, line 1)" in findings[0].message


def test_broken_files_do_not_stop_the_analysis(tmp_path):
    result = project(tmp_path, serve_centre="0.4535", **{"broken.py": "def f(:\n", "legacy.py": "print 'x'\n"})
    assert not result.errors
    assert [f.rule for f in ds4(result)] == ["DS402"]


def test_output_is_the_same_with_one_or_two_workers(tmp_path):
    files = {f"m{index}/train.py": TRAIN for index in range(15)}
    files.update({f"m{index}/serve.py": SERVE.format(centre="0.4535", comparison=">= 65") for index in range(15)})
    one = scan_project(tmp_path, files)
    two = scan([tmp_path], tmp_path, Settings(min_confidence=Confidence.LOW), jobs=2)
    as_text = lambda result: [(f.path, f.location.line, f.rule, f.message) for f in ds4(result)]
    assert as_text(one) == as_text(two) and len(as_text(one)) == 15


# -- the pairing stage on its own -----------------------------------------------------------------

def grams(*tokens):
    return [[hash_, 1] for hash_ in sorted(set(tokens))]


@pytest.fixture(params=["exact", "lsh"])
def pairing(request, monkeypatch):
    """Both ways of pairing: every cosine (small projects) and LSH buckets (large ones)."""
    if request.param == "lsh":
        monkeypatch.setattr(skew, "EXACT_BUDGET", 0)
    return request.param


def test_nearest_pairs_finds_identical_units_and_ignores_unrelated_ones(pairing):
    rng = np.random.default_rng(0)
    units = [grams(*rng.choice(200_000, size=40, replace=False).tolist()) for _ in range(200)]
    units.append(units[7])  # a serving copy of offline unit 7
    side = [0] * 200 + [1]
    pairs = nearest_pairs(vectorise(units), side)
    assert [(serving, offline) for serving, offline, _ in pairs] == [(200, 7)]
    assert pairs[0][2] == pytest.approx(1.0)


def test_nearest_pairs_bounds_the_partners_of_each_serving_unit(pairing):
    unit = grams(*range(30))
    side = [0] * 500 + [1] * 10
    pairs = nearest_pairs(vectorise([unit] * 510), side, neighbours=3)
    assert len(pairs) == 30  # ten serving units, three nearest each, although all 5,000 pairs tie
    assert {offline for _, offline, _ in pairs} == {0, 1, 2}  # ties go to the first rows, deterministically
    assert pairs == sorted(pairs, key=lambda item: (item[0], -item[2], item[1]))


def test_rows_of_neither_side_never_crowd_out_a_partner(pairing):
    unit = grams(*range(30))
    side = [-1] * 50 + [0, 1]
    pairs = nearest_pairs(vectorise([unit] * 52), side)
    assert [(serving, offline) for serving, offline, _ in pairs] == [(51, 50)]


def test_nearest_pairs_without_both_sides_is_empty(pairing):
    assert nearest_pairs(vectorise([grams(1, 2, 3)] * 3), [0, 0, -1]) == []


def row(digest, values, target="", tokens=20):
    return [digest, values, "text", {"line": 1}, tokens, target]


def test_compare_units_tells_exact_from_diverged_copies():
    offline = {"statements": [row("a", [["1.0", "1"]]), row("b", [[">= 65.0", ">= 65"]], "'x'")]}
    exact = {"statements": [row("a", [["1.0", "1"]]), row("b", [[">= 65.0", ">= 65"]], "'x'")]}
    diverged = {"statements": [row("a", [["1.0", "1"]]), row("b", [[">= 60.0", ">= 60"]], "'x'")]}
    assert compare_units(exact, offline).exact
    assert compare_units(diverged, offline).value_differences == [(1, 1, ">= 60", ">= 65")]


def test_compare_units_needs_enough_shared_code():
    offline = {"statements": [row("a", []), row("b", []), row("c", [])]}
    assert compare_units({"statements": [row("a", [], tokens=8)]}, offline) is None
    assert compare_units({"statements": [row("x", []), row("y", [])]}, offline) is None


def test_odd_feature_code_does_not_break_the_scan(tmp_path):
    odd = """
        import math
        import numpy as np
        from fastapi import FastAPI
        app = FastAPI()

        @app.post("/odd")
        async def odd(payload: dict, *rows, **extra):
            big = payload["x"] * 1000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
            label = "%(a)s-%(b)s" % {"a": payload["a"], "b": payload["b"]}
            spec = f"{payload['v']:>10.2f}_{payload['w']!r}"
            if (n := payload.get("n")) is not None:
                payload["n2"] = n ** 2
            match payload.get("kind"):
                case "a":
                    payload["k"] = 1
            return {"big": big, "label": label, "spec": spec, "f": payload["f"].apply(lambda v, w=2: v * w),
                    "g": [*rows], "h": {**extra}, "i": -payload["i"] if payload["i"] else ~payload["j"],
                    "j": payload["a"][1:3], "k": payload["m"][:, 0], "l": not payload["z"]}
    """
    result = scan_project(tmp_path, {"train.py": TRAIN, "odd.py": odd})
    assert not result.errors
    assert [f.rule for f in result.findings if f.rule.startswith("DS0")] == []
    units = result.project.files["odd.py"].data["features"]["units"]
    names = {feature[0] for unit in units for feature in unit["features"]}
    assert {"big", "label", "spec", "f", "i", "j", "k", "l"} <= names


def test_literal_vocabularies_at_serving_time_are_reported(tmp_path):
    app = """
        from flask import Flask, request
        app = Flask(__name__)
        PLANS = ["free", "basic", "plus", "pro", "team", "enterprise"]
        REGIONS = {"north": 0, "south": 1, "east": 2, "west": 3, "central": 4}
        YES_NO = {"yes": 1, "no": 0}

        @app.route("/score", methods=["POST"])
        def score():
            payload = request.get_json()
            plan = PLANS.index(payload["plan"])
            region = REGIONS[payload["region"]]
            answer = YES_NO[payload["consent"]]
            return {"x": [plan, region, answer]}
    """
    found = [(f.location.line, f.rule) for f in ds4(scan_project(tmp_path, {"app.py": app}))]
    assert found == [(11, "DS405"), (12, "DS405")]


def test_feature_units_and_copies_appear_in_the_graph_with_their_findings(tmp_path):
    from debtscan.graph import graph_for

    result = project(tmp_path, serve_centre="0.4535")
    graph = graph_for(result)
    serving, training = "feature:serve.py:build", "feature:train.py:build"
    assert graph.nodes[serving]["kind"] == "feature" and graph.nodes[serving]["role"] == "serving"
    assert graph.nodes[training]["role"] == "training"
    assert graph.edges[serving, training]["kind"] == "copies" and graph.edges[serving, training]["exact"] is False
    assert graph.edges[serving, "module:serve.py"] == {"kind": "feeds", "side": "serving"}
    assert graph.nodes[serving]["rules"] == "DS402"
    assert "weight_kg" in graph.nodes[serving]["computes"]


def test_a_feature_computed_differently_names_the_notebook_cell_of_its_training_twin(tmp_path):
    cell = lambda source: {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": source}
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        cell("import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import Ridge\n"),
        cell("df = pd.read_csv('customers.csv')\ndf['tenure_log'] = np.log1p(df['tenure_months'])\n"
             "df['is_annual'] = (df['plan'] == 'annual').astype(int)\n"
             "Ridge().fit(df[['tenure_log', 'is_annual']], df['y'])\n"),
    ]}
    serve = ("import math\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.post('/predict')\n"
             "def predict(payload: dict):\n"
             "    return {'tenure_log': math.log(payload['tenure_months']), 'plan': payload['plan'].lower()}\n")
    findings = ds4(scan_project(tmp_path, {"explore.ipynb": json.dumps(notebook), "serve.py": serve}), "DS403")
    assert [(f.path, f.location.line) for f in findings] == [("serve.py", 7)]
    assert "(explore.ipynb:cell 2:2)" in findings[0].message


# -- the pairing kept in the cache ------------------------------------------------------------------

def _skew_project(root):
    from textwrap import dedent

    root.mkdir()
    (root / "train.py").write_text(dedent(TRAIN))
    (root / "serve.py").write_text(dedent(SERVE.format(centre="0.4535", comparison=">= 65")))
    return root


def test_a_warm_scan_reuses_the_pairing_without_importing_scikit_learn(tmp_path):
    import subprocess
    import sys

    root, cache = _skew_project(tmp_path / "p"), tmp_path / "cache"
    program = ("import sys; from pathlib import Path; from debtscan.config import Settings; "
               "from debtscan.runner import scan; root = Path(sys.argv[1]); "
               "found = scan([root], root, Settings(), jobs=1, cache_dir=Path(sys.argv[2])); "
               "print(sorted((f.rule, f.path, f.location.line, f.message) for f in found.findings "
               "if f.rule.startswith('DS4'))); print('sklearn' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", program, str(root), str(cache)], capture_output=True, text=True,
                           check=True).stdout.splitlines() for _ in range(2)]
    assert runs[0][0] == runs[1][0] and "DS402" in runs[0][0]
    assert runs[0][1] == "True"  # the cold scan computed the vectors
    assert runs[1][1] == "False"  # the warm scan found the pairs in the cache


def test_a_damaged_or_planted_pairing_in_the_cache_is_computed_again(tmp_path):
    from debtscan.cache import encode_value

    root, cache = _skew_project(tmp_path / "p"), tmp_path / "cache"
    as_text = lambda result: [(f.path, f.location.line, f.rule, f.message) for f in ds4(result)]
    cold = as_text(scan([root], root, Settings(), jobs=1, cache_dir=cache))
    stored = [path for path in cache.rglob("*.json") if b'"name":"skew-pairs"' in path.read_bytes()]
    assert len(stored) == 1
    original = stored[0].read_bytes()
    key = original.split(b" ")[2].decode()
    planted = [encode_value([[99, 0, 1.0]], key, "skew-pairs"),  # well framed, rows that do not exist
               encode_value([[1, 0, "1.0"]], key, "skew-pairs"),
               stored[0].read_bytes()[:-5]]  # truncated
    for raw in planted:
        stored[0].write_bytes(raw)
        assert as_text(scan([root], root, Settings(), jobs=1, cache_dir=cache)) == cold
        assert stored[0].read_bytes() == original  # and stored again as it should be


def test_pairing_inputs_change_with_any_gram_or_side():
    first = skew._pairing_inputs([[[1, 2]], [[3, 1]]], [0, 1])
    assert first == skew._pairing_inputs([[[1, 2]], [[3, 1]]], [0, 1])
    assert first != skew._pairing_inputs([[[1, 2]], [[3, 2]]], [0, 1])
    assert first != skew._pairing_inputs([[[1, 2]], [[3, 1]]], [1, 0])
    assert first != skew._pairing_inputs([[[1, 2], [3, 1]], []], [0, 1])


def test_a_library_without_a_known_version_never_reuses_a_stored_pairing():
    assert skew._version("scikit-learn") != skew._version("no-such-distribution-here")
    assert skew._version("no-such-distribution-here").startswith("unknown-")
