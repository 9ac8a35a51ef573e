"""debtscan: find hidden technical debt in machine-learning repositories, statically."""

__version__ = "0.1.0"


def _stop_the_working_directory_shadowing_imports() -> None:
    """`python -m debtscan` puts the working directory first on sys.path. Run in the checkout
    it scans, a `json.py` or `click.py` there would be imported -- and run -- by debtscan itself;
    scanned code must never run, so that entry goes before anything else is imported."""
    import os
    import sys

    if sys.argv[:1] == ["-m"] and not getattr(sys.flags, "safe_path", False) and sys.path \
            and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


_stop_the_working_directory_shadowing_imports()


def _rule_pack_from_source_checkout() -> None:
    """Make `debtscan.rules` importable when running from a source checkout.

    Installed (or editable) copies map the top-level `rules/` directory to `debtscan.rules`.
    Running `python -m debtscan` inside a checkout imports this package from the working tree
    instead, where `rules/` sits beside it; register it under its installed name.
    """
    import importlib.util
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    if (here / "rules").is_dir() or "debtscan.rules" in sys.modules:
        return
    if importlib.util.find_spec("debtscan.rules") is not None:
        return
    pack = here.parent / "rules" / "__init__.py"
    if not pack.is_file():
        return
    spec = importlib.util.spec_from_file_location("debtscan.rules", pack,
                                                  submodule_search_locations=[str(pack.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["debtscan.rules"] = module
    spec.loader.exec_module(module)


_rule_pack_from_source_checkout()
