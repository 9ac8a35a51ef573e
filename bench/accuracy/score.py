"""Score debtscan's findings on the materialised trees against the labels.

    python bench/accuracy/score.py --work DIR [--only owner/name] [--sample N] [--seed S]
                                   [--json OUT] [--min-confidence medium] [--debtscan CMD]
                                   [--rescan] [--label-template]

Each tree WORK/owner+name/ (see materialise.py) is scanned with
`debtscan check TREE --format json --min-confidence low --no-cache --exit-zero`, and the report
is kept in WORK/reports/<version>-<digest>/owner+name.json, where the digest is of debtscan's
source: an unchanged debtscan on an unchanged tree reuses its report, any edit rescans.

A finding matches a label with the same path, the same family, a line at most two away, the
same rule when the label names one and the same notebook cell when the label gives one. It
takes the verdict of the nearest matching label: "yes" makes it a true positive, "no" a false
positive; a finding no label matches is unlabelled. A "yes" label is recalled when a finding at
or above --min-confidence matches it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from materialise import Failure, load_pins, select, slug  # noqa: E402

LEVELS = ("low", "medium", "high")
LINE_SLACK = 2
LABEL_KEYS = {"path", "line", "family", "verdict", "reason"}
OPTIONAL_LABEL_KEYS = {"rule", "cell", "repo", "sampled"}
VERDICTS = {"yes", "no", "?"}


# ---------------------------------------------------------------------------- labels

@dataclass(frozen=True)
class Label:
    repo: str
    path: str
    line: int
    family: str
    verdict: str
    reason: str
    rule: str | None = None
    cell: int | None = None
    sampled: bool = False  # written for a finding drawn by --sample, so free of the labeller's choice
    where: str = ""  # file:line of the label, for messages


def parse_label(repo: str, text: str, where: str) -> Label:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Failure(f"{where}: not JSON ({error.msg})") from None
    if not isinstance(data, dict):
        raise Failure(f"{where}: not a JSON object")
    missing = LABEL_KEYS - data.keys()
    unknown = data.keys() - LABEL_KEYS - OPTIONAL_LABEL_KEYS
    if missing or unknown:
        problems = [f"lacks {', '.join(sorted(missing))}"] if missing else []
        problems += [f"has unknown {', '.join(sorted(unknown))}"] if unknown else []
        raise Failure(f"{where}: {'; '.join(problems)}")
    if data.get("repo", repo) != repo:
        raise Failure(f"{where}: labels {data['repo']}, not {repo}")
    if data["verdict"] not in VERDICTS:
        raise Failure(f"{where}: verdict {data['verdict']!r} is not yes, no or ?")
    for key, kind in (("line", int), ("cell", int), ("path", str), ("family", str), ("rule", str), ("reason", str)):
        value = data.get(key)
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise Failure(f"{where}: {key} must be {'a number' if kind is int else 'a string'}")
    if not isinstance(data.get("sampled", False), bool):
        raise Failure(f"{where}: sampled must be true or false")
    return Label(repo=repo, path=data["path"], line=data["line"], family=data["family"], verdict=data["verdict"],
                 reason=data["reason"], rule=data.get("rule"), cell=data.get("cell"),
                 sampled=data.get("sampled", False), where=where)


def load_labels(folder: Path, repo: str) -> list[Label]:
    path = folder / f"{slug(repo)}.jsonl"
    if not path.is_file():
        return []
    labels = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip():
            labels.append(parse_label(repo, text, f"{path.name}:{number}"))
    return labels


# ---------------------------------------------------------------------------- matching

def matches(finding: dict, label: Label) -> bool:
    if finding["path"] != label.path or finding["family"] != label.family:
        return False
    if abs(finding["line"] - label.line) > LINE_SLACK:
        return False
    if label.rule is not None and finding["rule"] != label.rule:
        return False
    return label.cell is None or finding.get("cell") == label.cell


def places(finding: dict) -> list[dict]:
    """The finding itself and its related locations, each as a finding of its rule there: a
    finding that names several places (draws one missing seed explains) reports each of them."""
    return [finding] + [{**finding, "path": item["path"], "line": item["line"], "cell": item.get("cell")}
                        for item in finding.get("related", [])]


def verdict_of(finding: dict, labels: list[Label]) -> Label | None:
    """The nearest decided label that matches (a label naming the rule wins a tie, then file order)."""
    best, best_key = None, None
    for order, label in enumerate(labels):
        if label.verdict == "?" or not matches(finding, label):
            continue
        key = (abs(finding["line"] - label.line), label.rule is None, order)
        if best_key is None or key < best_key:
            best, best_key = label, key
    return best


def shown(finding: dict, min_confidence: str) -> bool:
    return LEVELS.index(finding["confidence"]) >= LEVELS.index(min_confidence) and not finding.get("suppressed")


def finding_key(repo: str, finding: dict) -> tuple:
    return (repo, finding["path"], finding.get("cell") or 0, finding["line"], finding.get("column", 0),
            finding["rule"], finding["message"])


# ---------------------------------------------------------------------------- scoring

@dataclass
class Tally:
    findings: int = 0
    tp: int = 0
    fp: int = 0
    unlabelled: int = 0
    yes_labels: int = 0
    recalled: int = 0

    def as_dict(self) -> dict:
        return {"findings": self.findings, "tp": self.tp, "fp": self.fp,
                "precision": ratio(self.tp, self.tp + self.fp), "unlabelled": self.unlabelled,
                "yes_labels": self.yes_labels, "recalled": self.recalled,
                "recall": ratio(self.recalled, self.yes_labels)}


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Score:
    min_confidence: str
    families: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    rules: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    levels: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    total: Tally = field(default_factory=Tally)
    sampled: Tally = field(default_factory=Tally)  # shown findings whose label is a sampled one
    unlabelled: list[tuple[str, dict]] = field(default_factory=list)
    pending_labels: int = 0

    def weighted_precision(self) -> tuple[float | None, int]:
        """Each rule's precision weighted by its findings, over the rules with labelled findings;
        also the share of findings those rules hold (in per cent)."""
        judged = [t for t in self.rules.values() if t.tp + t.fp]
        weight = sum(t.findings for t in judged)
        if not weight:
            return None, 0
        value = sum(t.findings * t.tp / (t.tp + t.fp) for t in judged) / weight
        return round(value, 4), round(100 * weight / self.total.findings) if self.total.findings else 0


def score(reports: dict[str, list[dict]], labels: dict[str, list[Label]], min_confidence: str = "medium") -> Score:
    """Tally findings against labels.

    The family, rule and total tallies count findings at or above min_confidence; the levels
    tally counts every finding at its own level, so each level's precision can be read whatever
    the threshold. Recall counts the "yes" labels a shown finding matches.
    """
    result = Score(min_confidence)
    for repo in sorted(set(reports) | set(labels)):
        findings = sorted(reports.get(repo, []), key=lambda f: finding_key(repo, f))
        repo_labels = labels.get(repo, [])
        result.pending_labels += sum(1 for label in repo_labels if label.verdict == "?")
        recalled: set[int] = set()
        for finding in findings:
            if finding.get("suppressed"):
                continue
            label = verdict_of(finding, repo_labels)
            tallies = [result.levels[finding["confidence"]]]
            if shown(finding, min_confidence):
                tallies += [result.families[finding["family"]], result.rules[finding["rule"]], result.total]
                tallies += [result.sampled] if label is not None and label.sampled else []
                recalled.update(id(lab) for lab in repo_labels if lab.verdict == "yes"
                                and any(matches(place, lab) for place in places(finding)))
            for tally in tallies:
                tally.findings += 1
                if label is None:
                    tally.unlabelled += 1
                elif label.verdict == "yes":
                    tally.tp += 1
                else:
                    tally.fp += 1
            if label is None and shown(finding, min_confidence):
                result.unlabelled.append((repo, finding))
        for label in repo_labels:
            if label.verdict != "yes":
                continue
            hit = id(label) in recalled
            tallies = [result.families[label.family], result.total] + ([result.rules[label.rule]] if label.rule else [])
            for tally in tallies:
                tally.yes_labels += 1
                tally.recalled += hit
    return result


def sample(result: Score, size: int, seed: int) -> list[tuple[str, dict]]:
    pool = sorted(result.unlabelled, key=lambda item: finding_key(*item))
    picked = random.Random(seed).sample(pool, min(size, len(pool)))
    return sorted(picked, key=lambda item: finding_key(*item))


def sample_line(repo: str, finding: dict) -> str:
    cell = f"(cell {finding['cell']}) " if finding.get("cell") is not None else ""
    return f"{repo} {finding['path']}:{finding['line']} {finding['rule']} {finding['confidence']} {cell}{finding['message']}"


def template_line(repo: str, finding: dict) -> str:
    entry = {"repo": repo, "path": finding["path"], "line": finding["line"]}
    if finding.get("cell") is not None:
        entry["cell"] = finding["cell"]
    entry.update(family=finding["family"], rule=finding["rule"], verdict="?", reason="", sampled=True)
    return json.dumps(entry)


def stale_labels(labels: dict[str, list[Label]], trees: dict[str, Path], families: set[str]) -> list[str]:
    """Labels whose file is not in the tree or whose family debtscan does not have."""
    problems = []
    for repo in sorted(labels):
        for label in labels[repo]:
            if repo in trees and not (trees[repo] / label.path).is_file():
                problems.append(f"{label.where}: {label.path} is not in the tree")
            if families and label.family not in families:
                problems.append(f"{label.where}: family {label.family!r} is not one of debtscan's")
    return problems


# ---------------------------------------------------------------------------- output

def cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(title: str, rows: dict[str, Tally], name_width: int = 18) -> list[str]:
    head = f"{title:<{name_width}}{'findings':>9}{'TP':>5}{'FP':>5}{'prec':>6}{'unlab':>7}{'yes':>5}{'found':>6}{'recall':>7}"
    lines = [head, "-" * len(head)]
    for name in sorted(rows, key=lambda n: LEVELS.index(n) if n in LEVELS else n):
        t = rows[name]
        lines.append(f"{name:<{name_width}}{t.findings:>9}{t.tp:>5}{t.fp:>5}{cell(ratio(t.tp, t.tp + t.fp)):>6}"
                     f"{t.unlabelled:>7}{t.yes_labels:>5}{t.recalled:>6}{cell(ratio(t.recalled, t.yes_labels)):>7}")
    return lines


def render(result: Score, repos: list[dict], picked: list[tuple[str, dict]], problems: list[str]) -> str:
    out = [f"debtscan findings at or above {result.min_confidence} confidence, against the labels", ""]
    head = f"{'repository':<48}{'files':>6}{result.min_confidence + '+':>8}{'low+':>6}{'labels':>7}  note"
    out += [head, "-" * len(head)]
    for repo in repos:
        out.append(f"{repo['name']:<48}{repo['files']:>6}{repo['shown']:>8}{repo['all']:>6}{repo['labels']:>7}  {repo['note']}".rstrip())
    out += [""] + table("family", result.families)
    out += [""] + table("rule", result.rules)
    out += [""] + table("confidence", result.levels) + ["(each level counts its own findings, whatever --min-confidence)"]
    t = result.total
    weighted, share = result.weighted_precision()
    out += ["", f"total: {t.findings} findings, {t.tp} true, {t.fp} false, {t.unlabelled} unlabelled; "
                f"precision {cell(ratio(t.tp, t.tp + t.fp))} on {t.tp + t.fp} labelled; "
                f"recall {cell(ratio(t.recalled, t.yes_labels))} ({t.recalled} of {t.yes_labels} yes-labels)",
            f"weighted precision (each rule's precision weighted by its findings): {cell(weighted)}"
            f" over the rules with labelled findings ({share}% of the findings)",
            f"precision on the labels of sampled findings: {cell(ratio(result.sampled.tp, result.sampled.findings))}"
            f" on {result.sampled.findings} (the labels written for --sample draws, free of the labeller's choice)"]
    if result.pending_labels:
        out.append(f"labels still to decide (verdict \"?\"): {result.pending_labels}")
    out += ["", f"sample of unlabelled findings ({len(picked)} of {len(result.unlabelled)}):"]
    out += [sample_line(repo, finding) for repo, finding in picked]
    if problems:
        out += ["", "label problems:"] + problems
    return "\n".join(out) + "\n"


def as_json(result: Score, repos: list[dict], picked: list[tuple[str, dict]], problems: list[str], meta: dict) -> dict:
    weighted, share = result.weighted_precision()
    return {
        **meta,
        "min_confidence": result.min_confidence,
        "repos": repos,
        "families": {k: v.as_dict() for k, v in sorted(result.families.items())},
        "rules": {k: v.as_dict() for k, v in sorted(result.rules.items())},
        "confidence": {k: result.levels[k].as_dict() for k in LEVELS if k in result.levels},
        "total": result.total.as_dict(),
        "sampled": result.sampled.as_dict(),
        "weighted_precision": weighted,
        "weighted_precision_share_percent": share,
        "pending_labels": result.pending_labels,
        "sample": [{"repo": repo, **{k: f.get(k) for k in ("path", "line", "cell", "rule", "family", "confidence", "message")}}
                   for repo, f in picked],
        "label_problems": problems,
    }


# ---------------------------------------------------------------------------- running debtscan

DIGEST_SCRIPT = """
import hashlib, importlib.util, json, os, sys
names = ["debtscan", "debtscan.rules", "debtscan.rules.catalog", "debtscan.report"]
digest, roots = hashlib.sha256(), set()
for name in names:
    spec = importlib.util.find_spec(name)
    roots.update(spec.submodule_search_locations or [])
