"""Where a path-looking literal stands decides whether it is a hard-coded location."""

from __future__ import annotations

from helpers import scan_project


def findings(tmp_path, code):
    result = scan_project(tmp_path, {"m.py": code}, select=("DS2",))
    return [(f.location.line, f.rule, f.confidence.label) for f in result.findings]


def test_suffixes_joined_to_a_variable_are_not_locations(tmp_path):
    code = ("import glob\n"
            "images = glob.glob(img_path + '/*.jpg')\n"
            "url = base_url + '/v1/models/predict'\n"
            "out = root / '/checkpoints/best.pt'\n")
    assert findings(tmp_path, code) == []


def test_lookup_defaults_and_assertions_are_not_locations(tmp_path):
    code = ("import os\n"
            "MONGO = os.getenv('MONGO_URL', 'mongodb://localhost:27017/')\n"
            "DATA = os.environ.get('DATA_DIR', '/data/raw')\n"
            "self.assertEqual(files.prefix, '/tmp/train')\n")
    assert findings(tmp_path, code) == []


def test_a_password_in_a_lookup_default_is_still_a_leak(tmp_path):
    code = "import os\nDB = os.getenv('DB_URL', 'postgresql://etl:s3cret@db:5432/sales')\n"
    assert findings(tmp_path, code) == [(2, "DS205", "high")]


def test_command_line_defaults_are_low_confidence(tmp_path):
    code = ("import argparse\n"
            "from absl import flags\n"
            "parser = argparse.ArgumentParser()\n"
            "parser.add_argument('--data-dir', default='/data/train', help='where /data lives')\n"
            "flags.DEFINE_string('logdir', '/tmp/logs', 'log directory')\n"
            "parser.add_argument('--home', default='/home/alice/data')\n")
    assert findings(tmp_path, code) == [(4, "DS201", "low"), (5, "DS201", "low"), (6, "DS202", "medium")]


def test_flows_into_a_path_call_raise_confidence(tmp_path):
    code = ("import pandas as pd\n"
            "SOURCE = '/exports/latest'\n"
            "ELSEWHERE = '/exports/other'\n"
            "df = pd.read_csv(SOURCE)\n")
    assert findings(tmp_path, code) == [(2, "DS201", "high"), (3, "DS201", "low")]
