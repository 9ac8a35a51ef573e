"""Hard-coded paths and URIs (DS2xx): locations written into code instead of configuration.

A path that exists on one machine ties the code to that machine; a bucket or database URL in
code ties every environment to one deployment. One visitor classifies every string literal
once; the rules below differ only in what they report. Strings that are prose, routes,
regexes or formats (docstrings, `help=`, `@app.route`, `re.compile`, `strftime`) are skipped
by context, and confidence grows with evidence that the literal is used as a location.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import libcst as cst

from debtscan.catalog import CatalogIndex, index_by_name
from debtscan.literals import string_value
from debtscan.model import Confidence, Severity
from debtscan.rule import FileRule

FAMILY = "hardcoded-path"
WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
UNC = re.compile(r"^\\\\[^\\/\s]+[\\/][^\\/\s]+")
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9]*)((?:\+[A-Za-z0-9]+)*)://")
DBFS = re.compile(r"^dbfs:/")
CREDENTIALS = re.compile(r"^[^:/]+(?:\+[^:/]+)*://(?P<user>[^:/@\s]*):(?P<password>[^@\s]+)@")
REGEX_HINTS = ("(?", "\\d", "\\w", "\\s", ".*", ".+", "[^", "\\.", "(.*)", "$")
MAX_SHOWN = 60


@dataclass(frozen=True)
class PathKind:
    code: str
    detail: str
    strong: bool  # unambiguous by shape alone (a user's home, a drive letter, a URI)


class PathIndex(CatalogIndex):

    def __init__(self, catalog: dict[str, Any]) -> None:
        settings = catalog.get("paths", {})
        self.roots = set(settings.get("well_known_roots", []))
        self.user_roots = set(settings.get("user_roots", []))
        self.scratch_roots = set(settings.get("scratch_roots", []))
        self.system_prefixes = tuple(settings.get("system_prefixes", []))
        self.system_exact = set(settings.get("system_exact", []))
        self.cloud = set(settings.get("cloud_schemes", []))
        self.connection = set(settings.get("connection_schemes", []))
        self.path_words = tuple(settings.get("path_name_words", []))
        self.route_words = tuple(settings.get("route_name_words", []))
        self.path_calls = index_by_name(catalog.get("path_functions", []))
        self.path_methods = {m for entry in catalog.get("path_functions", []) for m in entry.get("methods", [])}
        self.non_path_calls = index_by_name(catalog.get("non_path_calls", []))
        self.non_path_methods = {m for entry in catalog.get("non_path_calls", []) for m in entry.get("methods", [])}
        self.text_keywords = {k for entry in catalog.get("non_path_calls", []) for k in entry.get("text_keywords", [])}
        self.cli_methods = {m for entry in catalog.get("non_path_calls", []) for m in entry.get("cli_option_methods", [])}


    def classify(self, text: str) -> PathKind | None:
        """What kind of hard-coded location `text` starts with, if any."""
        text = text.strip()
        if not text or "\n" in text or len(text) > 400:
            return None
        scheme = SCHEME.match(text)
        if scheme:
            base = scheme.group(1).lower()
            full = (base + scheme.group(2)).lower()
            if base in ("sqlite", "duckdb") or full.startswith(("sqlite", "duckdb")):
                # sqlite:///relative.db is a project-local file; sqlite:////abs/x.db is one machine's
                rest = text[scheme.end():]
                return PathKind("DS205", "database", True) if rest.startswith("//") else None
            if base in self.connection or full in self.connection:
                return PathKind("DS205", "database", True)
            if base in self.cloud:
                if not text[scheme.end():].strip("/"):
                    return None  # `f"gs://{cfg.bucket}/…"`: the bucket comes from configuration
                return PathKind("DS204", base, True)
            return None
        if DBFS.match(text):
            return PathKind("DS204", "dbfs", True)
        if text.startswith("~"):
            if text == "~" or text.startswith("~/."):
                return None
            if text.startswith("~/") or re.match(r"^~[A-Za-z_][\w.-]*(/|$)", text):
                return PathKind("DS202", "home", True)
            return None
        windows = WINDOWS_DRIVE.match(text)
        if windows:
            parts = re.split(r"[\\/]+", text)
            if len(parts) >= 3 and parts[1].lower() == "users" and parts[2]:
                return PathKind("DS202", "windows-user", True)
            return PathKind("DS203", "drive", True)
        if UNC.match(text):
            return PathKind("DS203", "unc", True)
        if not text.startswith("/") or text.startswith("//"):
            return None
        if text in self.system_exact or text.startswith(self.system_prefixes) or text in ("/", "/*"):
            return None
        if any(hint in text for hint in REGEX_HINTS) or "%" in text:
            return None
        segments = [segment for segment in text.split("/") if segment]
        if not segments:
            return None
        first = segments[0]
        if " " in text and first not in self.roots:
            return None
        if "{" in first or ":" in first or "<" in first:
            return None
        if "<" in text and ">" in text:
            return None  # a Flask route converter such as /api/<int:id>
        if "{" in text and first not in self.roots:
            return None  # a route template such as /items/{item_id}; /data/{}.csv stays a path
        if first in self.user_roots and first != "root" and len(segments) >= 2:
            return PathKind("DS202", "home", True)
        # `/root/...` is the home of the superuser a container runs as: a container's layout
        # (absolute, like `/app/...`), not one person's machine
        extension = re.search(r"\.[A-Za-z0-9]{1,8}$", segments[-1]) is not None
        if first in self.scratch_roots:
            return PathKind("DS201", "scratch", False)
        if len(segments) >= 2 or first in self.roots or extension:
            return PathKind("DS201", "absolute", first in self.roots or extension)
        return None


def _string_value(node: cst.BaseExpression) -> str | None:
    """The text a string literal starts with (an f-string's leading constant part)."""
    if isinstance(node, cst.SimpleString):
        value = string_value(node)
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        return _string_value(node.left)
    if isinstance(node, cst.FormattedString):
        head = node.parts[0] if node.parts else None
        return head.value if isinstance(head, cst.FormattedStringText) else None
    return None


def _shown(text: str) -> str:
    text = text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"
    return text


def redact(text: str) -> tuple[str, str | None]:
    """The connection string with its password masked, and the password (for snippets)."""
    match = CREDENTIALS.match(text)
    if not match or not match.group("password"):
        return text, None
    password = match.group("password")
    return text.replace(f":{password}@", ":***@", 1), password


class PathScanner(FileRule):
    """The one visitor behind every DS2xx rule (it is not a rule itself)."""

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.index = PathIndex.of(ctx.catalog)
        self.skip: set[int] = set()
        self.decorators = 0
        self.annotations = 0
        self.calls: list[str] = []  # "path", "nonpath" or "other" for each enclosing call
        self.roles: dict[int, tuple[str, str]] = {}  # id(string) -> (role, name)
        self.pending: list[tuple[cst.CSTNode, PathKind, str, str | None]] = []
        self.names_used_as_paths: set[str] = set()
        self.enabled = set(ctx.options.get("enabled", [rule.code for rule in PATH_RULES]))

    # context ----------------------------------------------------------------------------
    def visit_Decorator(self, node) -> None:
        self.decorators += 1

    def leave_Decorator(self, node) -> None:
        self.decorators -= 1

    def visit_Annotation(self, node) -> None:
        self.annotations += 1

    def leave_Annotation(self, node) -> None:
        self.annotations -= 1

    def visit_Expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self.skip.add(id(node.value))  # docstrings and bare string statements are prose

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) not in self.skip:
            self._consider(node)
        for part in (node.left, node.right):
            self.skip.add(id(part))

    def visit_Call(self, node: cst.Call) -> None:
        kind = "other"
        name = self.ctx.qualify(node.func)
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else None
        if name and name in self.index.non_path_calls or method in self.index.non_path_methods:
            kind = "nonpath"
        elif method in self.index.cli_methods or (isinstance(node.func, cst.Name) and node.func.value in self.index.cli_methods):
            kind = "cli"
        elif name and name in self.index.path_calls or method in self.index.path_methods:
            kind = "path"
        if name and name.startswith("builtins.") and kind == "other" and name not in ("builtins.open",):
            kind = "other"
        self.calls.append(kind)
        if kind == "path":
            for arg in node.args:
                used = arg.value
                if isinstance(used, cst.Name):
                    self.names_used_as_paths.add(used.value)
                elif isinstance(used, cst.Attribute):
                    self.names_used_as_paths.add(used.attr.value)
        for position, arg in enumerate(node.args):
            if arg.keyword is not None:
                self.roles[id(arg.value)] = ("keyword", arg.keyword.value)
            elif kind == "cli" and position == 1:
                self.roles[id(arg.value)] = ("keyword", "default")  # flags.DEFINE_string(name, default, help)
            else:
                self.roles[id(arg.value)] = ("argument", "")

    def leave_Call(self, node: cst.Call) -> None:
        self.calls.pop()

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        # `data_root + "/*.jpg"` and `base_url + "/v1/predict"`: a suffix of something built
        # elsewhere, not a location on its own
        if isinstance(node.operator, (cst.Add, cst.Divide)) and _string_value(node.left) is None:
            self.skip.add(id(node.right))

    def visit_Assign(self, node: cst.Assign) -> None:
        target = node.targets[0].target if len(node.targets) == 1 else None
        name = _target_name(target)
        if name is not None:
            self.roles[id(node.value)] = ("assign", name)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        name = _target_name(node.target)
        if name is not None and node.value is not None:
            self.roles[id(node.value)] = ("assign", name)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self.roles[id(node.default)] = ("assign", node.name.value)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key) if isinstance(node.key, cst.SimpleString) else None
        if isinstance(key, str):
            self.roles[id(node.value)] = ("assign", key)
        self.skip.add(id(node.key))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                self.skip.add(id(element.slice.value))  # `cfg["/a/b"]` is a key, not a location

    def visit_Comparison(self, node: cst.Comparison) -> None:
        for target in node.comparisons:
            self.skip.add(id(target.comparator))
        self.skip.add(id(node.left))

    # strings ----------------------------------------------------------------------------
    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if id(node) not in self.skip:
            self._consider(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        if id(node) not in self.skip:
            self._consider(node)

    def _consider(self, node: cst.BaseExpression) -> None:
        if self.decorators or self.annotations:
            return
        text = _string_value(node)
        if text is None:
            return
        kind = self.index.classify(text)
        if kind is None or kind.code not in self.enabled:
            return
        leaked = kind.code == "DS205" and redact(text)[1] is not None
        context = self.calls[-1] if self.calls else "other"
        if context == "nonpath" and not leaked:
            return  # a regex, a route, a format, an assertion or a lookup default
        role, name = self.roles.get(id(node), ("other", ""))
        if role == "keyword" and name in self.index.text_keywords:
            return
        if context == "cli" and role == "keyword" and name == "default" and not leaked:
            # a command-line default: a starting point users override, weak evidence of debt
            self.pending.append((node, kind, "low" if kind.code in ("DS201", "DS204") else "medium", None))
            return
        lowered = name.lower()
        if kind.code == "DS201" and role in ("assign", "keyword") and any(word in lowered for word in self.index.route_words):
            if not any(word in lowered for word in self.index.path_words if word not in ("uri",)):
                return
        in_path_call = role in ("argument", "keyword") and context == "path"
        if kind.detail == "scratch":
            confidence = "low"  # /tmp exists on every POSIX machine
        elif in_path_call or (kind.strong and kind.code != "DS201"):
            confidence = "high"  # used as a location, or unmistakable by shape (a home, a drive, a URI)
        elif role in ("assign", "keyword") and any(word in lowered for word in self.index.path_words):
            confidence = "medium"
        elif kind.strong:
            confidence = "medium"  # starts at a well-known data root, or names a file
        else:
            confidence = "low"
        self.ctx.note(node)  # reported at the end of the module
        self.pending.append((node, kind, confidence, name if role == "assign" else None))

    def leave_Module(self, node: cst.Module) -> None:
        for string, kind, confidence, assigned_to in self.pending:
            if assigned_to and assigned_to in self.names_used_as_paths:
                confidence = "high"
            text = _string_value(string) or ""
            RULE_BY_CODE[kind.code].emit(self, string, text, kind, Confidence.parse(confidence))


def _target_name(target) -> str | None:
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Attribute):
        return target.attr.value
    if isinstance(target, cst.Subscript) and len(target.slice) == 1:
        index = target.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
            value = index.value.evaluated_value
            return value if isinstance(value, str) else None
    return None


