"""Ctrl-C ends a run the same way whenever it comes: one line on stderr and exit status 130
(128 + SIGINT, as shells report it); never a traceback, and never 1, which CI reads as
"debt found". Imports nothing heavy, so it is in force before the command line is loaded."""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from typing import Iterator, NoReturn

EXIT_INTERRUPTED = 130


def interrupted() -> NoReturn:
    """Say so and exit 130; a second Ctrl-C while exiting is ignored, so it cannot add a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stderr.write("debtscan: interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is gone; the exit status still says it
    sys.exit(EXIT_INTERRUPTED)


def run() -> None:
    """The `debtscan` command and `python -m debtscan`: the command line, loaded and run with
    Ctrl-C handled from the first import on."""
    try:
        from debtscan.cli import main

        main()
    except KeyboardInterrupt:
        interrupted()


@contextmanager
def held_back() -> Iterator[None]:
    """Ctrl-C blocked in this thread, not lost: it is raised when the block ends. Processes and
    threads started meanwhile begin with it blocked (the mask is inherited), so a worker never
    runs the parent's handler before `ignore_in_worker` has replaced it."""
    if not hasattr(signal, "pthread_sigmask"):  # no signal masks (Windows): nothing to inherit
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def ignore_in_worker() -> None:
    """For a worker process: Ctrl-C reaches every process of the terminal's group, and the parent
    alone answers it (it stops the workers), so a worker neither stops on it nor prints anything."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
