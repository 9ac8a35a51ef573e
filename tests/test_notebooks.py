"""Notebooks are first-class input: every rule runs on them, findings point at (cell, line),
magics do not stop the parse, a broken cell costs only that cell, suppressions work in cells."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from debtscan.config import Settings
from debtscan.model import Confidence
from debtscan.report import FORMATS, render
from debtscan.runner import scan
from debtscan.source import clean_cell, decode_notebook, mask_magics, shell_call

from helpers import found, write_project

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "notebook_project"
EXPORTED = {"notebooks/explore.ipynb": "exports/explore.py", "notebooks/train.ipynb": "exports/train.py"}
SETTINGS = Settings(min_confidence=Confidence.LOW)


def notebook(*cells, language: str | None = "python") -> str:
    """nbformat 4 JSON; a cell is code text, or ("markdown", text)."""
    items = []
    for cell in cells:
        kind, text = cell if isinstance(cell, tuple) else ("code", cell)
        items.append({"cell_type": kind, "metadata": {}, "source": text, **({"outputs": [], "execution_count": None}
                                                                             if kind == "code" else {})})
    metadata = {"kernelspec": {"name": "k", "display_name": "k", "language": language}} if language else {}
    return json.dumps({"cells": items, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5})


def export_line(export: Path) -> dict[tuple[int, int], int]:
    """(cell, line in cell) -> line of the percent-format export (`# %%` starts each cell)."""
    mapping, cell, start = {}, 0, 0
    for number, text in enumerate(export.read_text(encoding="utf-8").split("\n"), start=1):
        if text.startswith("# %%"):
            cell, start = cell + 1, number
        elif cell:
            mapping[(cell, number - start)] = number
    return mapping


def comparable(finding, line: int) -> tuple:
    return finding.rule, line, finding.location.column, finding.message, finding.severity, finding.confidence


@pytest.fixture(scope="module")
def project_result():
    return scan([PROJECT], PROJECT, SETTINGS, jobs=1)


@pytest.mark.parametrize("notebook_path,export_path", sorted(EXPORTED.items()))
def test_notebook_yields_the_same_findings_as_its_export(project_result, notebook_path, export_path):
    lines = export_line(PROJECT / export_path)
    in_notebook = [f for f in project_result.findings if f.path == notebook_path]
    in_export = [f for f in project_result.findings if f.path == export_path]
    assert in_notebook and all(f.location.cell is not None for f in in_notebook)
    assert all(f.location.cell is None for f in in_export)
    assert Counter(comparable(f, lines[(f.location.cell, f.location.line)]) for f in in_notebook) == \
        Counter(comparable(f, f.location.line) for f in in_export)


def test_notebook_locations_are_the_cell_and_the_line_inside_it(project_result):
    where = {(f.path, f.location.cell, f.location.line, f.location.column + 1, f.rule) for f in project_result.findings}
    assert ("notebooks/train.ipynb", 6, 2, 12, "DS901") in where  # scaler.fit_transform, 2nd line of the 6th cell
    assert ("notebooks/train.ipynb", 7, 2, 9, "DS103") in where  # under a %%time cell magic
    assert ("notebooks/explore.ipynb", 2, 8, 17, "DS202") in where  # after masked %matplotlib


def test_project_rules_see_notebooks_as_they_see_scripts(tmp_path):
    """The serving copy's divergence is found whether training lives in a notebook or a script."""
    as_notebooks = tmp_path / "notebooks_only"
    shutil.copytree(PROJECT, as_notebooks, ignore=shutil.ignore_patterns("exports"))
    as_scripts = tmp_path / "scripts_only"
    shutil.copytree(PROJECT, as_scripts, ignore=shutil.ignore_patterns("exports"))
    for notebook_path, export_path in EXPORTED.items():
        (as_scripts / notebook_path).unlink()
        shutil.copy(PROJECT / export_path, as_scripts / notebook_path.replace(".ipynb", ".py"))
    first = scan([as_notebooks], as_notebooks, SETTINGS, jobs=1)
    second = scan([as_scripts], as_scripts, SETTINGS, jobs=1)

    def elsewhere(result):
        return sorted((f.path, f.location.cell, f.location.line, f.rule) for f in result.findings
                      if f.path not in EXPORTED and not f.path.endswith(".py") or f.path == "serve/app.py")

    assert elsewhere(first) == elsewhere(second)
    assert ("serve/app.py", None, 15, "DS402") in elsewhere(first)
    diverged = next(f for f in first.findings if f.rule == "DS402")
    assert "notebooks/train.ipynb" in diverged.message
    assert {(related.path, related.cell) for related in diverged.related} == {("notebooks/train.ipynb", 5)}
    for notebook_path in EXPORTED:
        lines = export_line(PROJECT / EXPORTED[notebook_path])
        script = notebook_path.replace(".ipynb", ".py")
        assert Counter((f.rule, lines[(f.location.cell, f.location.line)]) for f in first.findings
                       if f.path == notebook_path) == \
            Counter((f.rule, f.location.line) for f in second.findings if f.path == script)


