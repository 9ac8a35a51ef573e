"""Reads and writes are found from the catalog and their locations resolved statically."""

from __future__ import annotations

import pytest

from debtscan.rules.dataflow import DataFlow
from debtscan.rules.io_facts import dirname, join, replace_suffix, sql_tables

from helpers import lines_of, scan_project


def flow_of(tmp_path, files: dict[str, str]) -> DataFlow:
    result = scan_project(tmp_path, files, select=("DS3",))
    assert not result.errors, result.errors
    return DataFlow.of(result.project)


def accesses(tmp_path, files: dict[str, str]) -> list[tuple]:
    """(op, status, location) of every resolved access, in source order."""
    return [(a.op, a.status, a.location) for a in flow_of(tmp_path, files).accesses]


def test_literals_constants_joins_and_formats_resolve(tmp_path):
    code = """
        import os
        import pandas as pd
        from pathlib import Path

        DATA = "data"
        RAW = os.path.join(DATA, "raw")

        def main(split):
            a = pd.read_csv(os.path.join(RAW, "train.csv"))
            b = pd.read_parquet(Path(DATA) / "features" / "x.parquet")
            c = pd.read_csv(f"{RAW}/{split}.csv")
            d = pd.read_csv("{}/y.csv".format(DATA))
            e = pd.read_csv("%s/z.csv" % DATA)
            f = pd.read_feather(Path(RAW).joinpath("w.feather"))
            g = pd.read_csv(Path("data/q.parquet").with_suffix(".csv"))
    """
    assert accesses(tmp_path, {"main.py": code}) == [
        ("read", "literal", "data/raw/train.csv"),
        ("read", "literal", "data/features/x.parquet"),
        ("read", "pattern", "data/raw/*.csv"),
        ("read", "literal", "data/y.csv"),
        ("read", "literal", "data/z.csv"),
        ("read", "literal", "data/raw/w.feather"),
        ("read", "literal", "data/q.csv"),
    ]


def test_config_cli_and_environment_are_provided_not_literal(tmp_path):
    code = """
        import argparse
        import os
        import sys

        import pandas as pd
        import yaml

        parser = argparse.ArgumentParser()
        parser.add_argument("--train-csv", default="data/train.csv")
        args = parser.parse_args()
        params = yaml.safe_load(open("params.yaml"))
        a = pd.read_csv(args.train_csv)
        b = pd.read_csv(params["data"]["test"])
        c = pd.read_csv(os.getenv("EXTRA_CSV", "data/extra.csv"))
        d = pd.read_csv(sys.argv[1])
    """
    flow = flow_of(tmp_path, {"main.py": code})
    provided = [(a.provided_by, a.location) for a in flow.accesses if a.status == "provided"]
    assert provided == [("cli", "data/train.csv"), ("config", "{params['data']['test']}"), ("env", "data/extra.csv"),
                        ("cli", "{sys.argv[1]}")]
    assert [(a.status, a.role, a.location) for a in flow.accesses if a.status == "literal"] == [
        ("literal", "config", "params.yaml")]


def test_paths_relative_to_the_module_file_are_anchored_at_its_folder(tmp_path):
    code = """
        from pathlib import Path
        import os
        import pandas as pd

        HERE = Path(__file__).resolve().parent
        a = pd.read_csv(HERE / "data" / "a.csv")
        b = pd.read_csv(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared", "b.csv"))
    """
    assert accesses(tmp_path, {"pkg/loader.py": code}) == [
        ("read", "literal", "pkg/data/a.csv"), ("read", "literal", "shared/b.csv")]


def test_parameters_take_the_values_their_callers_pass(tmp_path):
    helpers = """
        import pandas as pd

        def read_table(name, folder="data/interim"):
            return pd.read_csv(f"{folder}/{name}.csv")
    """
    script = """
        from tables import read_table

        if __name__ == "__main__":
            orders = read_table("orders")
            customers = read_table("customers", folder="data/raw")
    """
    flow = flow_of(tmp_path, {"tables.py": helpers, "run.py": script})
    assert [(a.location, a.where, a.where_line) for a in flow.accesses] == [
        ("data/interim/orders.csv", "run.py", 5), ("data/raw/customers.csv", "run.py", 6)]


