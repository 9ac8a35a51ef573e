"""The README and docs show what the code does: commands, real output, the rule table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from debtscan.cli import main
from debtscan.docs import rules_markdown
from debtscan.registry import all_rules

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def between(text: str, name: str) -> str:
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README lacks the {name} block"
    return match.group(1)


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```console\n(.*?)\n```", section, re.S)


def test_quickstart_has_exactly_two_commands():
    commands = quickstart_commands()
    assert len(commands) == 2 and all("\n" not in command for command in commands)
    assert commands[0].startswith("pip install . && debtscan fixtures/")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'TEST_COMMAND="{quickstart_commands()[1]}"' in script


def test_readme_sample_output_is_real():
    command = quickstart_commands()[0].split("&& ", 1)[1].split()
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(main, command[1:])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    sample = between(README, "sample-output").removeprefix("```text\n").removesuffix("```\n")
    assert result.output == sample


def test_readme_rule_table_matches_the_rules():
    rows = [line for line in between(README, "rule-table").splitlines() if line.startswith("| DS")]
    expected = [f"| {r.code} | `{r.name}` | {r.family} | {r.severity.label} | {r.summary} |" for r in all_rules()]
    assert rows == expected


def test_docs_rules_md_is_generated_from_the_rules():
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_markdown(all_rules()), "run: debtscan rules --format markdown > docs/rules.md"


def test_sklearn_catalog_matches_installed_scikit_learn():
    generated = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_sklearn_catalog.py")],
                               capture_output=True, text=True, check=True).stdout
    committed = (ROOT / "rules" / "catalog" / "sklearn.toml").read_text(encoding="utf-8")
    strip = lambda text: "\n".join(line for line in text.splitlines() if not line.startswith("# Generated"))
    assert strip(generated) == strip(committed), "run: python scripts/generate_sklearn_catalog.py > rules/catalog/sklearn.toml"


def test_the_exit_code_table_lists_every_exit_status_the_command_line_uses():
    from debtscan.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK
    from debtscan.interrupt import EXIT_INTERRUPTED

    section = README.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.M)}
    assert listed == {EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED}
    used = set(re.findall(r"sys\.exit\((\w+)\)", "".join(path.read_text(encoding="utf-8")
                                                        for path in (ROOT / "debtscan").rglob("*.py"))))
    assert used <= {"EXIT_OK", "EXIT_FINDINGS", "EXIT_ERROR", "EXIT_INTERRUPTED"}, used
