"""The project as one dependency graph: code -> data artifacts -> models, with the debt on it.

The engine contributes what it knows without any library knowledge: a node per scanned file
(`module`, or `entry` for scripts with a main guard and notebooks) and `imports` edges. The
rule pack adds the rest through the hooks listed in `debtscan.rules.GRAPH`: each is called
with the Project and returns plain data,

    {"nodes": [{"id", "kind", "label", ...scalar attributes}],
     "edges": [{"source", "target", "kind", ...}],
     "sites": [{"path", "line", "node", "match"}],  # findings on that line whose message contains
                                                    # `match` (any, when empty) concern that node
     "graph": {...scalar attributes of the whole graph}}

Node ids are `<kind>:<path or location>` (`module:src/train.py`, `data:data/train.csv`), so
they are stable across runs; nodes and edges are inserted in sorted order, so every export
is deterministic. Each node carries `kind`, `label`, `path`, `package`, `findings` (how many
findings concern it), `rules` and `severity` (the worst), and `issues`, a list with one dict
per finding; exporters that only take scalars drop `issues`.
"""

from __future__ import annotations

import posixpath
from typing import Any, Iterable

import networkx as nx

from debtscan.model import Finding, Severity

NODE_KINDS = ("entry", "module", "package", "data", "model", "external", "manifest", "feature")
EDGE_KINDS = ("imports", "reads", "writes", "trains", "serves", "declares", "feeds", "copies")
# When two contributions give one edge different kinds, the more specific one is kept.
EDGE_PRIORITY = {"trains": 3, "serves": 3, "writes": 2, "reads": 2, "declares": 1, "imports": 1}
KIND_PRIORITY = {"entry": 2, "module": 1}


class GraphError(ValueError):
    """A request on the graph that cannot be met (an unknown node to focus on)."""


def graph_for(result) -> nx.DiGraph:
    """The dependency graph of a finished scan (a `runner.ScanResult`), findings attached."""
    if result.project is None:
        return nx.DiGraph()
    return build_graph(result.project, list(result.findings) + list(getattr(result, "fixme", [])))


def build_graph(project, findings: Iterable[Finding] = ()) -> nx.DiGraph:
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    sites: dict[tuple[str, int], set[tuple[str, str]]] = {}
    attributes: dict[str, Any] = {}
    for path, facts in project.files.items():
        entry = bool(facts.data.get("engine", {}).get("main_guard")) or path.endswith(".ipynb")
        _add_node(nodes, {"id": f"module:{path}", "kind": "entry" if entry else "module", "label": path, "path": path,
                          "module": facts.module, "entry_reason": "main guard" if entry and not path.endswith(".ipynb")
                          else "notebook" if entry else ""})
    for source, targets in project.import_edges().items():
        for target in targets:
            _add_edge(edges, {"source": f"module:{source}", "target": f"module:{target}", "kind": "imports"})
    for hook in _hooks():
        contribution = hook(project) or {}
        for node in contribution.get("nodes", []):
            _add_node(nodes, node)
        for edge in contribution.get("edges", []):
            if edge["source"] in nodes and edge["target"] in nodes:
                _add_edge(edges, edge)
        for site in contribution.get("sites", []):
            if site["node"] in nodes:
                sites.setdefault((site["path"], site["line"]), set()).add((site["node"], site.get("match", "")))
        attributes.update(contribution.get("graph", {}))
    _attach(nodes, sites, findings)
    graph = nx.DiGraph()
    graph.graph.update({key: attributes[key] for key in sorted(attributes)})
    for node_id in sorted(nodes):
        graph.add_node(node_id, **_complete(nodes[node_id]))
    for key in sorted(edges):
        graph.add_edge(*key, **{name: edges[key][name] for name in sorted(edges[key]) if name not in ("source", "target")})
    return graph


def _hooks():
    try:
        from debtscan import rules as pack
    except ImportError:  # pragma: no cover - the pack is part of the distribution
        return ()
    return getattr(pack, "GRAPH", ())


def _add_node(nodes: dict, node: dict) -> None:
    node_id = node["id"]
    current = nodes.get(node_id)
    if current is None:
        nodes[node_id] = dict(node)
        return
    for key, value in node.items():
        if key == "kind" and KIND_PRIORITY.get(value, 0) < KIND_PRIORITY.get(current.get("kind"), 0):
            continue
        if value in ("", None) and current.get(key) not in ("", None):
            continue
        current[key] = value


def _add_edge(edges: dict, edge: dict) -> None:
    key = (edge["source"], edge["target"])
    current = edges.get(key)
    if current is None:
        edges[key] = dict(edge)
        return
    kinds = set(current.get("kinds", current["kind"]).split(",")) | {edge["kind"]}
    if EDGE_PRIORITY.get(edge["kind"], 0) > EDGE_PRIORITY.get(current["kind"], 0):
        current.update(edge)
    current["kinds"] = ",".join(sorted(kinds))


def _complete(node: dict) -> dict:
    """Every node gets every common attribute, so GraphML sees one type per key."""
    path = node.get("path", "")
    out = {"kind": node.get("kind", "module"), "label": node.get("label", node["id"]), "path": path,
           "package": node.get("package", posixpath.dirname(path) if node.get("kind") in ("module", "entry") else ""),
           "findings": 0, "rules": "", "severity": "", "issues": []}
    out.update({key: value for key, value in node.items() if key != "id" and value is not None})
    return out