def test_constants_of_other_modules_and_class_attributes_resolve(tmp_path):
    settings = """
        import os
        from dataclasses import dataclass

        MODEL_PATH = os.path.join("models", "ranker.joblib")

        @dataclass
        class Paths:
            features: str = os.path.join("artifacts", "features.parquet")
    """
    script = """
        import joblib
        import pandas as pd

        from settings import MODEL_PATH, Paths

        class Job:
            def __init__(self):
                self.paths = Paths()

            def run(self):
                frame = pd.read_parquet(self.paths.features)
                joblib.dump(frame, MODEL_PATH)

        if __name__ == "__main__":
            Job().run()
    """
    assert accesses(tmp_path, {"settings.py": settings, "job.py": script}) == [
        ("read", "literal", "artifacts/features.parquet"), ("write", "literal", "models/ranker.joblib")]


def test_glob_loops_read_every_file_the_pattern_matches(tmp_path):
    code = """
        import glob
        import pandas as pd
        from pathlib import Path

        frames = [pd.read_csv(path) for path in glob.glob("data/exports/*.csv")]
        for path in Path("data/images").rglob("*.png"):
            open(path, "rb").read()
    """
    assert accesses(tmp_path, {"main.py": code}) == [
        ("read", "literal", "data/exports/*.csv"), ("read", "literal", "data/images/**/*.png")]


def test_open_modes_decide_read_or_write(tmp_path):
    code = """
        with open("data/a.txt") as a, open("data/b.txt", "w") as b, open("data/c.txt", mode="a") as c:
            pass
        with open("data/d.txt", "r+") as d:
            pass
    """
    assert accesses(tmp_path, {"main.py": code}) == [
        ("read", "literal", "data/a.txt"), ("write", "literal", "data/b.txt"), ("write", "literal", "data/c.txt"),
        ("read", "literal", "data/d.txt"), ("write", "literal", "data/d.txt")]


def test_sql_tables_are_external_sources(tmp_path):
    code = """
        import sqlite3
        import pandas as pd

        con = sqlite3.connect("warehouse.db")
        sales = pd.read_sql("SELECT s.* FROM sales s JOIN stores t ON s.store = t.id", con)
        sales.to_sql("daily_sales", con)
        con.execute("INSERT INTO audit_log VALUES (1)")
    """
    flow = flow_of(tmp_path, {"etl.py": code})
    assert [(a.op, a.kind, a.location) for a in flow.accesses] == [
        ("read", "data", "warehouse.db"), ("read", "external", "sql:sales"), ("read", "external", "sql:stores"),
        ("write", "external", "sql:daily_sales"), ("write", "external", "sql:audit_log")]


def test_sql_table_names_leave_out_common_table_expressions():
    assert sql_tables("WITH recent AS (SELECT * FROM orders) SELECT * FROM recent JOIN users u") == (
        ["orders", "users"], [])
    assert sql_tables("CREATE TABLE IF NOT EXISTS features AS SELECT * FROM raw_events") == (
        ["raw_events"], ["features"])
    assert sql_tables("not sql at all FROM here") == ([], [])


def test_cloud_downloads_read_the_bucket_and_write_the_local_file(tmp_path):
    code = """
        import boto3
        from google.cloud import storage

        s3 = boto3.client("s3")
        s3.download_file("acme-exports", "orders/2024-06.csv", "data/orders.csv")
        bucket = storage.Client().bucket("acme-models")
        bucket.blob("ranker/v3.pt").download_to_filename("models/ranker.pt")
    """
    flow = flow_of(tmp_path, {"sync.py": code})
    assert [(a.op, a.kind, a.location, a.download) for a in flow.accesses] == [
        ("read", "external", "s3://acme-exports/orders/2024-06.csv", False),
        ("write", "data", "data/orders.csv", True),
        ("read", "external", "gs://acme-models/ranker/v3.pt", False),
        ("write", "model", "models/ranker.pt", True),
    ]


