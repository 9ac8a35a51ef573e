"""Manifests are read into declarations; broken ones become problems with a path and a line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from debtscan.config import ConfigError, load_settings, validate_data_table
from debtscan.rules.manifests import covers, manifest_files, normalise_path, read_declarations

from helpers import scan_project, write_project


def declarations(tmp_path, files: dict[str, str], **extra):
    write_project(tmp_path, files)
    return read_declarations(tmp_path, **extra)


def test_dvc_yaml_stages_commands_and_declared_paths(tmp_path):
    dvc = """
        stages:
          prepare:
            cmd: python src/prepare.py data/raw.csv --out data/clean
            deps:
              - data/raw.csv
            params:
              - prepare.seed
              - configs/extra.yaml:
                  - threshold
            outs:
              - data/clean:
                  cache: false
          train:
            foreach: [small, large]
            do:
              cmd: python -m ranker.train ${item}
              deps: [data/clean]
              outs:
                - models/${item}.pt
          report:
            wdir: reports
            cmd: python render.py
            metrics: [scores.json]
        plots:
          - ROC:
              y:
                reports/roc.json: tpr
          - reports/importance.png
    """
    found = declarations(tmp_path, {"dvc.yaml": dvc})
    assert [(s.name, s.scripts, s.deps, s.outs, s.wdir) for s in found.stages] == [
        ("prepare", ["src/prepare.py"], ["data/raw.csv"], ["data/clean"], ""),
        ("train", ["ranker/train.py"], ["data/clean"], ["models/*.pt"], ""),
        ("report", ["reports/render.py"], [], ["reports/scores.json"], "reports"),
    ]
    assert found.stages[0].argv == {"src/prepare.py": ["data/raw.csv", "--out", "data/clean"]}
    assert found.stages[0].params == ["prepare.seed", "threshold"]
    assert "configs/extra.yaml" in found.config_files
    assert found.outputs == {"reports/roc.json": "dvc.yaml", "reports/importance.png": "dvc.yaml"}
    assert found.declaring("models/large.pt") == "dvc.yaml"
    assert found.declaring("data/clean/part-0.parquet") == "dvc.yaml"
    assert found.declaring("data/other.csv") is None


def test_dvc_files_and_lock_declare_tracked_data(tmp_path):
    found = declarations(tmp_path, {
        "data/raw/reviews.csv.dvc": "outs:\n- md5: 0a1b\n  path: reviews.csv\n",
        "dvc.lock": "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n    outs:\n    - path: model.pkl\n      md5: 1f\n",
    })
    assert found.inputs == {"data/raw/reviews.csv": "data/raw/reviews.csv.dvc"}
    assert found.outputs == {"model.pkl": "dvc.lock"}
    assert found.declares_data


def test_mlproject_entry_points_name_scripts_and_path_parameters(tmp_path):
    mlproject = """
        name: wine
        entry_points:
          main:
            parameters:
              data_file: {type: path, default: data/wine.csv}
              alpha: {type: float, default: 0.5}
            command: "python train.py --data {data_file} {alpha}"
    """
    found = declarations(tmp_path, {"MLproject": mlproject})
    stage = found.stages[0]
    assert (stage.name, stage.scripts, stage.deps, stage.kind) == ("main", ["train.py"], ["data/wine.csv"], "mlproject")
    assert stage.argv["train.py"] == ["--data", "data/wine.csv", "0.5"]
    assert not stage.tracks_data and not found.declares_data


def test_kedro_catalog_declares_every_dataset_file(tmp_path):
    catalog = """
        _csv: &csv
          type: pandas.CSVDataset
        companies:
          <<: *csv
          filepath: data/01_raw/companies.csv
        regressor:
          type: pickle.PickleDataset
          filepath: data/06_models/regressor.pickle
        sales_table:
          type: pandas.SQLTableDataset
          table_name: sales
    """
    found = declarations(tmp_path, {"conf/base/catalog.yml": catalog, "conf/base/parameters.yml": "seed: 3\n"})
    assert found.inputs == {"data/01_raw/companies.csv": "conf/base/catalog.yml",
                            "data/06_models/regressor.pickle": "conf/base/catalog.yml",
                            "sql:sales": "conf/base/catalog.yml"}
    assert found.datasets["regressor"] == "data/06_models/regressor.pickle"
    assert "conf/base/parameters.yml" in found.config_files


def test_hydra_and_params_values_that_are_paths_are_declared(tmp_path):
    found = declarations(tmp_path, {
        "configs/data/default.yaml": "train_path: ${hydra:runtime.cwd}/data/train.csv\nbatch_size: 32\nname: imdb\n",
        "params.yaml": "model:\n  output: models/model.joblib\n  note: a sentence, not a path\n",
    })
    assert found.config_paths == {"*/data/train.csv": "configs/data/default.yaml",
                                  "models/model.joblib": "params.yaml"}
    assert found.declaring("models/model.joblib") == "params.yaml"
    assert found.declaring("models/model.joblib", with_config=False) is None
    assert not found.declares_data


def test_debtscan_data_table_in_pyproject_declares_inputs_outputs_and_stages(tmp_path):
    pyproject = """
        [project]
        name = "x"

        [tool.debtscan.data]
        inputs = ["data/raw/*.parquet"]
        outputs = ["models/"]
        ignore = ["cache/"]

        [[tool.debtscan.data.stages]]
        name = "train"
        cmd = "python train.py --epochs 3"
        deps = ["data/raw/a.parquet"]
        outs = ["models/a.joblib"]
    """
    found = declarations(tmp_path, {"pyproject.toml": pyproject})
    assert found.inputs == {"data/raw/*.parquet": "pyproject.toml"}
    assert found.outputs == {"models": "pyproject.toml"}
    assert found.is_ignored("cache/x.parquet")
    assert [(s.name, s.scripts, s.kind) for s in found.stages] == [("train", ["train.py"], "debtscan")]


def test_settings_data_table_is_read_unless_it_is_the_root_pyproject(tmp_path):
    extra = {"inputs": ["s3-mirror/*.csv"], "outputs": [], "ignore": [], "stages": []}
    found = declarations(tmp_path, {"train.py": "x = 1\n"}, extra_data=extra, extra_origin=str(tmp_path / "elsewhere.toml"))
    assert found.inputs == {"s3-mirror/*.csv": "[tool.debtscan.data]"}


@pytest.mark.parametrize("name,text,line,message", [
    ("dvc.yaml", "stages:\n  train:\n    cmd: [python train.py\n", 4, "invalid YAML"),
    ("dvc.yaml", "stages:\n  train:\n    deps: [a.csv]\n", 2, "stage `train` has no `cmd`"),
    ("dvc.yaml", "stages: [a, b]\n", 1, "`stages` must be a mapping, not list"),
    ("data/x.csv.dvc", "md5: 1\n", 1, "declares no `outs`"),
    ("MLproject", "entry_points:\n  main:\n    parameters: {}\n", 2, "entry point `main` has no `command`"),
    ("conf/base/catalog.yml", "companies:\n  filepath: data/c.csv\n", 1, "dataset `companies` has no `type`"),
    ("pyproject.toml", "[tool.debtscan.data]\ninputs = ['a']\nsources = ['b']\n", 1, "unknown key(s) in [tool.debtscan.data]"),
    ("pyproject.toml", "[tool.debtscan\n", 1, "invalid TOML"),
])
def test_broken_manifests_become_problems_with_path_and_line(tmp_path, name, text, line, message):
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")
    found = read_declarations(tmp_path)
    assert [(p.path, p.line) for p in found.problems] == [(name, line)]
    assert message in found.problems[0].message


def test_undecodable_manifest_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "dvc.yaml").write_bytes(b"stages:\n  t:\n    cmd: python \xff\xfe.py\n")
    found = read_declarations(tmp_path)
    assert [(p.path, p.message) for p in found.problems] == [("dvc.yaml", "is not UTF-8 text")]


def test_alias_bombs_do_not_explode(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    found = declarations(tmp_path, {"params.yaml": bomb})
    assert found.problems == [] and found.config_paths == {}


def test_broken_manifest_is_a_ds305_finding_and_the_scan_goes_on(tmp_path):
    result = scan_project(tmp_path, {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: - data.csv\n",
        "train.py": "import pandas as pd\ndf = pd.read_csv('data/raw.csv')\n",
    })
    assert not result.errors
    assert [(f.rule, f.path, f.location.line) for f in result.findings if f.rule.startswith("DS3")] == [
        ("DS305", "dvc.yaml", 4), ("DS304", "train.py", 2)]


def test_manifest_walk_skips_virtual_environments_and_hidden_folders(tmp_path):
    write_project(tmp_path, {
        "dvc.yaml": "stages: {}\n",
        ".venv/lib/dvc.yaml": "stages: {}\n",
        "node_modules/pkg/params.yaml": "a: 1\n",
        ".dvc/config": "[core]\n",
        "configs/model.yaml": "lr: 0.1\n",
        "src/settings.yaml": "not: a manifest\n",
    })
    assert manifest_files(tmp_path) == ["dvc.yaml", "configs/model.yaml"]


@pytest.mark.parametrize("declared,path,expected", [
    ("data/raw", "data/raw/a.csv", True),
    ("data/raw/", "data/raw/a.csv", True),
    ("data/raw", "data/rawer.csv", False),
    ("data/*.csv", "data/a.csv", True),
    ("data/a.csv", "data/*.csv", True),
    ("data/raw", "data/raw/*.csv", True),
    ("models/*.pt", "models/best.ckpt", False),
    ("", "data/a.csv", False),
])
def test_a_declared_path_covers_files_inside_it_and_matching_patterns(declared, path, expected):
    assert covers(declared, path) is expected


def test_manifest_paths_are_normalised_against_their_folder():
    assert normalise_path("../data/x.csv", "pipelines") == "data/x.csv"
    assert normalise_path("models/${item}.pt") == "models/*.pt"
    assert normalise_path("s3://bucket/key.csv", "sub") == "s3://bucket/key.csv"
    assert normalise_path(".", "") == ""


def test_data_table_is_validated_in_settings(tmp_path):
    good = tmp_path / "pyproject.toml"
    good.write_text(textwrap.dedent("""
        [tool.debtscan.data]
        inputs = "data/raw/*.csv"

        [[tool.debtscan.data.stages]]
        name = "train"
        cmd = ["python prep.py", "python train.py"]
    """), encoding="utf-8")
    settings = load_settings(good)
    assert settings.data == {"inputs": ["data/raw/*.csv"],
                             "stages": [{"name": "train", "cmd": ["python prep.py", "python train.py"],
                                         "deps": [], "outs": []}]}


@pytest.mark.parametrize("table,message", [
    ({"inputs": ["a"], "source": ["b"]}, "unknown key(s) in [tool.debtscan.data]: source"),
    ({"inputs": [1]}, "data.inputs must be a list of strings"),
    ({"stages": {"name": "x"}}, "data.stages must be a list of tables"),
    ({"stages": [{"name": "x"}]}, "data.stages[1].cmd is required"),
    ({"stages": [{"name": "x", "cmd": "python x.py", "outputs": []}]}, "unknown key(s) in data.stages[1]: outputs"),
    ({"stages": [{"cmd": "python x.py"}]}, "data.stages[1].name must be a non-empty string"),
    ("inputs", "[tool.debtscan.data] must be a table"),
])
def test_invalid_data_tables_are_config_errors(table, message):
    with pytest.raises(ConfigError, match=None) as raised:
        validate_data_table(table, "pyproject.toml")
    assert message in str(raised.value) and str(raised.value).startswith("pyproject.toml:")


def test_the_cli_rejects_an_invalid_data_table_with_exit_2(tmp_path):
    from click.testing import CliRunner

    from debtscan.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.debtscan.data]\ninput = ['x']\n", encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, [str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown key(s) in [tool.debtscan.data]: input" in result.output


def test_fixture_with_only_a_data_table_is_declared():
    root = Path(__file__).resolve().parent.parent / "fixtures" / "sensor_anomaly"
    found = read_declarations(root)
    assert [stage.name for stage in found.stages] == ["prepare", "train"]
    assert found.declares_data and found.problems == []


def test_a_yaml_file_that_is_no_data_manifest_is_not_judged_as_one(tmp_path):
    """Kedro's `conf/base/logging.yml` or a CI file that YAML cannot parse is not a broken
    data manifest; a broken `dvc.yaml` or Kedro catalog still is."""
    broken = "version: 1\nhandlers:\n  console: [\n"
    result = scan_project(tmp_path, {"conf/base/logging.yml": broken, "conf/base/catalog.yml": broken,
                                     "params.yaml": broken, "dvc.yaml": broken, "train.py": "x = 1\n"})
    assert sorted((f.rule, f.path) for f in result.findings) == [("DS305", "conf/base/catalog.yml"),
                                                                 ("DS305", "dvc.yaml")]


def test_project_templates_are_checked_where_they_parse(tmp_path):
    """A cookiecutter template is Python once rendered: a file that does not parse yet is not a
    syntax error and its manifests are not read, but the code that parses is checked."""
    result = scan_project(tmp_path, {
        "{{cookiecutter.repo_name}}/src/{{cookiecutter.package}}/settings.py": "import {{ cookiecutter.package }}\n",
        "{{cookiecutter.repo_name}}/conf/base/catalog.yml": "{% if cookiecutter.x %}\ncompanies: [\n",
        "{{cookiecutter.repo_name}}/src/nodes.py": "import pandas as pd\n\ndef split(data):\n    return data.sample(frac=1)\n",
        "hooks/post_gen_project.py": "P = '/data/raw.csv'\n"})
    assert sorted((f.rule, f.path) for f in result.findings) == [
        ("DS103", "{{cookiecutter.repo_name}}/src/nodes.py"), ("DS201", "hooks/post_gen_project.py")]


def test_a_source_only_prose_describes_is_a_low_confidence_finding(tmp_path):
    """`nobody can tell where it comes from` is false when a README beside the code says it:
    the finding stays (no tool can fetch or check it) but at low confidence, naming the file."""
    result = scan_project(tmp_path, {
        "homework/README.md": "Get the data: `wget https://example.org/housing.csv`\n",
        "homework/solution.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('housing.csv')\n"
                                "    pd.read_csv('prices.csv')\n"})
    found = {(f.location.line, f.confidence.label): f.message for f in result.findings if f.rule == "DS304"}
    assert set(found) == {(4, "low"), (5, "medium")}
    assert "only the prose of `homework/README.md` says where it comes from" in found[(4, "low")]


def test_one_example_image_fetched_by_url_is_low_confidence(tmp_path):
    result = scan_project(tmp_path, {"show.py": (
        "from tensorflow import keras\n"
        "img = keras.utils.get_file('cat.jpg', 'https://example.org/pics/cat.jpg')\n"
        "data = keras.utils.get_file('flowers.tgz', 'https://example.org/data/flower_photos.tgz')\n")})
    assert sorted((f.location.line, f.confidence.label) for f in result.findings if f.rule == "DS303") == [
        (2, "low"), (3, "medium")]
