"""What counts as a hard-coded location, literal by literal."""

from __future__ import annotations

import pytest

from debtscan.catalog import load_catalog
from debtscan.rules.paths import PathIndex, redact

INDEX = PathIndex(load_catalog())


@pytest.mark.parametrize("text,code", [
    ("/data/train.csv", "DS201"), ("/mnt/models/", "DS201"), ("/workspace", "DS201"), ("/model.pkl", "DS201"),
    ("/tmp/run/out.json", "DS201"), ("/content/drive/My Drive/data.csv", "DS201"),
    ("/home/alice/data.csv", "DS202"), ("/Users/bob/x", "DS202"), ("/root/work/x.py", "DS201"),
    ("~/datasets/imagenet", "DS202"), (r"C:\Users\carol\models", "DS202"), ("C:/Users/carol/m.h5", "DS202"),
    (r"D:\forecast\sales.csv", "DS203"), ("E:/models/m.h5", "DS203"), (r"\\fileserver\share\x.csv", "DS203"),
    ("s3://bucket/key.parquet", "DS204"), ("gs://b/p", "DS204"), ("abfss://c@acct.dfs.core.windows.net/p", "DS204"),
    ("dbfs:/mnt/raw", "DS204"), ("hdfs://namenode:8020/data", "DS204"),
    ("postgresql://u:p@h:5432/db", "DS205"), ("mysql+pymysql://u@h/db", "DS205"), ("sqlite:////var/db.sqlite", "DS205"),
    ("mongodb+srv://cluster0.example.net/db", "DS205"), ("redis://cache:6379/0", "DS205"),
])
def test_locations(text, code):
    kind = INDEX.classify(text)
    assert kind is not None and kind.code == code


@pytest.mark.parametrize("text", [
    "/", "/predict", "/health", "/dev/null", "/proc/cpuinfo", "/sys/class/net", "~/.cache/torch", "~",
    "https://example.com/data.csv", "http://localhost:8080/v1/models", "application/json", "data/train.csv",
    "./models", "saved to /tmp/x", "^/api/.*$", "/data/(\\d+)", "%Y/%m/%d", "/items/{item_id}",
    "1/2", "//cdn.example.com/x.js", "D:E", "/api/<int:id>", "",
])
def test_not_locations(text):
    assert INDEX.classify(text) is None


def test_passwords_are_masked():
    shown, secret = redact("postgresql://etl:s3cr3t@db.internal:5432/sales")
    assert secret == "s3cr3t" and "s3cr3t" not in shown and ":***@" in shown
    assert redact("redis://cache:6379/0") == ("redis://cache:6379/0", None)


def test_relative_and_memory_sqlite_urls_are_project_local():
    assert INDEX.classify("sqlite:///mlflow.db") is None
    assert INDEX.classify("sqlite://") is None
    assert INDEX.classify("sqlite:////srv/mlflow/mlflow.db").code == "DS205"