def test_hub_names_and_local_checkpoints_are_told_apart(tmp_path):
    code = """
        from datasets import load_dataset
        from transformers import AutoModel

        hub = AutoModel.from_pretrained("bert-base-uncased")
        pinned = AutoModel.from_pretrained("bert-base-uncased", revision="86b5e09")
        local = AutoModel.from_pretrained("./checkpoints/best")
        reviews = load_dataset("csv", data_files={"train": "data/train.csv"})
        imdb = load_dataset("imdb")
    """
    flow = flow_of(tmp_path, {"main.py": code})
    assert [(a.kind, a.location, a.unpinned) for a in flow.accesses] == [
        ("external", "hf:bert-base-uncased", "revision"),
        ("external", "hf:bert-base-uncased", None),
        ("model", "checkpoints/best", None),
        ("data", "data/train.csv", None),
        ("external", "hf:imdb", "revision"),
    ]


def test_streams_temporary_files_and_returned_strings_are_not_artifacts(tmp_path):
    code = """
        import io
        import os
        import sys
        import tempfile
        import pandas as pd

        df = pd.DataFrame({"a": [1]})
        text = df.to_csv()
        df.to_csv(sys.stdout)
        df.to_csv(io.StringIO())
        with tempfile.TemporaryDirectory() as folder:
            df.to_csv(os.path.join(folder, "x.csv"))
        df.to_csv("/dev/null")
    """
    flow = flow_of(tmp_path, {"main.py": code})
    assert flow.accesses == [] and flow.unresolved == []


def test_locations_nothing_can_resolve_are_counted(tmp_path):
    code = """
        import pandas as pd

        def load(frame_source):
            return pd.read_csv(frame_source.location())
    """
    flow = flow_of(tmp_path, {"main.py": code})
    assert flow.accesses == []
    assert flow.counts() == {"reads_resolved": 0, "reads_unresolved": 1, "writes_resolved": 0, "writes_unresolved": 0}


def test_stage_commands_fill_in_command_line_arguments(tmp_path):
    dvc = """
        stages:
          featurize:
            cmd: python src/featurize.py data/clean --out data/features
            deps: [data/clean]
            outs: [data/features]
    """
    code = """
        import argparse
        import sys
        import pandas as pd

        parser = argparse.ArgumentParser()
        parser.add_argument("--out")
        args = parser.parse_args()
        frame = pd.read_csv(sys.argv[1] + "/train.csv")
        frame.to_parquet(args.out + "/train.parquet")
    """
    assert accesses(tmp_path, {"dvc.yaml": dvc, "src/featurize.py": code}) == [
        ("read", "literal", "data/clean/train.csv"), ("write", "literal", "data/features/train.parquet")]


