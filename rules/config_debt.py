"""Configuration debt (DS8xx): settings that decide what a model is, written as numbers in code.

Sculley et al. call configuration "a sneaky source of debt": every learning rate, depth and
threshold is a decision, and when it lives in a call instead of in the project's config it is
invisible to whoever runs, compares or audits the model. The collector records each catalogued
hyperparameter written as a literal (with whether it equals the library's default, which
changes nothing) and where the project shows it has a config system; the project rules then
decide what is debt. Decision thresholds are found per file, where the prediction is made.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.engine import make_finding, span_location
from debtscan.model import MODULE_SCOPE, Confidence, Finding, Location
from debtscan.rule import Collector, FileRule, ProjectRule
from ._calls import UNKNOWN, argument, call_text, conditions_hold, literal, positional, walk
from .roles import is_test_file

FAMILY = "config-debt"
KEY = "config-debt"
TRIGGERS = (b"optim", b"sklearn", b"keras", b"xgb", b"xgboost", b"lightgbm", b"lgb", b"catboost", b"Trainer",
            b"TrainingArguments", b"DataLoader", b"skorch", b"fastai", b"schedule", b"argparse", b"yaml", b"hydra",
            b"click", b"flags", b"typer", b"omegaconf", b"OmegaConf", b"gin", b"config", b"Settings", b"fire")
MAX_LISTED = 3


class HyperparameterIndex(CatalogIndex):
    """The hyperparameter catalog, indexed once per process."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        self.calls = index_by_name(catalog.get("hyperparameters", []))
        self.methods = {method: entry for entry in catalog.get("hyperparameter_methods", [])
                        for method in entry.get("methods", [])}
        self.config_systems = {name: entry["label"] for entry in catalog.get("config_systems", [])
                               for name in entry.get("names", [])}
        self.config_module_names = set(catalog.get("config_modules", {}).get("names", []))
        self.run_recorders = frozenset(catalog.get("run_recorders", {}).get("names", []))
        self.aliases = sorted(catalog.get("hyperparameter_aliases", {}).items(), key=lambda item: -len(item[0]))

    def canonical(self, name: str | None) -> str | None:
        """The catalog's name for `name`: tf.keras.optimizers.legacy.Adam -> keras.optimizers.Adam."""
        for _ in range(3):
            if not name:
                return name
            for alias, target in self.aliases:
                if name.startswith(alias + ".") and alias != target:
                    name = target + name[len(alias):]
                    break
            else:
                return name
        return name

    def is_config_module(self, module: str) -> bool:
        """`config`, `settings`, `hparams`, and names ending in one of them (`train_config`)."""
        last = module.split(".")[-1] if module else ""
        return any(last == name or last.endswith("_" + name) for name in self.config_module_names)


def number(node: cst.BaseExpression) -> Any:
    """The value of a numeric literal, simple arithmetic on literals, or a tuple/list of them."""
    if isinstance(node, (cst.Tuple, cst.List)):
        values = [number(element.value) for element in node.elements
                  if not isinstance(element, cst.StarredElement)]
        if not values or len(values) != len(node.elements) or any(value is UNKNOWN for value in values):
            return UNKNOWN
        return tuple(values)
    if isinstance(node, cst.BinaryOperation):
        left, right = number(node.left), number(node.right)
        if not isinstance(left, (int, float)) or not isinstance(right, (int, float)):
            return UNKNOWN
        try:
            if isinstance(node.operator, cst.Add):
                return left + right
            if isinstance(node.operator, cst.Subtract):
                return left - right
            if isinstance(node.operator, cst.Multiply):
                return left * right
            if isinstance(node.operator, cst.Divide):
                return left / right
            if isinstance(node.operator, cst.Power) and abs(right) <= 64:
                return left ** right
        except (ArithmeticError, ValueError):
            return UNKNOWN
        return UNKNOWN
    value = literal(node)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return UNKNOWN
    return value


def same_value(value: Any, default: Any) -> bool:
    if isinstance(default, list):
        default = tuple(default)
    if isinstance(value, tuple) and isinstance(default, tuple):
        return len(value) == len(default) and all(same_value(a, b) for a, b in zip(value, default))
    if isinstance(value, (int, float)) and isinstance(default, (int, float)) and not isinstance(default, bool):
        return value == default or abs(value - default) <= 1e-12 * max(abs(value), abs(default))
    return False


