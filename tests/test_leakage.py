"""Data leakage (DS901-DS904): values followed through one module, never run."""

from __future__ import annotations

import json
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from debtscan.model import Confidence, Severity

from helpers import found, lines_of, scan_project

HEAD = """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
"""


def leaks(result):
    return sorted((f.location.line, f.rule) for f in result.findings if f.rule.startswith("DS9"))


def test_scaler_fitted_before_the_split_is_reported_at_the_fit(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    """})
    [finding] = [f for f in result.findings if f.rule == "DS901"]
    assert finding.location.line == 7 and finding.confidence is Confidence.HIGH
    assert finding.message == ("`StandardScaler().fit_transform(X)` fits StandardScaler on all rows before "
                               "`train_test_split(...)` divides them, so the test rows' statistics leak into the "
                               "training features.")


def test_scaler_fitted_on_the_training_split_only_is_not_reported(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = LogisticRegression().fit(X_train, y_train)
    print(model.score(X_test, y_test))
    """})
    assert leaks(result) == []


def test_values_are_followed_through_module_functions_both_ways(tmp_path):
    result = scan_project(tmp_path, {"pipeline.py": HEAD + """
    def prepare(frame):
        features = frame.drop(columns=["y"])
        return scale_all(features), frame["y"]

    def scale_all(features):
        return StandardScaler().fit_transform(features)

    def evaluate(model, X_eval, y_eval):
        model.fit(X_eval, y_eval)
        return model.score(X_eval, y_eval)

    X, y = prepare(df)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    evaluate(LogisticRegression(), X_test, y_test)
    """})
    assert leaks(result) == [(12, "DS901"), (15, "DS902")]
    fit_on_test = next(f for f in result.findings if f.rule == "DS902")
    assert fit_on_test.confidence is Confidence.HIGH  # known from the split, not guessed from a name
    assert fit_on_test.symbol == "evaluate"


def test_fitted_object_used_on_the_test_part_after_a_fit_on_everything(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    scaler = StandardScaler()
    scaler.fit(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    X_test = scaler.transform(X_test)
    """})
    assert leaks(result) == [(8, "DS901")]
    assert "then transforms the test part with `scaler.transform(X_test)`" in result.findings[0].message


def test_a_pipeline_passed_to_cross_validation_is_the_fix(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    scores = cross_val_score(pipe, X, y, cv=5)
    X_scaled = StandardScaler().fit_transform(X)
    leaky = cross_val_score(LogisticRegression(), X_scaled, y, cv=5)
    """})
    assert leaks(result) == [(10, "DS903")]


def test_encoders_that_only_learn_categories_never_leak(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder
    df["city"] = LabelEncoder().fit_transform(df["city"])
    X = OneHotEncoder().fit_transform(df)
    X_train, X_test = train_test_split(X, random_state=0)
    X_test = OneHotEncoder().fit_transform(X_test)
    """})
    assert leaks(result) == []


def test_separate_train_and_test_files_are_not_a_split(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    import pandas as pd
    train = pd.read_csv(train_path)
    test = pd.read_csv(test_path)
    both = pd.concat([train, test])
    scaler = StandardScaler().fit(both)
    train_X, test_X = scaler.transform(train), scaler.transform(test)
    model = LogisticRegression().fit(train_X, train["y"])
    predictions = model.predict(test_X)
    """})
    assert leaks(result) == []


def test_final_refit_on_everything_after_the_evaluation_is_not_leakage(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    model = LogisticRegression().fit(X_train, y_train)
    print(model.score(X_test, y_test))
    model.fit(X, y)
    print(model.score(X_test, y_test))
    """})
    assert leaks(result) == [(11, "DS904")]


def test_a_search_fitted_on_everything_leaks_into_its_best_estimator(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    from sklearn.model_selection import GridSearchCV
    grid = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}).fit(X, y)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    print(grid.best_estimator_.score(X_test, y_test))
    """})
    assert leaks(result) == [(10, "DS904")]