class _PathRule(FileRule):
    """Reporting for one kind of location; the shared `PathScanner` does the finding."""

    family = FAMILY
    fix = "Read the location from config, an environment variable or a CLI argument."

    def __init__(self, ctx) -> None:  # pragma: no cover - path rules never visit on their own
        super().__init__(ctx)

    @classmethod
    def emit(cls, scanner: PathScanner, node, text: str, kind: PathKind, confidence: Confidence) -> None:
        message = cls.message(text, kind)
        scanner.ctx.report(cls, node, message, confidence=confidence, fix=cls.fix)

    @classmethod
    def message(cls, text: str, kind: PathKind) -> str:
        raise NotImplementedError


class AbsolutePath(_PathRule):
    """An absolute filesystem path written into code.

    ## What it does
    Finds string literals that start with an absolute POSIX path (`/data/train.csv`,
    `/mnt/models/`), skipping device files, URL routes, regexes, formats and prose. Confidence
    is high when the literal is passed to a call that takes a path, medium when it is assigned
    to a path-like name or starts at a well-known data root, low otherwise.

    ## Why is this bad?
    The code runs only where that directory exists: on one server, in one container layout.
    Moving data, sharing the project or running it in CI means editing code.

    ## Example
    ```python
    import pandas as pd

    df = pd.read_csv("/data/churn/train.csv")
    ```

    ## Use instead
    ```python
    import os
    from pathlib import Path

    DATA_DIR = Path(os.environ.get("DATA_DIR", "data"))
    df = pd.read_csv(DATA_DIR / "churn" / "train.csv")
    ```
    """

    code = "DS201"
    name = "absolute-path"
    summary = "An absolute filesystem path hard-coded in code"
    VALID = (
        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/api/v1/predict')\ndef predict():\n    return '/ok'\n",
        "import re\nPATTERN = re.compile(r'^/data/(\\d+)$')\n",
        "with open('/dev/null', 'w') as sink:\n    pass\n",
    )
    INVALID = (
        "import pandas as pd\ndf = pd.read_csv('/data/churn/train.csv')\n",
        "CHECKPOINT_DIR = '/mnt/checkpoints/run1'\n",
    )

    @classmethod
    def message(cls, text, kind):
        return (f"Absolute path `{_shown(text)}` is hard-coded, so this code only runs where that exact "
                f"location exists.")


