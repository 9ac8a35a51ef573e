"""The HTML report: self-contained, escaped, summarised by family and module, the dependency
graph drawn, filters that work, and a page that renders in headless Chromium with no console
errors, even for a repository full of hostile strings."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from debtscan.cli import main
from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.graph import graph_for
from debtscan.report.html import render_html
from debtscan.report.svg_graph import NODE_HEIGHT, layout
from debtscan.runner import scan

from helpers import scan_project, write_project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Each payload, if it ever reached the page as markup, would mark <html> with data-pwned.
PWN = "document.documentElement.dataset.pwned={}"
HOSTILE = {
    "app.py": (
        "import numpy as np\n"
        f"SCRIPT = \"s3://bucket/<script>{PWN.format(1)}</script>.csv\"\n"
        f"QUOTES = 's3://bucket/\"><img src=x onerror=\"{PWN.format(2)}\">.csv'\n"
        f"SINGLE = \"s3://bucket/'><svg onload='{PWN.format(3)}'>\x1b[2J.csv\"  # \x1b]0;title\x07 \u202e\n"
        "def handler():\n"
        "    return np.random.rand(3)\n"
    ),
    "<img src=x onerror=alert(1)>.py": "P = 's3://bucket/\"quoted\" & <b>bold</b>.csv'\n",
}


class PageParser(HTMLParser):
    """Collects what could run or load: scripts, event handlers, URLs; and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[str] = []
        self.text: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append({"attrs": attributes, "body": ""})
            self.in_script = True
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("src", "href", "action", "xlink:href", "formaction"):
                self.urls.append(value or "")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script:
            self.scripts[-1]["body"] += data
        else:
            self.text.append(data)


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


@pytest.fixture
def hostile(tmp_path) -> Path:
    return write_project(tmp_path / "hostile", HOSTILE)


def html_of(path: Path, *args) -> str:
    result = CliRunner().invoke(main, [str(path), "--format", "html", "--min-confidence", "low", *args])
    assert result.exit_code == 1, result.output
    return result.output


def test_page_is_self_contained_and_runs_only_its_own_script(hostile):
    page = html_of(hostile)
    parsed = parse(page)
    assert len(parsed.scripts) == 1 and not parsed.scripts[0]["attrs"]
    assert not parsed.handlers
    assert all(url.startswith("#") or url == "data:," for url in parsed.urls), parsed.urls
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0]["body"].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_hostile_strings_are_shown_as_text(hostile):
    page = html_of(hostile)
    text = "".join(parse(page).text)
    assert "<script>document.documentElement" in text  # decoded text, i.e. it was escaped in the markup
    assert "<img src=x onerror=alert(1)>.py" in text
    assert "\x1b" not in page and "\x07" not in page and "\u202e" not in page
    assert "\\x1b[2J" in text  # control characters are shown as visible escapes


def test_summary_by_family_and_module(tmp_path):
    result = scan_project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/seed.py": "import numpy as np, random\nx = np.random.rand(3)\ny = random.random()\n",  # two streams
        "pkg/io.py": "P = '/data/a.csv'\n",
        "train.py": "from pkg import seed, io\nQ = '/data/b.csv'\n",
    }, select=("DS1", "DS2"))
    result.root = "proj"
    page = render_html(result, _settings())
    family_rows = re.findall(r'data-family="([a-z-]+)">[a-z-]+</a></th><td class="num">(\d+)</td>', page)
    assert family_rows == [("hardcoded-path", "2"), ("randomness", "2")]
    module_rows = re.findall(r'class="pick" data-path="([^"]+)">[^<]+</a></th><td class="num">(\d+)</td>', page)
    assert module_rows[:3] == [("pkg/seed.py", "2"), ("pkg/io.py", "1"), ("train.py", "1")]
    assert ("pkg", "3") in module_rows  # by directory
    assert page.count('<article class="finding') == 4
    assert "Fix:" in page and '<pre class="code">' in page


def _settings():
    return Settings(min_confidence=Confidence.LOW)


def test_the_project_dependency_graph_is_drawn():
    root = FIXTURES / "churn_sklearn"
    result = scan([root], root, Settings(), jobs=1)
    graph = graph_for(result)
    assert ("module:train.py", "module:features.py") in graph.edges
    page = render_html(result, Settings())
    assert page.count('<path class="edge') == graph.number_of_edges()
    assert page.count('<g class="node ') == graph.number_of_nodes()
    assert 'data-path="train.py"' in page  # modules can be selected; data and model nodes have no findings list
    assert re.search(r'<path class="edge [a-z ]*reads"', page) and re.search(r'<g class="node model heat-\d"', page)


