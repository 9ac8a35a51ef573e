"""debtscan's rule pack: one module per family, and the catalog of ML library knowledge.

Installed as `debtscan.rules`. Each family module exports `RULES` (its rule classes, in code
order) and may export `SCANNERS`, visitors that find for several rules at once.
"""

from . import paths, randomness

FAMILIES = (randomness, paths)

RULES = tuple(rule for family in FAMILIES for rule in family.RULES)
SCANNERS = {scanner: reported for family in FAMILIES for scanner, reported in getattr(family, "SCANNERS", {}).items()}
