"""Keep a long scan's memory and collector work proportional to what it keeps.

A scan holds every file's facts until the project phase: millions of small objects.

- CPython's cyclic collector walks all live objects on every full collection, and parsing one
  file allocates enough to start several, so the cost of a file grew with the number of files
  analysed before it (a seventh of the time of a 500-file scan, more on larger ones). After
  each file its own cyclic garbage is collected and what survives is frozen (`gc.freeze`): out
  of the collector's sight, still freed by reference counting as usual.
- Within a file, a young collection every 700 new objects (CPython's default) walks a
  syntax tree that is still being built: a parse starts hundreds. Since each file's garbage
  is collected when it is done anyway, young collections wait for 10,000 objects during a
  scan: a twentieth of the file phase less, and no more garbage than a file's.
- glibc's malloc keeps the memory of freed syntax trees (libcst's parser allocates through it)
  instead of returning it, and the few objects kept from each file scatter across it: the
  process grew by tens of megabytes per hundred files. Trimming the heap now and then gives
  the free memory back (on glibc only; elsewhere it is a no-op).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from contextlib import contextmanager
from typing import Iterator

TRIM_EVERY = 50  # files; a trim costs about a millisecond
YOUNG_COLLECTION_EVERY = 10_000  # new objects; 3,000 and 30,000 measured no better


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()
_settled = 0


def settle(trim: bool = False) -> None:
    """Collect what the last file left behind, freeze what is kept, now and then (or, with
    `trim`, now: after a large file) give freed memory back to the system."""
    global _settled
    gc.collect()
    gc.freeze()
    _settled += 1
    if _TRIM is not None and (trim or _settled % TRIM_EVERY == 0):
        _TRIM(0)


def collect_young_rarely() -> None:
    """For a process that analyses files and settles after each (a worker)."""
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])


@contextmanager
def survivors_frozen() -> Iterator[None]:
    """Within the block, `settle()` may freeze and young collections are rare; on leaving it
    the collector sees everything again, on its own thresholds."""
    thresholds = gc.get_threshold()
    collect_young_rarely()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
