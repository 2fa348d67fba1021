"""``SummaryWriter``: the user-facing API, a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.log_metrics({"lr": 0.1, "acc": step / 100}, step=step)

Here: making a writer and its life cycle. Its ``add_*`` methods are parts it is made of (:mod:`~tbwriter.writing.calls`
says what they share): :mod:`~tbwriter.writing.scalars` (the hot path), :mod:`~tbwriter.writing.sessions` (hparams),
:mod:`~tbwriter.writing.media` (text, images, audio, video, meshes, embeddings), :mod:`~tbwriter.writing.charts`
(histograms, precision-recall curves, tensors, custom scalars) and :mod:`~tbwriter.writing.graphs` (file
writers, model graphs). What a writer holds lives in modules of its own: which ranks write and where their events
go (:mod:`~tbwriter.writing.ranks`), the sub-runs of ``add_scalars`` (:mod:`~tbwriter.writing.subruns`), the
hparams sessions (:class:`~tbwriter.writing.sessions.Sessions`) and the projector's files
(:mod:`~tbwriter.writing.projector`).
"""
from __future__ import annotations

import os
import socket
import time
import weakref
from datetime import datetime
from typing import TYPE_CHECKING

from tbwriter import storage
from tbwriter.errors import ArgumentTypeError
from tbwriter.format import encode, wire
from tbwriter.writing.calls import ARGUMENT_ERRORS
from tbwriter.writing.charts import ChartCalls
from tbwriter.writing.graphs import GraphCalls
from tbwriter.writing.media import MediaCalls
from tbwriter.writing.ranks import open_sink, rank_run
from tbwriter.writing.scalars import ScalarCalls
from tbwriter.writing.sessions import SessionCalls, Sessions
from tbwriter.writing.subruns import SubRuns
from tbwriter.writing.values import to_seconds, to_step

if TYPE_CHECKING:
    from tbwriter.writing.eventfile import EventFile
    from tbwriter.writing.sinks import Discarded

_now = time.time


