"""Roles: which code trains, which serves, which is shared or a test — and the evidence shown."""

from __future__ import annotations

import textwrap

import pytest

from debtscan.config import ConfigError, Settings, load_settings, settings_from_table
from debtscan.model import Confidence
from debtscan.rules.roles import RoleAnalysis, roles_of, scope_role
from debtscan.runner import scan

from helpers import write_project


def analyse(root, files, roles=()):
    write_project(root, files)
    result = scan([root], root, Settings(select=("DS4",), min_confidence=Confidence.LOW, roles=roles), jobs=1)
    return result.project


TRAIN = """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from features import add_features

    def main():
        df = add_features(pd.read_csv("data.csv"))
        model = LogisticRegression()
        model.fit(df[["a"]], df["y"])

    if __name__ == "__main__":
        main()
"""

APP = """
    import pandas as pd
    from flask import Flask, request

    from features import add_features

    app = Flask(__name__)

    @app.route("/predict", methods=["POST"])
    def predict():
        return clean(pd.DataFrame([request.get_json()]))

    def clean(frame):
        return add_features(frame)
"""

FEATURES = """
    def add_features(df):
        df["a"] = df["b"] / 12
        return df
"""


def test_flask_route_is_serving_and_what_it_calls_inherits_the_role(tmp_path):
    project = analyse(tmp_path, {"app.py": APP, "features.py": FEATURES})
    handler = scope_role(project, "app.py", "predict")
    assert handler.name == "serving"
    assert "`predict` is a web route (`@app.route`)" in handler.explain()
    helper = scope_role(project, "app.py", "clean")
    assert helper.name == "serving"
    assert "called from `predict`" in helper.evidence[0].reason


def test_helper_called_from_training_and_serving_is_shared(tmp_path):
    project = analyse(tmp_path, {"train.py": TRAIN, "app.py": APP, "features.py": FEATURES})
    assert scope_role(project, "train.py", "main").name == "training"
    shared = scope_role(project, "features.py", "add_features")
    assert shared.name == "shared"
    assert shared.sides == {"training", "serving"}
    assert roles_of(project)["features.py"].name == "shared"


def test_fit_with_labels_trains_but_fitting_a_scaler_does_not(tmp_path):
    project = analyse(tmp_path, {"prep.py": """
        from sklearn.preprocessing import StandardScaler

        def scale(X):
            return StandardScaler().fit(X)

        def train(model, X, y):
            model.fit(X, y)
    """})
    assert scope_role(project, "prep.py", "scale").name == "training"  # the file trains: fallback
    assert "scale" not in {key[1] for key in _own(project)}
    assert _own(project)[("prep.py", "train")].name == "training"


def _own(project):
    return RoleAnalysis.of(project).own


@pytest.mark.parametrize("code, scope", [
    ("import torch\n\ndef step(model, optimizer, loss):\n    loss.backward()\n    optimizer.step()\n", "step"),
    ("import xgboost as xgb\n\ndef fit(params, dtrain):\n    return xgb.train(params, dtrain)\n", "fit"),
    ("from transformers import Trainer\n\ndef run(model):\n    trainer = Trainer(model=model)\n    trainer.train()\n", "run"),
    ("import joblib\n\ndef export(model):\n    joblib.dump(model, 'model.joblib')\n", "export"),
])
def test_training_evidence(tmp_path, code, scope):
    project = analyse(tmp_path, {"lib.py": code})
    assert _own(project)[("lib.py", scope)].name == "training"


@pytest.mark.parametrize("code, scope, words", [
    ("from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.post('/score')\ndef score(x: dict):\n    return x\n",
     "score", "web route"),
    ("import kserve\n\nclass Churn(kserve.Model):\n    def predict(self, payload, headers=None):\n        return payload\n",
     "Churn.predict", "kserve.Model"),
    ("import grpc\nimport scoring_pb2_grpc\n\nclass Scorer(scoring_pb2_grpc.ScorerServicer):\n"
     "    def Score(self, request, context):\n        return request\n", "Scorer.Score", "gRPC servicer"),
    ("def lambda_handler(event, context):\n    return event\n", "lambda_handler", "AWS Lambda handler"),
    ("import bentoml\n\n@bentoml.service\nclass Svc:\n    @bentoml.api\n    def predict(self, x):\n        return x\n",
     "Svc.predict", "bentoml"),
    ("from ray import serve\n\n@serve.deployment\nclass Model:\n    def __call__(self, request):\n        return 1\n",
     "Model.__call__", "serve.deployment"),
    ("from django.http import JsonResponse\n\ndef predict(request):\n    return JsonResponse({})\n",
     "predict", "Django view"),
    ("from flask import Flask\napp = Flask(__name__)\n\ndef score():\n    return 'ok'\n\n"
     "app.add_url_rule('/score', 'score', view_func=score)\n", "score", "registered as a Flask handler"),
])
def test_serving_evidence(tmp_path, code, scope, words):
    project = analyse(tmp_path, {"svc.py": code})
    role = scope_role(project, "svc.py", scope)
    assert role.name == "serving"
    assert words in role.explain()


def test_request_parameter_is_not_a_view_without_django(tmp_path):
    project = analyse(tmp_path, {"client.py": "def fetch(request):\n    return request.url\n"})
    assert scope_role(project, "client.py", "fetch").name == "unknown"