def test_fold_indices_mark_the_training_and_held_out_rows(tmp_path):
    result = scan_project(tmp_path, {"cv.py": HEAD + """
    from sklearn.model_selection import KFold
    for fold, (train_idx, valid_idx) in enumerate(KFold(n_splits=5).split(X)):
        model = LogisticRegression().fit(X[train_idx], y[train_idx])
        scaler = StandardScaler().fit(X.iloc[valid_idx])
        print(fold, model.score(X[valid_idx], y[valid_idx]))
    """})
    assert leaks(result) == [(10, "DS902")]


def test_label_based_selection_before_the_split_is_an_error(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    from sklearn.feature_selection import SelectKBest
    X_best = SelectKBest(k=10).fit_transform(X, y)
    X_train, X_test, y_train, y_test = train_test_split(X_best, y, random_state=0)
    """})
    [finding] = [f for f in result.findings if f.rule == "DS901"]
    assert finding.severity is Severity.ERROR and "labels leak" in finding.message


def test_guesses_from_variable_names_have_medium_confidence(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    X = StandardScaler().fit_transform(X)
    X_train, X_test = X[:800], X[800:]
    scaler = StandardScaler().fit(X_holdout)
    """})
    assert {(f.location.line, f.rule): f.confidence for f in result.findings if f.rule.startswith("DS9")} == {
        (7, "DS901"): Confidence.MEDIUM, (9, "DS902"): Confidence.MEDIUM}


def test_independent_samples_overlap_but_a_complement_does_not(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    train = df.sample(frac=0.8, random_state=1)
    test = df.sample(frac=0.2, random_state=2)
    rest = df.drop(train.index)
    model = LogisticRegression().fit(train[cols], train["y"])
    overlapping = model.score(test[cols], test["y"])
    honest = model.score(rest[cols], rest["y"])
    """})
    assert leaks(result) == [(11, "DS904")]


def test_notebook_cells_are_followed_in_order(tmp_path):
    cells = [HEAD, "X = StandardScaler().fit_transform(X)\n",
             "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"]
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
         "source": textwrap.dedent(cell).strip("\n")} for cell in cells]}
    result = scan_project(tmp_path, {"analysis.ipynb": json.dumps(notebook)})
    [finding] = [f for f in result.findings if f.rule == "DS901"]
    assert (finding.location.cell, finding.location.line) == (2, 1)


def test_selecting_one_leakage_rule_reports_only_that_rule(tmp_path):
    result = scan_project(tmp_path, {"nb.py": HEAD + """
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    LogisticRegression().fit(X_test, y_test)
    """}, select=("DS902",))
    assert leaks(result) == [(9, "DS902")]


def test_test_files_are_not_analysed(tmp_path):
    result = scan_project(tmp_path, {"tests/test_model.py": HEAD + """
    model = LogisticRegression().fit(X_test, y_test)
    """})
    assert found(result) == []


STATEMENTS = [
    "X = StandardScaler().fit_transform(X)",
    "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)",
    "a, b = train_test_split(X)",
    "model = LogisticRegression().fit(X_train, y_train)",
    "model.fit(X_test, y_test)",
    "print(model.score(X_test, y_test))",
    "scores = cross_val_score(model, X, y)",
    "X = helper(X)",
    "for tr, te in KFold().split(X):\n    model.fit(X[tr], y[tr])",
    "if X_train:\n    X_test = scaler.transform(X_test)",
    "scaler = StandardScaler().fit(X)",
    "X_test = scaler.transform(*X_test)",
    "del X",
    "with open(p) as X_train:\n    pass",
    "X[X > X.mean()] = 0",
    "X, *rest = X",
    "(lambda: model.fit(X_test))()",
    "X = [x for x in X_test]",
    "X_train = X[:: -1]",
    "def helper(X):\n    return helper(X)",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=8))
def test_any_sequence_of_statements_is_analysed_without_errors_and_deterministically(tmp_path_factory, program):
    code = textwrap.dedent(HEAD) + "from sklearn.model_selection import KFold\n" + "\n".join(program) + "\n"
    first = scan_project(tmp_path_factory.mktemp("a"), {"nb.py": code})
    second = scan_project(tmp_path_factory.mktemp("b"), {"nb.py": code})
    assert first.errors == [] and leaks(first) == leaks(second)
    assert lines_of(first, "DS001") == []
