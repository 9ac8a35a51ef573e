"""The command line: `debtscan PATH…` scans (the `check` command), `debtscan rules` documents.

Exit codes: 0 nothing at or above the gate; 1 findings at or above it; 2 usage, config or
internal error (a path that does not exist, an unknown rule code, a broken pyproject.toml).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from debtscan import __version__
from debtscan.catalog import CatalogError
from debtscan.config import ConfigError, Settings, find_config, load_settings
from debtscan.model import Confidence, Severity
from debtscan.registry import SelectionError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to `check`."""

    default_command = "check"

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="debtscan")
def main() -> None:
    """Find hidden technical debt in machine-learning repositories, statically.

    Run `debtscan PATH…` (the same as `debtscan check PATH…`) to scan; `debtscan rules` lists
    what it looks for.
    """


def _codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def _root_for(paths: list[Path], config: Path | None) -> Path:
    if config is not None:
        return config.parent.resolve()
    resolved = [path.resolve() if path.exists() else path.absolute() for path in paths]
    directories = [path if path.is_dir() else path.parent for path in resolved]
    return Path(os.path.commonpath([str(directory) for directory in directories]))


def _display_root(root: Path) -> str:
    try:
        shown = root.relative_to(Path.cwd().resolve()).as_posix()
        return shown or "."
    except ValueError:
        return root.as_posix()


def fail(message: str) -> None:
    click.echo(f"debtscan: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE.")
@click.option("--select", help="Comma-separated rule codes or prefixes to enable (e.g. DS1,DS201).")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to disable.")
@click.option("--fail-on", type=click.Choice([s.label for s in Severity]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--min-confidence", type=click.Choice([c.label for c in Confidence]),
              help="Hide findings below this confidence [default: medium].")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Report only findings not accepted in this baseline file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the gate.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [default: all cores].")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="pyproject.toml to read [tool.debtscan] from (default: the nearest one).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def check(paths, fmt, output, select, ignore, fail_on, min_confidence, baseline, exit_zero, jobs, config_path, color):
    """Scan PATHS (default: the current directory) for ML technical debt."""
    from debtscan.report import render, write_atomically
    from debtscan.runner import scan

    paths = list(paths) or [Path(".")]
    try:
        if config_path is not None and not config_path.is_file():
            raise ConfigError(f"{config_path}: no such file")
        config = config_path or find_config(next((p for p in paths if p.exists()), Path(".")))
        settings = load_settings(config)
        settings = settings.with_overrides(
            select=_codes(select), ignore=_codes(ignore),
            fail_on=Severity.parse(fail_on) if fail_on else None,
            min_confidence=Confidence.parse(min_confidence) if min_confidence else None,
        )
        accepted = _read_baseline(baseline) if baseline else None
        root = _root_for(paths, config)
        result = scan(paths, root, settings, jobs=jobs, baseline=accepted)
    except (ConfigError, SelectionError, CatalogError) as error:
        fail(str(error))
        return
    result.root = _display_root(root)

    use_color = color == "always" or (color == "auto" and output is None and sys.stdout.isatty()
                                      and "NO_COLOR" not in os.environ)
    text = render(result, fmt, settings, color=use_color)
    if output is not None:
        try:
            write_atomically(output, text)
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}")
    else:
        click.echo(text, nl=False, color=use_color)
    for error in result.errors:
        click.echo(f"debtscan: error: {error['path']}: {error['message']}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    if result.gate(settings.fail_on) and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _read_baseline(path: Path) -> list[dict]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable baseline ({error})") from None
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) and "fingerprint" in entry for entry in entries):
        raise ConfigError(f"{path}: not a debtscan baseline (expected a JSON report with findings and fingerprints)")
    return entries


@main.command()
@click.option("--explain", metavar="CODE", help="Print the full documentation of one rule.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
def rules(explain, fmt):
    """List the rules, or explain one (`--explain DS101`)."""
    from debtscan.docs import explain_rule, rules_json, rules_markdown, rules_table
    from debtscan.registry import all_rules, rule_by_code

    if explain:
        rule = rule_by_code(explain)
        if rule is None:
            fail(f"no rule {explain!r} (see `debtscan rules`)")
        click.echo(explain_rule(rule))
        return
    if fmt == "json":
        click.echo(rules_json(all_rules()))
    elif fmt == "markdown":
        click.echo(rules_markdown(all_rules()), nl=False)
    else:
        click.echo(rules_table(all_rules(), color=sys.stdout.isatty() and "NO_COLOR" not in os.environ), nl=False)


if __name__ == "__main__":
    main()
