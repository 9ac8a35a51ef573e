"""Training-serving skew (DS4xx): feature logic written twice, and fitted state re-created.

Sculley et al. (2015) name the gap between the features a model was trained on and the ones it
is served with one of ML's costliest debts: nothing fails, predictions just get worse. The
commonest cause in code is feature logic implemented once for training (pandas, in batch) and
again for serving (a handler, row by row). Roles come from `rules/roles.py`, feature units
from `rules/features.py`; this module pairs the units of the two sides and compares them:

1. *pairing*: every unit's hashed skeleton 3-grams become a TF-IDF vector (scikit-learn);
   random-hyperplane signatures of the vectors (scikit-learn's GaussianRandomProjection) are
   cut into bands, and units that share a band's bucket are candidate neighbours — locality
   sensitive hashing for cosine similarity, so the work grows with n·log n, not n² (see
   bench/bench_skew_pairing.py). Candidates keep their exact cosine; each serving unit keeps
   its nearest training neighbours above a threshold;
2. *confirmation*: the two units' feature statements are aligned by skeleton; enough of them
   must match for a copy. Matched statements whose constants or operators differ, and
   statements assigning the same column differently, make it a diverged copy;
3. *names*: a feature (column or key) computed on both sides is compared in a canonical
   notation shared by pandas and row-wise code, so a copy that was rewritten is still caught.

Code shared by both sides is the fix and is never reported: a unit reached from both a
training and a serving entry point is "shared", and only pure training (or evaluation) units
are compared with pure serving units. Tests are never compared.
"""

from __future__ import annotations

import difflib
import os
from itertools import chain
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import libcst as cst
import numpy as np

from debtscan.catalog import CatalogIndex
from debtscan.engine import make_finding, span_location
from debtscan.model import MODULE_SCOPE, Confidence, Finding, Location, Severity
from debtscan.names import dotted
from debtscan.rule import Collector, ProjectRule
from ._calls import UNKNOWN as NOT_LITERAL, literal
from .features import GRAM_BITS, KEY as FEATURES, FeatureCollector, FeatureIndex, code_text, reads_key
from .roles import APP, IMPORTERS, OFFLINE, SERVING, UNKNOWN, RoleAnalysis, RoleCollector, Role

FAMILY = "train-serve-skew"
FITTED = "fitted_state"

# Pairing: every cosine up to EXACT_BUDGET serving x offline pairs; beyond, BANDS x BITS random
# hyperplanes, and a serving unit meets at most CAP training units per bucket. Pairs below
# THRESHOLD cosine are dropped, the best NEIGHBOURS of each serving unit kept.
EXACT_BUDGET = 4_000_000
BANDS = 32
BITS = 16
CAP = 4
FOLD_BITS = 12
THRESHOLD = 0.5
NEIGHBOURS = 3
# Confirmation: a copy shares at least two statements (or one large one) holding this many tokens.
MIN_SHARED_TOKENS = 16
SHOWN_DIFFERENCES = 3
_POPCOUNT = np.array([bin(value).count("1") for value in range(256)], dtype=np.int64)


# -- pairing --------------------------------------------------------------------------------------

