"""`--format html`: one self-contained page people would rather look at than read.

A summary of the debt per family and per module (where it concentrates), the dependency
graph drawn as SVG, and every finding with its code and fix, filterable by family, severity
and path. Nothing is loaded from the network: styles and the small filter script are inline,
and a Content-Security-Policy allows exactly those two (by hash) and nothing else. Every
string taken from the scanned code is escaped, so a hostile repository cannot put markup or
script into the page; the policy is the second line of defence.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter, defaultdict
from itertools import groupby
from posixpath import dirname

import networkx as nx

from debtscan import __version__
from debtscan.graph import graph_for
from debtscan.report.escape import visible
from debtscan.report.summary import summarise
from debtscan.report.svg_graph import render_svg
from debtscan.wording import counted

SEVERITIES = ("error", "warning", "info")
TOP_MODULES = 25


def esc(value) -> str:
    return html.escape(visible(str(value)), quote=True)


def render_html(result, settings, graph: nx.DiGraph | None = None) -> str:
    """The report page; `graph` (a `debtscan.graph` graph, perhaps collapsed or focused)
    replaces the project's whole dependency graph when given."""
    summary = summarise(result, settings)
    graph = graph_for(result) if graph is None else graph
    body = "".join([
        _header(result, summary, settings),
        _summary_section(result, summary),
        _graph_section(graph),
        _findings_section(result),
        _fixme_section(result),
        f'<footer>debtscan {esc(__version__)} · <a href="#top">top</a></footer>',
    ])
    style_hash = _csp_hash(CSS)
    script_hash = _csp_hash(SCRIPT)
    policy = (f"default-src 'none'; style-src '{style_hash}'; script-src '{script_hash}'; img-src data:; "
              f"base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>debtscan: {esc(result.root)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n"
        f'<body id="top">\n{body}\n<script>{SCRIPT}</script>\n</body>\n</html>\n'
    )


def _csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


# -- sections -----------------------------------------------------------------------------------

def _header(result, summary, settings) -> str:
    count, files = summary["findings"], summary["files"]
    if count:
        headline = f"{counted(count, 'finding')} in {summary['files_with_findings']} of {counted(files, 'file')}"
    else:
        headline = f"No debt found in {counted(files, 'file')}"
    chips = "".join(f'<span class="chip sev-{level}">{summary["by_severity"][level]} {level}</span>'
                    for level in SEVERITIES if summary["by_severity"][level])
    gate = summary["gate"]
    verdict = ("fails" if gate["failing"] else "passes")
    notes = [f"The gate (--fail-on {esc(gate['fail_on'])}, --min-confidence {esc(gate['min_confidence'])}) "
             f"<strong>{verdict}</strong>: {counted(gate['failing'], 'finding')} at or above it."]
    if summary["fixme"]:
        notes.append(f"{summary['fixme']} acknowledged with <code>fixme</code> (listed at the end).")
    if summary["ignored"]:
        notes.append(f"{summary['ignored']} ignored inline.")
    if summary["below_confidence"]:
        notes.append(f"{summary['below_confidence']} below {esc(gate['min_confidence'])} confidence not shown.")
    if "baseline" in result.counts:
        notes.append(f"{summary['baseline']} accepted by the baseline; "
                     f"<strong>{summary['fixed_since_baseline']} paid off since the baseline</strong>"
                     + (" (" + ", ".join(f"{esc(rule)} ×{n}" for rule, n in summary["paid_off_by_rule"].items()) + ")"
                        if summary["paid_off_by_rule"] else "") + ".")
    errors = "".join(f"<li>{esc(error['path'])}: {esc(error['message'])}</li>" for error in result.errors)
    return (f'<header><h1>Technical debt in <span class="root">{esc(result.root)}</span></h1>'
            f'<p class="headline">{headline} {chips}</p>'
            + "".join(f"<p>{note}</p>" for note in notes)
            + (f'<ul class="errors">{errors}</ul>' if errors else "")
            + '<nav><a href="#summary">Summary</a> <a href="#graph">Dependency graph</a> '
              '<a href="#findings">Findings</a></nav></header>')


def _bar(value: int, most: int, width: int = 160) -> str:
    filled = 0 if most <= 0 else round(width * value / most)
    return (f'<svg class="bar" width="{width}" height="10" aria-hidden="true">'
            f'<rect class="bar-bg" width="{width}" height="10"/><rect class="bar-fg" width="{filled}" height="10"/></svg>')


