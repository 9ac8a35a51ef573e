"""debtscan: find hidden technical debt in machine-learning repositories, statically."""

__version__ = "0.1.0"