def test_a_richer_graph_can_be_passed_in(tmp_path):
    result = scan_project(tmp_path, {"a.py": "x = 1\n"})
    graph = nx.DiGraph()
    graph.add_node("raw", label="data/raw.csv", kind="data")
    graph.add_node("a.py", label="a.py", path="a.py", findings=0)
    graph.add_edge("a.py", "raw")
    page = render_html(result, _settings(), graph=graph)
    assert '<g class="node data heat-0"><title>data/raw.csv: 0 findings</title>' in page


def test_layout_puts_importers_above_what_they_import_and_survives_cycles():
    graph = nx.DiGraph([("main", "lib"), ("lib", "util"), ("a", "b"), ("b", "a"), ("main", "a")])
    graph.add_node("alone")
    placed, width, height = layout(graph)
    assert placed["main"].y < placed["lib"].y < placed["util"].y
    assert placed["a"].y == placed["b"].y  # a cycle is one group
    assert placed["alone"].y == max(place.y for place in placed.values())
    assert width > 0 and height >= 4 * NODE_HEIGHT
    assert layout(graph) == (placed, width, height)


def test_empty_scan_renders(tmp_path):
    result = scan_project(tmp_path, {"ok.py": "x = 1\n"})
    page = render_html(result, _settings())
    assert "No debt found in 1 file" in page and "No findings." in page


def test_report_is_deterministic():
    runner = CliRunner()
    first = runner.invoke(main, [str(FIXTURES / "churn_sklearn"), "--format", "html"]).output
    assert first == runner.invoke(main, [str(FIXTURES / "churn_sklearn"), "--format", "html"]).output


# -- in a real browser -----------------------------------------------------------------------------

def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless Chromium on this machine (Debian: apt-get install chromium; .ci/run installs it)")


def open_in_chromium(page: Path, tmp_path: Path, fragment: str = "") -> tuple[str, list[str]]:
    """The DOM after scripts ran, and every console message the page produced."""
    completed = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'chromium-profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=3000", "--dump-dom", page.as_uri() + fragment],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    console = [line for line in completed.stderr.splitlines() if ":CONSOLE" in line]
    return completed.stdout, console


def html_tag(dom: str) -> str:
    return re.search(r"<html[^>]*>", dom).group(0)


def test_renders_in_headless_chromium_without_console_errors(tmp_path):
    chromium()
    page = tmp_path / "report.html"
    CliRunner().invoke(main, [str(FIXTURES / "vision_torch"), "--format", "html", "-o", str(page)])
    dom, console = open_in_chromium(page, tmp_path)
    assert console == []
    assert 'data-ready="1"' in html_tag(dom)  # the filter script ran to its end
    assert "<svg" in dom and "Dependency graph" in dom


def test_hostile_repository_executes_nothing_in_chromium(hostile, tmp_path):
    chromium()
    page = tmp_path / "hostile.html"
    page.write_text(html_of(hostile), encoding="utf-8")
    dom, console = open_in_chromium(page, tmp_path)
    assert console == []  # no script error and no blocked inline script either
    tag = html_tag(dom)
    assert 'data-ready="1"' in tag and "data-pwned" not in tag
    assert "&lt;script&gt;document.documentElement" in dom


def test_filters_work_in_chromium(tmp_path):
    chromium()
    write_project(tmp_path / "repo", {
        "db.py": "DB = 'postgresql://ml:hunter2@db.internal/features'\n",
        "paths.py": "P = '/data/a.csv'\nQ = 's3://bucket/key.csv'\n",
    })
    page = tmp_path / "report.html"
    CliRunner().invoke(main, [str(tmp_path / "repo"), "--format", "html", "-o", str(page)])
    dom, console = open_in_chromium(page, tmp_path, "#severity=error")
    assert console == []
    articles = re.findall(r"<article [^>]*>", dom)
    assert len(articles) == 3
    assert [("hidden" in tag, 'data-severity="error"' in tag) for tag in articles] == [
        (False, True), (True, False), (True, False)]
    assert re.search(r'<output id="shown">1</output>', dom)
    dom, _ = open_in_chromium(page, tmp_path, "#path=paths")
    assert [("hidden" in tag) for tag in re.findall(r"<article [^>]*>", dom)] == [True, False, False]