def test_handler_that_fits_stays_a_handler(tmp_path):
    project = analyse(tmp_path, {"app.py": """
        from fastapi import FastAPI
        app = FastAPI()

        @app.post("/retrain-and-predict")
        def handler(X: list, y: list, model=None):
            model.fit(X, y)
            return model.predict(X)
    """})
    assert scope_role(project, "app.py", "handler").name == "serving"


def test_function_calling_training_code_trains_and_passes_it_on(tmp_path):
    project = analyse(tmp_path, {"pipeline.py": """
        def fit_model(model, X, y):
            model.fit(X, y)

        def build(df):
            df["a"] = df["b"] * 2
            return df

        def main(df, model):
            df = build(df)
            fit_model(model, df[["a"]], df["y"])
    """})
    main = scope_role(project, "pipeline.py", "main")
    assert main.name == "training" and "calls `fit_model`" in main.evidence[0].reason
    assert scope_role(project, "pipeline.py", "build").name == "training"


def test_script_that_only_predicts_serves_unless_training_calls_it(tmp_path):
    project = analyse(tmp_path, {
        "score.py": "import pickle\nmodel = pickle.load(open('m.bin', 'rb'))\n\n"
                    "def run(X):\n    return model.predict(X)\n",
        "evaluate.py": "def check(model, X, y):\n    model.fit(X, y)\n    return helper(model, X)\n\n"
                       "def helper(model, X):\n    return model.predict(X)\n",
    })
    assert scope_role(project, "score.py", "run").name == "serving"
    assert scope_role(project, "evaluate.py", "helper").name == "training"


def test_top_level_that_trains_and_serves_is_shared(tmp_path):
    project = analyse(tmp_path, {"notebook_like.py": """
        from flask import Flask
        app = Flask(__name__)
        model.fit(X, y)
        app.run()
    """})
    assert roles_of(project)["notebook_like.py"].name == "shared"


def test_test_files_are_tests_whatever_they_do(tmp_path):
    project = analyse(tmp_path, {
        "tests/test_model.py": "def test_fit(model, X, y):\n    model.fit(X, y)\n",
        "conftest.py": "import pytest\n",
        "pkg/model_test.py": "x = 1\n",
    })
    roles = roles_of(project)
    assert {roles[path].name for path in ("tests/test_model.py", "conftest.py", "pkg/model_test.py")} == {"test"}
    assert scope_role(project, "tests/test_model.py", "test_fit").name == "test"


def test_file_names_give_a_role_when_the_code_shows_none(tmp_path):
    project = analyse(tmp_path, {"serving/handler.py": "x = 1\n", "training/prepare.py": "y = 2\n",
                                 "evaluate.py": "z = 3\n", "utils.py": "w = 4\n"})
    roles = roles_of(project)
    assert roles["serving/handler.py"].name == "serving" and not roles["serving/handler.py"].firm
    assert roles["training/prepare.py"].name == "training"
    assert roles["evaluate.py"].name == "evaluation"
    assert roles["utils.py"].name == "unknown"


def test_module_imported_by_both_sides_is_shared(tmp_path):
    project = analyse(tmp_path, {"train.py": TRAIN, "app.py": APP, "constants.py": "A = 1\n",
                                 "features.py": "from constants import A\n" + textwrap.dedent(FEATURES)})
    assert roles_of(project)["constants.py"].name == "shared"


def test_configured_globs_override_what_the_code_says(tmp_path):
    roles = (("serving", ("jobs/*.py",)), ("shared", ("lib/**",)))
    project = analyse(tmp_path, {"jobs/nightly.py": TRAIN, "lib/features.py": FEATURES}, roles=roles)
    found = roles_of(project)
    assert found["jobs/nightly.py"].name == "serving"
    assert "[tool.debtscan.roles] serving" in found["jobs/nightly.py"].explain()
    assert found["lib/features.py"].name == "shared"
    assert scope_role(project, "jobs/nightly.py", "main").name == "serving"


def test_roles_config_is_validated():
    settings = settings_from_table({"roles": {"serving": ["api/**"], "test": "checks/*"}}, "pyproject.toml")
    assert settings.roles == (("serving", ("api/**",)), ("test", ("checks/*",)))
    with pytest.raises(ConfigError, match="unknown role.*inference"):
        settings_from_table({"roles": {"inference": ["x"]}}, "pyproject.toml")
    with pytest.raises(ConfigError, match="roles.training must be a list of strings"):
        settings_from_table({"roles": {"training": [1]}}, "pyproject.toml")
    with pytest.raises(ConfigError, match="must be a table"):
        settings_from_table({"roles": ["serving"]}, "pyproject.toml")


def test_roles_config_reaches_the_scan_from_pyproject(tmp_path):
    write_project(tmp_path, {"pyproject.toml": '[tool.debtscan.roles]\nserving = ["batch/*.py"]\n',
                             "batch/score.py": TRAIN})
    settings = load_settings(tmp_path / "pyproject.toml")
    result = scan([tmp_path], tmp_path, settings, jobs=1)
    assert roles_of(result.project)["batch/score.py"].name == "serving"