def vectorise(grams: Sequence[Sequence[Sequence[int]]]):
    """TF-IDF rows (L2-normalised, scipy CSR) from each unit's [bucket, count] grams."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfTransformer

    lengths, flat = _flat_grams(grams)
    rows = np.repeat(np.arange(len(grams)), lengths)
    counts = sparse.csr_matrix((flat[1::2].astype(np.float64), (rows, flat[0::2])),
                               shape=(len(grams), 1 << GRAM_BITS))
    counts.sum_duplicates()  # canonical rows: scipy's element-wise products need sorted indices
    if counts.shape[0] == 0:
        return counts
    vectors = TfidfTransformer(sublinear_tf=True).fit_transform(counts).tocsr()
    vectors.sort_indices()
    return vectors


def _flat_grams(grams: Sequence[Sequence[Sequence[int]]]) -> tuple[np.ndarray, np.ndarray]:
    """How many grams each unit has, and all of them as bucket, count, bucket, count, ..."""
    lengths = np.fromiter((len(item) for item in grams), dtype=np.int64, count=len(grams))
    flat = np.fromiter(chain.from_iterable(chain.from_iterable(grams)), dtype=np.int64, count=2 * int(lengths.sum()))
    return lengths, flat


def _signatures(vectors) -> tuple[np.ndarray, np.ndarray]:
    """Band keys (n x BANDS) and packed signature bits from the signs of random projections of
    the vectors, folded to 2**FOLD_BITS columns first (the hashing trick keeps cosines)."""
    from scipy import sparse
    from sklearn.random_projection import GaussianRandomProjection

    mask = (1 << FOLD_BITS) - 1
    folded = sparse.csr_matrix((vectors.data.copy(), vectors.indices & mask, vectors.indptr.copy()),
                               shape=(vectors.shape[0], 1 << FOLD_BITS))
    folded.sum_duplicates()
    folded.sort_indices()
    projection = GaussianRandomProjection(n_components=BANDS * BITS, random_state=0).fit(folded[:1])
    weights = (1 << np.arange(BITS, dtype=np.int64))
    keys = np.empty((vectors.shape[0], BANDS), dtype=np.int64)
    bits = np.empty((vectors.shape[0], BANDS * BITS), dtype=bool)
    for start in range(0, vectors.shape[0], 4096):
        signs = projection.transform(folded[start:start + 4096]) > 0
        bits[start:start + 4096] = signs
        keys[start:start + 4096] = signs.reshape(-1, BANDS, BITS).astype(np.int64) @ weights
    return keys, np.packbits(bits, axis=1)


def _band_candidates(keys: np.ndarray, side: np.ndarray) -> np.ndarray:
    """(serving row, offline row) pairs sharing a bucket in one band, at most CAP per bucket."""
    order = np.lexsort((np.arange(len(keys)), side, keys))
    sorted_keys, sorted_side = keys[order], side[order]
    starts_here = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    group = np.cumsum(starts_here) - 1
    group_start = np.flatnonzero(starts_here)
    offline_count = np.bincount(group, weights=(sorted_side == 0), minlength=len(group_start)).astype(np.int64)
    serving_positions = np.flatnonzero(sorted_side == 1)
    available = np.minimum(offline_count[group[serving_positions]], CAP)
    serving_positions, available = serving_positions[available > 0], available[available > 0]
    if not len(serving_positions):
        return np.empty((0, 2), dtype=np.int64)
    repeated = np.repeat(serving_positions, available)
    offsets = np.arange(int(available.sum())) - np.repeat(np.cumsum(available) - available, available)
    partner = group_start[group[repeated]] + offsets
    return np.stack([order[repeated], order[partner]], axis=1)


def nearest_pairs(vectors, side: Sequence[int], threshold: float = THRESHOLD,
                  neighbours: int = NEIGHBOURS) -> list[tuple[int, int, float]]:
    """(serving row, offline row, cosine) for each serving row's nearest offline rows.

    `side` is 0 for offline (training, evaluation) rows, 1 for serving rows, -1 for rows that
    only inform the TF-IDF weights. Up to EXACT_BUDGET serving x offline pairs every cosine is
    computed (one sparse product: exact, and cheap at that size); beyond it LSH buckets propose
    at most BANDS x CAP partners per serving row and only those are measured, so the work
    grows with n·log n.
    """
    side = np.asarray(side, dtype=np.int64)
    serving_rows, offline_rows = np.flatnonzero(side == 1), np.flatnonzero(side == 0)
    if vectors.shape[0] == 0 or not len(serving_rows) or not len(offline_rows):
        return []
    if len(serving_rows) * len(offline_rows) <= EXACT_BUDGET:
        product = (vectors[serving_rows] @ vectors[offline_rows].T).tocoo()
        serving, offline, cosine = serving_rows[product.row], offline_rows[product.col], product.data
    else:
        serving, offline, cosine = _lsh_candidates(vectors, side, threshold)
    keep = cosine >= threshold - 1e-9
    serving, offline, cosine = serving[keep], offline[keep], cosine[keep]
    order = np.lexsort((offline, -np.round(cosine, 9), serving))
    out: list[tuple[int, int, float]] = []
    taken: dict[int, int] = {}
    for index in order:
        row = int(serving[index])
        if taken.get(row, 0) < neighbours:
            taken[row] = taken.get(row, 0) + 1
            out.append((row, int(offline[index]), float(cosine[index])))
    return out


def _pairing_inputs(grams: Sequence[Sequence[Sequence[int]]], side: Sequence[int]) -> bytes:
    """All that `nearest_pairs(vectorise(grams), side)` depends on besides debtscan's code: the
    pairing is kept in the cache, so a warm run needs neither scikit-learn (a second and a
    hundred megabytes to import) nor the vectors."""
    lengths, flat = _flat_grams(grams)
    versions = " ".join(_version(name) for name in ("scikit-learn", "scipy")) + " " + np.__version__
    return b"\0".join((versions.encode(), np.asarray(side, dtype=np.int64).tobytes(), lengths.tobytes(), flat.tobytes()))


def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # vendored, or run from a source tree: stored, never reused
        return f"unknown-{os.getpid()}-{id(metadata)}"


def _valid_pairs(value: Any, rows: int) -> bool:
    return type(value) is list and all(
        type(item) is list and len(item) == 3 and type(item[0]) is int and type(item[1]) is int
        and type(item[2]) is float and 0 <= item[0] < rows and 0 <= item[1] < rows for item in value)


def _lsh_candidates(vectors, side: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs that share a bucket in some band, with their exact cosine (those plausibly near)."""
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0))
    keys, packed = _signatures(vectors)
    active = np.flatnonzero(side >= 0)  # rows of neither side only weighted the vocabulary
    found = [_band_candidates(keys[active, band], side[active]) for band in range(BANDS)]
    pairs = active[np.concatenate(found)]
    if not len(pairs):
        return empty
    encoded = np.unique(pairs[:, 0] * vectors.shape[0] + pairs[:, 1])
    serving, offline = encoded // vectors.shape[0], encoded % vectors.shape[0]
    # a cheap estimate from the signatures first, the exact cosine only for the plausible
    hamming = _POPCOUNT[packed[serving] ^ packed[offline]].sum(axis=1)
    estimate = np.cos(np.pi * hamming / (BANDS * BITS))
    plausible = estimate >= threshold - 0.25
    serving, offline = serving[plausible], offline[plausible]
    if not len(serving):
        return empty
    cosine = np.asarray(vectors[serving].multiply(vectors[offline]).sum(axis=1)).ravel()
    return serving, offline, cosine


# -- confirmation -----------------------------------------------------------------------------------

@dataclass
class Comparison:
    """How a serving unit's feature statements line up with a training unit's."""

    matched: list[tuple[int, int]] = field(default_factory=list)
    value_differences: list[tuple[int, int, str, str]] = field(default_factory=list)
    statement_differences: list[tuple[int, int]] = field(default_factory=list)
    only_serving: list[int] = field(default_factory=list)
    only_offline: list[int] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.value_differences and not self.statement_differences


