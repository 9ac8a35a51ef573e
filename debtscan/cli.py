"""The command line: `debtscan PATH…` scans (the `check` command), `debtscan rules` documents.

Exit codes: 0 nothing at or above the gate; 1 findings at or above it; 2 usage, config or
internal error (a path that does not exist, an unknown rule code, a broken pyproject.toml);
130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from debtscan import __version__
from debtscan.catalog import CatalogError
from debtscan.config import ConfigError, Settings, find_config, load_settings
from debtscan.interrupt import interrupted
from debtscan.model import Confidence, Severity
from debtscan.registry import SelectionError
from debtscan.report import FORMATS

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultGroup(click.Group):
    """A group whose first argument, when it is not a command, goes to `check`."""

    default_command = "check"

    def parse_args(self, ctx, args):
        if not args or args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        try:
            return super().parse_args(ctx, args)
        except KeyboardInterrupt:  # before click turns it into "Aborted!" and exit status 1
            interrupted()

    def invoke(self, ctx):
        """An unexpected exception is an internal error: exit status 2, as documented, rather than
        Python's 1, which CI would read as "debt found"; Ctrl-C is exit status 130."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted()
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as error:
            import traceback

            traceback.print_exc()  # for the bug report
            fail(f"internal error: {type(error).__name__}: {error}")


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


def fail(message: str) -> NoReturn:
    click.echo(f"debtscan: error: {one_line(message)}", err=True)
    sys.exit(EXIT_ERROR)


def one_line(text: str) -> str:
    """Text for one line of stderr: paths from the scanned tree may hold escapes and newlines."""
    from debtscan.report.escape import visible

    return visible(text)


def _scan_options(function):
    """Options every command that scans shares: selection, config, workers, cache, profile."""
    for decorator in reversed([
        click.option("--select", help="Comma-separated rule codes or prefixes to enable (e.g. DS1,DS201)."),
        click.option("--ignore", help="Comma-separated rule codes or prefixes to disable."),
        click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes [default: all cores]."),
        click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
                     help="pyproject.toml to read [tool.debtscan] from (default: the nearest one)."),
        click.option("--no-cache", is_flag=True, expose_value=False, callback=_remember,
                     help="Analyse every file afresh; read and write no cache."),
        click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), expose_value=False,
                     callback=_remember, help="Cache directory [default: the user cache directory]."),
        click.option("--profile", is_flag=True, expose_value=False, callback=_remember,
                     help="Print the time spent per stage and per rule to stderr."),
    ]):
        function = decorator(function)
    return function


def _remember(ctx: click.Context, param: click.Parameter, value) -> None:
    """Keep a run option (cache, profile) for `_run_scan`, out of the commands' signatures."""
    ctx.meta[f"debtscan.{param.name}"] = value


def _run_scan(*args, **kwargs):
    """`runner.scan` with the cache, progress bar and profile the command line asked for."""
    from debtscan import profiling
    from debtscan.cache import default_cache_dir
    from debtscan.console import ProgressBar, profile_table
    from debtscan.runner import scan

    meta = click.get_current_context().meta
    cache_dir = None if meta.get("debtscan.no_cache") else meta.get("debtscan.cache_dir") or default_cache_dir()
    progress = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
    profile = profiling.start() if meta.get("debtscan.profile") else None
    began = time.perf_counter()
    try:
        result = scan(*args, cache_dir=cache_dir, progress=progress, **kwargs)
    finally:
        if progress is not None:
            progress.close()
        profiling.stop()
    if profile is not None:
        click.echo(profile_table(profile, result.files_scanned, time.perf_counter() - began), err=True, nl=False)
    return result


def _settings(paths: list[Path], config_path: Path | None, **overrides) -> tuple[Settings, Path]:
    """The settings and the project root for a scan of `paths`; raises ConfigError."""
    if config_path is not None and not config_path.exists():
        raise ConfigError(f"{config_path}: no such file")
    config = config_path or find_config(next((p for p in paths if p.exists()), Path(".")))
    settings = load_settings(config)
    _check_codes_and_catalog(settings)
    return settings.with_overrides(**overrides), _root_for(paths, config)


def _check_codes_and_catalog(settings: Settings) -> None:
    """Rule codes and catalog sections of the config file, checked with its path in the message."""
    from debtscan.catalog import load_catalog
    from debtscan.registry import check_codes

    if settings.config_path is None:
        return
    try:
        check_codes(settings.select, "select")
        check_codes(settings.ignore, "ignore")
        for pattern, codes in settings.per_file_ignores:
            check_codes(codes, f"per-file-ignores.{pattern!r}")
        load_catalog(settings.catalog)
    except (SelectionError, CatalogError) as error:
        raise ConfigError(f"{settings.config_path}: {error}") from None


