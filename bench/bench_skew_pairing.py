"""Benchmark: the DS4xx pairing stage on 10k, 20k and 40k generated feature functions.

    python bench/bench_skew_pairing.py                 # 10k, 20k, 40k
    python bench/bench_skew_pairing.py --sizes 2000 4000

Generates feature functions from templates that data-science code is full of (column
assignments, clipped ratios, thresholds, log transforms, row dicts), half of them "training"
and half "serving", and plants copies of training functions among the serving ones: exact
copies with renamed locals, copies with one diverged constant, and copies with one statement
added. Every function goes through the real per-file collector (`FeatureCollector`, one parse
per generated file, not timed); then the pairing stage -- TF-IDF vectorisation and the
LSH cosine neighbours of `rules.skew.nearest_pairs` -- is timed on one core, and so is the
structural confirmation of the pairs it proposes. Prints, per size, the seconds taken, the
growth against n·log n, and how many planted copies were found.
"""

from __future__ import annotations

import argparse
import math
import os
import pickle
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor

# One core for the timed stage: BLAS threads would otherwise hide the algorithm's cost.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

from debtscan.catalog import load_catalog  # noqa: E402
from debtscan.engine import ScanSetup, analyze_source  # noqa: E402
from debtscan.rules.features import FeatureCollector  # noqa: E402
from debtscan.rules.skew import compare_units, nearest_pairs, vectorise  # noqa: E402

FUNCTIONS_PER_FILE = 200
PLANTED_SHARE = 0.05  # of the serving functions, each a copy of some training function

WORDS = ("age", "income", "tenure", "balance", "limit", "spend", "visits", "clicks", "orders", "returns", "distance",
         "duration", "rating", "price", "discount", "weight", "height", "score", "count", "amount", "calls", "days",
         "sessions", "errors", "tickets", "views", "items", "stops", "trips", "loans")
SUFFIXES = ("", "_30d", "_90d", "_total", "_avg", "_max", "_min", "_ratio", "_rate", "_log", "_flag", "_band")

TEMPLATES = (
    '{v}["{a}"] = np.log1p({v}["{b}"])',
    '{v}["{a}"] = {v}["{b}"] / {v}["{c}"].clip(lower={k})',
    '{v}["{a}"] = ({v}["{b}"] >= {k}).astype(int)',
    '{v}["{a}"] = {v}["{b}"].fillna({k})',
    '{v}["{a}"] = {v}["{b}"] * {f} + {v}["{c}"]',
    '{v}["{a}"] = ({v}["{b}"] - {f}) / {g}',
    '{v}["{a}"] = {v}["{b}"].dt.hour',
    '{v}["{a}"] = {v}["{b}"].str.lower().map({{"basic": 0, "pro": 1, "team": 2}})',
    '{v}["{a}"] = np.where({v}["{b}"] > {k}, {v}["{c}"], 0)',
)


def column(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)}{rng.choice(SUFFIXES)}_{rng.randrange(400)}"


def statement(rng: random.Random, frame: str) -> str:
    return rng.choice(TEMPLATES).format(v=frame, a=column(rng), b=column(rng), c=column(rng), k=rng.randrange(1, 100),
                                        f=round(rng.uniform(0.5, 90), 1), g=round(rng.uniform(1, 20), 1))


def function(name: str, body: list[str], frame: str) -> str:
    lines = [f"def {name}({frame}):", f"    {frame} = {frame}.copy()"]
    lines += [f"    {line}" for line in body]
    lines.append(f"    return {frame}")
    return "\n".join(lines) + "\n"


NUMBER = re.compile(r'(?<![\w."])\d+(?:\.\d+)?(?![\w"])')  # a literal, not part of a name or a column


def diverge(line: str, rng: random.Random) -> str:
    """The same statement with one numeric literal changed (a constant that drifted)."""
    numbers = list(NUMBER.finditer(line))
    if not numbers:  # no constant: an operation that drifted instead
        return line.replace("np.log1p", "np.log").replace(".dt.hour", ".dt.minute")
    found = rng.choice(numbers)
    return line[:found.start()] + str(int(float(found.group())) + 1) + line[found.end():]