def test_notebooks_resolve_paths_from_their_own_folder(tmp_path):
    import json

    notebook = {"cells": [{"cell_type": "code", "source": ["import pandas as pd\n", "df = pd.read_csv('data/x.csv')\n"],
                           "metadata": {}, "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    flow = flow_of(tmp_path, {"notebooks/explore.ipynb": json.dumps(notebook)})
    assert [(a.location, a.span["cell"], a.line) for a in flow.accesses] == [("notebooks/data/x.csv", 1, 2)]


@pytest.mark.parametrize("left,right,joined", [
    (("data",), ("raw.csv",), ("data/raw.csv",)),
    (("data/",), ("raw.csv",), ("data/raw.csv",)),
    (("data",), ("/abs/raw.csv",), ("/abs/raw.csv",)),
    ((), ("raw.csv",), ("raw.csv",)),
    ((("cli", "args.root", None),), ("x.csv",), (("cli", "args.root", None), "/x.csv")),
])
def test_join_keeps_known_parts_and_restarts_at_absolute_paths(left, right, joined):
    assert join(left, right) == joined


def test_dirname_and_suffix_work_on_partly_known_paths():
    assert dirname((("here", 0),)) == (("here", 1),)
    assert dirname(("data/raw/x.csv",)) == ("data/raw",)
    assert dirname((("here", 1), "/data/x.csv")) == (("here", 1), "/data")
    assert replace_suffix(("data/x.parquet",), ".csv") == ("data/x.csv",)


def test_downloads_run_as_command_lines_fetch_and_write(tmp_path):
    code = """
        import os
        import subprocess

        BUCKET = "s3://acme-ml/exports/customers.csv"

        def fetch(user):
            subprocess.run(["aws", "s3", "cp", BUCKET, "data/raw/customers.csv"], check=True)
            subprocess.run(["gsutil", "-m", "cp", f"gs://acme-ml/{user}/results/", "./results/", "--recursive"])
            os.system("wget -q -O data/raw/zips.zip https://example.com/zips.zip")
            subprocess.run("curl -L https://example.com/labels.csv -o data/raw/labels.csv", shell=True)
    """
    assert accesses(tmp_path, {"fetch.py": code}) == [
        ("read", "literal", "s3://acme-ml/exports/customers.csv"),
        ("write", "literal", "data/raw/customers.csv"),
        ("read", "pattern", "gs://acme-ml/*/results/"),
        ("write", "literal", "results"),
        ("read", "literal", "https://example.com/zips.zip"),
        ("write", "literal", "data/raw/zips.zip"),
        ("read", "literal", "https://example.com/labels.csv"),
        ("write", "literal", "data/raw/labels.csv"),
    ]


def test_command_lines_that_download_nothing_are_not_accesses(tmp_path):
    code = """
        import os
        import subprocess

        subprocess.run(["python", "train.py", "--data", "data/train.csv"])
        subprocess.run(["aws", "s3", "ls", "s3://acme-ml/exports/"])
        os.system("git clone https://github.com/acme/tools.git")
        subprocess.run(["wget", *urls])
        subprocess.check_call(command)
    """
    assert accesses(tmp_path, {"run.py": code}) == []


def test_a_file_a_download_command_brings_is_not_untraced(tmp_path):
    serve = """
        import subprocess

        def load_run_id(user):
            subprocess.run(["aws", "s3", "cp", f"s3://acme-ml/{user}/results/", "./", "--recursive"])
            with open("run_id.txt") as handle:
                return handle.read().strip()

        if __name__ == "__main__":
            print(load_run_id("me"))
    """
    result = scan_project(tmp_path, {"serve.py": serve}, select=("DS304",))
    assert not result.errors, result.errors
    assert result.findings == []


def test_an_unverified_download_command_is_told_to_check_a_checksum_not_pass_a_keyword(tmp_path):
    fetch = """
        import subprocess
        import urllib.request

        subprocess.run(["wget", "-O", "data/raw.zip", "https://example.com/raw.zip"], check=True)
        urllib.request.urlretrieve("https://example.com/labels.zip", "data/labels.zip")
    """
    result = scan_project(tmp_path, {"fetch.py": fetch}, select=("DS303",))
    assert not result.errors, result.errors
    command, call = sorted(result.findings, key=lambda finding: finding.location.line)
    assert command.message.startswith("`subprocess.run(...)` runs a command that downloads `https://example.com/raw.zip`")
    assert "sha256sum -c" in command.fix and "file_hash=" not in command.fix
    assert call.message.startswith("`urllib.request.urlretrieve(...)` downloads `https://example.com/labels.zip`")
    assert "file_hash=" in call.fix


@pytest.mark.parametrize("check, reported", [
    ('subprocess.run(["sha256sum", "-c", "data/raw.sha256"], check=True)', False),
    ('os.system("cd data && shasum -a 256 --check raw.sha256")', False),
    ('os.system("echo \\"$SUM  data/raw.zip\\" | sha256sum -c -")', False),
    ('subprocess.run(["sha256sum", "data/raw.zip"])', True),  # prints a digest, checks nothing
    ('os.system("md5sum data/raw.zip && gzip -c data/raw.zip > x.gz")', True),  # -c belongs to gzip
])
def test_a_download_command_checked_in_its_function_is_verified(tmp_path, check, reported):
    fetch = f"""
import os
import subprocess


def fetch():
    subprocess.run(["wget", "-O", "data/raw.zip", "https://example.com/raw.zip"], check=True)
    {check}


def fetch_other():
    os.system("curl -L https://example.com/other.zip -o data/other.zip")
"""
    result = scan_project(tmp_path, {"fetch.py": fetch}, select=("DS303",))
    assert not result.errors, result.errors
    # the check covers its own function only: the download in fetch_other is always reported
    assert lines_of(result, "DS303") == ([7, 12] if reported else [12])


def test_a_download_and_its_check_on_one_command_line_are_verified(tmp_path):
    fetch = """
        import os

        os.system("wget -O data/raw.zip https://example.com/raw.zip && sha256sum -c data/raw.sha256")
    """
    result = scan_project(tmp_path, {"fetch.py": fetch}, select=("DS303",))
    assert result.findings == []