def compare_units(serving: dict, offline: dict) -> Comparison | None:
    """Align two units statement by statement; None when they are not copies of each other."""
    rows_a, rows_b = serving["statements"], offline["statements"]
    matcher = difflib.SequenceMatcher(None, [row[0] for row in rows_a], [row[0] for row in rows_b], autojunk=False)
    result = Comparison()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.matched.extend(zip(range(i1, i2), range(j1, j2)))
        elif tag == "replace":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if rows_a[i][5] and rows_a[i][5] == rows_b[j][5]:
                    result.statement_differences.append((i, j))
                else:
                    result.only_serving.append(i)
                    result.only_offline.append(j)
            result.only_serving.extend(range(i1 + (j2 - j1), i2))
            result.only_offline.extend(range(j1 + (i2 - i1), j2))
        elif tag == "delete":
            result.only_serving.extend(range(i1, i2))
        elif tag == "insert":
            result.only_offline.extend(range(j1, j2))
    shared = sum(rows_a[i][4] for i, _ in result.matched)
    if not result.matched or shared < MIN_SHARED_TOKENS:
        return None
    if len(result.matched) < 2 and shared < 2 * MIN_SHARED_TOKENS:
        return None
    if len(result.statement_differences) > len(result.matched):
        return None
    if 2 * (len(result.matched) + len(result.statement_differences)) < min(len(rows_a), len(rows_b)):
        return None
    for i, j in result.matched:
        for mine, theirs in zip(rows_a[i][1], rows_b[j][1]):
            if mine[0] != theirs[0]:
                result.value_differences.append((i, j, mine[1], theirs[1]))
    return result


# -- the analysis shared by the rules ----------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    path: str
    data: dict
    role: Role

    @property
    def label(self) -> str:
        if self.data["kind"] == "function":
            return f"`{self.data['scope']}`"
        span = self.data["statements"][0][3]
        cell = f"cell {span['cell']}, " if span.get("cell") is not None else ""
        return f"the top-level feature code ({cell}line {span.get('line', 0)})"

    def location(self, span: dict | None = None) -> Location:
        return span_location(self.path, span or self.data["span"])


@dataclass
class Copy:
    serving: Unit
    offline: Unit
    comparison: Comparison
    cosine: float


class SkewAnalysis:
    """Roles, units, pairs and copies of one project, computed once for all DS4xx rules."""

    def __init__(self, project) -> None:
        self.project = project
        self.roles = RoleAnalysis.of(project)
        self.index = FeatureIndex.of(project.catalog)
        units = []
        for path, facts in project.files.items():
            for data in (facts.data.get(FEATURES) or {}).get("units", ()):
                units.append(Unit(path, data, _compared_role(self.roles.scope(path, data["scope"]))))
        self.units = units
        self.projects = _Projects(self.roles)
        self.copies = self._copies()

    @classmethod
    def of(cls, project) -> "SkewAnalysis":
        if "skew_analysis" not in project.memo:
            project.memo["skew_analysis"] = cls(project)
        return project.memo["skew_analysis"]

    def _copies(self) -> list[Copy]:
        side = [0 if unit.role.name in OFFLINE else 1 if unit.role.name == SERVING else -1 for unit in self.units]
        if 0 not in side or 1 not in side:
            return []
        grams = [unit.data["grams"] for unit in self.units]
        pairs = self.project.remembered("skew-pairs", _pairing_inputs(grams, side),
                                        lambda: nearest_pairs(vectorise(grams), side),
                                        lambda value: _valid_pairs(value, len(side)))
        best: dict[int, Copy] = {}
        for serving_row, offline_row, cosine in pairs:
            serving, offline = self.units[serving_row], self.units[offline_row]
            if not self.projects.same(serving.path, offline.path):
                continue
            comparison = compare_units(serving.data, offline.data)
            if comparison is None:
                continue
            rank = (len(comparison.matched), comparison.exact, cosine)
            current = best.get(serving_row)
            if current is None or rank > (len(current.comparison.matched), current.comparison.exact, current.cosine):
                best[serving_row] = Copy(serving, offline, comparison, cosine)
        return [best[row] for row in sorted(best)]

    def confidence(self, *roles: Role) -> Confidence:
        return Confidence.HIGH if all(role.firm for role in roles) else Confidence.MEDIUM


def _compared_role(role: Role) -> Role:
    """Being imported by serving code does not make a module serving code (it may define the
    model, or hold helpers the handler never calls): such guesses are not compared."""
    if role.evidence and all(item.kind == IMPORTERS for item in role.evidence):
        return Role(UNKNOWN, frozenset(), role.evidence)
    return role


class _Projects:
    """Which files belong to the same project, when one repository holds several.

    Course and example repositories keep one self-contained project per folder (`week_4/`,
    `cohorts/2023/`), each with its own training and serving code. Two files are taken to be
    in different projects when, below their common folder, each lies in a subfolder that
    holds both training and serving code of its own.
    """

    def __init__(self, roles: RoleAnalysis) -> None:
        self.offline: set[str] = set()
        self.serving: set[str] = set()
        for path, role in roles.files.items():
            folders = _folders(path)
            if role.sides & OFFLINE:
                self.offline.update(folders)
            if SERVING in role.sides:
                self.serving.update(folders)

    def complete(self, folder: str) -> bool:
        return folder in self.offline and folder in self.serving

    def same(self, first: str, second: str) -> bool:
        a, b = first.split("/")[:-1], second.split("/")[:-1]
        common = 0
        while common < min(len(a), len(b)) and a[common] == b[common]:
            common += 1
        if common == len(a) or common == len(b):
            return True  # same folder, or one inside the other
        return not (self.complete("/".join(a[:common + 1])) and self.complete("/".join(b[:common + 1])))


def _folders(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]


def _side_name(role: Role) -> str:
    return "evaluation" if role.name == "evaluation" else "training"


def _where(unit: Unit, span: dict | None = None) -> str:
    """`path:line`, or `path:cell N:line` inside a notebook, as the text report writes places."""
    span = span or unit.data["span"]
    cell = span.get("cell")
    return f"{unit.path}:{'' if cell is None else f'cell {cell}:'}{span.get('line', 0)}"


class _CopyRule(ProjectRule):
    """DS401-DS403: feature units of the two sides compared with each other."""

    family = FAMILY
    collectors = (RoleCollector, FeatureCollector)


# The rules' examples are one file each, so training and serving share it: a function that
# fits a model and a handler (`@app.post`) with its own feature code.
_APP_HEAD = ("import pandas as pd\nfrom flask import Flask, request\nfrom sklearn.linear_model import LogisticRegression\n"
             "app = Flask(__name__)\n\n")