def generate(total: int, seed: int = 0):
    """(source files, side per function in file order, planted pairs as (serving, training) names)."""
    rng = random.Random(seed)
    bodies: dict[str, list[str]] = {}
    sides: dict[str, int] = {}
    planted: list[tuple[str, str, str]] = []
    training = []
    for number in range(total):
        name = f"f{number}"
        side = number % 2  # 0 training, 1 serving
        sides[name] = side
        if side == 1 and training and rng.random() < 2 * PLANTED_SHARE:
            original = rng.choice(training)
            body = list(bodies[original])
            kind = rng.choice(("exact", "diverged", "extended"))
            if kind == "diverged":
                where = rng.randrange(len(body))
                body[where] = diverge(body[where], rng)
            elif kind == "extended":
                body.insert(rng.randrange(len(body) + 1), statement(rng, "df"))
            bodies[name] = body
            planted.append((name, original, kind))
        else:
            bodies[name] = [statement(rng, "df") for _ in range(rng.randint(3, 8))]
            if side == 0:
                training.append(name)
    files = []
    names = list(bodies)
    for start in range(0, len(names), FUNCTIONS_PER_FILE):
        chunk = names[start:start + FUNCTIONS_PER_FILE]
        frame = ("df", "frame", "data", "table")[start // FUNCTIONS_PER_FILE % 4]
        text = "import numpy as np\nimport pandas as pd\n\n\n" + "\n\n".join(
            function(name, [line.replace('df["', f'{frame}["').replace("(df[", f"({frame}[") for line in bodies[name]], frame)
            for name in chunk)
        files.append(text)
    return files, sides, planted


def _units(text: str) -> list[dict]:
    setup = ScanSetup(file_rules=(), collectors=(FeatureCollector,), catalog=load_catalog())
    result = analyze_source(text.encode(), "generated.py", "generated", False, setup)
    return result.facts.data.get("features", {}).get("units", [])


def extract(files: list[str], jobs: int) -> list[dict]:
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return [unit for units in pool.map(_units, files, chunksize=1) for unit in units]


def measure(units: list[dict], sides: dict[str, int], planted: list[tuple[str, str, str]]):
    """CPU seconds of the pairing stage and of confirmation (one thread: CPU time is what one
    core spends, whatever else the machine is running), wall seconds, and the copies found."""
    side = [sides[unit["scope"]] for unit in units]
    wall, start = time.perf_counter(), time.process_time()
    vectors = vectorise([unit["grams"] for unit in units])
    pairs = nearest_pairs(vectors, side)
    paired, wall = time.process_time() - start, time.perf_counter() - wall
    start = time.process_time()
    confirmed = {(units[a]["scope"], units[b]["scope"]) for a, b, _ in pairs
                 if compare_units(units[a], units[b]) is not None}
    confirming = time.process_time() - start
    found = {kind: [0, 0] for kind in ("exact", "diverged", "extended")}
    for serving, original, kind in planted:
        found[kind][1] += 1
        found[kind][0] += (serving, original) in confirmed
    return paired, wall, confirming, len(pairs), len(confirmed), found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 20_000, 40_000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for generating facts")
    parser.add_argument("--units", metavar="FILE", help="keep the generated units in FILE (pickle) and reuse them")
    args = parser.parse_args()
    largest = max(args.sizes)
    import sklearn.feature_extraction.text  # noqa: F401  (imported before timing: the import is not the stage)
    import sklearn.random_projection  # noqa: F401
    print(f"generating {largest:,} functions and collecting their facts ({args.jobs} processes, not timed)…",
          flush=True)
    started = time.perf_counter()
    files, sides, planted = generate(largest)
    if args.units and os.path.exists(args.units):
        with open(args.units, "rb") as handle:
            units = pickle.load(handle)
        print(f"  (the units were read from {args.units}, kept by an earlier run)")
    else:
        units = extract(files, args.jobs)
        if args.units:
            with open(args.units, "wb") as handle:
                pickle.dump(units, handle)
    print(f"  {len(units):,} feature units from {len(files)} files in {time.perf_counter() - started:.1f} s\n")
    print(f"{'functions':>10} {'pairing s':>10} {'(wall s)':>9} {'per n·log n':>12} {'pairs':>7} {'confirm s':>10} "
          f"{'copies':>7}  planted copies found (exact / diverged / extended)")
    base = None
    for size in sorted(args.sizes):
        subset = [unit for unit in units if int(unit["scope"][1:]) < size]
        wanted = [item for item in planted if int(item[0][1:]) < size]
        paired, wall, confirming, proposed, confirmed, found = measure(subset, sides, wanted)
        ratio = paired / (size * math.log(size))
        base = base or ratio
        recall = " / ".join(f"{hit}/{total}" for hit, total in found.values())
        print(f"{size:>10,} {paired:>10.2f} {wall:>9.2f} {ratio / base:>11.2f}x {proposed:>7,} {confirming:>10.2f} "
              f"{confirmed:>7,}  {recall}", flush=True)
    print("\nSeconds are CPU seconds of one core (vectorising and pairing; confirming apart). 'per n·log n'"
          " is that time divided by n·log n, relative to the smallest size: it stays near 1.0 (or falls)"
          " when the stage grows no faster than n·log n.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
