"""Regenerate rules/catalog/sklearn.toml from the installed scikit-learn's signatures.

Every public estimator, splitter and function whose `random_state` parameter defaults to
None is listed; OVERRIDES records where the parameter only matters for some arguments (for
example `KFold` only shuffles with `shuffle=True`). Run it after a scikit-learn upgrade:

    python scripts/generate_sklearn_catalog.py > rules/catalog/sklearn.toml
"""

from __future__ import annotations

import importlib
import inspect
import json
import warnings

import sklearn
from sklearn.utils import all_estimators

MODULES = [
    "sklearn.model_selection", "sklearn.datasets", "sklearn.utils", "sklearn.inspection",
    "sklearn.decomposition", "sklearn.cluster", "sklearn.manifold", "sklearn.feature_selection",
    "sklearn.utils.extmath", "sklearn.metrics", "sklearn.preprocessing", "sklearn.random_projection",
    "sklearn.svm", "sklearn.linear_model", "sklearn.covariance", "sklearn.mixture", "sklearn.ensemble",
]

# name -> (condition on keyword arguments, defaults of those keywords, confidence)
OVERRIDES: dict[str, dict] = {
    "KFold": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "StratifiedKFold": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "StratifiedGroupKFold": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "GroupKFold": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "train_test_split": {"when": {"shuffle": [True]}, "defaults": {"shuffle": True}},
    "learning_curve": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    # liblinear shuffles only in its dual and L1 solvers; its default (primal L2) gives the same
    # coefficients for every random_state, so only sag and saga are reported
    "LogisticRegression": {"when": {"solver": ["sag", "saga"]}, "defaults": {"solver": "lbfgs"}},
    "LogisticRegressionCV": {"when": {"solver": ["sag", "saga"]}, "defaults": {"solver": "lbfgs"}},
    "SVC": {"when": {"probability": [True]}, "defaults": {"probability": False}},
    "NuSVC": {"when": {"probability": [True]}, "defaults": {"probability": False}},
    "Ridge": {"when": {"solver": ["sag", "saga"]}, "defaults": {"solver": "auto"}},
    "RidgeClassifier": {"when": {"solver": ["sag", "saga"]}, "defaults": {"solver": "auto"}},
    "Lasso": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "ElasticNet": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "LassoCV": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "ElasticNetCV": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "MultiTaskLasso": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "MultiTaskElasticNet": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "MultiTaskLassoCV": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "MultiTaskElasticNetCV": {"when": {"selection": ["random"]}, "defaults": {"selection": "cyclic"}},
    "DummyClassifier": {"when": {"strategy": ["stratified", "uniform"]}, "defaults": {"strategy": "prior"}},
    "NMF": {"when": {"init": ["random", "nndsvdar"]}, "defaults": {"init": None}},
    "IterativeImputer": {"when": {"sample_posterior": [True]}, "defaults": {"sample_posterior": False}},
    "fetch_covtype": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "fetch_kddcup99": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    "fetch_rcv1": {"when": {"shuffle": [True]}, "defaults": {"shuffle": False}},
    # These only subsample (and so only draw) on data larger than their `subsample` size.
    "QuantileTransformer": {"confidence": "low"},
    # svd_solver="auto" is the exact, deterministic SVD unless the data is larger than 500x500
    "PCA": {"confidence": "low"},
    # only subsamples (and so only draws) when sample_size is given
    "silhouette_score": {"confidence": "low"},
    "KBinsDiscretizer": {"confidence": "low"},
    "HistGradientBoostingClassifier": {"confidence": "medium"},
    "HistGradientBoostingRegressor": {"confidence": "medium"},
}


def public_name(obj, default_module: str) -> str | None:
    """The public dotted path under which users import `obj`."""
    parts = obj.__module__.split(".")
    for depth in (2, 3):
        candidate = ".".join(parts[:depth])
        try:
            module = importlib.import_module(candidate)
        except ImportError:
            continue
        if getattr(module, obj.__name__, None) is obj and not any(p.startswith("_") for p in candidate.split(".")):
            return f"{candidate}.{obj.__name__}"
    module = importlib.import_module(default_module)
    if getattr(module, obj.__name__, None) is obj:
        return f"{default_module}.{obj.__name__}"
    return None


def takes_random_state(obj) -> inspect.Parameter | None:
    try:
        parameter = inspect.signature(obj).parameters.get("random_state")
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is not None:
        return None
    return parameter


def main() -> None:
    warnings.filterwarnings("ignore")
    found: dict[str, tuple[str, int]] = {}
    candidates = [(cls, cls.__module__) for _, cls in all_estimators()]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for attr in getattr(module, "__all__", []):
            try:
                candidates.append((getattr(module, attr), module_name))
            except (AttributeError, ImportError):
                continue
    for obj, module_name in candidates:
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        parameter = takes_random_state(obj)
        if parameter is None:
            continue
        name = public_name(obj, module_name)
        if name is None:
            continue
        names = list(inspect.signature(obj).parameters)
        position = names.index("random_state") if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD else -1
        found[name] = (obj.__name__, position)

    groups: dict[str, list[tuple[str, int]]] = {}
    for name, (short, position) in sorted(found.items()):
        override = OVERRIDES.get(short)
        key = json.dumps(override, sort_keys=True) if override else ""
        groups.setdefault(key, []).append((name, position))

    print(f"# Generated by scripts/generate_sklearn_catalog.py from scikit-learn {sklearn.__version__}.")
    print("# Every public callable whose `random_state` defaults to None draws from NumPy's global")
    print("# random state when it is not given one. Edit OVERRIDES in the script, not this file.")
    for key in sorted(groups):
        override = json.loads(key) if key else {}
        print()
        print("[[random_state]]")
        print('stream = "numpy"')
        print('param = "random_state"')
        if "confidence" in override:
            print(f'confidence = "{override["confidence"]}"')
        if "when" in override:
            print("when = { " + ", ".join(f"{k} = {toml_value(v)}" for k, v in override["when"].items()) + " }")
            print("defaults = { " + ", ".join(f"{k} = {toml_value(v)}" for k, v in override["defaults"].items()) + " }")
        print("names = [")
        for name, position in groups[key]:
            print(f'    "{name}",')
        print("]")
        positions = {name: position for name, position in groups[key] if position >= 0}
        if positions:
            print("positions = { " + ", ".join(f'"{n}" = {p}' for n, p in sorted(positions.items())) + " }")


def toml_value(value) -> str:
    if value is None:
        return '"None"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


if __name__ == "__main__":
    main()