_TRAINED = ("def train(df):\n    df['tenure_years'] = df['tenure_months'] / 12\n"
            "    df['is_senior'] = (df['age'] >= 65).astype(int)\n"
            "    return LogisticRegression().fit(df[['tenure_years', 'is_senior']], df['churned'])\n\n")
_ROWS = ("import math\nimport numpy as np\nfrom fastapi import FastAPI\nfrom sklearn.linear_model import Ridge\n"
         "app = FastAPI()\n\n"
         "def train(df):\n    df['tenure_log'] = np.log1p(df['tenure_months'])\n"
         "    return Ridge().fit(df[['tenure_log']], df['y'])\n\n"
         "@app.post('/predict')\ndef predict(payload: dict):\n"
         "    return {{'tenure_log': {tenure_log}, 'plan': payload['plan'].lower()}}\n")


def _served(*statements: str) -> str:
    body = "".join(f"    {statement}\n" for statement in statements)
    return f"@app.post('/predict')\ndef predict():\n    frame = pd.DataFrame([request.get_json()])\n{body}    return {{'n': len(frame)}}\n"


class DuplicatedFeatureLogic(_CopyRule):
    """Feature logic copied between training and serving code.

    ## What it does
    Finds feature code — column assignments, row and dict builders, transforms of raw fields —
    that training (or evaluation) code and serving code each hold their own identical copy
    of: the statements match once local names, formatting and comments are set aside. A
    function called from both sides is shared code and is never reported; neither are tests.

    ## Why is this bad?
    Two copies of the same feature logic drift apart: the next change lands in one of them, and
    the model silently receives different inputs in production than it was trained on
    (training-serving skew, Sculley et al. 2015). Even while they agree, every change costs
    twice.

    ## Example
    ```python
    # train.py
    def add_features(df):
        df["tenure_years"] = df["tenure_months"] / 12
        df["is_senior"] = (df["age"] >= 65).astype(int)
        return df

    # app.py
    @app.post("/predict")
    def predict(payload: dict):
        df = pd.DataFrame([payload])
        df["tenure_years"] = df["tenure_months"] / 12
        df["is_senior"] = (df["age"] >= 65).astype(int)
        return {"churn": float(model.predict_proba(df)[0, 1])}
    ```

    ## Use instead
    ```python
    # features.py, imported by both train.py and app.py
    def add_features(df):
        df["tenure_years"] = df["tenure_months"] / 12
        df["is_senior"] = (df["age"] >= 65).astype(int)
        return df
    ```
    """

    code = "DS401"
    name = "duplicated-feature-logic"
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "Feature logic copied between training and serving code"
    fix = ("Move the feature code into one module that training and serving both import (or serve the fitted "
           "pipeline), and delete the copy.")
    VALID = (
        # one function, called by both sides: shared, which is the fix
        _APP_HEAD + "def add_features(df):\n    df['tenure_years'] = df['tenure_months'] / 12\n"
        "    df['is_senior'] = (df['age'] >= 65).astype(int)\n    return df\n\n"
        "def train(df):\n    df = add_features(df)\n    return LogisticRegression().fit(df[['tenure_years']], df['churned'])\n\n"
        "@app.post('/predict')\ndef predict():\n    df = add_features(pd.DataFrame([request.get_json()]))\n"
        "    return {'n': len(df)}\n",
    )
    INVALID = (_APP_HEAD + _TRAINED + _served("frame['tenure_years'] = frame['tenure_months'] / 12",
                                              "frame['is_senior'] = (frame['age'] >= 65).astype(int)"),)

    def check(self, project) -> Iterable[Finding]:
        analysis = SkewAnalysis.of(project)
        for copy in analysis.copies:
            if not copy.comparison.exact:
                continue
            serving, offline = copy.serving, copy.offline
            count = len(copy.comparison.matched)
            statements = "statement" if count == 1 else "statements"
            message = (f"{serving.label} repeats {count} feature {statements} of {offline.label} in {offline.path} "
                       f"word for word, so a change made to one copy will not reach the other and serving can silently "
                       f"drift from training.")
            related = list(dict.fromkeys([offline.location()] + [offline.location(offline.data["statements"][j][3])
                                                                  for _, j in copy.comparison.matched[:SHOWN_DIFFERENCES]]))
            yield make_finding(type(self), serving.path, serving.data["span"], message,
                               confidence=analysis.confidence(serving.role, offline.role),
                               symbol=serving.data["scope"] if serving.data["scope"] != MODULE_SCOPE else "",
                               related=related)


