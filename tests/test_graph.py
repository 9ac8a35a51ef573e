"""The dependency graph: code -> data artifacts -> models, with the findings on its nodes.

The four fixture repositories built for it are pinned exactly (every node with its kind, every
edge with its kind, the rules attached to each node); the other fixtures must draw too.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from debtscan.config import Settings
from debtscan.graph import GraphError, build_graph, collapse_packages, find_node, focus, graph_for, keep_kinds
from debtscan.model import Confidence
from debtscan.runner import scan

from expectations import FIXTURES, fixture_roots

DVC_REVIEWS = {
    "nodes": {
        'data:data/external/stopwords.txt': 'data',
        'data:data/features/label_counts.json': 'data',
        'data:data/features/test.npz': 'data',
        'data:data/features/test_labels.csv': 'data',
        'data:data/features/train.npz': 'data',
        'data:data/features/train_labels.csv': 'data',
        'data:data/prepared/test.csv': 'data',
        'data:data/prepared/train.csv': 'data',
        'data:data/raw/reviews.csv': 'data',
        'data:params.yaml': 'data',
        'data:reports/confusion.png': 'data',
        'data:reports/metrics.json': 'data',
        'manifest:data/raw/reviews.csv.dvc': 'manifest',
        'manifest:dvc.yaml': 'manifest',
        'model:models/sentiment.joblib': 'model',
        'model:models/tfidf.joblib': 'model',
        'module:scripts/peek.py': 'entry',
        'module:src/common.py': 'module',
        'module:src/evaluate.py': 'entry',
        'module:src/featurize.py': 'entry',
        'module:src/prepare.py': 'entry',
        'module:src/train.py': 'entry',
    },
    "edges": [
        ('data:data/external/stopwords.txt', 'module:src/prepare.py', 'reads'),
        ('data:data/features/label_counts.json', 'module:src/train.py', 'reads'),
        ('data:data/features/test.npz', 'module:src/evaluate.py', 'reads'),
        ('data:data/features/test_labels.csv', 'module:src/evaluate.py', 'reads'),
        ('data:data/features/train.npz', 'module:src/train.py', 'reads'),
        ('data:data/features/train_labels.csv', 'module:src/train.py', 'reads'),
        ('data:data/prepared/test.csv', 'module:src/featurize.py', 'reads'),
        ('data:data/prepared/train.csv', 'module:scripts/peek.py', 'reads'),
        ('data:data/prepared/train.csv', 'module:src/featurize.py', 'reads'),
        ('data:data/raw/reviews.csv', 'module:src/prepare.py', 'reads'),
        ('data:params.yaml', 'module:src/common.py', 'reads'),
        ('manifest:data/raw/reviews.csv.dvc', 'data:data/raw/reviews.csv', 'declares'),
        ('manifest:dvc.yaml', 'data:data/features/label_counts.json', 'declares'),
        ('manifest:dvc.yaml', 'data:data/features/test.npz', 'declares'),
        ('manifest:dvc.yaml', 'data:data/features/test_labels.csv', 'declares'),
        ('manifest:dvc.yaml', 'data:data/features/train.npz', 'declares'),
        ('manifest:dvc.yaml', 'data:data/features/train_labels.csv', 'declares'),
        ('manifest:dvc.yaml', 'data:data/prepared/test.csv', 'declares'),
        ('manifest:dvc.yaml', 'data:data/prepared/train.csv', 'declares'),
        ('manifest:dvc.yaml', 'data:reports/confusion.png', 'declares'),
        ('manifest:dvc.yaml', 'data:reports/metrics.json', 'declares'),
        ('manifest:dvc.yaml', 'model:models/sentiment.joblib', 'declares'),
        ('manifest:dvc.yaml', 'module:src/evaluate.py', 'declares'),
        ('manifest:dvc.yaml', 'module:src/featurize.py', 'declares'),
        ('manifest:dvc.yaml', 'module:src/prepare.py', 'declares'),
        ('manifest:dvc.yaml', 'module:src/train.py', 'declares'),
        ('model:models/sentiment.joblib', 'module:src/evaluate.py', 'reads'),
        ('model:models/tfidf.joblib', 'module:src/evaluate.py', 'reads'),
        ('module:src/evaluate.py', 'data:reports/confusion.png', 'writes'),
        ('module:src/evaluate.py', 'data:reports/metrics.json', 'writes'),
        ('module:src/evaluate.py', 'module:src/common.py', 'imports'),
        ('module:src/featurize.py', 'data:data/features/label_counts.json', 'writes'),
        ('module:src/featurize.py', 'data:data/features/test.npz', 'writes'),
        ('module:src/featurize.py', 'data:data/features/test_labels.csv', 'writes'),
        ('module:src/featurize.py', 'data:data/features/train.npz', 'writes'),
        ('module:src/featurize.py', 'data:data/features/train_labels.csv', 'writes'),
        ('module:src/featurize.py', 'model:models/tfidf.joblib', 'trains'),
        ('module:src/featurize.py', 'module:src/common.py', 'imports'),
        ('module:src/prepare.py', 'data:data/prepared/test.csv', 'writes'),
        ('module:src/prepare.py', 'data:data/prepared/train.csv', 'writes'),
        ('module:src/prepare.py', 'module:src/common.py', 'imports'),
        ('module:src/train.py', 'model:models/sentiment.joblib', 'trains'),
        ('module:src/train.py', 'module:src/common.py', 'imports'),
    ],
    "debt": {
        'data:data/external/stopwords.txt': 'DS301',
        'data:data/features/label_counts.json': 'DS301',
        'data:data/features/test_labels.csv': 'DS301',
        'data:data/features/train_labels.csv': 'DS301',
        'model:models/tfidf.joblib': 'DS301,DS302',
        'module:src/evaluate.py': 'DS301',
        'module:src/featurize.py': 'DS302',
        'module:src/prepare.py': 'DS301',
        'module:src/train.py': 'DS301',
    },
}


KEDRO_SPACEFLIGHTS = {
    "nodes": {
        'data:data/01_raw/companies.csv': 'data',
        'data:data/01_raw/passenger_survey.csv': 'data',
        'data:data/01_raw/reviews.csv': 'data',
        'data:data/01_raw/shuttles.xlsx': 'data',
        'data:data/02_intermediate/preprocessed_companies.parquet': 'data',
        'data:data/02_intermediate/preprocessed_shuttles.parquet': 'data',
        'data:data/03_primary/model_input_table.parquet': 'data',
        'data:data/08_reporting/dashboard_extract.csv': 'data',
        'manifest:conf/base/catalog.yml': 'manifest',
        'model:data/06_models/regressor.pickle': 'model',
        'module:scripts/export_for_bi.py': 'entry',
        'module:scripts/quick_look.py': 'entry',
        'module:src/spaceflights/__init__.py': 'module',
        'module:src/spaceflights/pipeline_registry.py': 'module',
        'module:src/spaceflights/pipelines/__init__.py': 'module',
        'module:src/spaceflights/pipelines/data_processing/__init__.py': 'module',
        'module:src/spaceflights/pipelines/data_processing/nodes.py': 'module',
        'module:src/spaceflights/pipelines/data_processing/pipeline.py': 'module',
        'module:src/spaceflights/pipelines/data_science/__init__.py': 'module',
        'module:src/spaceflights/pipelines/data_science/nodes.py': 'module',
        'module:src/spaceflights/pipelines/data_science/pipeline.py': 'module',
    },
    "edges": [
        ('data:data/01_raw/companies.csv', 'module:scripts/quick_look.py', 'reads'),
        ('data:data/01_raw/companies.csv', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'reads'),
        ('data:data/01_raw/passenger_survey.csv', 'module:scripts/quick_look.py', 'reads'),
        ('data:data/01_raw/reviews.csv', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'reads'),
        ('data:data/01_raw/shuttles.xlsx', 'module:scripts/quick_look.py', 'reads'),
        ('data:data/01_raw/shuttles.xlsx', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'reads'),
        ('data:data/02_intermediate/preprocessed_companies.parquet', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'reads'),
        ('data:data/02_intermediate/preprocessed_shuttles.parquet', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'reads'),
        ('data:data/03_primary/model_input_table.parquet', 'module:scripts/export_for_bi.py', 'reads'),
        ('data:data/03_primary/model_input_table.parquet', 'module:src/spaceflights/pipelines/data_science/pipeline.py', 'reads'),
        ('manifest:conf/base/catalog.yml', 'data:data/01_raw/companies.csv', 'declares'),
        ('manifest:conf/base/catalog.yml', 'data:data/01_raw/reviews.csv', 'declares'),
        ('manifest:conf/base/catalog.yml', 'data:data/01_raw/shuttles.xlsx', 'declares'),
        ('manifest:conf/base/catalog.yml', 'data:data/02_intermediate/preprocessed_companies.parquet', 'declares'),
        ('manifest:conf/base/catalog.yml', 'data:data/02_intermediate/preprocessed_shuttles.parquet', 'declares'),
        ('manifest:conf/base/catalog.yml', 'data:data/03_primary/model_input_table.parquet', 'declares'),
        ('manifest:conf/base/catalog.yml', 'model:data/06_models/regressor.pickle', 'declares'),
        ('model:data/06_models/regressor.pickle', 'module:src/spaceflights/pipelines/data_science/pipeline.py', 'reads'),
        ('module:scripts/export_for_bi.py', 'data:data/08_reporting/dashboard_extract.csv', 'writes'),
        ('module:src/spaceflights/pipeline_registry.py', 'module:src/spaceflights/pipelines/__init__.py', 'imports'),
        ('module:src/spaceflights/pipeline_registry.py', 'module:src/spaceflights/pipelines/data_processing/__init__.py', 'imports'),
        ('module:src/spaceflights/pipeline_registry.py', 'module:src/spaceflights/pipelines/data_science/__init__.py', 'imports'),
        ('module:src/spaceflights/pipelines/data_processing/__init__.py', 'module:src/spaceflights/pipelines/data_processing/pipeline.py', 'imports'),
        ('module:src/spaceflights/pipelines/data_processing/pipeline.py', 'data:data/02_intermediate/preprocessed_companies.parquet', 'writes'),
        ('module:src/spaceflights/pipelines/data_processing/pipeline.py', 'data:data/02_intermediate/preprocessed_shuttles.parquet', 'writes'),
        ('module:src/spaceflights/pipelines/data_processing/pipeline.py', 'data:data/03_primary/model_input_table.parquet', 'writes'),
        ('module:src/spaceflights/pipelines/data_processing/pipeline.py', 'module:src/spaceflights/pipelines/data_processing/nodes.py', 'imports'),
        ('module:src/spaceflights/pipelines/data_science/__init__.py', 'module:src/spaceflights/pipelines/data_science/pipeline.py', 'imports'),
        ('module:src/spaceflights/pipelines/data_science/pipeline.py', 'model:data/06_models/regressor.pickle', 'trains'),
        ('module:src/spaceflights/pipelines/data_science/pipeline.py', 'module:src/spaceflights/pipelines/data_science/nodes.py', 'imports'),
    ],
    "debt": {
        'data:data/01_raw/passenger_survey.csv': 'DS304',
        'data:data/08_reporting/dashboard_extract.csv': 'DS302',
        'module:scripts/export_for_bi.py': 'DS302',
        'module:scripts/quick_look.py': 'DS304',
    },
}


ORDERS_JUNGLE = {
    "nodes": {
        'data:data/interim/customer_stats.csv': 'data',
        'data:data/interim/orders_clean.csv': 'data',
        'data:data/interim/orders_dedup.csv': 'data',
        'data:data/processed/crm_import.csv': 'data',
        'data:data/processed/features.csv': 'data',
        'data:data/raw/orders.csv': 'data',
        'external:https://exports.acme-shop.example/orders/latest/orders.csv': 'external',
        'model:models/churn_model.pkl': 'model',
        'module:build_features.py': 'entry',
        'module:clean_orders.py': 'entry',
        'module:customer_stats.py': 'entry',
        'module:fetch_orders.py': 'entry',
        'module:score.py': 'entry',
        'module:settings.py': 'module',
        'module:tables.py': 'module',
        'module:train_model.py': 'entry',
    },
    "edges": [
        ('data:data/interim/customer_stats.csv', 'module:build_features.py', 'reads'),
        ('data:data/interim/orders_clean.csv', 'module:build_features.py', 'reads'),
        ('data:data/interim/orders_dedup.csv', 'module:clean_orders.py', 'reads'),
        ('data:data/processed/features.csv', 'module:customer_stats.py', 'reads'),
        ('data:data/processed/features.csv', 'module:score.py', 'reads'),
        ('data:data/processed/features.csv', 'module:train_model.py', 'reads'),
        ('data:data/raw/orders.csv', 'module:clean_orders.py', 'reads'),
        ('external:https://exports.acme-shop.example/orders/latest/orders.csv', 'module:fetch_orders.py', 'reads'),
        ('model:models/churn_model.pkl', 'module:score.py', 'serves'),
        ('module:build_features.py', 'data:data/processed/features.csv', 'writes'),
        ('module:build_features.py', 'module:settings.py', 'imports'),
        ('module:build_features.py', 'module:tables.py', 'imports'),
        ('module:clean_orders.py', 'data:data/interim/orders_clean.csv', 'writes'),
        ('module:clean_orders.py', 'data:data/interim/orders_dedup.csv', 'writes'),
        ('module:clean_orders.py', 'module:settings.py', 'imports'),
        ('module:clean_orders.py', 'module:tables.py', 'imports'),
        ('module:customer_stats.py', 'data:data/interim/customer_stats.csv', 'writes'),
        ('module:customer_stats.py', 'module:settings.py', 'imports'),
        ('module:customer_stats.py', 'module:tables.py', 'imports'),
        ('module:fetch_orders.py', 'data:data/raw/orders.csv', 'writes'),
        ('module:fetch_orders.py', 'module:settings.py', 'imports'),
        ('module:score.py', 'data:data/processed/crm_import.csv', 'writes'),
        ('module:score.py', 'module:settings.py', 'imports'),
        ('module:score.py', 'module:train_model.py', 'imports'),
        ('module:tables.py', 'module:settings.py', 'imports'),
        ('module:train_model.py', 'model:models/churn_model.pkl', 'trains'),
        ('module:train_model.py', 'module:settings.py', 'imports'),
    ],
    "debt": {
        'data:data/interim/customer_stats.csv': 'DS603',
        'data:data/interim/orders_clean.csv': 'DS601',
        'data:data/interim/orders_dedup.csv': 'DS602',
        'data:data/processed/crm_import.csv': 'DS302',
        'data:data/processed/features.csv': 'DS601',
        'data:data/raw/orders.csv': 'DS601',
        'external:https://exports.acme-shop.example/orders/latest/orders.csv': 'DS303',
        'model:models/churn_model.pkl': 'DS301',
        'module:build_features.py': 'DS601,DS603',
        'module:clean_orders.py': 'DS601,DS602',
        'module:fetch_orders.py': 'DS303',
        'module:score.py': 'DS301,DS302,DS601',
        'module:train_model.py': 'DS601',
    },
}


SENSOR_ANOMALY = {
    "nodes": {
        'data:cache/last_hour.parquet': 'data',
        'data:data/processed/hourly_features.parquet': 'data',
        'data:data/raw/calibration.csv': 'data',
        'data:data/raw/calibration_current.parquet': 'data',
        'data:data/raw/latest_hour.parquet': 'data',
        'data:data/raw/sensor_readings.parquet': 'data',
        'data:exports/alerts.csv': 'data',
        'data:models/thresholds.json': 'data',
        'manifest:pyproject.toml': 'manifest',
        'model:models/isolation_forest.joblib': 'model',
        'module:features.py': 'module',
        'module:monitor.py': 'entry',
        'module:prepare.py': 'entry',
        'module:train.py': 'entry',
    },
    "edges": [
        ('data:cache/last_hour.parquet', 'module:monitor.py', 'reads'),
        ('data:data/processed/hourly_features.parquet', 'module:train.py', 'reads'),
        ('data:data/raw/calibration.csv', 'module:prepare.py', 'reads'),
        ('data:data/raw/calibration_current.parquet', 'module:monitor.py', 'reads'),
        ('data:data/raw/latest_hour.parquet', 'module:monitor.py', 'reads'),
        ('data:data/raw/sensor_readings.parquet', 'module:prepare.py', 'reads'),
        ('data:models/thresholds.json', 'module:monitor.py', 'reads'),
        ('manifest:pyproject.toml', 'data:data/processed/hourly_features.parquet', 'declares'),
        ('manifest:pyproject.toml', 'data:data/raw/calibration_current.parquet', 'declares'),
        ('manifest:pyproject.toml', 'data:data/raw/latest_hour.parquet', 'declares'),
        ('manifest:pyproject.toml', 'data:data/raw/sensor_readings.parquet', 'declares'),
        ('manifest:pyproject.toml', 'model:models/isolation_forest.joblib', 'declares'),
        ('manifest:pyproject.toml', 'module:prepare.py', 'declares'),
        ('manifest:pyproject.toml', 'module:train.py', 'declares'),
        ('model:models/isolation_forest.joblib', 'module:monitor.py', 'reads'),
        ('module:monitor.py', 'data:cache/last_hour.parquet', 'writes'),
        ('module:monitor.py', 'data:exports/alerts.csv', 'writes'),
        ('module:monitor.py', 'module:features.py', 'imports'),
        ('module:prepare.py', 'data:data/processed/hourly_features.parquet', 'writes'),
        ('module:prepare.py', 'module:features.py', 'imports'),
        ('module:train.py', 'data:models/thresholds.json', 'writes'),
        ('module:train.py', 'model:models/isolation_forest.joblib', 'trains'),
    ],
    "debt": {
        'data:data/raw/calibration.csv': 'DS301',
        'data:exports/alerts.csv': 'DS302',
        'data:models/thresholds.json': 'DS301,DS302',
        'module:monitor.py': 'DS301,DS302',
        'module:prepare.py': 'DS301',
        'module:train.py': 'DS302',
    },
}

PINNED = {"dvc_reviews": DVC_REVIEWS, "kedro_spaceflights": KEDRO_SPACEFLIGHTS, "orders_jungle": ORDERS_JUNGLE,
          "sensor_anomaly": SENSOR_ANOMALY}


def graph_of(root: Path) -> nx.DiGraph:
    result = scan([root], root, Settings(min_confidence=Confidence.LOW), jobs=1)
    assert not result.errors, result.errors
    return graph_for(result)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_fixture_graph_is_pinned(name):
    # feature nodes come from the train/serve skew rules and are pinned by their own tests
    graph = graph_of(FIXTURES / name)
    graph = graph.subgraph(node for node, kind in graph.nodes(data="kind") if kind != "feature")
    expected = PINNED[name]
    assert dict(graph.nodes(data="kind")) == expected["nodes"]
    assert [(u, v, kind) for u, v, kind in graph.edges(data="kind")] == expected["edges"]
    assert {node: rules for node, rules in graph.nodes(data="rules") if rules} == expected["debt"]


@pytest.mark.parametrize("root", fixture_roots(), ids=lambda root: root.name)
def test_every_fixture_draws(root):
    graph = graph_of(root)
    assert graph.number_of_nodes() > 0
    assert list(graph.nodes) == sorted(graph.nodes)
    for _, data in graph.nodes(data=True):
        assert data["kind"] in ("entry", "module", "data", "model", "feature", "external", "manifest")
        assert data["findings"] == len(data["issues"])


def test_the_graph_is_the_same_every_time():
    first = json.dumps(nx.node_link_data(graph_of(FIXTURES / "orders_jungle"), edges="edges"), sort_keys=True)
    second = json.dumps(nx.node_link_data(graph_of(FIXTURES / "orders_jungle"), edges="edges"), sort_keys=True)
    assert first == second


def test_graph_records_how_many_reads_and_writes_were_resolved():
    graph = graph_of(FIXTURES / "dvc_reviews")
    assert {key: graph.graph[key] for key in ("reads_resolved", "reads_unresolved", "writes_resolved",
                                              "writes_unresolved", "manifests", "stages")} == {
        "reads_resolved": 13, "reads_unresolved": 0, "writes_resolved": 11, "writes_unresolved": 0,
        "manifests": 2, "stages": 4}


def test_findings_are_attached_to_the_artifacts_they_are_about():
    graph = graph_of(FIXTURES / "dvc_reviews")
    issues = graph.nodes["model:models/tfidf.joblib"]["issues"]
    assert [(issue["rule"], issue["path"], issue["line"]) for issue in issues] == [
        ("DS301", "src/evaluate.py", 16), ("DS302", "src/featurize.py", 38)]
    assert graph.nodes["model:models/tfidf.joblib"]["severity"] == "warning"
    # the module gets its own findings, and the artifact next to it only the ones naming it
    assert [issue["line"] for issue in graph.nodes["module:src/evaluate.py"]["issues"]] == [16, 18]
    assert graph.nodes["data:data/features/test.npz"]["findings"] == 0


def test_artifacts_know_whether_a_manifest_declares_them():
    graph = graph_of(FIXTURES / "dvc_reviews")
    assert graph.nodes["data:data/prepared/train.csv"]["declared"] is True
    assert graph.nodes["model:models/tfidf.joblib"]["declared"] is False
    assert graph.nodes["module:src/train.py"]["entry_reason"] == "declared by dvc.yaml"


def test_trains_and_serves_edges_come_from_fit_calls_and_web_routes(tmp_path):
    files = {
        "train.py": ("import joblib\nfrom sklearn.linear_model import Ridge\n\nif __name__ == '__main__':\n"
                     "    model = Ridge().fit([[0.0]], [0.0])\n    joblib.dump(model, 'models/ridge.joblib')\n"),
        "app.py": ("import joblib\nfrom flask import Flask\n\napp = Flask(__name__)\nmodel = joblib.load('models/ridge.joblib')\n\n"
                   "@app.route('/predict')\ndef predict():\n    return str(model.predict([[1.0]]))\n"),
    }
    for name, code in files.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    graph = graph_of(tmp_path)
    assert graph.edges["module:train.py", "model:models/ridge.joblib"]["kind"] == "trains"
    assert graph.edges["model:models/ridge.joblib", "module:app.py"]["kind"] == "serves"
    assert graph.nodes["module:app.py"]["entry_reason"] == "web app"


def test_collapse_merges_modules_into_packages():
    graph = collapse_packages(graph_of(FIXTURES / "kedro_spaceflights"))
    packages = sorted(node for node, kind in graph.nodes(data="kind") if kind == "package")
    assert packages == ["package:scripts", "package:src/spaceflights", "package:src/spaceflights/pipelines",
                        "package:src/spaceflights/pipelines/data_processing",
                        "package:src/spaceflights/pipelines/data_science"]
    assert graph.nodes["package:scripts"]["modules"] == 2
    assert graph.nodes["package:scripts"]["rules"] == "DS302,DS304"
    assert graph.edges["package:src/spaceflights/pipelines/data_science", "model:data/06_models/regressor.pickle"][
        "kind"] == "trains"
    assert not any(source == target for source, target in graph.edges)


def test_kind_filter_keeps_only_those_nodes():
    graph = keep_kinds(graph_of(FIXTURES / "orders_jungle"), ["data", "model"])
    assert {kind for _, kind in graph.nodes(data="kind")} == {"data", "model"}
    assert graph.number_of_edges() == 0
    with pytest.raises(GraphError, match="unknown node kind"):
        keep_kinds(graph, ["tables"])


def test_focus_keeps_what_a_node_depends_on_and_what_depends_on_it():
    graph = graph_of(FIXTURES / "orders_jungle")
    around = focus(graph, "models/churn_model.pkl")
    assert around.graph["focus"] == "model:models/churn_model.pkl"
    assert "module:train_model.py" in around and "module:score.py" in around
    assert "data:data/processed/crm_import.csv" in around  # downstream of the model
    near = focus(graph, "model:models/churn_model.pkl", depth=1)
    assert sorted(near) == ["model:models/churn_model.pkl", "module:score.py", "module:train_model.py"]


def test_find_node_accepts_ids_paths_and_unique_parts():
    graph = graph_of(FIXTURES / "orders_jungle")
    assert find_node(graph, "score.py") == "module:score.py"
    assert find_node(graph, "crm_import") == "data:data/processed/crm_import.csv"
    with pytest.raises(GraphError, match="matches 3 nodes"):
        find_node(graph, "data/interim")
    with pytest.raises(GraphError, match="no node matches"):
        find_node(graph, "nothing-like-this")


def test_a_project_without_data_access_is_a_module_graph(tmp_path):
    (tmp_path / "a.py").write_text("import b\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("x = 1\n", encoding="utf-8")
    result = scan([tmp_path], tmp_path, Settings(), jobs=1)
    graph = build_graph(result.project, result.findings)
    assert list(graph.edges(data="kind")) == [("module:a.py", "module:b.py", "imports")]
    assert graph.graph["reads_resolved"] == 0
