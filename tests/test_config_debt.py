"""Configuration debt: hyperparameters and thresholds written into code (DS801-DS803)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from debtscan.model import Confidence, Severity

from helpers import found, lines_of, scan_project

ROOT = Path(__file__).resolve().parent.parent
ARGPARSE = """
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
"""


def by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_hyperparameter_catalog_matches_installed_scikit_learn():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_hyperparameter_catalog.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_literal_next_to_argparse_is_reported_with_high_confidence(tmp_path):
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    import torch
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.05)
    """})
    [finding] = by_rule(result, "DS801")
    assert finding.location.line == 8 and finding.confidence is Confidence.HIGH
    assert "`weight_decay=0.05`" in finding.message and "argparse (in this file)" in finding.message
    assert "weight_decay" in finding.fix


def test_no_config_system_means_no_hard_coded_hyperparameter(tmp_path):
    result = scan_project(tmp_path, {"notebook.py": """
        from sklearn.ensemble import GradientBoostingClassifier
        model = GradientBoostingClassifier(learning_rate=0.05, max_depth=5)
    """})
    assert found(result, "DS801") == []


def test_config_system_in_an_unrelated_directory_does_not_count(tmp_path):
    result = scan_project(tmp_path, {
        "tools/download.py": ARGPARSE,
        "experiments/mnist.py": "import torch\nopt = torch.optim.SGD(params, lr=0.1)\n",
    })
    assert found(result, "DS801") == []


def test_a_config_system_counts_for_the_modules_its_program_imports_not_its_siblings(tmp_path):
    """The argparse of `app/cli.py` configures `app/cli.py`: it says nothing of `app/model.py`
    beside it, which nothing of that program imports."""
    result = scan_project(tmp_path, {
        "app/cli.py": ARGPARSE,
        "app/model.py": "import torch\nopt = torch.optim.SGD(params, lr=0.1)\n",
        "lib/nets.py": "import torch\nopt = torch.optim.Adam(params, lr=3e-4)\n",
        "run.py": ARGPARSE + "    from lib import nets\n",
    })
    assert sorted((f.path, f.confidence) for f in by_rule(result, "DS801")) == [("lib/nets.py", Confidence.MEDIUM)]


def test_a_program_that_autologs_records_its_hyperparameters(tmp_path):
    autolog = "    import mlflow\n    mlflow.sklearn.autolog()\n"
    forest = "    from sklearn.ensemble import RandomForestClassifier\n    m = RandomForestClassifier(max_depth=7)\n"
    result = scan_project(tmp_path, {"train.py": ARGPARSE + forest, "logged.py": ARGPARSE + autolog + forest})
    assert [f.path for f in by_rule(result, "DS801")] == ["train.py"]


def test_config_module_counts_and_its_own_literals_are_the_configuration(tmp_path):
    result = scan_project(tmp_path, {
        "config.py": "from sklearn.svm import SVC\nSEED = 1\nBASELINE = SVC(C=3.0)\n",
        "train.py": "import config\nfrom sklearn.svm import SVC\nmodel = SVC(C=10.0, gamma=config.SEED)\n",
    })
    [finding] = by_rule(result, "DS801")
    assert finding.path == "train.py" and "a config module (`config.py`)" in finding.message


def test_literals_equal_to_the_library_default_are_not_debt(tmp_path):
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    import torch
    from sklearn.ensemble import RandomForestClassifier
    from tensorflow import keras
    forest = RandomForestClassifier(n_estimators=100, min_samples_leaf=1, max_features="sqrt")
    adamw = torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01)
    adam = keras.optimizers.Adam(learning_rate=0.001)
    changed = torch.optim.Adam(params, betas=(0.9, 0.98))
    """})
    assert lines_of(result, "DS801") == [13]


def test_values_from_config_and_named_constants_are_not_reported(tmp_path):
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    import torch
    MOMENTUM = 0.9
    opt = torch.optim.SGD(params, lr=args.lr, momentum=MOMENTUM, weight_decay=cfg["wd"])
    """})
    assert found(result, "DS801") == []


def test_positional_arguments_keyword_dicts_and_params_dicts_are_read(tmp_path):
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    import lightgbm as lgb
    import torch
    import xgboost as xgb
    opt = torch.optim.SGD(params, 0.1, 0.9)
    PARAMS = {"learning_rate": 0.03, "num_leaves": 31}
    booster = lgb.train(PARAMS, train_set)
    XGB = {"max_depth": 8}
    model = xgb.XGBClassifier(**XGB)
    """})
    messages = sorted(f.message.split("`")[1] for f in by_rule(result, "DS801"))
    assert messages == ["learning_rate=0.03", "lr=0.1", "max_depth=8", "momentum=0.9"]


def test_loader_batch_size_counts_only_for_a_shuffling_training_loader(tmp_path):
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    import torch
    from torch.utils.data import DataLoader
    torch.manual_seed(0)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=512)
    """})
    assert lines_of(result, "DS801") == [10]