class DivergedFeatureLogic(_CopyRule):
    """A copy of training feature logic in serving code that has drifted from the original.

    ## What it does
    Finds serving code that is a copy of training (or evaluation) feature code — the same
    statements in the same order — in which constants, operators or single statements now
    differ: `52.3` against `51.8`, `>= 65` against `>= 60`, `np.log1p` against `np.log`. The
    message shows each differing pair, serving side first.

    ## Why is this bad?
    This is training-serving skew already happening: the model is served inputs computed
    differently from the ones it learned from, and nothing fails — predictions are just wrong
    for the affected rows (Sculley et al. 2015).

    ## Example
    ```python
    # train.py
    df["is_senior"] = (df["age"] >= 65).astype(int)
    df["bmi_z"] = (df["bmi"] - 27.4) / 5.1

    # app.py
    frame["is_senior"] = (frame["age"] >= 60).astype(int)
    frame["bmi_z"] = (frame["bmi"] - 27.4) / 5.1
    ```

    ## Use instead
    ```python
    # features.py, imported by train.py and app.py: one definition, one threshold
    def add_features(df):
        df["is_senior"] = (df["age"] >= SENIOR_AGE).astype(int)
        df["bmi_z"] = (df["bmi"] - 27.4) / 5.1
        return df
    ```
    """

    code = "DS402"
    name = "diverged-feature-logic"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    summary = "A serving copy of training feature logic whose constants or operators differ"
    fix = "Decide which version is right, keep it in one module imported by training and serving, and retrain."
    VALID = (_APP_HEAD + _TRAINED + _served("frame['plan_code'] = frame['plan'].map({'basic': 0, 'pro': 1})",
                                            "frame['region_code'] = frame['region'].str.lower()"),)
    INVALID = (_APP_HEAD + _TRAINED + _served("frame['tenure_years'] = frame['tenure_months'] / 12",
                                              "frame['is_senior'] = (frame['age'] >= 60).astype(int)"),)

    def check(self, project) -> Iterable[Finding]:
        analysis = SkewAnalysis.of(project)
        for copy in analysis.copies:
            comparison = copy.comparison
            if comparison.exact:
                continue
            serving, offline = copy.serving, copy.offline
            rows_a, rows_b = serving.data["statements"], offline.data["statements"]
            pairs = [(i, j, f"`{mine}` vs `{theirs}`") for i, j, mine, theirs in comparison.value_differences]
            pairs += [(i, j, f"`{rows_a[i][2]}` vs `{rows_b[j][2]}`") for i, j in comparison.statement_differences]
            pairs.sort()
            shown = ", ".join(text for _, _, text in pairs[:SHOWN_DIFFERENCES])
            more = f" and {len(pairs) - SHOWN_DIFFERENCES} more" if len(pairs) > SHOWN_DIFFERENCES else ""
            first_i, first_j = pairs[0][0], pairs[0][1]
            side = _side_name(offline.role)
            message = (f"{serving.label} is a copy of {offline.label} ({offline.path}) that has diverged: {shown}{more} "
                       f"(serving vs {side}), so the model is served features computed differently from the ones "
                       f"it was trained on.")
            related = list(dict.fromkeys([offline.location(rows_b[first_j][3]), offline.location()]))
            yield make_finding(type(self), serving.path, rows_a[first_i][3], message,
                               confidence=analysis.confidence(serving.role, offline.role),
                               symbol=serving.data["scope"] if serving.data["scope"] != MODULE_SCOPE else "",
                               related=related)


class FeatureComputedDifferently(_CopyRule):
    """The same feature name computed by different expressions for training and for serving.

    ## What it does
    Finds a feature — a column (`df["tenure_log"] = …`), an `assign` keyword or a key of a
    row dict (`{"tenure_log": …}`) — that training code and serving code both compute, with
    expressions that differ. Expressions are compared in one notation for pandas and row-wise
    code: `np.log1p(df["t"])`, `math.log1p(row["t"])` and `math.log(1 + row.get("t"))` agree,
    casts to float are ignored, and string building with `+`, `%` and f-strings is the same.
    Generic names (`prediction`, `score`, `id`) and pass-through fields are not compared.

    ## Why is this bad?
    The model learned what `tenure_log` meant at training time; when serving computes it
    another way, every prediction uses a different input than the one the model was fitted on
    (training-serving skew) — and no error is raised.

    ## Example
    ```python
    # train.py
    df["tenure_log"] = np.log1p(df["tenure_months"])

    # app.py
    features = {"tenure_log": math.log(payload["tenure_months"]), "plan": payload["plan"].lower()}
    ```

    ## Use instead
    ```python
    # features.py, imported by both sides
    def tenure_log(months):
        return math.log1p(months)
    ```
    """

    code = "DS403"
    name = "feature-computed-differently"
    severity = Severity.ERROR
    confidence = Confidence.MEDIUM
    summary = "The same feature name computed differently at training and at serving time"
    fix = "Compute the feature in one function that training and serving both call."
    VALID = (_ROWS.format(tenure_log="math.log(1 + payload['tenure_months'])"),)
    INVALID = (_ROWS.format(tenure_log="math.log(payload['tenure_months'])"),)

    def check(self, project) -> Iterable[Finding]:
        analysis = SkewAnalysis.of(project)
        generic = analysis.index.generic_names
        offline: dict[str, list[tuple[Unit, list]]] = {}
        for unit in analysis.units:
            if unit.role.name in OFFLINE:
                for feature in unit.data["features"]:
                    offline.setdefault(feature[0], []).append((unit, feature))
        copied = {id(copy.serving) for copy in analysis.copies}
        for unit in analysis.units:
            if unit.role.name != SERVING or id(unit) in copied:
                continue  # a copy's differences are DS402's, shown against its closest twin
            seen: set[str] = set()
            for name, form, text, span in unit.data["features"]:
                if name in seen or name in generic or len(name) < 3 or not _compared(name, form):
                    continue
                seen.add(name)
                twins = [(other, feature) for other, feature in offline.get(name, ())
                         if _compared(name, feature[1]) and analysis.projects.same(unit.path, other.path)]
                if not twins or any(feature[1] == form for _, feature in twins):
                    continue
                inputs = _inputs(form)
                twins.sort(key=lambda item: (-len(inputs & _inputs(item[1][1])), item[0].path))
                other, feature = twins[0]
                if " ".join(text.split()) == " ".join(feature[2].split()):
                    continue  # the same code: what differs is upstream, and is reported there if anywhere
                overlap = bool(inputs & _inputs(feature[1]))
                side = _side_name(other.role)
                message = (f"Feature `{name}` is computed as `{text}` here but as `{feature[2]}` in {side} code "
                           f"({_where(other, feature[3])}), so the model is served a different value than it was "
                           f"trained on.")
                confidence = analysis.confidence(unit.role, other.role) if overlap else Confidence.LOW
                if confidence == Confidence.HIGH:
                    confidence = Confidence.MEDIUM
                yield make_finding(type(self), unit.path, span, message, confidence=confidence,
                                   symbol=unit.data["scope"] if unit.data["scope"] != MODULE_SCOPE else "",
                                   related=[other.location(feature[3])])