def _severity_options(fail_on, min_confidence, select, ignore) -> dict:
    return {"select": _codes(select), "ignore": _codes(ignore),
            "fail_on": Severity.parse(fail_on) if fail_on else None,
            "min_confidence": Confidence.parse(min_confidence) if min_confidence else None}


def _outside(paths: list[Path], root: Path) -> list[str]:
    outside = []
    for path in paths:
        try:
            path.resolve().relative_to(root)
        except ValueError:
            outside.append(str(path))
    return outside


def _emit(text: str, output: Path | None, color: bool = False) -> None:
    from debtscan.report import write_atomically

    if output is None:
        click.echo(text, nl=False, color=color)
        return
    try:
        write_atomically(output, text)
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to FILE.")
@click.option("--fail-on", type=click.Choice([s.label for s in Severity]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--min-confidence", type=click.Choice([c.label for c in Confidence]),
              help="Hide findings below this confidence [default: medium].")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Report only findings not accepted in this baseline file (or JSON report).")
@click.option("--changed-only", is_flag=True,
              help="PATHS are changed files: scan the whole project root, report only on PATHS.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail the gate.")
@_scan_options
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def check(paths, fmt, output, fail_on, min_confidence, baseline, changed_only, statistics, exit_zero, select, ignore,
          jobs, config_path, color):
    """Scan PATHS (default: the current directory) for ML technical debt."""
    from debtscan.baseline import BaselineError, read_baseline
    from debtscan.report import render
    from debtscan.report.statistics import render_statistics

    if statistics and fmt not in ("text", "json"):
        fail("--statistics prints text or json, not " + fmt)
    paths = list(paths) or ([] if changed_only else [Path(".")])
    try:
        options = _severity_options(fail_on, min_confidence, select, ignore)
        if changed_only:  # the project is what lies under the config's directory, else under the working directory
            settings, root = _settings([Path(".")], config_path, **options)
            changed = [path for path in paths if path.exists()]
            missing = [{"path": str(path), "message": f"path does not exist: {path}"} for path in paths
                       if not path.exists()]
            if _outside(changed, root):
                fail(f"{', '.join(_outside(changed, root))}: outside the project root {_display_root(root)}")
        else:
            settings, root = _settings(paths, config_path, **options)
        accepted = read_baseline(baseline) if baseline else None
        if changed_only:
            result = _run_scan([root], root, settings, jobs=jobs, baseline=accepted, report_only=changed,
                               keep_project=fmt == "html")
            result.errors = missing + result.errors
        else:
            result = _run_scan(paths, root, settings, jobs=jobs, baseline=accepted, keep_project=fmt == "html")
    except (ConfigError, SelectionError, CatalogError, BaselineError) as error:
        fail(str(error))
        return
    result.root = _display_root(root)
    if accepted is not None and accepted.entries and not result.baseline_files_read:
        click.echo(f"debtscan: warning: {one_line(_unmatched_baseline(baseline, accepted))}", err=True)

    use_color = color == "always" or (color == "auto" and output is None and sys.stdout.isatty()
                                      and "NO_COLOR" not in os.environ)
    if statistics:
        _emit(render_statistics(result, fmt), output)
    else:
        _emit(render(result, fmt, settings, color=use_color), output, use_color)
    for error in result.errors:
        click.echo(f"debtscan: error: {one_line(error['path'] + ': ' + error['message'])}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    if result.gate(settings.fail_on) and not exit_zero:
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["tree", "json", "graphml", "dot", "mermaid"]), default="tree",
              show_default=True, help="A tree in the terminal, or a graph file format.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the graph to FILE.")
@click.option("--collapse", is_flag=True, help="Draw one node per package (directory) instead of one per module.")
@click.option("--kind", "kinds", help="Comma-separated node kinds to keep: entry, module, data, model, external, manifest.")
@click.option("--focus", metavar="NODE", help="Keep NODE (an id, path or label) and what it depends on or feeds.")
@click.option("--depth", type=click.IntRange(min=1), help="With --focus: keep only nodes this many edges away.")
@click.option("--min-confidence", type=click.Choice([c.label for c in Confidence]),
              help="Attach findings at or above this confidence [default: medium].")