def shown(node: cst.CSTNode) -> str:
    """How a literal reads in the source, shortened for a message."""
    text = cst.Module(body=()).code_for_node(node)
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


class HyperparameterCollector(Collector):
    """Hyperparameters written as literals, and the project's signs of a config system."""

    key = KEY
    triggers = TRIGGERS

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = HyperparameterIndex.of(ctx.catalog)
        self.literals: list[dict[str, Any]] = []
        self.config: list[dict[str, Any]] = []
        self.records_runs = False  # an `mlflow.autolog()` call: every run records its hyperparameters
        self.dicts: dict[tuple[str, str], cst.Dict] = {}
        self.in_tests = is_test_file(ctx.path)
        self.skip = self.in_tests or self.index.is_config_module(ctx.module)

    # -- config systems -------------------------------------------------------------------
    def _config_evidence(self, name: str | None, node: cst.CSTNode) -> None:
        label = self.index.config_systems.get(name or "")
        if label is not None and not self.in_tests and not any(item["label"] == label for item in self.config):
            self.config.append({"label": label, "span": self.ctx.span(node)})

    def visit_Decorator(self, node: cst.Decorator) -> None:
        target = node.decorator.func if isinstance(node.decorator, cst.Call) else node.decorator
        self._config_evidence(self.ctx.qualify(target), node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        for base in node.bases:
            self._config_evidence(self.ctx.qualify(base.value), base)

    # -- dict literals, for params dicts and **kwargs ----------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if isinstance(node.value, cst.Dict):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self.dicts[(self.ctx.scope, target.target.value)] = node.value

    def _dict_for(self, expression: cst.BaseExpression) -> cst.Dict | None:
        if isinstance(expression, cst.Dict):
            return expression
        if isinstance(expression, cst.Name):
            local = self.dicts.get((self.ctx.scope, expression.value))
            return local or self.dicts.get((MODULE_SCOPE, expression.value))
        return None

    # -- calls ----------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        name = self.index.canonical(self.ctx.qualify(node.func))
        self._config_evidence(name, node)
        if name in self.index.run_recorders:
            self.records_runs = True
        if self.skip:
            return
        entry = self.index.calls.get(name) if name else None
        if entry is None and isinstance(node.func, cst.Attribute):
            entry = self.index.methods.get(node.func.attr.value)
            if entry is not None and not self._imports(entry.get("requires_import", [])):
                entry = None
        if entry is None:
            return
        if entry.get("when"):
            holds = conditions_hold(node, entry["when"], entry.get("when_defaults", {}),
                                    entry.get("when_positions", {}))
            if holds is not True:
                return
        group = name if name and name in self.index.calls else f".{node.func.attr.value}"  # type: ignore[union-attr]
        self._check_arguments(node, entry, group)
        if "dict_params" in entry:
            position, word = entry["dict_params"]
            arg = argument(node, position, word)
            found = self._dict_for(arg.value) if arg is not None else None
            if found is not None:
                self._check_dict(node, found, entry.get("dict_defaults", {}), entry, group)

    def _imports(self, libraries: list[str]) -> bool:
        targets = [target for target in self.ctx.scopes.stack[0][1].values() if target]
        return any(target == library or target.startswith(library + ".") for target in targets for library in libraries)

    def _check_arguments(self, call: cst.Call, entry: dict, group: str) -> None:
        defaults = entry.get("defaults", {})
        known = set(defaults) | set(entry.get("required", []))
        positions = entry.get("positions", {})
        args = positional(call)
        for param, position in positions.items():
            if position < len(args) and param in known:
                self._record(call, group, entry, param, args[position].value, defaults)
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in known:
                self._record(call, group, entry, arg.keyword.value, arg.value, defaults)
            elif arg.star == "**":
                found = self._dict_for(arg.value)
                if found is not None:
                    self._check_dict(call, found, defaults, entry, group, allowed=known)

    def _check_dict(self, call: cst.Call, found: cst.Dict, defaults: dict, entry: dict, group: str,
                    allowed: set[str] | None = None) -> None:
        for element in found.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = literal(element.key)
            if isinstance(key, str) and key in (allowed if allowed is not None else defaults):
                self._record(call, group, entry, key, element.value, defaults)

    def _record(self, call: cst.Call, group: str, entry: dict, param: str, value_node: cst.BaseExpression,
                defaults: dict) -> None:
        value = number(value_node)
        if value is UNKNOWN:
            return
        default = defaults.get(param)
        self.literals.append({
            "group": group, "text": call_text(call), "kind": entry.get("kind", "estimator"), "param": param,
            "shown": shown(value_node), "value": value, "default": default is not None and same_value(value, default),
            "span": self.ctx.span(value_node), "symbol": self.ctx.symbol,
        })

    def finish(self) -> None:
        self.ctx.facts.data[KEY] = {"literals": self.literals, "config": self.config,
                                    **({"records_runs": True} if self.records_runs else {})}


def _where(path: str, span: dict) -> str:
    if span.get("cell") is not None:
        return f"{path} cell {span['cell']} line {span['line']}"
    return f"{path}:{span['line']}"


class ConfigEvidence:
    """Where the project shows it takes settings from outside the code."""

    def __init__(self, project) -> None:
        index = HyperparameterIndex.of(project.catalog)
        self.project = project
        self.reached: dict[str, set[str]] = {}
        self.by_path: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for path, facts in project.files.items():
            for item in facts.data.get(KEY, {}).get("config", []):
                self.by_path[path].append((item["label"], _where(path, item["span"])))
        importers: dict[str, set[str]] = defaultdict(set)
        for path, targets in project.import_edges().items():
            for target in targets:
                importers[target].add(path)
        self.recorders = sorted(path for path, facts in project.files.items()
                                if facts.data.get(KEY, {}).get("records_runs"))
        for path, facts in project.files.items():
            if index.is_config_module(facts.module) and importers.get(path):
                self.by_path[path].append(("a config module", path))
                for importer in importers[path]:
                    self.by_path[importer].append(("a config module", path))

    @classmethod
    def of(cls, project) -> "ConfigEvidence":
        if "config_evidence" not in project.memo:
            project.memo["config_evidence"] = cls(project)
        return project.memo["config_evidence"]

    def reach(self, path: str) -> set[str]:
        if path not in self.reached:
            self.reached[path] = self.project.reachable_from([path])
        return self.reached[path]

    def connected(self, one: str, other: str) -> bool:
        """Is one file part of the other's program: the same file, or imported by it (or the
        reverse), directly or through other modules?"""
        return one == other or other in self.reach(one) or one in self.reach(other)

    def describe(self, path: str) -> tuple[str, str, bool] | None:
        """(label, where, in this file) of the config system nearest to `path`: in the file, or
        in a module connected to it by imports (the program it belongs to). None when the code
        around `path` shows none: another script's argparse in the same folder configures that
        script, and a repository of independent examples is not one project."""
        if self.by_path.get(path):
            label, where = self.by_path[path][0]
            return label, where, True
        candidates = sorted(other for other, items in self.by_path.items() if items)
        for other in [item for item in candidates if self.connected(path, item)]:
            label, where = self.by_path[other][0]
            return label, where, False
        return None

    def records_runs(self, path: str) -> bool:
        """Whether the program of `path` records every run's hyperparameters (`mlflow.autolog()`)."""
        return any(self.connected(path, recorder) for recorder in self.recorders)


def _literals(project) -> Iterable[tuple[str, dict]]:
    for path, facts in project.files.items():
        for item in facts.data.get(KEY, {}).get("literals", []):
            yield path, item


class HardcodedHyperparameter(ProjectRule):
    """A hyperparameter written as a literal although the project has a config system.

    ## What it does
    Finds learning rates, epochs, batch sizes, depths, regularisation strengths and scheduler
    settings written as numbers into estimator, optimizer, scheduler, trainer and `fit` calls
    (scikit-learn, PyTorch, Keras, XGBoost, LightGBM, CatBoost, Lightning, transformers), and
    dropout rates written into dropout and recurrent layers, where the code around them takes
    settings from argparse, click, Hydra, OmegaConf, YAML, absl flags or a config module: the
    same file, or a module connected to it by imports. A literal equal to the library's own
    default is not reported: it changes nothing, and neither is one in a program that calls
    `mlflow.autolog()`, which records every run's hyperparameters. Tests and config modules
    themselves are not checked. Confidence is high when the same file reads a config,
    medium when a neighbour does.

    ## Why is this bad?
    The project already has a place for settings, but this one bypasses it: tuning it means
    editing code, runs do not record it next to the settings that are recorded, and two runs
    that differ only in this number look identical (Sculley et al., 2015, "configuration debt").

    ## Example
    ```python
    import argparse
    import torch

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=3e-4)
    args = parser.parse_args()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    ```

    ## Use instead
    ```python
    parser.add_argument("--weight-decay", type=float, default=0.05)
    args = parser.parse_args()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    ```
    """

    code = "DS801"
    name = "hardcoded-hyperparameter"
    family = FAMILY
    summary = "A hyperparameter hard-coded in a project that has a config system"
    fix = "Read the value from the project's config (or a command-line option) and pass it in."
    collectors = (HyperparameterCollector,)
    triggers = TRIGGERS
    VALID = (
        "import argparse\nimport torch\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float)\n"
        "args = p.parse_args()\nopt = torch.optim.SGD(params, lr=args.lr)\n",
        "import argparse\nfrom sklearn.ensemble import RandomForestClassifier\nargparse.ArgumentParser()\n"
        "m = RandomForestClassifier(n_estimators=100)\n",
        "from sklearn.svm import SVC\nm = SVC(C=10.0)\n",
    )
    INVALID = (
        "import argparse\nimport torch\np = argparse.ArgumentParser()\nargs = p.parse_args()\n"
        "opt = torch.optim.SGD(params, lr=0.05)\n",
        "import yaml\nfrom sklearn.ensemble import GradientBoostingClassifier\ncfg = yaml.safe_load(open('c.yaml'))\n"
        "m = GradientBoostingClassifier(learning_rate=0.05, max_depth=5)\n",
    )

    def check(self, project) -> Iterable[Finding]:
        evidence = ConfigEvidence.of(project)
        for path, item in _literals(project):
            if item["default"]:
                continue
            found = evidence.describe(path)
            if found is None or evidence.records_runs(path):
                continue  # no config system around this code (DS802 still sees divergent values), or every run records it
            label, where, here = found
            place = "in this file" if here and where.startswith(f"{path}:") else f"at {where}"
            if label == "a config module":
                place = f"`{where}`"
            message = (f"`{item['param']}={item['shown']}` is hard-coded in `{item['text']}(...)` although the project "
                       f"takes settings from {label} ({place}), so tuning it means editing code and runs do not "
                       f"record it.")
            fix = f"Read `{item['param']}` from {label} like the other settings and pass it in."
            yield make_finding(type(self), path, item["span"], message, fix=fix,
                               confidence=Confidence.HIGH if here else Confidence.MEDIUM, symbol=item["symbol"])


class InconsistentHyperparameter(ProjectRule):
    """The same hyperparameter of the same call written with different values in several places.

    ## What it does
    Groups every literal hyperparameter of a catalogued estimator, optimizer, scheduler,
    trainer, loader or callback by callable and parameter, and reports each occurrence when its value differs from
    the value written in another module of the same program (one module imports the other,
    directly or through other modules): `n_estimators=500` in `train.py` and
    `n_estimators=200` in the `evaluate.py` that imports it. Values that differ within one file
    are separate experiments more often than copies that drifted (a notebook trying `C=1` and
    `C=100`), independent programs that merely share a repository are not one system, and a
    literal equal to the library's default is no decision: none of these is reported.

    ## Why is this bad?
    Nobody can say which value the model was trained with without reading every file; a fix or
    a tuning result applied in one place silently misses the others, and comparisons between
    runs compare different settings (Sculley et al., 2015, "configuration debt").

    ## Example
    ```python
    # train.py
    model = RandomForestClassifier(n_estimators=500, max_depth=12)
    # evaluate.py
    model = RandomForestClassifier(n_estimators=200, max_depth=12)
    ```

    ## Use instead
    ```python
    # config.py
    FOREST = {"n_estimators": 500, "max_depth": 12}
    # train.py and evaluate.py
    model = RandomForestClassifier(**config.FOREST)
    ```
    """

    code = "DS802"
    name = "inconsistent-hyperparameter"
    family = FAMILY
    confidence = Confidence.MEDIUM
    summary = "One hyperparameter written with different values in several places"
    fix = "Define the value once in config and use it everywhere."
    collectors = (HyperparameterCollector,)
    triggers = TRIGGERS
    VALID = (
        "from sklearn.ensemble import RandomForestClassifier\na = RandomForestClassifier(n_estimators=300)\n"
        "b = RandomForestClassifier(n_estimators=50)\n",
        {"mnist.py": "import torch\nopt = torch.optim.SGD(p, lr=0.01)\n",
         "imagenet.py": "import torch\nopt = torch.optim.SGD(p, lr=0.1)\n"},
    )
    INVALID = (
        {"train.py": "from sklearn.ensemble import RandomForestClassifier\n"
                     "model = RandomForestClassifier(n_estimators=500)\n",
         "evaluate.py": "from sklearn.ensemble import RandomForestClassifier\nimport train\n"
                        "model = RandomForestClassifier(n_estimators=200)\n"},
    )

    def check(self, project) -> Iterable[Finding]:
        groups: dict[tuple[str, str], list[tuple[str, dict]]] = defaultdict(list)
        for path, item in _literals(project):
            # the library's own default is no decision; `fit` calls train different models (a
            # network and its fine-tuning) and dropout layers sit in different places of a
            # network more often than they repeat one setting
            if not item["default"] and item["kind"] not in ("fit", "layer"):
                groups[(item["group"], item["param"])].append((path, item))
        connected = ConfigEvidence.of(project).connected
        for (_group, param), items in sorted(groups.items()):
            keyed = [(path, item, _key(item["value"])) for path, item in items]
            if len({key for _, _, key in keyed}) < 2:
                continue
            for path, item, key in keyed:
                others = [(other_path, other) for other_path, other, other_key in keyed
                          if other_key != key and other_path != path and connected(path, other_path)]
                if not others:
                    continue
                listed = ", ".join(f"{other['shown']} at {_where(other_path, other['span'])}"
                                   for other_path, other in others[:MAX_LISTED])
                more = f" and {len(others) - MAX_LISTED} more" if len(others) > MAX_LISTED else ""
                message = (f"`{param}` of `{item['text']}(...)` is {item['shown']} here but {listed}{more}, so runs "
                           f"disagree on a setting that no single place records.")
                related = tuple(_location(other_path, other["span"]) for other_path, other in others)
                yield make_finding(type(self), path, item["span"], message,
                                   fix=f"Define `{param}` once in config and use that value everywhere.",
                                   symbol=item["symbol"], related=related)


def _key(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_key(item) for item in value)
    return float(value)


def _location(path: str, span: dict) -> Location:
    return span_location(path, span)


# -- decision thresholds ----------------------------------------------------------------------

SCORE_CALLS = frozenset({"predict_proba", "predict_log_proba", "decision_function", "predict", "sigmoid", "softmax",
                         "expit"})
PROBABILITY_WORDS = frozenset({"prob", "probs", "proba", "probas", "probability", "probabilities", "pred", "preds",
                               "prediction", "predictions", "likelihood"})
SCORE_WORDS = frozenset({"score", "scores", "conf", "confidence", "confidences"})
# A "score" named like this is an evaluation metric (`best_model_score < 0.6`), not a model output.
METRIC_WORDS = frozenset({"best", "accuracy", "acc", "auc", "roc", "f1", "r2", "val", "valid", "cv", "mean", "avg",
                          "train", "test", "metric", "metrics", "loss", "eval"})
# Below this, a comparison guards against zeros and underflow (`p[p < 1e-10] = 1e-10`) rather
# than deciding anything.
MIN_THRESHOLD = 0.01
ORDERING = (cst.GreaterThan, cst.GreaterThanEqual, cst.LessThan, cst.LessThanEqual)


def name_words(name: str) -> list[str]:
    """The words of an identifier: `yTestProba2` and `y_test_proba` give y, test, proba."""
    return [word for word in re.split(r"[_\d]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if word]


class HardcodedDecisionThreshold(FileRule):
    """A decision threshold on predicted probabilities or scores hard-coded in a comparison.

    ## What it does
    Finds comparisons of a model's output with a number between 0.01 and 0.99: `proba > 0.7`,
    `(model.predict_proba(X)[:, 1] >= 0.35).astype(int)`, `torch.sigmoid(logits) > 0.4`. The
    value compared is a probability or score when it comes from `predict_proba`,
    `decision_function`, `predict`, `sigmoid` or `softmax` (directly or through a variable
    assigned from one: high confidence), or when its name says so (`probs`, `preds`: medium;
    `scores`, `conf`: low, unless the name marks a metric such as `best_val_score`). 0.5, the
    threshold `predict` itself applies, is not reported.

    ## Why is this bad?
    The operating point is a business decision that changes with costs, class balance and
    drift. Written into code it cannot be tuned without a release, it is not recorded with the
    model, and evaluation and serving drift apart when only one copy is edited.

    ## Example
    ```python
    proba = model.predict_proba(features)[:, 1]
    flagged = proba > 0.7
    ```

    ## Use instead
    ```python
    proba = model.predict_proba(features)[:, 1]
    flagged = proba > config.decision_threshold  # chosen on validation data, stored with the model
    ```
    """

    code = "DS803"
    name = "hardcoded-decision-threshold"
    family = FAMILY
    summary = "A decision threshold on model output hard-coded in a comparison"
    fix = "Read the threshold from config (one value shared by evaluation and serving) and log it with the model."
    triggers = (b"pred", b"prob", b"sigmoid", b"softmax", b"score", b"conf", b"expit", b"decision_function")
    VALID = (
        "proba = model.predict_proba(X)[:, 1]\nlabels = proba >= 0.5\n",
        "proba = model.predict_proba(X)[:, 1]\nlabels = proba >= THRESHOLD\n",
        "accuracy = 0.93\nif accuracy > 0.9:\n    print('good')\n",
    )
    INVALID = (
        "proba = model.predict_proba(X)[:, 1]\nlabels = (proba > 0.7).astype(int)\n",
        "import torch\nmask = torch.sigmoid(logits) > 0.35\n",
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.scored: dict[tuple[str, str], str] = {}
        self.asserts = 0
        self.skip = is_test_file(ctx.path)
        # a score call is named in the text wherever it is made: without one, no expression holds one
        self.score_calls = any(name in ctx.source.text for name in SCORE_CALLS)

    def visit_Assert(self, node: cst.Assert) -> None:
        self.asserts += 1

    def leave_Assert(self, node: cst.Assert) -> None:
        self.asserts -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        if self.skip:
            return  # what is scored matters only to comparisons, which test files do not get
        source = self._score_call(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                key = (self.ctx.scope, target.target.value)
                if source is not None:
                    self.scored[key] = source
                else:
                    self.scored.pop(key, None)

    def _score_call(self, expression: cst.BaseExpression) -> str | None:
        if not self.score_calls:
            return None
        for node in walk(expression):
            if isinstance(node, cst.Call):
                func = node.func
                method = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")
                if method in SCORE_CALLS:
                    return f"{call_text(node)}(...)"
            elif isinstance(node, (cst.Lambda, cst.Comparison)):
                return None
        return None

    def _score_of(self, expression: cst.BaseExpression) -> tuple[str, Confidence] | None:
        """What makes `expression` a model score, and how sure that is."""
        source = self._score_call(expression)
        if source is not None:
            return f"`{source}`", Confidence.HIGH
        base = expression
        while isinstance(base, (cst.Subscript, cst.Attribute)):
            base = base.value
        if not isinstance(base, cst.Name):
            return None
        name = base.value
        source = self.scored.get((self.ctx.scope, name)) or self.scored.get((MODULE_SCOPE, name))
        if source is not None:
            return f"`{name}` (from `{source}`)", Confidence.HIGH
        words = name_words(name)
        if any(word in PROBABILITY_WORDS for word in words):
            return f"`{name}`", Confidence.MEDIUM
        if any(word in SCORE_WORDS for word in words) and not any(word in METRIC_WORDS for word in words):
            return f"`{name}`", Confidence.LOW
        return None

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.skip or self.asserts:
            return
        left = node.left
        for target in node.comparisons:
            right = target.comparator
            if isinstance(target.operator, ORDERING):
                self._check(left, right)
                self._check(right, left)
            left = right

    def _check(self, side: cst.BaseExpression, threshold: cst.BaseExpression) -> None:
        value = number(threshold)
        if not isinstance(value, float) or not MIN_THRESHOLD <= value <= 1.0 - MIN_THRESHOLD or value == 0.5:
            return
        found = self._score_of(side)
        if found is None:
            return
        what, confidence = found
        self.report(threshold, f"Decision threshold {shown(threshold)} on {what} is hard-coded, so the operating "
                               f"point cannot change without editing code and is not recorded with the model.",
                    confidence=confidence)


RULES = (HardcodedHyperparameter, InconsistentHyperparameter, HardcodedDecisionThreshold)
