"""DS0xx: debtscan's own findings about what it could not read or what suppressions do.

These are produced by the runner rather than by visitors, but they are rules like any other:
selectable, documented, suppressible by configuration, counted in the summary.
"""

from __future__ import annotations

from debtscan.model import Confidence, Severity
from debtscan.rule import Rule

FAMILY = "meta"


class UnparsableFile(Rule):
    """A file that is not valid Python 3.

    ## What it does
    Reports files (and notebook cells) that do not parse as Python 3, such as Python 2 code
    or half-finished edits, and valid code beyond what the analysis can parse (nesting too
    deep, 100,000 adjacent string literals), which the message tells apart. The rest of the
    scan goes on.

    ## Why is this bad?
    Nothing in the file can be checked, so its debt is invisible; Python 2 code in an ML
    repository is dead code or a ticking migration.

    ## Example
    ```python
    print "training done"
    ```

    ## Use instead
    ```python
    print("training done")
    ```
    """

    code = "DS001"
    name = "unparsable-file"
    family = FAMILY
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A file or notebook cell that is not valid Python 3"
    fix = "Fix the syntax, port the file to Python 3, or exclude it in [tool.debtscan]."
    VALID = ("print('training done')\n",)
    INVALID = ("print 'training done'\n",)


class UnreadableFile(Rule):
    """A file that could not be read or decoded.

    ## What it does
    Reports files that cannot be read (permissions, broken or looping symlinks, pipes and
    devices) or are not read (symlinks to files outside the scanned tree), decoded (invalid UTF-8 or an unknown coding cookie, NUL bytes), understood
    (notebooks that are not nbformat 4 JSON) or afforded (more than 2 MB or 250,000 tokens of
    code, as generated modules and data tables pasted into code hold).

    ## Why is this bad?
    The file is skipped, so whatever debt it holds goes unseen.

    ## Example
    ```python
    # -*- coding: no-such-codec -*-
    ```

    ## Use instead
    ```python
    # -*- coding: utf-8 -*-
    ```
    """

    code = "DS002"
    name = "unreadable-file"
    family = FAMILY
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A file that could not be read, decoded or understood"
    fix = "Fix the file (encoding, permissions, JSON) or exclude it in [tool.debtscan]."
    VALID = ("# -*- coding: utf-8 -*-\nx = 1\n",)
    INVALID = ("# -*- coding: no-such-codec -*-\nx = 1\n",)


class UnusedSuppression(Rule):
    """A suppression comment that suppresses nothing.

    ## What it does
    Reports `# debtscan: ignore[...]`, `fixme[...]` and `# noqa: DS...` comments whose rules
    report nothing on the lines they cover (only for rules that are enabled).

    ## Why is this bad?
    Stale suppressions hide the next real finding on that line and make the accepted debt
    look larger than it is.

    ## Example
    ```python
    x = 1  # debtscan: ignore[DS101]
    ```

    ## Use instead
    ```python
    x = 1
    ```
    """

    code = "DS003"
    name = "unused-suppression"
    family = FAMILY
    severity = Severity.INFO
    confidence = Confidence.HIGH
    summary = "A suppression comment that suppresses nothing"
    fix = "Remove the comment, or the rule codes in it that no longer apply."
    VALID = ("import numpy as np\nx = np.random.rand(3)  # debtscan: ignore[DS101] noise is intended\n",)
    INVALID = ("x = 1  # debtscan: ignore[DS101]\n",)


class MalformedSuppression(Rule):
    """A suppression comment debtscan cannot understand.

    ## What it does
    Reports `# debtscan:` comments with an unknown directive, no rule codes, or codes that
    name no rule (`# debtscan: ignore`, `# debtscan: skip[DS101]`, `ignore[DS999]`).

    ## Why is this bad?
    The author meant to suppress something and nothing is suppressed — or worse, believes a
    whole file is exempt when it is not.

    ## Example
    ```python
    x = np.random.rand(3)  # debtscan: ignore
    ```

    ## Use instead
    ```python
    x = np.random.rand(3)  # debtscan: ignore[DS101] exploratory plot only
    ```
    """

    code = "DS004"
    name = "malformed-suppression"
    family = FAMILY
    severity = Severity.WARNING
    confidence = Confidence.HIGH
    summary = "A suppression comment that names no valid rule"
    fix = "Write `# debtscan: ignore[DS101] reason` (or fixme / ignore-file) with existing rule codes."
    VALID = ("import numpy as np\nx = np.random.rand(3)  # debtscan: fixme[DS101] seed plumbing pending\n",)
    INVALID = ("x = 1  # debtscan: ignore\n", "x = 1  # debtscan: ignore[DS999]\n")


META_RULES = (UnparsableFile, UnreadableFile, UnusedSuppression, MalformedSuppression)