def _compared(name: str, form: str) -> bool:
    """A feature worth comparing reads raw fields and is more than the field passed through."""
    return "col(" in form and form != f"col({name})" and "predict" not in form


def _inputs(form: str) -> set[str]:
    import re

    return set(re.findall(r"col\(([^()]*)\)", form))


# -- fitted state at serving time --------------------------------------------------------------------

class FittedStateIndex(CatalogIndex):
    """The catalog's knowledge of fitted preprocessing state."""

    def __init__(self, catalog: dict[str, Any]) -> None:
        fitted = catalog.get("fitted_state", {})
        self.families: dict[str, str] = {}
        for family in ("statistics", "vocabulary", "other"):
            for name in fitted.get(f"{family}_learners", []):
                self.families[name] = family
        self.fit_methods = set(fitted.get("fit_methods", []))
        self.always_refit = set(fitted.get("always_refit", []))
        self.batch_dependent = set(fitted.get("batch_dependent", []))
        self.statistics = set(fitted.get("statistics", []))
        self.conventional = {float(value) for value in fitted.get("conventional", [])}
        self.min_vocabulary = int(fitted.get("min_vocabulary", 5))


class FittedStateCollector(Collector):
    """Where a file fits learners, derives state from the rows at hand, or hard-codes it.

    Stored as `ctx.facts.data["fitted_state"] = [{"kind", "scope", "text", "family", "span"}]`
    with kind one of fit, batch_dependent, batch_statistics, hardcoded_statistics, vocabulary.
    """

    key = FITTED

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = FittedStateIndex.of(ctx.catalog)
        self.features = FeatureIndex.of(ctx.catalog)
        self.records: list[dict] = []
        self.numbers: dict[str, float] = {}
        self.number_tables: dict[str, dict] = {}
        self.vocabularies: dict[str, int] = {}
        self.encodings: dict[str, int] = {}

    def _record(self, kind: str, node: cst.CSTNode, text: str, family: str = "") -> None:
        self.records.append({"kind": kind, "scope": self.ctx.scope, "text": text, "family": family,
                             "span": self.ctx.span(node)})

    def visit_Module(self, node: cst.Module) -> None:
        for statement in node.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                    self._note(small.targets[0].target.value, small.value)

    def _note(self, name: str, value: cst.BaseExpression) -> None:
        number = literal(value)
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            self.numbers[name] = float(number)
        elif isinstance(value, cst.Dict):
            items = {}
            for element in value.elements:
                if isinstance(element, cst.DictElement):
                    key, item = literal(element.key), literal(element.value)
                    if isinstance(key, str) and item is not NOT_LITERAL:
                        items[key] = item
            if items and len(items) == len(value.elements):
                if all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in items.values()):
                    self.number_tables[name] = items
                    if sorted(items.values()) == list(range(len(items))) and len(items) >= self.index.min_vocabulary:
                        self.encodings[name] = len(items)
        elif isinstance(value, (cst.List, cst.Tuple)):
            items = [literal(element.value) for element in value.elements if isinstance(element, cst.Element)]
            if len(items) >= self.index.min_vocabulary and all(isinstance(item, str) for item in items):
                self.vocabularies[name] = len(items)

    # fits and batch-dependent calls ----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        index = self.index
        qualified = self.ctx.qualify(node.func) or ""
        if qualified in index.batch_dependent:
            self._record("batch_dependent", node, f"{dotted(node.func) or qualified}(...)")
            return
        if not isinstance(node.func, cst.Attribute):
            return
        method = node.func.attr.value
        receiver = self.ctx.qualify(node.func.value) or ""
        constructor = receiver[:-2] if receiver.endswith("()") else ""
        family = index.families.get(constructor)
        if method in index.fit_methods and (family is not None or method in index.always_refit):
            text = f"{code_text(node.func, 50)}(...)"
            self._record("fit", node, text, family or "")
            return
        if method == "index" and isinstance(node.func.value, cst.Name) and node.func.value.value in self.vocabularies:
            self._record("vocabulary", node, code_text(node, 60), "vocabulary")

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if isinstance(node.value, cst.Name) and node.value.value in self.encodings and len(node.slice) == 1 \
                and isinstance(node.slice[0].slice, cst.Index) and reads_key(node.slice[0].slice.value, self.features):
            self._record("vocabulary", node, code_text(node, 60), "vocabulary")

    # arithmetic on statistics ------------------------------------------------------------------------
    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if isinstance(node.operator, cst.Divide):
            centred = node.left
            if isinstance(centred, cst.BinaryOperation) and isinstance(centred.operator, cst.Subtract):
                self._standardised(node, centred)
                return
            if self._batch_statistic(node.right) and not self._batch_statistic(_subtrahend(node.left)):
                self._record("batch_statistics", node, code_text(node, 70))
        elif isinstance(node.operator, cst.Subtract) and self._batch_statistic(node.right):
            self._record("batch_statistics", node, code_text(node, 70))

    def _standardised(self, node: cst.BinaryOperation, centred: cst.BinaryOperation) -> None:
        if self._batch_statistic(centred.right):
            return  # recorded when the subtraction itself is visited
        if not reads_key(centred.left, self.features) and not isinstance(centred.left, cst.Name):
            return
        centre, scale = self._constant(centred.right), self._constant(node.right)
        if centre is None or scale is None or scale <= 0:
            return
        conventional = self.index.conventional
        if centre in conventional or scale in conventional:
            return
        if float(centre).is_integer() and float(scale).is_integer():
            return
        self._record("hardcoded_statistics", node, code_text(node, 70), "statistics")

    def _constant(self, node: cst.BaseExpression) -> float | None:
        value = literal(node)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(node, cst.Name) and node.value in self.numbers:
            return self.numbers[node.value]
        if isinstance(node, cst.Subscript) and isinstance(node.value, cst.Name) and node.value.value in self.number_tables:
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                key = literal(node.slice[0].slice.value)
                item = self.number_tables[node.value.value].get(key) if isinstance(key, str) else None
                if isinstance(item, (int, float)):
                    return float(item)
        return None

    def _batch_statistic(self, node: cst.BaseExpression | None) -> bool:
        """`df["x"].mean()`: a statistic of named fields of the rows at hand."""
        return (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in self.index.statistics and reads_key(node.func.value, self.features))

    def finish(self) -> None:
        self.ctx.facts.data[FITTED] = self.records


