"""The sub-runs of a writer: run ``<log_dir>/<name>`` each, written by a writer of its own made on first use.

    runs = SubRuns("runs/exp1", make=lambda name: SummaryWriter(f"runs/exp1/{name}"))
    runs.writer(runs.scalars_run("loss", "train")).add_scalar("loss", 0.5, 3)   # in runs/exp1/loss_train

``add_scalars`` puts each key in one, as torch does (``<main_tag>_<key>``, one chart with a line per key);
``add_hparams(run_name=...)`` puts a session in one. The writer that holds them flushes and closes them with
itself. ``make`` builds a sub-run's writer, so this module needs no writer class of its own.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from tbwriter.writing.values import check_inside, check_tag

W = TypeVar("W")


class SubRuns(Generic[W]):
    """The sub-run writers of one run directory, by name; see the module docstring.

    Args:
        log_dir: the run directory as the user gave it, for messages.
        make: builds the writer of sub-run ``name`` (called once per name, under a lock).
    """

    def __init__(self, log_dir: str, make: Callable[[str], W]):
        self._log_dir, self._make = log_dir, make
        self._writers: dict[str, W] = {}
        self._lock = threading.Lock()  # threads calling add_scalars get one writer per sub-run

    def scalars_run(self, main_tag: str, key: object) -> str:
        """The sub-run of ``key`` in ``add_scalars(main_tag, ...)``: ``<main_tag>_<key>`` with ``/`` made ``_``.

        ArgumentError (or ArgumentTypeError) if ``key`` is no tag, or if the name is no path that stays inside
        the run directory.
        """
        run = main_tag.replace("/", "_") + "_" + check_tag(key)
        if run not in self._writers:  # checked once, before its writer is made: not at every call
            check_inside(run, f"key {key!r:.80}: its sub-run", f"log_dir {self._log_dir}")
        return run

    def writer(self, run: str) -> W:
        """The writer of sub-run ``run``, made on first use."""
        sub = self._writers.get(run)
        if sub is None:
            with self._lock:
                sub = self._writers.get(run)
                if sub is None:
                    sub = self._writers[run] = self._make(run)
        return sub

    def __contains__(self, run: object) -> bool:
        return run in self._writers

    def __iter__(self) -> Iterator[W]:
        """The writers made so far, in the order they were made."""
        return iter(list(self._writers.values()))
