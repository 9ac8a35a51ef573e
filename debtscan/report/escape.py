"""Make text from scanned files safe to show: no control characters, no escape sequences, and
nothing a CI runner would take for one of its commands.

Newlines and carriage returns are escaped like every other control character: text from a
scanned file never ends a line of a report, so it can never start one either (a line that
starts with `::error` or `::add-mask::` is a command to GitHub Actions). The runner also
obeys the legacy `##[command]` form anywhere in a line, so its second `#` is escaped too.
"""

from __future__ import annotations

import json
import re

# C0 and C1 controls (tab is expanded first), bidi embeddings, overrides, isolates and marks,
# zero-width characters, Unicode line and paragraph separators; and the `#` that makes `##[`.
UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
                    r"|(?<=#)#(?=\[)")
NAMED = {"\n": "\\n", "\r": "\\r"}


def visible(text: str) -> str:
    """`text` on one line with every unsafe character as a visible escape (`\\n`, `\\x1b`, `\\u202e`)."""
    return UNSAFE.sub(_escaped, text.replace("\t", "    "))


def visible_lines(text: str) -> str:
    """`text` with its line breaks kept, for formats where a line break cannot start anything
    (an XML attribute, a quoted DOT label); every other unsafe character is escaped."""
    return "\n".join(visible(line) for line in text.split("\n"))


def _escaped(match: re.Match) -> str:
    char = match.group()
    if char in NAMED:
        return NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_document(value) -> str:
    """`value` as an indented JSON document of ASCII lines, `##[` in its strings written
    `#\\u0023[`: it parses to the same data, but no CI runner showing it in a log takes it for a
    command, and no terminal control character or bidi override reaches the screen raw."""
    return json.dumps(value, indent=2, ensure_ascii=True).replace("##[", "#\\u0023[") + "\n"