@_scan_options
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
def graph(paths, fmt, output, collapse, kinds, focus, depth, min_confidence, select, ignore, jobs, config_path, color):
    """Draw PATHS as a dependency graph: code, data and model artifacts, external sources, debt."""
    from debtscan import graph as graphs
    from debtscan.graph_export import EXPORTERS, to_tree

    paths = list(paths) or [Path(".")]
    try:
        settings, root = _settings(paths, config_path, **_severity_options(None, min_confidence, select, ignore))
        result = _run_scan(paths, root, settings, jobs=jobs)
    except (ConfigError, SelectionError, CatalogError) as error:
        fail(str(error))
        return
    for error in result.errors:
        click.echo(f"debtscan: error: {one_line(error['path'] + ': ' + error['message'])}", err=True)
    if result.errors:
        sys.exit(EXIT_ERROR)
    drawn = graphs.graph_for(result)
    try:
        if kinds:
            drawn = graphs.keep_kinds(drawn, [kind.strip() for kind in kinds.split(",") if kind.strip()])
        if collapse:
            drawn = graphs.collapse_packages(drawn)
        if focus:
            drawn = graphs.focus(drawn, focus, depth)
    except graphs.GraphError as error:
        fail(str(error))
    if fmt == "tree":
        use_color = color == "always" or (color == "auto" and output is None and sys.stdout.isatty()
                                          and "NO_COLOR" not in os.environ)
        _emit(to_tree(drawn, _display_root(root), color=use_color), output, use_color)
    else:
        _emit(EXPORTERS[fmt](drawn), output)
    sys.exit(EXIT_OK)


@main.group()
def baseline():
    """Record accepted debt (`write`), or drop what has been paid off (`prune`).

    `debtscan PATH --baseline FILE` then reports only findings the baseline does not accept.
    """


@baseline.command("write")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The baseline file to write.")
@_scan_options
def baseline_write(paths, output, select, ignore, jobs, config_path):
    """Record every finding in PATHS (at every confidence) as accepted debt in a baseline file."""
    from debtscan.baseline import entry_of, prefix_of, project_root, render_baseline

    result, root, settings = _baseline_scan(paths, config_path, select, ignore, jobs, None)
    anchor = project_root(root, settings.config_path)
    prefix = prefix_of(root, anchor) or ""
    _emit(render_baseline((entry_of(finding, prefix) for finding in result.findings), anchor, output), output)
    count = len(result.findings)
    click.echo(f"Wrote {count} finding{'s' if count != 1 else ''} to {output}.", err=True)


@baseline.command("prune")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-b", "--baseline", "baseline_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              required=True, help="The baseline file to prune.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the pruned baseline here [default: back to the baseline file].")
@_scan_options
def baseline_prune(paths, baseline_path, output, select, ignore, jobs, config_path):
    """Remove the entries whose debt is gone from PATHS; never adds one.

    Only entries of files this scan analysed can go: a file that could not be read or parsed
    keeps its entries, and a scan that reads none of the files the baseline names is refused."""
    from debtscan.baseline import BaselineError, project_root, read_baseline, render_baseline, without

    try:
        accepted = read_baseline(baseline_path)
    except BaselineError as error:
        fail(str(error))
        return
    result, root, settings = _baseline_scan(paths, config_path, select, ignore, jobs, accepted)
    if accepted.entries and not result.baseline_files_read:
        fail(_unmatched_baseline(baseline_path, accepted) + "; nothing was pruned")
    kept = without(accepted.entries, result.paid_off)
    anchor = accepted.root or project_root(root, settings.config_path)
    _emit(render_baseline(kept, anchor, output or baseline_path), output or baseline_path)
    removed = len(accepted.entries) - len(kept)
    click.echo(f"Removed {removed} paid-off entr{'ies' if removed != 1 else 'y'}; {len(kept)} remain.", err=True)


def _unmatched_baseline(path: Path, accepted) -> str:
    where = f" (its paths are relative to {_display_root(accepted.root)})" if accepted.root else ""
    return (f"{path}: none of the {len(accepted.entries)} baseline entries names a file this scan read{where}; "
            f"scan the project the baseline was written for")


def _baseline_scan(paths, config_path, select, ignore, jobs, accepted):
    """A scan at every confidence for the baseline commands; exits 2 when anything failed,
    because a file or rule that failed would look like paid-off debt."""

    paths = list(paths) or [Path(".")]
    try:
        settings, root = _settings(paths, config_path, select=_codes(select), ignore=_codes(ignore),
                                   min_confidence=Confidence.LOW)
        result = _run_scan(paths, root, settings, jobs=jobs, baseline=accepted)
    except (ConfigError, SelectionError, CatalogError) as error:
        fail(str(error))
    for error in result.errors:
        click.echo(f"debtscan: error: {one_line(error['path'] + ': ' + error['message'])}", err=True)
    if result.errors:
        fail("the baseline was not written because the scan had errors")
    return result, root, settings


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
    from debtscan.interrupt import run

    run()