for root in sorted(roots):
    for folder, dirs, files in sorted(os.walk(root)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for file in sorted(files):
            if file.endswith((".py", ".toml", ".json", ".yaml", ".yml", ".txt")):
                path = os.path.join(folder, file)
                digest.update(os.path.relpath(path, root).encode() + b"\\0")
                with open(path, "rb") as handle:
                    digest.update(handle.read() + b"\\0")
import debtscan
print(json.dumps({"version": debtscan.__version__, "digest": digest.hexdigest()}))
"""


def interpreter_of(command: list[str]) -> str | None:
    """The Python that runs this debtscan command, when it can be told."""
    if len(command) >= 3 and command[1:3] == ["-m", "debtscan"]:
        return command[0]
    script = shutil.which(command[0])
    if len(command) == 1 and script:
        try:
            with open(script, "rb") as handle:
                first = handle.readline().decode(errors="replace")
        except OSError:
            return None
        if first.startswith("#!") and "python" in first:
            return first[2:].strip().split()[0]
    return None


def identify(command: list[str]) -> dict:
    """debtscan's version and source digest; digest None when the source cannot be found."""
    python = interpreter_of(command)
    if python:
        done = subprocess.run([python, "-c", DIGEST_SCRIPT], capture_output=True, text=True)
        if done.returncode == 0:
            return json.loads(done.stdout)
    try:
        done = subprocess.run(command + ["--version"], capture_output=True, text=True)
    except OSError as error:
        raise Failure(f"cannot run {shlex.join(command)}: {error.strerror}") from None
    if done.returncode != 0:
        raise Failure(f"cannot run {shlex.join(command)}: {(done.stderr or done.stdout).strip()[-300:]}")
    return {"version": done.stdout.strip().split()[-1], "digest": None}


def families_of(command: list[str]) -> set[str]:
    done = subprocess.run(command + ["rules", "--format", "json"], capture_output=True, text=True)
    try:
        return {rule["family"] for rule in json.loads(done.stdout)}
    except (json.JSONDecodeError, KeyError, TypeError):
        return set()


def scan(command: list[str], tree: Path, jobs: int | None) -> dict:
    """Run debtscan on one tree: {"exit": code, "error": text or None, "report": report or None}."""
    arguments = ["check", str(tree), "--format", "json", "--min-confidence", "low", "--no-cache", "--exit-zero"]
    if jobs:
        arguments += ["--jobs", str(jobs)]
    done = subprocess.run(command + arguments, capture_output=True, text=True)
    error, report = None, None
    if done.returncode in (0, 1):
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            error = "the report is not JSON"
    else:
        error = f"exit {done.returncode}"
    if error or report.get("errors"):
        tail = done.stderr.strip().splitlines()[-3:]
        error = "; ".join(filter(None, [error, *map(str, (report or {}).get("errors", [])[:3]), *tail]))
    return {"exit": done.returncode, "error": error, "report": report}


def tree_digest(tree: Path) -> str:
    """A digest of the tree's file names and sizes, so that a tree changed in place is scanned again."""
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(tree):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            size = path.lstat().st_size
            digest.update(f"{path.relative_to(tree).as_posix()}\0{size}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def report_for(pin: dict, work: Path, command: list[str], identity: dict, rescan: bool, jobs: int | None) -> dict:
    tree, stamp = work / slug(pin["name"]), work / f"{slug(pin['name'])}.commit"
    stamp_text = (stamp.read_text().strip() if stamp.is_file() else "") + " " + tree_digest(tree)
    cached = None
    if identity["digest"]:
        folder = work / "reports" / f"{identity['version']}-{identity['digest'][:12]}"
        cached = folder / f"{slug(pin['name'])}.json"
        if not rescan and cached.is_file():
            kept = json.loads(cached.read_text())
            if kept.get("tree") == stamp_text and kept.get("command") == command:
                return kept
    result = {"tree": stamp_text, "command": command, **scan(command, tree, jobs)}
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(".tmp")
        temporary.write_text(json.dumps(result))
        os.replace(temporary, cached)
    return result


# ---------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", required=True, type=Path, help="the folder materialise.py wrote")
    parser.add_argument("--only", action="append", metavar="OWNER/NAME", help="only this repository (repeatable)")
    parser.add_argument("--sample", type=int, default=20, metavar="N", help="unlabelled findings to list [default: 20]")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample [default: 0]")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--min-confidence", choices=LEVELS, default="medium", help="[default: medium]")
    parser.add_argument("--debtscan", metavar="CMD", help="command that runs debtscan [default: this Python -m debtscan]")
    parser.add_argument("--rescan", action="store_true", help="scan again even when a report is kept")
    parser.add_argument("--jobs", type=int, help="debtscan worker processes [default: debtscan's]")
    parser.add_argument("--label-template", action="store_true",
                        help="print the sampled unlabelled findings as JSONL label lines to edit, and nothing else")
    parser.add_argument("--pins", type=Path, default=HERE / "pins.toml", help="pins file [default: the one beside this script]")
    parser.add_argument("--labels", type=Path, default=HERE / "labels", help="labels folder [default: the one beside this script]")
    args = parser.parse_args(argv)
    command = shlex.split(args.debtscan) if args.debtscan else [sys.executable, "-m", "debtscan"]
    progress = sys.stderr
    if not args.work.is_dir():
        print(f"error: --work {args.work} is not a folder (write the trees with materialise.py first)", file=sys.stderr)
        return 2
    try:
        pins = select(load_pins(args.pins), args.only)
        identity = identify(command)
        labels = {pin["name"]: load_labels(args.labels, pin["name"]) for pin in pins}
    except Failure as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    reports, repos, trees = {}, [], {}
    for pin in pins:
        name, tree = pin["name"], args.work / slug(pin["name"])
        row = {"name": name, "commit": pin["commit"], "kind": pin["kind"], "files": 0, "shown": 0, "all": 0,
               "labels": sum(1 for label in labels[name] if label.verdict != "?"), "note": ""}
        repos.append(row)
        if not tree.is_dir():
            row["note"] = "not materialised"
            continue
        trees[name] = tree
        print(f"scanning {name}", file=progress, flush=True)
        kept = report_for(pin, args.work, command, identity, args.rescan, args.jobs)
        if kept["report"] is None:
            row["note"] = f"error: {kept['error']}"
            continue
        findings = [f for f in kept["report"]["findings"] if not f.get("suppressed")]
        reports[name] = findings
        row.update(files=kept["report"]["summary"]["files"], all=len(findings),
                   shown=sum(1 for f in findings if shown(f, args.min_confidence)))
        if kept["error"]:
            row["note"] = f"errors: {kept['error']}"
    result = score(reports, {name: labels[name] for name in reports}, args.min_confidence)
    picked = sample(result, args.sample, args.seed)
    if args.label_template:
        sys.stdout.write("".join(template_line(repo, finding) + "\n" for repo, finding in picked))
        return 0
    problems = stale_labels(labels, trees, families_of(command))
    sys.stdout.write(render(result, repos, picked, problems))
    if args.json:
        meta = {"debtscan": identity["version"], "source_digest": identity["digest"], "seed": args.seed}
        args.json.write_text(json.dumps(as_json(result, repos, picked, problems, meta), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
