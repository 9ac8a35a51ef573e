"""`--profile`: where a scan spends its time, per stage and per rule.

Off by default, and then free: the hooks check one module-level switch. When on, each process
adds the CPU seconds it spends to its own `Profile`; pool workers send theirs back with their
results and the parent adds them up, so the figures are CPU seconds summed over every process,
and do not grow when other programs compete for the machine. Reading the clock around every
visitor call costs about a microsecond, so a profiled run is slower than a plain one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable

ACTIVE: "Profile | None" = None


class Profile:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.inside = self.outside = 0.0  # seconds one timed call adds within / around its span

    def add(self, label: str, seconds: float, calls: int = 1) -> None:
        self.seconds[label] += seconds
        self.calls[label] += calls

    def merge(self, other: dict[str, tuple[float, int]]) -> None:
        for label, (seconds, calls) in other.items():
            self.add(label, seconds, calls)

    def export(self) -> dict[str, tuple[float, int]]:
        return {label: (self.seconds[label], self.calls[label]) for label in self.seconds}

    def calibrate(self, rounds: int = 20000) -> None:
        """Measure what timing one call costs, inside the timed span and around it, so the report
        can take it out again (it is of the order of the visitor calls themselves)."""
        probe = Profile()
        global ACTIVE
        active, ACTIVE = ACTIVE, probe
        try:
            noop = timed(_noop, "probe")
            began = time.process_time()
            for _ in range(rounds):
                noop("")
            total = (time.process_time() - began) / rounds
        finally:
            ACTIVE = active
        self.inside = probe.seconds["probe"] / rounds
        self.outside = max(total - self.inside, 0.0)


def start() -> Profile:
    global ACTIVE
    ACTIVE = Profile()
    ACTIVE.calibrate()
    return ACTIVE


def stop() -> None:
    global ACTIVE
    ACTIVE = None


def _noop(label: str) -> None:
    """The marker handed out when profiling is off."""


def marker() -> Callable[[str], None]:
    """A function that charges the time since the previous mark (or since now) to a label."""
    profile = ACTIVE
    if profile is None:
        return _noop
    last = [time.process_time()]

    def mark(label: str) -> None:
        now = time.process_time()
        profile.add(label, now - last[0])
        last[0] = now

    return mark


def timed(method: Callable, label: str) -> Callable:
    """`method`, charging its CPU time to `label` in the active profile."""
    profile = ACTIVE
    if profile is None:
        return method
    clock = time.process_time

    def run(node):
        began = clock()
        try:
            return method(node)
        finally:
            profile.add(label, clock() - began)

    return run
