"""The benchmark corpus: real Python from installed packages plus generated ML-style projects.

Everything comes from what is on the machine, so the benchmark runs offline: the sources of
installed packages (scikit-learn, networkx, pandas, SciPy… whichever are installed) and
projects generated here from templates that look like what data-science teams write --
training scripts, data loaders, feature code, serving apps, seed helpers, configs -- with the
usual debt in them (unseeded randomness, hard-coded paths) and without it. Generation is
seeded, so a corpus of a given size is the same on every run.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
from pathlib import Path

REAL_PACKAGES = ("sklearn", "networkx", "pandas", "scipy", "numpy", "joblib", "rich", "click", "libcst")

HEADER = {
    "sklearn": "import numpy as np\nimport pandas as pd\nfrom sklearn.model_selection import train_test_split, KFold\n"
               "from sklearn.ensemble import RandomForestClassifier, GradientBoostingClassifier\n"
               "from sklearn.preprocessing import StandardScaler\nfrom sklearn.metrics import roc_auc_score, f1_score\n",
    "torch": "import os\nimport random\nimport numpy as np\nimport torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader, Dataset\n",
    "pandas": "import os\nimport json\nimport numpy as np\nimport pandas as pd\n",
    "serve": "import joblib\nimport numpy as np\nfrom flask import Flask, jsonify, request\n",
    "plain": "import logging\nimport os\nfrom pathlib import Path\n",
}

BLOCKS = {
    "sklearn": [
        '''
def train_{name}(frame, target="{column}"):
    X = frame.drop(columns=[target])
    y = frame[target]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size={ratio}{seed_kw})
    scaler = StandardScaler().fit(X_train)
    model = RandomForestClassifier(n_estimators={trees}, max_depth={depth}{seed_kw})
    model.fit(scaler.transform(X_train), y_train)
    score = roc_auc_score(y_test, model.predict_proba(scaler.transform(X_test))[:, 1])
    return model, scaler, score
''',
        '''
def cross_validate_{name}(X, y, folds={folds}):
    scores = []
    for train_index, test_index in KFold(n_splits=folds, shuffle=True{seed_kw}).split(X):
        model = GradientBoostingClassifier(learning_rate={rate}{seed_kw})
        model.fit(X[train_index], y[train_index])
        scores.append(f1_score(y[test_index], model.predict(X[test_index])))
    return float(np.mean(scores)), float(np.std(scores))
''',
        '''
def load_{name}(path="{path}"):
    frame = pd.read_csv(path)
    frame = frame.dropna(subset=["{column}"])
    sample = frame.sample(frac={ratio}{seed_kw})
    return sample.reset_index(drop=True)
''',
    ],
    "torch": [
        '''
class {Name}Dataset(Dataset):
    def __init__(self, root="{path}", augment=True):
        self.root = root
        self.items = sorted(os.listdir(root)) if os.path.isdir(root) else []
        self.augment = augment

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        tensor = torch.load(os.path.join(self.root, self.items[index]))
        if self.augment and random.random() < {ratio}:
            tensor = tensor + torch.randn_like(tensor) * {rate}
        return tensor
''',
        '''
class {Name}Net(nn.Module):
    def __init__(self, width={trees}, classes={folds}):
        super().__init__()
        self.body = nn.Sequential(nn.Linear({depth}, width), nn.ReLU(), nn.Dropout({ratio}), nn.Linear(width, classes))

    def forward(self, inputs):
        return self.body(inputs)
''',
        '''
def fit_{name}(model, dataset, epochs={folds}):
    loader = DataLoader(dataset, batch_size={trees}, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr={rate})
    for epoch in range(epochs):
        for batch in loader:
            optimizer.zero_grad()
            loss = model(batch).pow(2).mean()
            loss.backward()
            optimizer.step()
    torch.save(model.state_dict(), "{path}")
    return model
''',
    ],
    "pandas": [
        '''
def features_{name}(frame):
    out = pd.DataFrame(index=frame.index)
    out["{column}_log"] = np.log1p(frame["{column}"].clip(lower=0))
    out["{column}_ratio"] = frame["{column}"] / (frame["{column}"].rolling({folds}).mean() + {rate})
    out["{column}_flag"] = (frame["{column}"] > {trees}).astype(int)
    return pd.get_dummies(out, drop_first=True)
''',
        '''
def export_{name}(frame, destination="{path}"):
    os.makedirs(os.path.dirname(destination), exist_ok=True)
    frame.to_parquet(destination)
    with open(destination + ".json", "w") as handle:
        json.dump({{"rows": len(frame), "columns": list(frame.columns)}}, handle)
    return destination
''',
        '''
def clean_{name}(frame, threshold={ratio}):
    missing = frame.isna().mean()
    keep = missing[missing < threshold].index
    frame = frame[keep].copy()
    for column in frame.select_dtypes("number"):
        frame[column] = frame[column].fillna(frame[column].median())
    return frame
''',
    ],
    "serve": [
        '''
app = Flask(__name__)
MODEL = joblib.load("{path}")


@app.route("/v{folds}/predict/{name}", methods=["POST"])
def predict_{name}():
    payload = request.get_json(force=True)
    features = np.array(payload["features"], dtype=float).reshape(1, -1)
    features = np.log1p(np.clip(features, 0, None))
    return jsonify({{"score": float(MODEL.predict_proba(features)[0, 1]), "threshold": {ratio}}})
''',
        '''
def batch_predict_{name}(rows):
    model = joblib.load("{path}")
    matrix = np.asarray(rows, dtype=float)
    return (model.predict_proba(matrix)[:, 1] > {ratio}).tolist()
''',
    ],
    "plain": [
        '''
LOG = logging.getLogger(__name__)
DATA_DIR = Path(os.environ.get("DATA_DIR", "data"))
BUCKET = "{uri}"


def settings_{name}():
    return {{"epochs": {folds}, "learning_rate": {rate}, "batch_size": {trees}, "data": str(DATA_DIR / "{column}.csv")}}
''',
        '''
def seed_everything(seed={trees}):
    import random
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
        torch.manual_seed(seed)
    except ImportError:
        pass
    return seed
''',
    ],
}

WORDS = ("churn", "fraud", "demand", "sales", "clicks", "image", "speech", "ranking", "credit", "sensor", "text",
         "price", "weather", "retention", "anomaly", "traffic")
PATHS = ("/data/{w}/train.csv", "/home/{u}/projects/{w}/data.csv", "data/{w}/train.csv", "/mnt/models/{w}.pt",
         "models/{w}.joblib", "C:\\\\Users\\\\{u}\\\\{w}.csv", "/opt/{w}/model.joblib", "artifacts/{w}.parquet")
URIS = ("s3://acme-{w}/raw/", "gs://team-{w}/exports/", "https://example.org/{w}.csv", "postgresql://etl@db/{w}")
USERS = ("alice", "bob", "chen", "dana", "emeka", "farah")


def _module(rng: random.Random, kind: str, blocks: int) -> str:
    header = HEADER[kind]
    parts = [f'"""{kind} code for the {rng.choice(WORDS)} model."""\n\n', header]
    if rng.random() < 0.35 and kind in ("sklearn", "torch"):
        parts.append("\nnp.random.seed(42)\n")
    for number in range(blocks):
        word = rng.choice(WORDS)
        values = {
            "name": f"{word}_{number}", "Name": f"{word.title()}{number}", "column": rng.choice(WORDS),
            "ratio": rng.choice((0.1, 0.2, 0.25, 0.3, 0.5)), "trees": rng.choice((32, 64, 100, 200, 500)),
            "depth": rng.choice((4, 8, 12, 16)), "folds": rng.choice((3, 5, 10)),
            "rate": rng.choice((0.001, 0.01, 0.05, 0.1)),
            "seed_kw": rng.choice(("", ", random_state=42", ", random_state=0")),
            "path": rng.choice(PATHS).format(w=word, u=rng.choice(USERS)),
            "uri": rng.choice(URIS).format(w=word),
        }
        parts.append(rng.choice(BLOCKS[kind]).format(**values))
    if kind in ("sklearn", "torch") and rng.random() < 0.5:
        parts.append('\n\nif __name__ == "__main__":\n    import sys\n\n    print(sys.argv)\n')
    return "".join(parts)


def generate_project(directory: Path, rng: random.Random, files: int) -> int:
    """One project of up to `files` modules in a package layout; returns how many it wrote."""
    package = directory / "src" / directory.name
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text('"""The package."""\n', encoding="utf-8")
    written = 1
    kinds = ("sklearn", "torch", "pandas", "serve", "plain")
    layout = ("data", "features", "models", "training", "serving", "utils")
    while written < files:
        kind = rng.choice(kinds)
        folder = package / rng.choice(layout)
        folder.mkdir(exist_ok=True)
        init = folder / "__init__.py"
        if not init.exists():
            init.write_text("", encoding="utf-8")
            written += 1
            if written >= files:
                break
        path = folder / f"{kind}_{written:04}.py"
        path.write_text(_module(rng, kind, rng.randint(2, 9)), encoding="utf-8")
        written += 1
    return written


def real_sources() -> list[tuple[str, Path]]:
    """(package, file) for every .py file of the installed packages in REAL_PACKAGES."""
    found = []
    for name in REAL_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            for path in sorted(Path(location).rglob("*.py")):
                found.append((name, path))
    return found


def build(directory: Path, files: int, real_share: float = 0.6, seed: int = 8) -> dict[str, int]:
    """Fill `directory` (emptied first) with `files` Python files; returns counts by origin."""
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "site").mkdir(parents=True)
    (directory / "pyproject.toml").write_text("[tool.debtscan]\n", encoding="utf-8")
    counts: dict[str, int] = {}
    real = real_sources()[: int(files * real_share)]
    for package, path in real:
        root = Path(importlib.util.find_spec(package).submodule_search_locations[0]).parent
        target = directory / "site" / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        counts[package] = counts.get(package, 0) + 1
    rng = random.Random(seed)
    remaining = files - len(real)
    number = 0
    while remaining > 0:
        size = min(remaining, rng.randint(15, 40))
        remaining -= generate_project(directory / "projects" / f"project_{number:03}", rng, size)
        number += 1
    counts["generated"] = files - len(real)
    counts["generated projects"] = number
    return counts