def test_text_output_names_the_cell_and_line(project_result):
    text = render(project_result, "text", SETTINGS)
    block = text.split("notebooks/train.ipynb\n", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"^  cell 6:2:12 +DS901 ", block, re.MULTILINE), block


def test_every_notebook_finding_knows_the_line_of_the_file_that_holds_it(project_result):
    """Code-scanning UIs show the .ipynb file as stored: `file_line` is the JSON line whose
    string is the finding's code line."""
    located = [f for f in project_result.findings if f.location.cell is not None]
    assert {f.rule for f in located} >= {"DS001", "DS101", "DS901"}
    for finding in located:
        assert finding.location.file_line > 0, finding
        stored = (PROJECT / finding.path).read_text(encoding="utf-8").split("\n")[finding.location.file_line - 1]
        stored = stored.strip().rstrip(",")
        if not finding.snippet:  # a cell that does not parse has no code line to quote
            assert f"expect: {finding.rule}" in stored, finding
        elif stored.startswith('"source":'):  # the cell's source is one string, on one line of the file
            assert finding.snippet in json.loads(stored.split(":", 1)[1]).split("\n"), finding
        else:  # one string per line of code
            assert json.loads(stored).rstrip("\n") == finding.snippet, finding


def stored_lines(document: dict, text: str | None = None) -> dict[int, list[int]]:
    source = decode_notebook((text or json.dumps(document, indent=1)).encode(), "nb.ipynb")
    return source.file_lines


def test_file_lines_follow_the_shape_the_source_is_stored_in():
    text = "\n".join([
        '{"cells": [',
        ' {"cell_type": "markdown", "metadata": {}, "source": ["# a\\n", "x = 1\\n"]},',
        ' {"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "display_data",',
        '   "data": {"application/json": {"source": ["decoy"]}}, "metadata": {}}],',
        '  "source": [',
        '   "a = 1\\n",',
        '   "b = (2 +",',  # a list item that does not end its line: the next item continues it
        '   " 3)\\n",',
        '   "c = 4"',
        '  ]},',
        ' {"cell_type": "code", "metadata": {}, "outputs": [], "source": "d = 1\\ne = 2\\r\\nf = 3"},',
        ' {"cell_type": "code", "metadata": {}, "outputs": [], "source": []}',
        '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    ])
    assert stored_lines({}, text) == {2: [6, 7, 9], 3: [11, 11, 11], 4: []}


def test_a_notebook_whose_sources_cannot_be_found_in_the_text_has_no_file_lines():
    text = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["x = 1\n"]}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1).replace('"source"', '"sou\\u0072ce"')
    source = decode_notebook(text.encode(), "nb.ipynb")
    assert source.cells and source.file_lines == {} and source.file_line(1) == 0


@pytest.mark.parametrize("fmt", [fmt for fmt in ("json", "sarif") if fmt in FORMATS])
def test_machine_formats_keep_cell_and_line(project_result, fmt):
    document = json.loads(render(project_result, fmt, SETTINGS))
    if fmt == "json":
        entry = next(f for f in document["findings"] if f["rule"] == "DS901" and f["path"].endswith(".ipynb"))
        assert (entry["cell"], entry["line"], entry["column"]) == (6, 2, 12)
        script = next(f for f in document["findings"] if f["rule"] == "DS901" and f["path"].endswith(".py"))
        assert script["cell"] is None
    else:
        results = document["runs"][0]["results"]
        entry = next(r for r in results if r["ruleId"] == "DS901"
                     and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".ipynb"))
        assert entry["properties"]["cell"] == 6 and "Cell 6, line 2" in entry["message"]["text"]


