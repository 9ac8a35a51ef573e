"""A dependency graph drawn as SVG, laid out in Python so the report needs no script library.

The layout is layered (Sugiyama-style, kept small): import cycles are collapsed into one
group, every group goes one layer below everything that imports it, so entry scripts sit on
top and shared helpers at the bottom; a few barycentre sweeps order each layer to shorten
edges; wide layers wrap. Modules that import nothing of the project and that nothing imports
are laid out apart, in a grid. The input is any networkx DiGraph whose edges point from
importer to imported (or producer to consumer: code -> data -> code); node attributes
`label`, `path`, `findings` and `kind`, and the edge attribute `kind`, are used when present,
so `debtscan.graph`'s code, data and model graph is drawn the same way.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import networkx as nx

from debtscan.report.escape import visible
from debtscan.wording import counted

NODE_WIDTH, NODE_HEIGHT = 200, 34
LABEL_CHARS = 22  # what fits beside the count at 12px monospace
GAP_X, GAP_Y = 22, 64
MARGIN = 16
PER_ROW = 7
MAX_NODES = 300
SWEEPS = 4
CODE_KINDS = ("module", "entry", "package")  # nodes whose findings the report can list by path
ROUNDED_KINDS = ("data", "model", "external")  # artifacts are drawn as pills, code as boxes


def _esc(value) -> str:
    return html.escape(visible(str(value)), quote=True)


@dataclass
class Placed:
    node: object
    x: float
    y: float
    row: int


def limit(graph: nx.DiGraph, max_nodes: int = MAX_NODES) -> tuple[nx.DiGraph, int]:
    """The graph, cut to the `max_nodes` nodes with the most findings and connections."""
    if graph.number_of_nodes() <= max_nodes:
        return graph, 0
    ranked = sorted(graph.nodes, key=lambda n: (-graph.nodes[n].get("findings", 0), -graph.degree(n), str(n)))
    kept = graph.subgraph(ranked[:max_nodes]).copy()
    return kept, graph.number_of_nodes() - max_nodes


def layout(graph: nx.DiGraph) -> tuple[dict[object, Placed], float, float]:
    """Node positions (top-left corners) and the drawing's width and height."""
    connected = [node for node in graph.nodes if graph.degree(node) > 0]
    alone = sorted((node for node in graph.nodes if graph.degree(node) == 0), key=_name)
    rows: list[list] = []
    if connected:
        rows = _layered_rows(graph.subgraph(connected))
    if alone:
        rows += [alone[index:index + PER_ROW] for index in range(0, len(alone), PER_ROW)]
    placed: dict[object, Placed] = {}
    width = max((len(row) for row in rows), default=0) * (NODE_WIDTH + GAP_X) - GAP_X + 2 * MARGIN
    for number, row in enumerate(rows):
        row_width = len(row) * (NODE_WIDTH + GAP_X) - GAP_X
        left = (width - row_width) / 2
        for index, node in enumerate(row):
            placed[node] = Placed(node, left + index * (NODE_WIDTH + GAP_X), MARGIN + number * (NODE_HEIGHT + GAP_Y), number)
    height = len(rows) * (NODE_HEIGHT + GAP_Y) - GAP_Y + 2 * MARGIN if rows else 0
    return placed, max(width, 0), max(height, 0)


def _name(node) -> str:
    return str(node)


def _layered_rows(graph: nx.DiGraph) -> list[list]:
    condensed = nx.condensation(graph)
    members = {group: sorted(condensed.nodes[group]["members"], key=_name) for group in condensed.nodes}
    layers = [sorted((node for group in generation for node in members[group]), key=_name)
              for generation in nx.topological_generations(condensed)]
    layers = _order(graph, layers)
    rows = []
    for layer in layers:
        rows += [layer[index:index + PER_ROW] for index in range(0, len(layer), PER_ROW)]
    return rows


