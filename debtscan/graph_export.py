"""The dependency graph as text: a tree for the terminal, node-link JSON, GraphML, DOT, Mermaid.

Everything quoted from the scanned project (paths, messages) is escaped for the format it
goes into: DOT strings, XML, Mermaid labels (entity codes, safe node ids `n0`, `n1`, …), and
terminal control characters in the tree.
"""

from __future__ import annotations

import io
import json
import re
from typing import Callable

import networkx as nx
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from debtscan.report.escape import visible, visible_lines
from debtscan.wording import counted

SCALAR = (str, int, float, bool)
SHAPES_DOT = {"entry": "box", "module": "box", "package": "folder", "data": "cylinder", "model": "box3d",
              "feature": "ellipse", "external": "hexagon", "manifest": "note"}
STYLE_DOT = {"entry": 'style="rounded,bold"', "module": 'style="rounded"', "package": "", "data": "", "model": "",
             "feature": "", "external": 'style="dashed"', "manifest": ""}
SEVERITY_COLOR = {"error": "#c62828", "warning": "#ef6c00", "info": "#1565c0"}
# Mermaid shapes: open and close brackets around a quoted label.
SHAPES_MERMAID = {"entry": ("([", "])"), "module": ("[", "]"), "package": ("[", "]"), "data": ("[(", ")]"),
                  "model": ("[[", "]]"), "feature": ("((", "))"), "external": ("{{", "}}"), "manifest": ("[/", "/]")}
MERMAID_ID = re.compile(r"^n\d+$")


def scalar_copy(graph: nx.DiGraph) -> nx.DiGraph:
    """The graph with only scalar attributes (GraphML takes nothing else)."""
    def clean(data: dict) -> dict:
        return {key: visible_lines(value) if isinstance(value, str) else value for key, value in data.items()
                if isinstance(value, SCALAR)}

    out = nx.DiGraph()
    out.graph.update(clean(graph.graph))
    for node, data in graph.nodes(data=True):
        out.add_node(visible_lines(node), **clean(data))
    for source, target, data in graph.edges(data=True):
        out.add_edge(visible_lines(source), visible_lines(target), **clean(data))
    return out


def to_json(graph: nx.DiGraph) -> str:
    """networkx node-link data; loads back with `networkx.node_link_graph(data, edges="edges")`."""
    data = nx.node_link_data(graph, edges="edges")
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def to_graphml(graph: nx.DiGraph) -> str:
    """GraphML; loads back with `networkx.read_graphml`."""
    return "\n".join(nx.generate_graphml(scalar_copy(graph), prettyprint=True)) + "\n"


def _dot_string(text: str) -> str:
    text = visible_lines(str(text)).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n").replace("\r", "") + '"'


def to_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT: shapes by node kind, debt in red-orange with the number of findings."""
    lines = ["digraph debtscan {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9, color="#607d8b"];']
    for node, data in graph.nodes(data=True):
        kind = data.get("kind", "module")
        label = data.get("label", node)
        if data.get("findings"):
            label = f"{label}\n{counted(data['findings'], 'finding')}: {data.get('rules', '')}"
        attributes = [f"label={_dot_string(label)}", f"shape={SHAPES_DOT.get(kind, 'box')}"]
        if STYLE_DOT.get(kind):
            attributes.append(STYLE_DOT[kind])
        if data.get("findings"):
            attributes.append(f'color="{SEVERITY_COLOR.get(data.get("severity", ""), "#ef6c00")}"')
            attributes.append("penwidth=2")
        attributes.append(f"tooltip={_dot_string(node)}")
        lines.append(f"  {_dot_string(node)} [{', '.join(attributes)}];")
    for source, target, data in graph.edges(data=True):
        kind = data.get("kind", "")
        style = ', style="dotted"' if kind in ("imports", "declares") else ""
        lines.append(f"  {_dot_string(source)} -> {_dot_string(target)} [label={_dot_string(kind)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mermaid_label(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for what the syntax reserves."""
    text = visible(str(text)).replace("\n", " ").replace("\r", " ")
    replacements = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "`": "#96;",
                    "[": "#91;", "]": "#93;", "{": "#123;", "}": "#125;", "|": "#124;", "(": "#40;", ")": "#41;"}
    return "".join(replacements.get(char, char) for char in text)


