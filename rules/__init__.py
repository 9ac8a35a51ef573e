"""debtscan's rule pack: one module per family, and the catalog of ML library knowledge.

Installed as `debtscan.rules`. Each family module exports `RULES` (its rule classes, in code
order) and may export `SCANNERS`, visitors that find for several rules at once.
"""

from . import config_debt, data_dependencies, dead_code, glue, leakage, paths, pipeline, randomness, skew

FAMILIES = (randomness, paths, data_dependencies, skew, glue, pipeline, dead_code, config_debt, leakage)

RULES = tuple(rule for family in FAMILIES for rule in family.RULES)
SCANNERS = {scanner: reported for family in FAMILIES for scanner, reported in getattr(family, "SCANNERS", {}).items()}
# Functions project -> {"nodes": [...], "edges": [...], ...} that add to the dependency graph.
GRAPH = tuple(hook for family in FAMILIES for hook in getattr(family, "GRAPH", ()))