class UserSpecificPath(_PathRule):
    """A path inside one person's home directory.

    ## What it does
    Finds paths under `/home/<user>`, `/Users/<user>`, `C:\\Users\\<user>` and `~/`
    (except dot-directories such as `~/.cache`, which are per-user by convention). `/root/…`
    is a container's layout (it runs as root), so it is an absolute path (DS201) instead.

    ## Why is this bad?
    The code works only on the author's machine: everyone else, and every server and CI
    runner, must edit it before it runs.

    ## Example
    ```python
    df = pd.read_csv("/home/alice/projects/churn/data.csv")
    ```

    ## Use instead
    ```python
    df = pd.read_csv(Path(args.data_dir) / "data.csv")
    ```
    """

    code = "DS202"
    name = "user-specific-path"
    summary = "A path inside one person's home directory"
    fix = "Take the location from config or the command line; never from one person's home directory."
    VALID = ("import os\ncache = os.path.expanduser('~/.cache/debtscan')\n",)
    INVALID = ("import pandas as pd\ndf = pd.read_csv('/home/alice/data.csv')\n", "model_dir = r'C:\\Users\\bob\\models'\n")

    @classmethod
    def message(cls, text, kind):
        return f"Path `{_shown(text)}` points into one person's home directory, so it breaks on every other machine."


