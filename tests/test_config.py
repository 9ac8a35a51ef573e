"""[tool.debtscan] configuration: every key works, and mistakes are errors with the path."""

from __future__ import annotations

import pytest

from debtscan.catalog import load_catalog
from debtscan.config import ConfigError, Settings, find_config, load_settings, settings_from_table
from debtscan.model import Confidence, Severity
from debtscan.registry import SelectionError, select

from helpers import found, scan_project, write_project


def write_config(root, body):
    (root / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n[tool.debtscan]\n{body}\n", encoding="utf-8")
    return root / "pyproject.toml"


def test_all_keys_are_read(tmp_path):
    path = write_config(tmp_path, """
select = ["DS1", "DS2"]
ignore = ["DS105"]
extend-exclude = ["legacy"]
per-file-ignores = { "tests/*" = ["DS2"] }
fail-on = "error"
min-confidence = "high"
respect-gitignore = false
catalog = { seed_setters = [{ names = ["acme.utils.fix_seeds"], streams = ["numpy"] }] }
""")
    settings = load_settings(path)
    assert settings.select == ("DS1", "DS2") and settings.ignore == ("DS105",)
    assert settings.extend_exclude == ("legacy",)
    assert settings.per_file_ignores == (("tests/*", ("DS2",)),)
    assert settings.fail_on is Severity.ERROR and settings.min_confidence is Confidence.HIGH
    assert settings.respect_gitignore is False
    assert settings.catalog["seed_setters"][0]["names"] == ["acme.utils.fix_seeds"]


@pytest.mark.parametrize("body,needle", [
    ("selct = ['DS1']", "unknown key(s) in [tool.debtscan]: selct"),
    ("fail-on = 'critical'", "fail-on"),
    ("select = 'DS1'\nignore = [1]", "ignore must be a list of strings"),
    ("min-confidence = 3", "min-confidence must be a string"),
    ("[broken", "invalid TOML"),
])
def test_bad_config_is_a_clear_error(tmp_path, body, needle):
    path = write_config(tmp_path, body)
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert needle in str(error.value) and str(path) in str(error.value)


def test_unknown_rule_code_is_an_error():
    with pytest.raises(SelectionError, match="DS999"):
        select(("DS999",), ())


def test_more_specific_selection_wins():
    codes = [rule.code for rule in select(("DS1", "DS201"), ("DS10",))]
    assert "DS201" in codes and "DS101" not in codes and "DS202" not in codes
    codes = [rule.code for rule in select(("DS",), ("DS1",))]
    assert not any(code.startswith("DS1") for code in codes)


def test_config_search_stops_at_repository_boundary(tmp_path):
    write_config(tmp_path, "select = ['DS1']")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    assert find_config(tmp_path / "repo" / "src") is None
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"


def test_catalog_extension_teaches_a_project_seed_helper(tmp_path):
    files = {"m.py": "import numpy as np\nfrom acme.utils import fix_seeds\nfix_seeds(1)\nx = np.random.rand()\n"}
    plain = scan_project(tmp_path / "a", files)
    extended = scan_project(tmp_path / "b", files, catalog={
        "seed_setters": [{"names": ["acme.utils.fix_seeds"], "streams": ["numpy"]}]})
    assert found(plain, "DS101") == [("m.py", 4, "DS101")]
    assert found(extended, "DS101") == []


def test_per_file_ignores_and_excludes(tmp_path):
    write_project(tmp_path, {
        "tests/test_io.py": "PATH = '/tmp/fixture.csv'\n",
        "legacy/old.py": "import numpy as np\nx = np.random.rand()\n",
        "main.py": "PATH = '/data/in.csv'\n",
    })
    result = scan_project(tmp_path, per_file_ignores=(("tests/*", ("DS2",)),), extend_exclude=("legacy",))
    assert found(result) == [("main.py", 1, "DS201")]


def test_gitignored_files_are_skipped(tmp_path):
    write_project(tmp_path, {".gitignore": "scratch/\n*.gen.py\n", "scratch/a.py": "P = '/data/x.csv'\n",
                             "b.gen.py": "P = '/data/x.csv'\n", "c.py": "P = '/data/x.csv'\n"})
    assert [f.path for f in scan_project(tmp_path).findings] == ["c.py"]
    assert len(scan_project(tmp_path, respect_gitignore=False).findings) == 3


def test_default_settings_hide_low_confidence():
    assert Settings().min_confidence is Confidence.MEDIUM and Settings().fail_on is Severity.WARNING


def test_the_bundled_catalog_passes_the_checks_its_extensions_get():
    """Every bundled entry has a shape its section uses and names only streams the catalog
    describes, so the rules a user's entry is held to are the rule pack's own."""
    from debtscan.catalog import load_catalog
    from debtscan.catalog_check import check_extensions

    bundled = load_catalog()
    check_extensions(bundled, bundled)


def test_a_catalog_entry_may_use_any_shape_its_section_uses(tmp_path):
    settings = settings_from_table({"catalog": {
        "seed_setters": [{"names": ["acme.seed"], "streams": ["torch.cuda", "numpy"], "seed_arg": [0, "seed"]},
                         {"prefix": "acme.rng", "functions": ["fix"], "streams": ["python"]}],
        "paths": {"user_roots": ["/u/"]},
        "hyperparameter_aliases": {"acme.keras": "keras"},  # a table of names of its own: any key
    }}, "pyproject.toml")
    catalog = load_catalog(settings.catalog)
    assert {"acme.seed", "acme.rng.fix"} <= {name for entry in catalog["seed_setters"] for name in entry["names"]}