def test_a_broken_cell_is_reported_and_the_rest_is_checked(tmp_path):
    result = scan_notebook(tmp_path, notebook(
        "import numpy as np",
        'print "python 2"',
        "x = np.random.rand(3)",
    ))
    assert found(result) == [("nb.ipynb", 1, "DS001"), ("nb.ipynb", 1, "DS101")]
    broken = next(f for f in result.findings if f.rule == "DS001")
    assert broken.location.cell == 2 and "Cell 2 is not valid Python" in broken.message
    assert "that cell is not checked" in broken.message
    assert next(f for f in result.findings if f.rule == "DS101").location.cell == 3


def test_a_cell_only_libcst_rejects_is_dropped_not_the_notebook(tmp_path):
    """CPython accepts thousands of implicitly concatenated strings; libcst's parser does not."""
    concatenated = "TEXT = " + " ".join(['"a"'] * 5000)
    result = scan_notebook(tmp_path, notebook("import numpy as np", concatenated, "y = np.random.rand(2)"))
    assert sorted((f.location.cell, f.rule) for f in result.findings) == [(2, "DS001"), (3, "DS101")]


def test_a_cell_whose_source_is_not_text_is_reported_alone(tmp_path):
    document = json.loads(notebook("import numpy as np", "placeholder", "z = np.random.rand(2)"))
    document["cells"][1]["source"] = {"not": "text"}
    result = scan_notebook(tmp_path, json.dumps(document))
    assert sorted((f.location.cell, f.rule) for f in result.findings) == [(2, "DS002"), (3, "DS101")]
    assert "that cell is not checked" in next(f for f in result.findings if f.rule == "DS002").message


def test_sources_as_strings_and_as_lists_of_lines_are_the_same(tmp_path):
    as_string = notebook("import random\n\nvalue = random.random()\n")
    document = json.loads(as_string)
    document["cells"][0]["source"] = ["import random\n", "\n", "value = random.random()\n"]
    first = scan_notebook(tmp_path / "a", as_string)
    second = scan_notebook(tmp_path / "b", json.dumps(document))
    assert found(first) == found(second) == [("nb.ipynb", 3, "DS101")]


def test_notebooks_of_other_languages_hold_nothing_to_check(tmp_path):
    result = scan_notebook(tmp_path, notebook('df <- read.csv("/data/x.csv")', language="R"))
    assert found(result) == []


@pytest.mark.parametrize("content,needle", [
    ('{"worksheets": []}', "A notebook in nbformat 3, which is not supported"),
    ('{"cells": 3}', "JSON but not a Jupyter notebook"),
    ("[]", "JSON but not a Jupyter notebook"),
    ("{ not json", "invalid JSON"),
    ('{"cells": [1, "x", null], "metadata": {}, "nbformat": 4}', "JSON but not a Jupyter notebook (its cells are"),
])
def test_what_is_not_a_notebook_is_one_finding(tmp_path, content, needle):
    result = scan_notebook(tmp_path, content)
    assert [f.rule for f in result.findings] == ["DS002"] and needle in result.findings[0].message


def test_a_cell_that_is_not_an_object_is_reported_and_the_others_are_checked(tmp_path):
    document = json.loads(notebook("import numpy as np", "a = np.random.rand(3)"))
    document["cells"][1:1] = [7, None]
    result = scan_notebook(tmp_path, json.dumps(document))
    assert sorted((f.location.cell, f.rule) for f in result.findings) == [(2, "DS002"), (3, "DS002"), (4, "DS101")]
    broken = [f.message for f in result.findings if f.rule == "DS002"]
    assert broken == ["Cell 2 is not a notebook cell (a JSON object): 7; that cell is not checked.",
                      "Cell 3 is not a notebook cell (a JSON object): null; that cell is not checked."]


# -- suppressions inside cells ---------------------------------------------------------------------

def test_suppressions_work_inside_cells(tmp_path):
    result = scan_notebook(tmp_path, notebook(
        "import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier",
        "a = np.random.rand(3)  # debtscan: ignore[DS101] plotting jitter\nb = np.random.rand(3)",
        "# debtscan: fixme[DS103] seed plumbing comes with the config\nmodel = RandomForestClassifier()",
    ))
    assert [(f.location.cell, f.location.line, f.rule) for f in result.findings] == [(2, 2, "DS101")]
    assert [(f.location.cell, f.rule) for f in result.fixme] == [(3, "DS103")]
    assert result.counts["ignored"] == 1


def test_a_directive_ending_a_cell_does_not_cover_the_next_cell(tmp_path):
    result = scan_notebook(tmp_path, notebook(
        "import numpy as np\n# debtscan: ignore[DS101] meant for the next cell",
        "x = np.random.rand(3)",
    ))
    assert sorted((f.location.cell, f.location.line, f.rule) for f in result.findings) == [(1, 2, "DS003"), (2, 1, "DS101")]


