"""Every graph format loads back (JSON, GraphML), renders (DOT with Graphviz where installed),
parses (Mermaid flowchart syntax), and escapes what it quotes from the scanned project."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.config import Settings
from debtscan.graph import graph_for
from debtscan.graph_export import mermaid_label, to_dot, to_graphml, to_json, to_mermaid, to_tree
from debtscan.model import Confidence
from debtscan.runner import scan

from expectations import FIXTURES

HOSTILE = 'data/we"ird]|<b>#{x}`(y).csv'
EXISTING = ["churn_sklearn", "vision_torch", "forecast_tf"]


def graph_of(root: Path) -> nx.DiGraph:
    return graph_for(scan([root], root, Settings(min_confidence=Confidence.LOW), jobs=1))


@pytest.fixture(scope="module")
def jungle() -> nx.DiGraph:
    return graph_of(FIXTURES / "orders_jungle")


@pytest.fixture()
def hostile(tmp_path) -> nx.DiGraph:
    code = (f"import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv({HOSTILE!r})\n"
            "    pd.read_csv('data/\\x1b[31mred\\nline.csv')\n")
    (tmp_path / "load.py").write_text(code, encoding="utf-8")
    return graph_of(tmp_path)


def test_json_is_node_link_data_that_networkx_loads(jungle):
    data = json.loads(to_json(jungle))
    loaded = nx.node_link_graph(data, edges="edges")
    assert loaded.is_directed() and not loaded.is_multigraph()
    assert sorted(loaded.nodes) == sorted(jungle.nodes)
    assert sorted(loaded.edges) == sorted(jungle.edges)
    assert loaded.nodes["model:models/churn_model.pkl"]["issues"][0]["rule"] == "DS301"
    assert data["graph"]["reads_resolved"] == 9


def test_graphml_loads_with_networkx(jungle, tmp_path):
    target = tmp_path / "graph.graphml"
    target.write_text(to_graphml(jungle), encoding="utf-8")
    loaded = nx.read_graphml(target)
    assert sorted(loaded.nodes) == sorted(jungle.nodes)
    assert loaded.nodes["module:score.py"]["rules"] == "DS301,DS302,DS601"
    assert loaded.nodes["module:score.py"]["findings"] == 3
    assert loaded.edges["module:train_model.py", "model:models/churn_model.pkl"]["kind"] == "trains"
    assert "issues" not in loaded.nodes["module:score.py"]


def test_graphml_of_hostile_names_is_well_formed(hostile, tmp_path):
    target = tmp_path / "graph.graphml"
    target.write_text(to_graphml(hostile), encoding="utf-8")
    labels = {data.get("label") for _, data in nx.read_graphml(target).nodes(data=True)}
    assert HOSTILE in labels
    assert "data/\\x1b[31mred\nline.csv" in labels


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("name", ["orders_jungle", "dvc_reviews"])
def test_dot_renders_with_graphviz(name):
    rendered = subprocess.run(["dot", "-Tsvg"], input=to_dot(graph_of(FIXTURES / name)), capture_output=True,
                              text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.lstrip().startswith("<?xml") and "</svg>" in rendered.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_dot_of_hostile_names_renders(hostile):
    rendered = subprocess.run(["dot", "-Tsvg"], input=to_dot(hostile), capture_output=True, text=True, timeout=60)
    assert rendered.returncode == 0, rendered.stderr
    assert "we&quot;ird]|&lt;b&gt;#{x}`(y).csv" in rendered.stdout


def test_dot_quotes_every_id_and_label(hostile):
    text = to_dot(hostile)
    assert text.startswith("digraph debtscan {\n") and text.endswith("}\n")
    assert r'"data:data/we\"ird]|<b>#{x}`(y).csv"' in text
    assert "\x1b" not in text and "\\x1b" in text


NODE = re.compile(r'^    (n\d+)(\[\(|\(\[|\[\[|\(\(|\{\{|\[/|\[)"([^"\n]*)"(\)\]|\]\)|\]\]|\)\)|\}\}|/\]|\])$')
EDGE = re.compile(r"^    (n\d+) (-->|-\.->)\|([a-z]+)\| (n\d+)$")
CLASS_DEF = re.compile(r"^    classDef [a-z]+ [a-z-]+:#?[0-9a-z]+(,[a-z-]+:#?[0-9a-z]+)*$")
CLASS = re.compile(r"^    class (n\d+(,n\d+)*) [a-z]+$")
SHAPES = {"[(": ")]", "([": "])", "[[": "]]", "((": "))", "{{": "}}", "[/": "/]", "[": "]"}


def check_mermaid(text: str, graph: nx.DiGraph) -> None:
    """A strict reading of the flowchart subset debtscan writes."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    declared: list[str] = []
    edges = 0
    for line in lines[1:]:
        node, edge = NODE.match(line), EDGE.match(line)
        if node:
            assert SHAPES[node.group(2)] == node.group(4), line
            assert not re.search(r'[<>"`\[\]{}|()]', node.group(3)), line  # all escaped as entities
            declared.append(node.group(1))
        elif edge:
            assert edge.group(1) in declared and edge.group(4) in declared, line
            edges += 1
        else:
            assert CLASS_DEF.match(line) or CLASS.match(line), line
    assert len(declared) == len(set(declared)) == graph.number_of_nodes()
    assert edges == graph.number_of_edges()