# The API reference lists the parts' methods from the last base to the first, then the class's own: scalars first.
class SummaryWriter(GraphCalls, ChartCalls, MediaCalls, SessionCalls, ScalarCalls):
    """Writes event files for one run, as torch's ``SummaryWriter`` does:

        with SummaryWriter("runs/exp1") as w:
            for step in range(100):
                w.add_scalar("loss", 1 / (step + 1), step)

    Args (torch's, plus one keyword):
        ranks: which processes of a multi-rank job write. ``"zero"`` (default): rank 0 writes ``log_dir``;
            every other rank accepts and validates every call and writes nothing, creating no file or folder.
            ``"each"``: every rank writes its own run ``<log_dir>/rank_<r>`` (per-rank diagnostics).
            ``"any"``: this process writes ``log_dir`` whatever its rank, for code that already picks the
            writing rank or gives each rank its own ``log_dir``. A single process is rank 0.

    Common arguments, the same in every ``add_*`` method that takes them:
        global_step: the step: an integer, or a float that is a whole number (numpy and torch scalars too);
            None is 0.
        walltime: the event's time in seconds since the epoch; None is now.

    A refused call raises :class:`~tbwriter.errors.ArgumentError` (a ``ValueError``) or
    :class:`~tbwriter.errors.ArgumentTypeError` (a ``TypeError``) that names the call and the argument
    (``add_scalar(tag='loss'): global_step must be an integer, got bool True``); it writes nothing and the
    writer stays usable.
    """

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "", *, ranks: str = "zero", logdir: str | os.PathLike | None = None,
                 write_to_disk: bool = True, storage_options: dict | None = None, defer_device: bool = True):
        """Open a run: its event file is created at once (unless ``write_to_disk=False``).

            w = SummaryWriter("runs/exp1")
            w = SummaryWriter(comment="_lr0.1")               # runs/<date>_<host>_lr0.1

        Args:
            log_dir: the run directory, a local path or an fsspec URL (``s3://bucket/runs/exp1``,
                ``gs://...``, ``az://...``, ``memory://...``); None gives ``runs/<date>_<host><comment>``
                as torch does.
            comment: appended to the default ``log_dir`` (ignored when ``log_dir`` is given).
            purge_step: when a crashed run restarts at this step, TensorBoard hides the earlier
                events at steps >= it.
            max_queue: accepted for torch's signature; we buffer by size and time (docs/writing.md).
            flush_secs: the most seconds logged data waits in memory before it is written.
            filename_suffix: appended to the event file names.
            ranks: which processes of a multi-rank job write: "zero", "each" or "any" (see the class docstring).
            logdir: tensorboardX's name for ``log_dir`` (give one of the two).
            write_to_disk: tensorboardX's switch: False checks every call as usual but writes
                nothing and creates no file or directory.
            storage_options: for a URL, options of its fsspec filesystem (credentials, endpoint...).
            defer_device: scalars, images and videos given as tensors on a device (CUDA...) are copied to
                the host later, in batches, by the background thread, so the call never waits for the device;
                False fetches each at the call (``.item()``, or one copy of an image's uint8 pixels), as
                torch's writer does (docs/writing.md).
        """
        if logdir is not None:
            if log_dir is not None:
                raise TypeError("SummaryWriter: give log_dir or logdir (tensorboardX's name for it), not both")
            log_dir = logdir
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        try:
            self.log_dir, writes = rank_run(os.fspath(log_dir), ranks)
            self.flush_secs = to_seconds(flush_secs, "flush_secs")
            purge = None if purge_step is None else to_step(purge_step, "purge_step")
            if not isinstance(defer_device, bool):
                raise ArgumentTypeError("defer_device", f"must be True or False, got {defer_device!r:.80}")
        except ARGUMENT_ERRORS as e:
            raise e.in_call("SummaryWriter") from None
        # log_dir stays as given (get_logdir() returns it, as torch's does), but every file goes where it
        # points now: an os.chdir later (Hydra makes one) must not split the run across two directories.
        self._run_dir = self.log_dir if storage.is_url(self.log_dir) else os.path.abspath(self.log_dir)
        self._writes = writes and write_to_disk
        self.ranks, self.write_to_disk = ranks, write_to_disk
        self.purge_step = purge_step
        self.max_queue = max_queue  # accepted for compatibility: we buffer by size and time instead
        self.filename_suffix = filename_suffix
        self.storage_options = storage_options
        self.defer_device = defer_device
        first: tuple[bytes, ...] = ()
        if purge is not None:
            # SessionLog(status=START) at purge_step: TensorBoard drops older events at steps >= it.
            start = encode.length_delimited(wire.Event.SESSION_LOG.tag,
                                            wire.SessionLog.STATUS.tag + encode.varint(wire.SessionStatus.START))
            first = (encode.event_head(_now(), purge) + start,)
        self._file: EventFile | Discarded = open_sink(self._writes, self._run_dir, self.log_dir, self.flush_secs,
                                                      filename_suffix, first, storage_options)
        # A writer nobody holds any more (made in a function, never closed) writes what it has and
        # closes its file then; exit closes the files of writers still held.
        weakref.finalize(self, self._file.close_or_report).atexit = False
        self._scalars = encode.ScalarEncoder()
        self._append, self._scalar_event = self._file.append, self._scalars.event  # hot path
        self._sub_runs: SubRuns[SummaryWriter] = SubRuns(self.log_dir, self._make_sub_run)
        self._sessions = Sessions(self.log_dir, self._run_dir, self._sub_runs, self._append_to)
        self._warned_double = False

    def _make_sub_run(self, run: str) -> SummaryWriter:
        """The writer of sub-run ``<log_dir>/<run>``, made as this one is."""
        sub = SummaryWriter(os.path.join(self._run_dir, run), flush_secs=self.flush_secs,
                            filename_suffix=self.filename_suffix, ranks="any" if self._writes else "zero",
                            write_to_disk=self.write_to_disk, storage_options=self.storage_options,
                            defer_device=self.defer_device)
        sub.log_dir = os.path.join(self.log_dir, run)  # shown as torch shows it: below ours as given
        return sub

    def _append_to(self, run: str | None, data: bytes) -> None:
        """Append an encoded event to this run (None) or to sub-run ``run``, made on first use."""
        (self._file if run is None else self._sub_runs.writer(run)._file).append(data)

    def get_logdir(self) -> str:
        """The run directory as given: ``SummaryWriter("runs/a").get_logdir() == "runs/a"``.

        A relative one is resolved once, when the writer is made: files keep going there after an
        ``os.chdir``, though this still returns the relative path (as torch's does).
        """
        return self.log_dir

    # -- lifecycle ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Return once everything logged so far is written to the files."""
        self._file.flush()
        for sub in self._sub_runs:
            sub.flush()

    def close(self) -> None:
        """End open hparams sessions as SUCCESS, flush and close the files; calling it again does nothing.

        Logging afterwards opens a new file.
        """
        self.end_hparams("SUCCESS")
        for sub in self._sub_runs:
            sub.close()
        self._file.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.end_hparams("FAILURE")  # the with block raised: training failed
        self.close()