def _order(graph: nx.DiGraph, layers: list[list]) -> list[list]:
    """Barycentre sweeps: each node moves towards the mean position of its neighbours in the
    layer above (downward sweeps) or below (upward sweeps); ties keep name order."""
    neighbours = {node: set(graph.predecessors(node)) | set(graph.successors(node)) for node in graph.nodes}
    for sweep in range(SWEEPS):
        indices = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        for index in indices:
            reference = layers[index - 1] if sweep % 2 == 0 else layers[index + 1]
            position = {node: number for number, node in enumerate(reference)}
            current = {node: number for number, node in enumerate(layers[index])}

            def centre(node):
                near = [position[other] for other in neighbours[node] if other in position]
                return (sum(near) / len(near) if near else current[node], _name(node))

            layers[index] = sorted(layers[index], key=centre)
    return layers


def heat(findings: int, most: int) -> str:
    """Fill colour class for a node: none, light, medium or heavy debt."""
    if findings <= 0:
        return "heat-0"
    share = findings / max(most, 1)
    return "heat-3" if share > 0.66 else "heat-2" if share > 0.33 else "heat-1"


def render_svg(graph: nx.DiGraph) -> str:
    """The graph as an inline <svg> element; every label is escaped."""
    graph, dropped = limit(graph)
    if graph.number_of_nodes() == 0:
        return ""
    placed, width, height = layout(graph)
    most = max((graph.nodes[node].get("findings", 0) for node in graph.nodes), default=0)
    parts = [f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="module dependency graph">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
             '<g class="edges">']
    for source, target in sorted(graph.edges, key=lambda edge: (_name(edge[0]), _name(edge[1]))):
        parts.append(_edge(placed[source], placed[target], graph.nodes[source], graph.nodes[target],
                           str(graph.edges[source, target].get("kind", "imports"))))
    parts.append("</g><g class=\"nodes\">")
    for node in sorted(graph.nodes, key=_name):
        parts.append(_node(placed[node], graph.nodes[node], most))
    parts.append("</g></svg>")
    svg = "".join(parts)
    if dropped:
        svg += f'<p class="note">{dropped} modules with the least debt and fewest imports are not drawn.</p>'
    return svg


def _edge(source: Placed, target: Placed, source_data: dict, target_data: dict, kind: str) -> str:
    x1, y1 = source.x + NODE_WIDTH / 2, source.y + NODE_HEIGHT
    x2, y2 = target.x + NODE_WIDTH / 2, target.y
    if target.row <= source.row:  # inside an import cycle, or wrapped onto one row: arc around
        x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT / 2
        x2, y2 = target.x + NODE_WIDTH, target.y + NODE_HEIGHT / 2
        bulge = 40 + abs(y2 - y1) / 4
        path = f"M{x1:.1f},{y1:.1f} C{x1 + bulge:.1f},{y1:.1f} {x2 + bulge:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        shape = "edge cycle"
    else:
        middle = (y1 + y2) / 2
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"
        shape = "edge"
    title = f"{source_data.get('label', source.node)} {kind} {target_data.get('label', target.node)}"
    return (f'<path class="{shape} {_esc(kind)}" d="{path}" marker-end="url(#arrow)">'
            f'<title>{_esc(title)}</title></path>')


def _node(place: Placed, data: dict, most: int) -> str:
    label = str(data.get("label", place.node))
    findings = int(data.get("findings", 0))
    shown = label if len(label) <= LABEL_CHARS else "…" + label[-(LABEL_CHARS - 1):]
    kind = str(data.get("kind", "module"))
    title = f"{label}: {counted(findings, 'finding')}"
    path = data.get("path") if kind in CODE_KINDS else None
    attributes = f' data-path="{_esc(path)}" tabindex="0"' if path else ""
    radius = NODE_HEIGHT / 2 if kind in ROUNDED_KINDS else 6
    return (f'<g class="node {_esc(kind)} {heat(findings, most)}"{attributes}>'
            f'<title>{_esc(title)}</title>'
            f'<rect x="{place.x:.1f}" y="{place.y:.1f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{radius:g}"/>'
            f'<text x="{place.x + (NODE_WIDTH - 28) / 2 + 4:.1f}" y="{place.y + NODE_HEIGHT / 2 + 4:.1f}">'
            f'{_esc(shown)}</text>'
            + (f'<text class="count" x="{place.x + NODE_WIDTH - 8:.1f}" y="{place.y + NODE_HEIGHT / 2 + 4:.1f}">'
               f'{findings}</text>' if findings else "")
            + "</g>")
