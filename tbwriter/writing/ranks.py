"""Which processes of a multi-rank job write, and where their events go (``SummaryWriter(ranks=...)``).

    run_dir, writes = rank_run("runs/exp1", "zero")     # rank 0: ("runs/exp1", True); rank 1: (.., False)
    sink = open_sink(writes, run_dir, "runs/exp1", 120, "", (), None)

``"zero"`` (the default): rank 0 writes ``log_dir``; ``"each"``: every rank writes ``<log_dir>/rank_<r>``;
``"any"``: this process writes ``log_dir`` whatever its rank. A writer that does not write gets a
:class:`~tbwriter.writing.sinks.Discarded` sink: it checks and encodes every call as a writing one does and
drops the bytes, creating no file or folder. Ranks are read by :mod:`tbwriter.writing.distributed`.
"""
from __future__ import annotations

import os
import warnings

from tbwriter import storage
from tbwriter.errors import ArgumentError, WriterWarning
from tbwriter.writing import distributed, sinks
from tbwriter.writing.eventfile import EventFile
from tbwriter.writing.sinks import Discarded

RANKS = ("zero", "each", "any")


def rank_run(log_dir: str, ranks: object) -> tuple[str, bool]:
    """This process's run directory and whether it writes there; ArgumentError for an unknown ``ranks``."""
    if ranks == "any":
        return log_dir, True
    if ranks not in RANKS:
        raise ArgumentError("ranks", f"must be one of {', '.join(map(repr, RANKS))}, got {ranks!r}")
    rank = distributed.detect().rank
    if ranks == "each":
        return os.path.join(log_dir, f"rank_{rank}"), True
    return log_dir, rank == 0


def open_sink(writes: bool, run_dir: str, log_dir: str, flush_secs: float, filename_suffix: str,
              first: tuple[bytes, ...], storage_options: dict | None) -> EventFile | Discarded:
    """Where a writer's events go: a new event file in ``run_dir`` (``first`` its first events), or nowhere.

    ``log_dir`` is the run directory as the user gave it, for the warning when another running process has a
    file of this run open.
    """
    if not writes:
        return Discarded()
    if not storage.is_url(run_dir):  # before the file: a warning made an error opens none
        _warn_other_writers(run_dir, log_dir)
    return EventFile(run_dir, flush_secs, filename_suffix, first, storage_options)


def _warn_other_writers(run_dir: str, log_dir: str) -> None:
    """Warn when a file of this run was opened by another process that still runs: TensorBoard will miss points."""
    others = sinks.other_writers(run_dir)
    if others:
        path, pid = others[-1]
        # stacklevel: this function, open_sink, SummaryWriter.__init__, then the line that made the writer
        warnings.warn(f"SummaryWriter: process {pid}, still running, opened {os.path.basename(path)} in "
                      f"{log_dir}; TensorBoard reads a run's files one after the other and never goes "
                      "back, so it will miss the points of one of two files growing at once: give each "
                      "process a run directory of its own", WriterWarning, stacklevel=4)