def _attach(nodes: dict, sites: dict, findings: Iterable[Finding]) -> None:
    for finding in sorted(findings, key=Finding.sort_key):
        targets = {f"module:{finding.path}", f"manifest:{finding.path}"} & nodes.keys()
        targets |= {node for node, match in sites.get((finding.path, finding.location.line), ())
                    if not match or match in finding.message}
        for target in sorted(targets):
            node = nodes[target]
            issues = node.setdefault("issues", [])
            issues.append({"rule": finding.rule, "severity": finding.severity.label,
                           "confidence": finding.confidence.label, "path": finding.path,
                           "line": finding.location.line, "message": finding.message})
            node["findings"] = len(issues)
            node["rules"] = ",".join(sorted({issue["rule"] for issue in issues}))
            worst = max(Severity.parse(issue["severity"]) for issue in issues)
            node["severity"] = worst.label


# -- making large graphs readable ---------------------------------------------------------------

def collapse_packages(graph: nx.DiGraph) -> nx.DiGraph:
    """One `package` node per directory of code instead of one node per module."""
    owner: dict[str, str] = {}
    merged: dict[str, dict[str, Any]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("kind") in ("module", "entry", "package"):
            package = data.get("package") or "."
            group = f"package:{package}"
            owner[node] = group
            into = merged.setdefault(group, {"kind": "package", "label": package + "/" if package != "." else "./",
                                             "path": package, "package": package, "findings": 0, "rules": "",
                                             "severity": "", "issues": [], "modules": 0})
            into["modules"] += 1
            into["issues"] = into["issues"] + list(data.get("issues", []))
        else:
            owner[node] = node
            merged[node] = dict(data)
    for data in merged.values():
        if data.get("kind") == "package":
            issues = data["issues"]
            data["findings"] = len(issues)
            data["rules"] = ",".join(sorted({issue["rule"] for issue in issues}))
            data["severity"] = max((Severity.parse(i["severity"]) for i in issues), default=None).label if issues else ""
    collapsed = nx.DiGraph()
    collapsed.graph.update(graph.graph)
    for node in sorted(merged):
        collapsed.add_node(node, **merged[node])
    edges: dict[tuple[str, str], dict] = {}
    for source, target, data in graph.edges(data=True):
        key = (owner[source], owner[target])
        if key[0] == key[1]:
            continue
        _add_edge(edges, {"source": key[0], "target": key[1], **{k: v for k, v in data.items() if k != "kinds"}})
    for key in sorted(edges):
        collapsed.add_edge(*key, **{k: v for k, v in sorted(edges[key].items()) if k not in ("source", "target")})
    return collapsed


def keep_kinds(graph: nx.DiGraph, kinds: Iterable[str]) -> nx.DiGraph:
    """The subgraph of nodes of the given kinds (`module` also keeps entry points and packages)."""
    wanted = set(kinds)
    if "module" in wanted:
        wanted |= {"entry", "package"}
    known = set(NODE_KINDS) | {kind for _, kind in graph.nodes(data="kind")}
    unknown = wanted - known
    if unknown:
        raise GraphError(f"unknown node kind(s) {', '.join(sorted(unknown))} (choose from {', '.join(sorted(known))})")
    return _ordered(graph, [node for node, kind in graph.nodes(data="kind") if kind in wanted])


def find_node(graph: nx.DiGraph, text: str) -> str:
    """The node `text` names: an id, a path or label, or a unique part of one."""
    if text in graph:
        return text
    exact = [node for node, data in graph.nodes(data=True) if text in (data.get("path"), data.get("label"))]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        code = [node for node in exact if graph.nodes[node].get("kind") in ("module", "entry", "package")]
        if len(code) == 1:
            return code[0]
    partial = sorted(node for node, data in graph.nodes(data=True) if text in node or text in str(data.get("label", "")))
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise GraphError(f"no node matches {text!r} (node ids look like module:src/train.py or data:data/train.csv)")
    shown = ", ".join(partial[:5]) + (" …" if len(partial) > 5 else "")
    raise GraphError(f"{text!r} matches {len(partial)} nodes ({shown}); give more of it")


def focus(graph: nx.DiGraph, text: str, depth: int | None = None) -> nx.DiGraph:
    """The node `text` names, with what it depends on and what depends on it (within `depth` edges)."""
    center = find_node(graph, text)
    if depth is None:
        kept = {center} | nx.ancestors(graph, center) | nx.descendants(graph, center)
    else:
        kept = set(nx.single_source_shortest_path_length(graph, center, cutoff=depth))
        kept |= set(nx.single_source_shortest_path_length(graph.reverse(copy=False), center, cutoff=depth))
    subgraph = _ordered(graph, kept)
    subgraph.graph["focus"] = center
    return subgraph


def _ordered(graph: nx.DiGraph, nodes: Iterable[str]) -> nx.DiGraph:
    keep = set(nodes)
    out = nx.DiGraph()
    out.graph.update(graph.graph)
    for node in sorted(keep):
        out.add_node(node, **graph.nodes[node])
    for source, target, data in sorted(graph.edges(data=True), key=lambda edge: (edge[0], edge[1])):
        if source in keep and target in keep:
            out.add_edge(source, target, **data)
    return out


__all__ = ["build_graph", "graph_for", "collapse_packages", "keep_kinds", "focus", "find_node", "GraphError",
           "NODE_KINDS", "EDGE_KINDS"]