def to_mermaid(graph: nx.DiGraph) -> str:
    """A Mermaid flowchart; node ids are n0, n1, … in the graph's order, labels are escaped."""
    ids = {node: f"n{number}" for number, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    classes: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        kind = data.get("kind", "module")
        opening, closing = SHAPES_MERMAID.get(kind, ("[", "]"))
        label = f"{kind}: {data.get('label', node)}"
        if data.get("findings"):
            label += f" ({counted(data['findings'], 'finding')}: {data.get('rules', '')})"
            classes.setdefault("debt", []).append(ids[node])
        classes.setdefault(kind, []).append(ids[node])
        lines.append(f'    {ids[node]}{opening}"{mermaid_label(label)}"{closing}')
    for source, target, data in graph.edges(data=True):
        kind = re.sub(r"[^a-z]", "", str(data.get("kind", "")))
        arrow = "-.->" if kind in ("imports", "declares") else "-->"
        lines.append(f"    {ids[source]} {arrow}|{kind}| {ids[target]}")
    styles = {"entry": "fill:#e3f2fd,stroke:#1565c0", "module": "fill:#f5f5f5,stroke:#616161",
              "package": "fill:#f5f5f5,stroke:#616161", "data": "fill:#e8f5e9,stroke:#2e7d32",
              "model": "fill:#f3e5f5,stroke:#6a1b9a", "feature": "fill:#e0f7fa,stroke:#00838f",
              "external": "fill:#fffde7,stroke:#f9a825",
              "manifest": "fill:#eceff1,stroke:#455a64", "debt": "stroke:#c62828,stroke-width:3px"}
    for name in sorted(classes):
        lines.append(f"    classDef {name} {styles.get(name, 'fill:#ffffff')}")
    for name in sorted(classes):
        lines.append(f"    class {','.join(classes[name])} {name}")
    return "\n".join(lines) + "\n"


def summary_line(graph: nx.DiGraph) -> str:
    info = graph.graph
    text = f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
    if "reads_resolved" in info:
        text += (f"; reads: {info.get('reads_resolved', 0)} resolved, {info.get('reads_unresolved', 0)} not; "
                 f"writes: {info.get('writes_resolved', 0)} resolved, {info.get('writes_unresolved', 0)} not")
    return text


def to_tree(graph: nx.DiGraph, title: str = ".", color: bool = False, width: int | None = None) -> str:
    """Each program and module with what it reads, writes, trains, serves and imports, and its debt."""
    tree = Tree(Text(f"{visible(title)}  ({summary_line(graph)})", style="bold"))
    shown_nodes = set()
    for node, data in graph.nodes(data=True):
        if data.get("kind") not in ("entry", "module", "package"):
            continue
        branch = tree.add(_node_text(graph, node))
        shown_nodes.add(node)
        relations = []
        for _, target, edge in graph.out_edges(node, data=True):
            relations.append((edge.get("kind", ""), target))
        for source, _, edge in graph.in_edges(node, data=True):
            if edge.get("kind") in ("reads", "serves", "feeds"):
                relations.append((edge["kind"], source))
        for kind, other in sorted(relations, key=lambda item: (_RELATION_ORDER.get(item[0], 9), item[1])):
            line = Text(f"{kind} ", style="dim")
            line.append_text(_node_text(graph, other))
            branch.add(line)
        _add_issues(branch, data)
    rest = [node for node, data in graph.nodes(data=True) if node not in shown_nodes
            and (data.get("findings") or graph.degree(node) == 0)]
    if rest:
        other = tree.add(Text("artifacts and manifests with findings, or not connected", style="bold"))
        for node in rest:
            branch = other.add(_node_text(graph, node))
            _add_issues(branch, graph.nodes[node])
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width or 120, markup=False,
                      highlight=False, emoji=False)
    console.print(tree)
    return buffer.getvalue()


_RELATION_ORDER = {"reads": 0, "serves": 1, "feeds": 2, "writes": 3, "trains": 4, "imports": 5, "declares": 6}
_KIND_STYLE = {"entry": "bold cyan", "module": "cyan", "package": "cyan", "data": "green", "model": "magenta",
               "feature": "bright_cyan", "external": "yellow", "manifest": "blue"}


def _node_text(graph: nx.DiGraph, node: str) -> Text:
    data = graph.nodes[node]
    kind = data.get("kind", "")
    text = Text(f"{kind} ", style="dim")
    text.append(visible(str(data.get("label", node))), style=_KIND_STYLE.get(kind, ""))
    notes = []
    if data.get("entry_reason"):
        notes.append(str(data["entry_reason"]))
    if kind in ("data", "model"):
        if data.get("provided_by"):
            notes.append(f"from {data['provided_by']}")
        notes.append("declared" if data.get("declared") else "undeclared")
    if data.get("findings"):
        notes.append(counted(data['findings'], 'finding'))
    if notes:
        text.append(f"  [{', '.join(visible(note) for note in notes)}]", style="dim")
    return text


def _add_issues(branch: Tree, data: dict) -> None:
    for issue in data.get("issues", []):
        line = Text(f"{issue['rule']} {issue['severity']} ", style=SEVERITY_STYLE.get(issue["severity"], ""))
        line.append(visible(f"{issue['path']}:{issue['line']} {issue['message']}"))
        branch.add(line)


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "blue"}

EXPORTERS: dict[str, Callable[[nx.DiGraph], str]] = {
    "json": to_json,
    "graphml": to_graphml,
    "dot": to_dot,
    "mermaid": to_mermaid,
}
GRAPH_FORMATS = ("tree", *EXPORTERS)

__all__ = ["to_json", "to_graphml", "to_dot", "to_mermaid", "to_tree", "mermaid_label", "EXPORTERS", "GRAPH_FORMATS",
           "summary_line", "MERMAID_ID"]