class WindowsPath(_PathRule):
    """A Windows drive-letter or network-share path.

    ## What it does
    Finds literals that start with a drive letter (`D:\\data\\x.csv`, `E:/models`) or a UNC
    share (`\\\\server\\share`).

    ## Why is this bad?
    The path exists on one Windows machine only; on Linux servers, containers and CI it is
    meaningless, so training or serving fails there.

    ## Example
    ```python
    sales = pd.read_csv(r"D:\\forecast\\sales.csv")
    ```

    ## Use instead
    ```python
    sales = pd.read_csv(Path(config.data_dir) / "sales.csv")
    ```
    """

    code = "DS203"
    name = "windows-path"
    summary = "A Windows drive-letter or UNC path hard-coded in code"
    VALID = ("ratio = 'D:E'\n",)
    INVALID = ("import pandas as pd\ndf = pd.read_csv(r'D:\\data\\sales.csv')\n",)

    @classmethod
    def message(cls, text, kind):
        return f"Windows path `{_shown(text)}` is hard-coded, so the code runs only on that one Windows machine."


class CloudUri(_PathRule):
    """A cloud storage URI written into code.

    ## What it does
    Finds `s3://`, `gs://`, `abfs://`, `wasbs://`, `hdfs://`, `dbfs:/` and similar URIs.

    ## Why is this bad?
    The bucket, the account and the layout of one environment are fixed in code: development,
    staging and production cannot point at different data without a code change, and data
    moves silently break the pipeline (an undeclared data dependency).

    ## Example
    ```python
    df = pd.read_parquet("s3://acme-ml/churn/2024-05/train.parquet")
    ```

    ## Use instead
    ```python
    df = pd.read_parquet(config["data"]["train_uri"])
    ```
    """

    code = "DS204"
    name = "cloud-uri"
    summary = "A cloud storage URI hard-coded in code"
    fix = "Move the URI into config (per environment) and pass it in."
    VALID = ("url = 'https://example.com/data.csv'\n",)
    INVALID = ("TRAIN_URI = 's3://acme-ml/churn/train.parquet'\n",)

    @classmethod
    def message(cls, text, kind):
        return (f"Cloud storage URI `{_shown(text)}` is hard-coded, so every environment reads and writes "
                f"the same location.")