def _subtrahend(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Subtract):
        return node.right
    return None


def _serving_scope(role: Role, scope: str) -> bool:
    """Code that runs per request: a handler or what it calls, or an interactive app's script.
    A serving module's top level runs once at start-up, on whatever data it loads then."""
    if SERVING not in role.sides:
        return False
    if scope != MODULE_SCOPE:
        return True
    return any(item.kind == APP for item in role.evidence)


def _fitted_records(project, kinds: set[str]) -> Iterable[tuple[str, dict, Role]]:
    roles = RoleAnalysis.of(project)
    for path, facts in project.files.items():
        for record in facts.data.get(FITTED) or ():
            if record["kind"] in kinds:
                yield path, record, roles.scope(path, record["scope"])


class _FittedStateRule(ProjectRule):
    """DS404-DS405: fitted state where serving code runs."""

    family = FAMILY
    collectors = (RoleCollector, FittedStateCollector)


class RefitAtServing(_FittedStateRule):
    """A scaler, encoder or other fitted step re-fitted on the data of a serving request.

    ## What it does
    Finds, in code that runs per request (a web handler, a predictor class, what they call,
    an interactive app), calls that learn preprocessing state from the rows at hand:
    `fit`/`fit_transform` of scalers, imputers, encoders and vectorisers, `fit_on_texts`,
    `pd.get_dummies` (its columns depend on the categories present) and centring or scaling
    by the rows' own `mean()`, `std()`, `min()` or `max()`.

    ## Why is this bad?
    At serving time the state is learned from one request instead of the training data: a
    `StandardScaler` fitted on one row turns every value into 0, `get_dummies` on one row makes
    one column instead of the trained set. The model gets inputs it never saw in training.

    ## Example
    ```python
    @app.post("/predict")
    def predict(payload: dict):
        frame = pd.DataFrame([payload])
        X = StandardScaler().fit_transform(frame[NUMERIC])
        return {"churn": float(model.predict_proba(X)[0, 1])}
    ```

    ## Use instead
    ```python
    scaler = joblib.load("artifacts/scaler.joblib")  # fitted once, on the training data

    @app.post("/predict")
    def predict(payload: dict):
        X = scaler.transform(pd.DataFrame([payload])[NUMERIC])
        return {"churn": float(model.predict_proba(X)[0, 1])}
    ```
    """

    code = "DS404"
    name = "refit-at-serving"
    severity = Severity.ERROR
    confidence = Confidence.HIGH
    summary = "Preprocessing state fitted on the data of a serving request"
    fix = "Fit the step once on the training data, save it with the model (or in its pipeline) and only transform at serving time."
    VALID = (
        "import joblib\nimport pandas as pd\nfrom flask import Flask, request\n"
        "app = Flask(__name__)\nscaler = joblib.load('scaler.joblib')\n\n"
        "@app.route('/predict', methods=['POST'])\ndef predict():\n"
        "    X = scaler.transform(pd.DataFrame([request.get_json()]))\n    return {'n': len(X)}\n",
        "from sklearn.preprocessing import StandardScaler\n\n"
        "def train(df):\n    return StandardScaler().fit_transform(df[['age']])\n",
    )
    INVALID = (
        "import pandas as pd\nfrom flask import Flask, request\nfrom sklearn.preprocessing import StandardScaler\n"
        "app = Flask(__name__)\n\n"
        "@app.route('/predict', methods=['POST'])\ndef predict():\n"
        "    frame = pd.DataFrame([request.get_json()])\n"
        "    X = StandardScaler().fit_transform(frame[['age', 'income']])\n    return {'n': len(X)}\n",
    )

    MESSAGES = {
        "fit": "`{text}` runs at serving time ({why}), so the step is fitted on the request's rows instead of "
               "the training data and the model gets inputs it was never trained on.",
        "batch_dependent": "`{text}` runs at serving time ({why}); its columns depend on the categories present "
                           "in the request, not the ones the model was trained with.",
        "batch_statistics": "`{text}` centres or scales by statistics of the request's own rows at serving time "
                            "({why}) instead of the training data's.",
    }

    def check(self, project) -> Iterable[Finding]:
        for path, record, role in _fitted_records(project, set(self.MESSAGES)):
            if not _serving_scope(role, record["scope"]):
                continue
            why = _why(role)
            message = self.MESSAGES[record["kind"]].format(text=record["text"], why=why)
            firm = role.firm and role.name == SERVING
            confidence = Confidence.HIGH if record["kind"] == "fit" and firm else Confidence.MEDIUM
            yield make_finding(type(self), path, record["span"], message, confidence=confidence,
                               symbol=record["scope"] if record["scope"] != MODULE_SCOPE else "",
                               related=_evidence_locations(role))


