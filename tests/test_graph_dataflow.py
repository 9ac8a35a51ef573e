"""Who runs an access, what a project declares, and the precision rules built on both."""

from __future__ import annotations

from helpers import scan_project


def found(tmp_path, files, prefix=("DS3", "DS6")):
    result = scan_project(tmp_path, files, select=prefix)
    assert not result.errors, result.errors
    return [(f.rule, f.path, f.location.line, f.confidence.label) for f in result.findings]


def test_importing_a_constant_from_a_script_does_not_run_its_main_block(tmp_path):
    files = {
        "train.py": ("import joblib\nCOLUMNS = ['a']\n\nif __name__ == '__main__':\n"
                     "    joblib.dump({'w': 1}, 'models/model.joblib')\n"),
        "score.py": ("import joblib\nfrom train import COLUMNS\n\nif __name__ == '__main__':\n"
                     "    model = joblib.load('models/model.joblib')\n"),
    }
    # the model is handed from one program to another: train.py's main block is not score.py's
    assert found(tmp_path, files) == [("DS301", "score.py", 5, "low")]


def test_functions_run_in_the_programs_that_call_them(tmp_path):
    files = {
        "io_helpers.py": "import pandas as pd\n\ndef save(df):\n    df.to_csv('data/clean.csv')\n\n"
                         "def load():\n    return pd.read_csv('data/clean.csv')\n",
        "pipeline.py": "import io_helpers\n\nif __name__ == '__main__':\n    io_helpers.save(None)\n    io_helpers.load()\n",
        "report.py": "import io_helpers\n\nif __name__ == '__main__':\n    io_helpers.load()\n",
    }
    # pipeline.py writes the file and reads it back; report.py reads what pipeline.py wrote
    assert found(tmp_path, files) == [("DS601", "io_helpers.py", 7, "high"), ("DS602", "io_helpers.py", 7, "medium")]


def test_a_stage_reading_what_a_script_writes_is_missing_a_dep_not_a_jungle(tmp_path):
    files = {
        "dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n    outs: [model.pt]\n",
        "export.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.DataFrame().to_csv('data/export.csv')\n",
        "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('data/export.csv')\n",
    }
    assert found(tmp_path, files) == [("DS301", "train.py", 4, "high")]


def test_mlproject_entry_points_do_not_claim_to_list_their_data(tmp_path):
    files = {
        "MLproject": "name: wine\nentry_points:\n  main:\n    command: python train.py\n",
        "train.py": "import pandas as pd\n\nif __name__ == '__main__':\n    pd.read_csv('wine-quality.csv')\n",
        "wine-quality.csv": "a,b\n1,2\n",
    }
    assert found(tmp_path, files) == []


def test_a_manifest_of_one_sub_project_does_not_speak_for_another(tmp_path):
    files = {
        "week_3/dvc.yaml": "stages:\n  train:\n    cmd: python train.py\n    outs: [model.pt]\n",
        "week_3/train.py": "import torch\n\nif __name__ == '__main__':\n    torch.save({}, 'model.pt')\n",
        "week_4/README.md": "week 4\n",
        "week_4/export.py": "import torch\n\nif __name__ == '__main__':\n    torch.save({}, 'exports/model.pt')\n",
    }
    assert found(tmp_path, files) == [("DS302", "week_4/export.py", 4, "low")]


def test_downloaded_datasets_are_produced_by_the_download(tmp_path):
    files = {"mnist.py": ("from torchvision import datasets\n\nif __name__ == '__main__':\n"
                          "    train = datasets.MNIST('../data', train=True, download=True)\n"
                          "    test = datasets.MNIST('../data', train=False)\n")}
    assert found(tmp_path, files) == []


def test_a_program_that_downloads_may_produce_the_files_it_reads(tmp_path):
    files = {"cora.py": ("import requests\nimport tarfile\nimport numpy as np\n\nif __name__ == '__main__':\n"
                         "    archive = requests.get('https://example.org/releases/download/v2.1/cora.tgz', stream=True)\n"
                         "    tarfile.open(fileobj=archive.raw, mode='r:gz').extractall()\n"
                         "    content = np.genfromtxt('cora/cora.content')\n")}
    assert found(tmp_path, files) == []


def test_project_files_and_credentials_are_not_data(tmp_path):
    files = {"setup.py": "from setuptools import setup\nsetup(install_requires=open('requirements.txt').read().split())\n",
             "deploy.py": "if __name__ == '__main__':\n    token = open('creds.txt').read()\n"}
    assert found(tmp_path, files) == []


def test_checkpoints_saved_and_reloaded_are_not_a_round_trip(tmp_path):
    files = {"train.py": ("import torch\n\ndef fit(model):\n    torch.save(model.state_dict(), 'best.pt')\n"
                          "    model.load_state_dict(torch.load('best.pt'))\n")}
    assert [item[0] for item in found(tmp_path, files)] == []


def test_undeclared_reads_are_reported_once_per_file_with_the_others_related(tmp_path):
    result = scan_project(tmp_path, {
        "a.py": "import pandas as pd\ndf = pd.read_csv('data/raw/x.csv')\nagain = pd.read_csv('data/raw/x.csv')\n",
    }, select=("DS304",))
    [finding] = result.findings
    assert (finding.location.line, [(r.path, r.line) for r in finding.related]) == (2, [("a.py", 3)])


def test_findings_for_a_location_passed_to_a_helper_point_at_the_call(tmp_path):
    files = {
        "tables.py": "import pandas as pd\n\ndef read(name):\n    return pd.read_csv(f'data/{name}.csv')\n",
        "job.py": "from tables import read\n\nif __name__ == '__main__':\n    read('customers')\n",
    }
    result = scan_project(tmp_path, files, select=("DS304",))
    [finding] = result.findings
    assert (finding.path, finding.location.line, finding.symbol) == ("job.py", 4, "")
    assert "`data/customers.csv`" in finding.message