def test_ignore_file_in_a_cell_covers_the_whole_notebook(tmp_path):
    result = scan_notebook(tmp_path, notebook(
        "# debtscan: ignore-file[DS2] example locations for the tutorial",
        "A = '/data/train.csv'",
        "B = 's3://bucket/key'",
    ))
    assert found(result) == []


# -- masking IPython syntax ---------------------------------------------------------------------------

@pytest.mark.parametrize("cell", [
    "%matplotlib inline\n%load_ext autoreload",
    "!pip install -q xgboost",
    "files = !ls data\nresult = %timeit -o sum(range(9))",
    "pd.read_csv?\n?np.random\nnp.random.rand??",
    "for name in names:\n    !wc -l {name}\n    %time load(name)",
    "%%bash\nls data | head\nif [ -d x ]; then echo (; fi",
    "\n\n%%sql\nSELECT * FROM t WHERE a = 'b'",
    "!python train.py \\\n  --epochs=3 \\\n  --lr=0.1\nprint('done')",
    "for name in names:\n    !wc -l \\\n        {name}\n    count += 1",
    "%%writefile helper.sh\nexport A=(1 2 3",
])
def test_masked_cells_parse_and_keep_their_line_count(cell):
    masked = mask_magics(cell)
    assert masked.count("\n") == cell.count("\n")
    compile(masked, "cell", "exec")


@pytest.mark.parametrize("cell", [
    'total = (values.sum()\n         % 7)',
    'query = """\n%s\n!important\nwhat?\n"""',
    "ratio = 1 \\\n    % 2",
    "x = 1  # what?",
    "text = 'why?'",
])
def test_python_that_looks_like_a_magic_is_left_alone(cell):
    assert mask_magics(cell) == cell


@pytest.mark.parametrize("command,call", [
    ("wget $url -O data.csv", 'get_ipython().system(f"wget {url} -O data.csv")'),
    ("ls {path.parent} $$HOME", 'get_ipython().system(f"ls {path.parent} $HOME")'),
    ('pip install "numpy>=2"', 'get_ipython().system(f"pip install \\"numpy>=2\\"")'),
    ("find . -exec wc -l {} \\;", 'get_ipython().system(f"find . -exec wc -l {{}} \\\\;")'),
    ("awk '{print $1}' f.txt", 'get_ipython().system(f"awk \'{{print $1}}\' f.txt")'),
    ("echo {oops(}", 'get_ipython().system(f"echo {{oops(}}")'),
])
def test_shell_lines_become_the_call_ipython_makes(command, call):
    """IPython runs `!cmd` as `get_ipython().system(...)`, expanding `$name` and `{expr}`; what it
    would not expand stays text, so the call always parses."""
    assert shell_call(command) == call
    compile(call, "cell", "eval")


def test_a_shell_line_is_quoted_as_written():
    source = decode_notebook(notebook("url = 'https://example.com/a.csv'\n!wget $url").encode(), "nb.ipynb")
    assert source.text.split("\n")[1] == 'get_ipython().system(f"wget {url}")'
    assert source.line_as_written(2, source.text.split("\n")) == "!wget $url"


@pytest.mark.parametrize("cell,cleaned", [
    (" import os\n x = 1\n\n y = 2", "import os\nx = 1\n\ny = 2"),
    ("\n    for a in b:\n        pass", "\nfor a in b:\n    pass"),
    (">>> import os\n>>> for i in x:\n...     pass", "import os\nfor i in x:\n    pass"),
    ("In [3]: total = 1\n   ...: total += 1", "total = 1\ntotal += 1"),
    ("x = 1\n    y = 2", "x = 1\n    y = 2"),  # an indent after the first line is an error IPython keeps
])
def test_cells_are_cleaned_as_ipython_cleans_them(cell, cleaned):
    assert clean_cell(cell) == cleaned


def test_python_cell_magics_keep_their_body():
    masked = mask_magics("%%time\nmodel.fit(X, y)")
    assert masked == "\nmodel.fit(X, y)"
    assert decode_notebook(notebook("%%time\nx = 1").encode(), "nb.ipynb").text.startswith("\nx = 1\n")


def scan_notebook(root: Path, content: str):
    write_project(root, {"nb.ipynb": content})
    return scan([root], root, SETTINGS, jobs=1)