class HardcodedFittedStatistics(_FittedStateRule):
    """Means, scales or vocabularies typed into serving code instead of loaded from training.

    ## What it does
    Finds serving code (handlers and what they call) that standardises a raw field with
    literal numbers — `(payload["age"] - 41.7) / 12.3`, also through module constants or a
    dict of means — or encodes categories with a literal vocabulary (`PLANS.index(plan)`, a
    dict mapping five or more strings to 0…n-1). Conventional constants (ImageNet and MNIST
    normalisation, pixel scaling) are not reported. Confidence is medium when the training
    side fits a scaler or encoder of that kind, low otherwise.

    ## Why is this bad?
    The numbers are a copy of fitted state. When the model is retrained on new data the
    training statistics move and the hard-coded ones do not: serving silently computes
    different features (training-serving skew).

    ## Example
    ```python
    @app.post("/predict")
    def predict(payload: dict):
        age_z = (payload["age"] - 41.7) / 12.3
        return {"risk": float(model.predict([[age_z]])[0])}
    ```

    ## Use instead
    ```python
    scaler = joblib.load("artifacts/scaler.joblib")  # saved by the training pipeline

    @app.post("/predict")
    def predict(payload: dict):
        age_z = scaler.transform([[payload["age"]]])[0, 0]
        return {"risk": float(model.predict([[age_z]])[0])}
    ```
    """

    code = "DS405"
    name = "hardcoded-fitted-statistics"
    severity = Severity.WARNING
    confidence = Confidence.MEDIUM
    summary = "Fitted means, scales or vocabularies hard-coded in serving code"
    fix = "Save the fitted scaler or encoder with the model at training time and load it in the service."
    VALID = (
        "from fastapi import FastAPI\napp = FastAPI()\n\n"
        "@app.post('/predict')\ndef predict(payload: dict):\n"
        "    pixels = (payload['pixel'] - 0.485) / 0.229\n    return {'x': pixels}\n",
    )
    INVALID = (
        "from fastapi import FastAPI\napp = FastAPI()\n\n"
        "@app.post('/predict')\ndef predict(payload: dict):\n"
        "    age_z = (payload['age'] - 41.7) / 12.3\n    return {'x': age_z}\n",
    )

    def check(self, project) -> Iterable[Finding]:
        records = list(_fitted_records(project, {"fit", "hardcoded_statistics", "vocabulary"}))
        fitted_offline = {record["family"] for _, record, role in records
                          if record["kind"] == "fit" and role.name in OFFLINE}
        for path, record, role in records:
            if record["kind"] == "fit" or not _serving_scope(role, record["scope"]):
                continue
            what = "statistics" if record["kind"] == "hardcoded_statistics" else "a vocabulary"
            learner = "scaler" if record["family"] == "statistics" else "encoder"
            trained = record["family"] in fitted_offline
            source = (f"numbers the training code's {learner} learns from the data" if trained
                      else f"instead of a {learner} fitted on the training data")
            message = (f"`{record['text']}` uses hard-coded {what} at serving time ({_why(role)}), {source}, "
                       f"so after the next retraining serving and training will disagree.")
            yield make_finding(type(self), path, record["span"], message,
                               confidence=Confidence.MEDIUM if trained else Confidence.LOW,
                               symbol=record["scope"] if record["scope"] != MODULE_SCOPE else "",
                               related=_evidence_locations(role))


def _why(role: Role) -> str:
    if not role.evidence:
        return "in serving code"
    first = role.evidence[0]
    return first.reason if first.reason.startswith(("`", "it ")) else f"it {first.reason}"


def _evidence_locations(role: Role) -> list[Location]:
    return [Location(item.path, item.line) for item in role.evidence[:1] if item.line]


def graph_contribution(project) -> dict:
    """Feature units as `feature` nodes: `feeds` edges to the modules whose code uses them
    (with the side they run on), `copies` edges from a serving copy to its training twin, and
    the lines of their statements as sites, so DS4xx findings attach to the unit."""
    analysis = SkewAnalysis.of(project)
    consumers: dict[tuple[str, str], set[str]] = {}
    for caller_path, caller_scope, _order, callee_path, callee_scope in project.call_edges():
        consumers.setdefault((callee_path, callee_scope), set()).add(caller_path)
    nodes, edges, sites = [], [], []
    ids: dict[int, str] = {}
    for unit in analysis.units:
        if unit.role.name in ("test", UNKNOWN):
            continue
        node = _feature_node(unit)
        ids[id(unit)] = node
        names = sorted({feature[0] for feature in unit.data["features"]})
        nodes.append({"id": node, "kind": "feature", "label": f"{unit.label.strip('`')} ({unit.path})",
                      "path": unit.path, "role": unit.role.name, "statements": len(unit.data["statements"]),
                      "computes": ", ".join(names[:12]) + (" …" if len(names) > 12 else "")})
        for consumer in sorted(consumers.get((unit.path, unit.data["scope"]), set()) | {unit.path}):
            side = analysis.roles.files.get(consumer)
            edges.append({"source": node, "target": f"module:{consumer}", "kind": "feeds",
                          "side": side.name if side is not None else UNKNOWN})
        lines = {unit.data["span"].get("line", 0)} | {row[3].get("line", 0) for row in unit.data["statements"]}
        lines |= {feature[3].get("line", 0) for feature in unit.data["features"]}
        sites.extend({"path": unit.path, "line": line, "node": node, "match": ""} for line in sorted(lines) if line)
    for copy in analysis.copies:
        source, target = ids.get(id(copy.serving)), ids.get(id(copy.offline))
        if source and target:
            edges.append({"source": source, "target": target, "kind": "copies",
                          "exact": copy.comparison.exact, "cosine": round(copy.cosine, 3)})
    fitted = [record for records in (facts.data.get(FITTED) or () for facts in project.files.values())
              for record in records]
    return {"nodes": nodes, "edges": edges, "sites": sites,
            "graph": {"feature_units": len(nodes), "feature_copies": len(analysis.copies),
                      "fitted_state_sites": len(fitted)}}


def _feature_node(unit: Unit) -> str:
    scope = unit.data["scope"]
    where = scope if scope != MODULE_SCOPE else f"line-{unit.data['statements'][0][3].get('line', 0)}"
    cell = unit.data["span"].get("cell")
    return f"feature:{unit.path}:{f'cell-{cell}:' if cell is not None and scope == MODULE_SCOPE else ''}{where}"


GRAPH = (graph_contribution,)

RULES = (DuplicatedFeatureLogic, DivergedFeatureLogic, FeatureComputedDifferently, RefitAtServing,
         HardcodedFittedStatistics)