class ConnectionString(_PathRule):
    """A database or broker connection string written into code.

    ## What it does
    Finds connection URLs such as `postgresql://…`, `mysql+pymysql://…`, `mongodb://…`,
    `redis://…` and `sqlite:///…`. When the URL embeds a password the severity is error and the
    password is masked in every report.

    ## Why is this bad?
    The database of one environment is fixed in code, and an embedded password is a leaked
    credential: it is in the repository history for good.

    ## Example
    ```python
    engine = create_engine("postgresql://etl:s3cret@db.internal:5432/sales")
    ```

    ## Use instead
    ```python
    engine = create_engine(os.environ["SALES_DB_URL"])
    ```
    """

    code = "DS205"
    name = "connection-string"
    summary = "A database connection string (and perhaps a password) in code"
    fix = "Read the connection URL from the environment or a secrets manager; rotate any password that was committed."
    VALID = ("import os\nurl = os.environ['DATABASE_URL']\n",)
    INVALID = ("DB = 'postgresql://etl:hunter2@db:5432/sales'\n", "DB = 'redis://cache:6379/0'\n")

    @classmethod
    def emit(cls, scanner, node, text, kind, confidence):
        shown, password = redact(text)
        if password:
            message = (f"Connection string `{_shown(shown)}` embeds a password in code: the credential is leaked "
                       f"to everyone with the repository.")
            scanner.ctx.report(cls, node, message, confidence=confidence, severity=Severity.ERROR, fix=cls.fix,
                               redact=(password,))
        else:
            message = f"Connection string `{_shown(shown)}` is hard-coded, so every environment uses the same database."
            scanner.ctx.report(cls, node, message, confidence=confidence, fix=cls.fix)


PATH_RULES = (AbsolutePath, UserSpecificPath, WindowsPath, CloudUri, ConnectionString)
RULE_BY_CODE = {rule.code: rule for rule in PATH_RULES}
RULES = PATH_RULES
# The scanner runs when any path rule is enabled; the registry wires it in.
SCANNERS = {PathScanner: PATH_RULES}