def test_mermaid_is_valid_flowchart_syntax(jungle):
    text = to_mermaid(jungle)
    check_mermaid(text, jungle)
    # ids follow the graph's (sorted) node order; shapes and classes follow the node kinds
    assert list(jungle.nodes).index("model:models/churn_model.pkl") == 7
    assert '    n7[["model: models/churn_model.pkl #40;1 finding: DS301#41;"]]' in text
    assert "    class n7 model" in text


def test_mermaid_escapes_hostile_labels(hostile):
    text = to_mermaid(hostile)
    check_mermaid(text, hostile)
    assert mermaid_label(HOSTILE) in text
    assert mermaid_label(HOSTILE) == "data/we#quot;ird#93;#124;#lt;b#gt;#35;#123;x#125;#96;#40;y#41;.csv"


def test_tree_lists_programs_with_their_data_and_debt(jungle):
    text = to_tree(jungle, "fixtures/orders_jungle")
    assert text.startswith("fixtures/orders_jungle  (16 nodes, 27 edges; reads: 9 resolved, 0 not; "
                           "writes: 7 resolved, 0 not)\n")
    assert "├── entry score.py  [main guard, 3 findings]" in text
    assert "│   ├── serves model models/churn_model.pkl  [undeclared, 1 finding]" in text
    assert "DS301 warning score.py:10 `models/churn_model.pkl` is read here" in text


def test_tree_shows_control_characters_escaped(hostile):
    text = to_tree(hostile, "x")
    assert "\x1b" not in text and "\\x1b[31mred" in text


@pytest.mark.parametrize("fmt", ["tree", "json", "graphml", "dot", "mermaid"])
@pytest.mark.parametrize("name", EXISTING)
def test_graph_command_draws_the_existing_fixtures(name, fmt, tmp_path):
    output = tmp_path / f"graph.{fmt}"
    result = CliRunner().invoke(main, ["graph", str(FIXTURES / name), "--format", fmt, "-o", str(output), "--no-cache"])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    if fmt == "json":
        assert nx.node_link_graph(json.loads(text), edges="edges").number_of_nodes() > 0
    elif fmt == "graphml":
        assert nx.read_graphml(output).number_of_nodes() > 0
    elif fmt == "mermaid":
        check_mermaid(text, nx.node_link_graph(json.loads(
            CliRunner().invoke(main, ["graph", str(FIXTURES / name), "--format", "json", "--no-cache"]).output),
            edges="edges"))
    else:
        assert text.strip()


def test_graph_command_prints_a_tree_by_default():
    result = CliRunner().invoke(main, ["graph", str(FIXTURES / "sensor_anomaly"), "--no-cache"])
    assert result.exit_code == 0
    assert "entry prepare.py  [declared by pyproject.toml, 1 finding]" in result.output


def test_graph_command_filters_collapses_and_focuses():
    root = str(FIXTURES / "kedro_spaceflights")
    collapsed = CliRunner().invoke(main, ["graph", root, "--collapse", "--format", "json", "--no-cache"])
    kinds = {node["kind"] for node in json.loads(collapsed.output)["nodes"]}
    assert "module" not in kinds and "package" in kinds
    only = CliRunner().invoke(main, ["graph", root, "--kind", "data,model", "--format", "json", "--no-cache"])
    assert {node["kind"] for node in json.loads(only.output)["nodes"]} == {"data", "model"}
    focused = CliRunner().invoke(main, ["graph", root, "--focus", "regressor.pickle", "--depth", "1", "--format",
                                        "json", "--no-cache"])
    assert sorted(node["id"] for node in json.loads(focused.output)["nodes"]) == [
        "manifest:conf/base/catalog.yml", "model:data/06_models/regressor.pickle",
        "module:src/spaceflights/pipelines/data_science/pipeline.py"]


@pytest.mark.parametrize("arguments,message", [
    (["--focus", "no-such-node"], "no node matches 'no-such-node'"),
    (["--kind", "tables"], "unknown node kind(s) tables"),
])
def test_graph_command_reports_bad_requests_with_exit_2(arguments, message):
    result = CliRunner().invoke(main, ["graph", str(FIXTURES / "orders_jungle"), *arguments, "--no-cache"])
    assert result.exit_code == 2
    assert message in result.output


def test_graph_command_on_a_missing_path_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["graph", str(tmp_path / "missing"), "--no-cache"])
    assert result.exit_code == 2
    assert "path does not exist" in result.output