def _severity_cells(counter: Counter) -> str:
    return "".join(f'<td class="num sev-{level}">{counter.get(level) or ""}</td>' for level in SEVERITIES)


def _summary_section(result, summary) -> str:
    findings = result.findings
    if not findings:
        return '<section id="summary"><h2>Summary</h2><p>Nothing to summarise: no findings.</p></section>'
    by_family: dict[str, list] = defaultdict(list)
    for finding in findings:
        by_family[finding.family].append(finding)
    most = max(len(items) for items in by_family.values())
    rows = []
    for family, items in sorted(by_family.items(), key=lambda item: (-len(item[1]), item[0])):
        rules = Counter(finding.rule for finding in items)
        rule_text = ", ".join(f"{esc(rule)} ×{n}" for rule, n in sorted(rules.items()))
        rows.append(f'<tr><th scope="row"><a href="#findings" class="pick" data-family="{esc(family)}">{esc(family)}</a></th>'
                    f'<td class="num">{len(items)}</td><td>{_bar(len(items), most)}</td>'
                    f'{_severity_cells(Counter(f.severity.label for f in items))}<td>{rule_text}</td></tr>')
    family_table = ('<table><thead><tr><th>family</th><th>findings</th><th></th><th>error</th><th>warning</th>'
                    '<th>info</th><th>rules</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")
    return ('<section id="summary"><h2>Debt by family</h2>' + family_table
            + "<h2>Where the debt concentrates</h2>" + _concentration(findings, "module", lambda f: f.path)
            + _concentration(findings, "directory", lambda f: dirname(f.path)) + "</section>")


def _concentration(findings, what: str, key) -> str:
    groups: dict[str, list] = defaultdict(list)
    for finding in findings:
        groups[key(finding)].append(finding)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    most = len(ranked[0][1])
    rows = []
    for name, items in ranked[:TOP_MODULES]:
        families = ", ".join(f"{esc(family)} {n}" for family, n in sorted(Counter(f.family for f in items).items()))
        link = (f'<a href="#findings" class="pick" data-path="{esc(name)}">{esc(name)}</a>' if name
                else "(top level)")
        rows.append(f'<tr><th scope="row">{link}</th>'
                    f'<td class="num">{len(items)}</td><td>{_bar(len(items), most)}</td>'
                    f'{_severity_cells(Counter(f.severity.label for f in items))}<td>{families}</td></tr>')
    rest = len(ranked) - TOP_MODULES
    more = f'<p class="note">and {rest} more {what}s with less debt.</p>' if rest > 0 else ""
    return (f'<table><thead><tr><th>{what}</th><th>findings</th><th></th><th>error</th><th>warning</th><th>info</th>'
            '<th>families</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>" + more)


def _graph_section(graph: nx.DiGraph) -> str:
    svg = render_svg(graph)
    if not svg:
        return '<section id="graph"><h2>Dependency graph</h2><p>No modules to draw.</p></section>'
    nodes = Counter(str(kind) for _, kind in graph.nodes(data="kind", default="module"))
    edges = Counter(str(kind) for _, _, kind in graph.edges(data="kind", default="imports"))
    return ('<section id="graph"><h2>Dependency graph</h2>'
            f'<p class="note">Nodes: {_listed(nodes)}. Edges: {_listed(edges) or "none"}. Arrows point from the '
            'importing module to the imported one, and from what produces an artifact to what uses it; the redder '
            'a node, the more debt it holds. Select a module to show its findings.</p>'
            f'<div class="graph-box">{svg}</div></section>')


def _listed(counts: Counter) -> str:
    return ", ".join(f"{n} {esc(kind)}" for kind, n in sorted(counts.items()))


def _findings_section(result) -> str:
    findings = result.findings
    if not findings:
        return '<section id="findings"><h2>Findings</h2><p>No findings.</p></section>'
    families = sorted({finding.family for finding in findings})
    paths = sorted({finding.path for finding in findings})
    filters = (
        '<form id="filters" class="filters">'
        '<label>family <select name="family"><option value="">all</option>'
        + "".join(f'<option value="{esc(family)}">{esc(family)}</option>' for family in families)
        + '</select></label> <label>severity <select name="severity"><option value="">all</option>'
        '<option value="warning">warning and error</option><option value="error">error</option></select></label> '
        '<label>path <input name="path" type="search" list="paths" placeholder="part of a path" autocomplete="off">'
        '</label><datalist id="paths">' + "".join(f'<option value="{esc(path)}">' for path in paths) + "</datalist>"
        f' <output id="shown">{len(findings)}</output> of {len(findings)} shown</form>'
    )
    groups = []
    for path, group in groupby(findings, key=lambda finding: finding.path):
        items = list(group)
        groups.append(f'<details class="file" open data-path="{esc(path)}"><summary><span class="path">{esc(path)}'
                      f'</span> <span class="count">{len(items)}</span></summary>'
                      + "".join(_finding(finding) for finding in items) + "</details>")
    return '<section id="findings"><h2>Findings</h2>' + filters + "".join(groups) + "</section>"


def _where(location) -> str:
    if location.cell is not None:
        return f"cell {location.cell}, line {location.line}:{location.column + 1}"
    return f"line {location.line}:{location.column + 1}"


def _finding(finding) -> str:
    location = finding.location
    code = ""
    if finding.snippet.strip():
        code = (f'<pre class="code"><span class="lineno">{location.line}</span>'
                f"<code>{esc(finding.snippet.rstrip())}</code></pre>")
    related = "".join(f"<li>{esc(item.path)} {esc(_where(item))}</li>" for item in finding.related)
    symbol = f' in <code>{esc(finding.symbol)}</code>' if finding.symbol else ""
    return (f'<article class="finding sev-{esc(finding.severity.label)}" data-family="{esc(finding.family)}" '
            f'data-severity="{esc(finding.severity.label)}" data-path="{esc(finding.path)}">'
            f'<p class="meta"><span class="rule">{esc(finding.rule)}</span> <span class="name">{esc(finding.name)}</span> '
            f'<span class="chip sev-{esc(finding.severity.label)}">{esc(finding.severity.label)}</span> '
            f'<span class="confidence">{esc(finding.confidence.label)} confidence</span> · '
            f'<span class="where">{esc(_where(location))}{symbol}</span></p>'
            f'<p class="message">{esc(finding.message)}</p>{code}'
            + (f'<p class="fix"><strong>Fix:</strong> {esc(finding.fix)}</p>' if finding.fix else "")
            + (f'<ul class="related">{related}</ul>' if related else "")
            + "</article>")


def _fixme_section(result) -> str:
    if not result.fixme:
        return ""
    items = "".join(f"<li><span class=\"rule\">{esc(f.rule)}</span> {esc(f.path)} {esc(_where(f.location))}: "
                    f"{esc(f.message)}</li>" for f in result.fixme)
    return (f'<section id="fixme"><details><summary>Acknowledged debt (<code>fixme</code>): {len(result.fixme)}'
            f"</summary><ul>{items}</ul></details></section>")


CSS = """
:root { color-scheme: light dark; --fg: #1d232b; --bg: #ffffff; --muted: #5d6875; --line: #d9dee4;
  --panel: #f5f7f9; --error: #b3261e; --warning: #a15c00; --info: #1d5fa8; --accent: #2f6f4f;
  --heat0: #e8edf1; --heat1: #f8d9a8; --heat2: #f0a35e; --heat3: #d9534f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e8ec; --bg: #15191e; --muted: #9aa5b1; --line: #2c333b;
  --panel: #1d232a; --error: #ff8a80; --warning: #ffb74d; --info: #82b1ff; --accent: #7fcf9f;
  --heat0: #2a323b; --heat1: #6b5120; --heat2: #8a4b1c; --heat3: #9c2f2b; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 1.5rem; font: 15px/1.5 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem; }
.root, code, pre, .path, .rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
nav a { margin-right: 1rem; } a { color: var(--accent); }
.headline { font-size: 1.1rem; font-weight: 600; }
.chip { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: .8rem; font-weight: 600;
  border: 1px solid currentColor; }
.sev-error { color: var(--error); } .sev-warning { color: var(--warning); } .sev-info { color: var(--info); }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
thead th { color: var(--muted); font-weight: 500; font-size: .85rem; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.bar-bg { fill: var(--heat0); } .bar-fg { fill: var(--heat3); }
.note { color: var(--muted); font-size: .9rem; }
.errors { color: var(--error); }
.graph-box { overflow: auto; border: 1px solid var(--line); border-radius: 8px; background: var(--panel);
  max-height: 70vh; }
.graph .edge { fill: none; stroke: var(--muted); stroke-width: 1.2; opacity: .7; }
.graph .edge.reads, .graph .edge.writes { stroke: var(--info); }
.graph .edge.trains, .graph .edge.serves { stroke: var(--warning); }
.graph .edge.cycle { stroke-dasharray: 4 3; }
.graph .node.entry rect { stroke-width: 2; }
.graph .node.external rect { stroke-dasharray: 4 3; }
.graph .arrowhead { fill: var(--muted); }
.graph .node rect { stroke: var(--muted); stroke-width: 1; }
.graph .node text { font: 12px ui-monospace, monospace; text-anchor: middle; fill: var(--fg); }
.graph .node text.count { text-anchor: end; font-weight: 700; }
.graph .node[data-path] { cursor: pointer; }
.graph .node:focus rect, .graph .node:hover rect { stroke: var(--accent); stroke-width: 2.5; }
.graph .heat-0 rect { fill: var(--heat0); } .graph .heat-1 rect { fill: var(--heat1); }
.graph .heat-2 rect { fill: var(--heat2); } .graph .heat-3 rect { fill: var(--heat3); }
.filters { position: sticky; top: 0; background: var(--bg); padding: .6rem 0; border-bottom: 1px solid var(--line);
  z-index: 1; }
.filters label { margin-right: .8rem; } .filters input { width: 16rem; }
details.file { margin: .8rem 0; } details.file > summary { cursor: pointer; font-weight: 600; }
details.file > summary .count { color: var(--muted); font-weight: 400; }
.finding { border-left: 4px solid currentColor; background: var(--panel); margin: .5rem 0 .5rem 1rem;
  padding: .5rem .8rem; border-radius: 0 6px 6px 0; }
.finding > * { color: var(--fg); } .finding .chip { color: inherit; }
.finding p { margin: .25rem 0; } .meta { font-size: .9rem; }
.meta .rule { font-weight: 700; } .meta .confidence, .meta .where { color: var(--muted); }
pre.code { margin: .3rem 0; padding: .4rem .6rem; background: var(--bg); border: 1px solid var(--line);
  border-radius: 4px; overflow-x: auto; white-space: pre; }
.lineno { color: var(--muted); user-select: none; margin-right: 1rem; }
.fix { color: var(--accent); }
[hidden] { display: none !important; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
"""

SCRIPT = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { document.documentElement.setAttribute("data-ready", "1"); return; }
  var rank = { info: 0, warning: 1, error: 2 };
  var findings = Array.prototype.slice.call(document.querySelectorAll("article.finding"));
  var files = Array.prototype.slice.call(document.querySelectorAll("details.file"));
  var shown = document.getElementById("shown");

  function apply(remember) {
    var family = form.elements.family.value;
    var severity = form.elements.severity.value;
    var path = form.elements.path.value.trim().toLowerCase();
    var count = 0;
    findings.forEach(function (item) {
      var visible = (!family || item.getAttribute("data-family") === family) &&
        (!severity || rank[item.getAttribute("data-severity")] >= rank[severity]) &&
        (!path || item.getAttribute("data-path").toLowerCase().indexOf(path) !== -1);
      item.hidden = !visible;
      if (visible) { count += 1; }
    });
    files.forEach(function (group) {
      group.hidden = !group.querySelector("article.finding:not([hidden])");
    });
    shown.textContent = String(count);
    var params = new URLSearchParams();
    if (family) { params.set("family", family); }
    if (severity) { params.set("severity", severity); }
    if (path) { params.set("path", form.elements.path.value.trim()); }
    if (remember) {
      var hash = params.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }

  function fromHash() {
    var params = new URLSearchParams(location.hash.replace(/^#/, ""));
    form.elements.family.value = params.get("family") || "";
    form.elements.severity.value = params.get("severity") || "";
    form.elements.path.value = params.get("path") || "";
  }

  function pick(family, path) {
    form.elements.family.value = family || "";
    form.elements.path.value = path || "";
    apply(true);
    form.scrollIntoView();
  }

  form.addEventListener("input", function () { apply(true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(true); });
  Array.prototype.forEach.call(document.querySelectorAll("a.pick"), function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      pick(link.getAttribute("data-family"), link.getAttribute("data-path"));
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".graph .node[data-path]"), function (node) {
    function choose() { pick("", node.getAttribute("data-path")); }
    node.addEventListener("click", choose);
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); }
    });
  });
  if (/^#(family|severity|path)=/.test(location.hash)) { fromHash(); }
  apply(false);
  document.documentElement.setAttribute("data-ready", "1");
})();
"""