def test_keras_fit_needs_keras_in_the_file_and_tf_keras_names_map_onto_keras(tmp_path):
    result = scan_project(tmp_path, {
        "train.py": ARGPARSE + """
    import tensorflow as tf
    model.compile(optimizer=tf.keras.optimizers.legacy.Adam(learning_rate=3e-4))
    model.fit(x, y, epochs=30, batch_size=32)
    """,
        "sk.py": ARGPARSE + "    model.fit(x, y, epochs=30)\n",
    })
    assert sorted((f.path, f.location.line) for f in by_rule(result, "DS801")) == [("train.py", 8), ("train.py", 9)]


def test_tests_are_not_checked(tmp_path):
    result = scan_project(tmp_path, {
        "train.py": ARGPARSE,
        "tests/test_model.py": "from sklearn.svm import SVC\nmodel = SVC(C=5.0)\nassert proba > 0.8\n",
    })
    assert found(result, "DS801") == [] and found(result, "DS803") == []


def test_catalog_extensions_teach_the_project_own_estimators(tmp_path):
    extension = {"hyperparameters": [{"kind": "estimator", "names": ["acme.models.Forest"], "defaults": {"depth": 4}}]}
    result = scan_project(tmp_path, {"train.py": ARGPARSE + """
    from acme.models import Forest
    default = Forest(depth=4)
    deep = Forest(depth=12)
    """}, catalog=extension)
    assert lines_of(result, "DS801") == [9]


def test_divergent_values_between_importing_modules_are_reported_on_both(tmp_path):
    result = scan_project(tmp_path, {
        "pipeline.py": "from sklearn.ensemble import RandomForestClassifier\n"
                       "def forest():\n    return RandomForestClassifier(n_estimators=500, max_depth=12)\n",
        "sweep.py": "from sklearn.ensemble import RandomForestClassifier\nfrom pipeline import forest\n"
                    "quick = RandomForestClassifier(n_estimators=200, max_depth=12)\n",
    })
    findings = by_rule(result, "DS802")
    assert sorted((f.path, f.location.line) for f in findings) == [("pipeline.py", 3), ("sweep.py", 3)]
    sweep = next(f for f in findings if f.path == "sweep.py")
    assert "200 here but 500 at pipeline.py:3" in sweep.message
    assert [(loc.path, loc.line) for loc in sweep.related] == [("pipeline.py", 3)]
    assert sweep.confidence is Confidence.MEDIUM


def test_values_within_one_file_or_in_unrelated_programs_do_not_disagree(tmp_path):
    result = scan_project(tmp_path, {
        "notebook.py": "from sklearn.svm import SVC\nfor_show = SVC(C=0.01)\nbest = SVC(C=100.0)\n",
        "mnist/main.py": "import torch\nopt = torch.optim.SGD(p, lr=0.01)\n",
        "imagenet/main.py": "import torch\nopt = torch.optim.SGD(p, lr=0.1)\n",
        "a.py": "from sklearn.svm import SVC\nimport b\nm = SVC(C=1.0)\n",
        "b.py": "from sklearn.svm import SVC\nm = SVC(C=5.0)\n",
    })
    assert found(result, "DS802") == []  # a.py's C=1.0 is the default: no decision to disagree with


def test_decision_thresholds_on_model_output(tmp_path):
    result = scan_project(tmp_path, {"serve.py": """
        import torch
        proba = model.predict_proba(X)[:, 1]
        flagged = proba > 0.7
        default = proba >= 0.5
        chosen = proba >= settings.threshold
        mask = torch.sigmoid(logits) >= 0.35
        labels = (val_preds > 0.4).astype(int)
        keep = scores > 0.25
        if best_model_score < 0.6:
            raise ValueError("no good model")
        probs[probs < 1e-10] = 1e-10
        assert proba.max() < 0.99
    """})
    confidences = {f.location.line: f.confidence for f in by_rule(result, "DS803")}
    assert confidences == {4: Confidence.HIGH, 7: Confidence.HIGH, 8: Confidence.MEDIUM, 9: Confidence.LOW}


def test_threshold_message_names_the_model_output(tmp_path):
    result = scan_project(tmp_path, {"serve.py": "proba = clf.predict_proba(X)[:, 1]\nflag = 0.8 < proba\n"})
    [finding] = by_rule(result, "DS803")
    assert finding.message.startswith("Decision threshold 0.8 on `proba` (from `clf.predict_proba(...)`)")
    assert finding.severity is Severity.WARNING
