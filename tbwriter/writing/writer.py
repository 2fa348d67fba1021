"""``SummaryWriter``: the user-facing API, a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.log_metrics({"lr": 0.1, "acc": step / 100}, step=step)

Here: making a writer, its scalars (the hot path) and its life cycle. Its other methods are parts it is made of
(:mod:`~tbwriter.writing.calls` says what they share): :mod:`~tbwriter.writing.sessions` (hparams),
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
import warnings
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tbwriter import storage
from tbwriter.errors import ArgumentTypeError
from tbwriter.format import encode, wire
from tbwriter.writing.calls import ARGUMENT_ERRORS, call_name, names_errors
from tbwriter.writing.charts import ChartCalls
from tbwriter.writing.graphs import GraphCalls
from tbwriter.writing.media import MediaCalls
from tbwriter.writing.ranks import open_sink, rank_run
from tbwriter.writing.sessions import SessionCalls, Sessions
from tbwriter.writing.subruns import SubRuns
from tbwriter.writing.summaries import scalar
from tbwriter.writing.values import (
    INT64_MAX,
    INT64_MIN,
    check_tag,
    check_utf8,
    to_float,
    to_seconds,
    to_step,
    to_walltime,
    unencodable_tag,
)

if TYPE_CHECKING:
    from tbwriter.writing.eventfile import EventFile
    from tbwriter.writing.sinks import Discarded

_now = time.time

class SummaryWriter(SessionCalls, MediaCalls, ChartCalls, GraphCalls):
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
                 write_to_disk: bool = True, storage_options: dict | None = None):
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
                            write_to_disk=self.write_to_disk, storage_options=self.storage_options)
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

    # -- scalars ---------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: object, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False, *, display_name: str = "",
                   summary_description: str = "") -> None:
        """Log one scalar: ``w.add_scalar("loss", 0.25, step)``.

        Args:
            tag: the chart's name; ``/`` groups charts into sections.
            scalar_value: a real number: int, float, numpy or torch scalar (NaN and ±inf pass).
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            new_style: write a v2 rank-0 DT_FLOAT tensor (both TensorBoard loaders show it)
                instead of a v1 ``simple_value``.
            double_precision: with ``new_style``, write DT_DOUBLE, which TensorBoard's
                ``--load_fast=true`` loader does not display (a warning says so).
            display_name: tensorboardX's option: the name TensorBoard shows for the series.
            summary_description: tensorboardX's option: a description shown with the chart.
        """
        # The hot path: no decorator (a call more per scalar), its errors named here; `try` costs nothing
        # until something is raised.
        try:
            if display_name or summary_description:
                data = self._described_scalar(tag, scalar_value, global_step, walltime, new_style,
                                              double_precision, display_name, summary_description)
            elif (type(scalar_value) is float and type(global_step) is int and 0 <= global_step <= INT64_MAX
                    and type(tag) is str and tag and walltime is None and not new_style):
                data = self._scalar_event(_now(), global_step, tag, scalar_value)
            else:
                data = self._checked_scalar(tag, scalar_value, global_step, walltime, new_style, double_precision)
        except UnicodeEncodeError as e:  # the fast path, on a tag's first use only: later ones are cached
            raise unencodable_tag(e).in_call(call_name("add_scalar", tag)) from None
        except ARGUMENT_ERRORS as e:
            raise e.in_call(call_name("add_scalar", tag)) from None
        self._append(data)

    def _checked_scalar(self, tag: object, scalar_value: object, global_step: object, walltime: object,
                        new_style: bool, double_precision: bool) -> bytes:
        """The event of an ``add_scalar`` off the fast path: every argument checked."""
        check_tag(tag)
        value = scalar_value if type(scalar_value) is float else to_float(scalar_value)
        step = global_step if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX else to_step(
            global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        if not new_style:
            return self._scalars.event(wall, step, tag, value)  # type: ignore[arg-type]  # checked above
        if double_precision:
            self._warn_double()
        return encode.summary_event(wall, step, scalar.tensor_value(str(tag), value, double_precision))

    def _described_scalar(self, tag: object, scalar_value: object, global_step: object, walltime: object,
                          new_style: bool, double_precision: bool, display_name: object,
                          description: object) -> bytes:
        """The event of an add_scalar with tensorboardX's display name and description in the summary's metadata."""
        check_tag(tag)
        for name, text in (("display_name", display_name), ("summary_description", description)):
            if not isinstance(text, str):
                raise ArgumentTypeError(name, f"must be a str, got {type(text).__name__}")
            check_utf8(text, name)
        value = to_float(scalar_value)
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        if new_style and double_precision:
            self._warn_double()
        return encode.summary_event(wall, step, scalar.described_value(
            str(tag), value, new_style, double_precision, str(display_name), str(description)))

    def _warn_double(self) -> None:
        if not self._warned_double:
            self._warned_double = True
            warnings.warn("add_scalar(double_precision=True) writes DT_DOUBLE tensors, which TensorBoard's "
                          "--load_fast=true loader does not display", stacklevel=4)  # the user's add_scalar

    def log_metrics(self, metrics: Mapping[str, object], step: int | None = None,
                    walltime: float | None = None) -> None:
        """Log a dict of scalars at one step as a single event: ``w.log_metrics({"loss": 0.2, "acc": 0.9}, step=5)``.

        Args:
            metrics: tag -> real number (int, float, numpy or torch scalar).
            step: the step, as ``global_step`` (see *Common arguments* above).
            walltime: see *Common arguments* above.
        """
        tag: object = None  # the tag an error is named after (a hot path: named here, not by a decorator)
        try:
            if not isinstance(metrics, Mapping):
                raise ArgumentTypeError("metrics", "must be a mapping of tag to number, "
                                                   f"got {type(metrics).__name__}")
            values = {}
            for tag, value in metrics.items():
                if type(tag) is not str or not tag:
                    check_tag(tag)
                values[tag] = value if type(value) is float else to_float(value)
            if not values:
                return
            tag = next(iter(values))
            step = step if type(step) is int and INT64_MIN <= step <= INT64_MAX else to_step(step)
            wall = _now() if walltime is None else to_walltime(walltime)
            data = self._scalars.events_dict(wall, step, values)
        except UnicodeEncodeError as e:
            raise unencodable_tag(e).in_call(call_name("log_metrics", e.object)) from None
        except ARGUMENT_ERRORS as e:
            raise e.in_call(call_name("log_metrics", tag)) from None
        self._file.append(data)

    @names_errors(tag="main_tag")
    def add_scalars(self, main_tag: str, tag_scalar_dict: Mapping[str, object],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """torch's layout: each key goes to run ``<log_dir>/<main_tag>_<key>`` under tag ``main_tag``.

            w.add_scalars("loss", {"train": 0.3, "val": 0.4}, step)

        Args:
            main_tag: the tag of every series (one chart with a line per key).
            tag_scalar_dict: key -> real number; each key is its own sub-run.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        check_tag(main_tag)
        # Every key is checked before any is written: a refused call writes nothing.
        try:
            if not isinstance(tag_scalar_dict, Mapping):
                raise ArgumentTypeError("tag_scalar_dict", f"must be a mapping, got {type(tag_scalar_dict).__name__}")
            runs = [self._sub_runs.scalars_run(main_tag, key) for key in tag_scalar_dict]
        except ARGUMENT_ERRORS as e:
            raise e.in_call(f"add_scalars(main_tag={main_tag!r})") from None
        values = {}
        for run, (key, value) in zip(runs, tag_scalar_dict.items(), strict=True):
            try:
                values[run] = to_float(value)
            except ARGUMENT_ERRORS as e:  # named by the series, as add_scalar would name it
                raise e.in_call(call_name("add_scalars", f"{main_tag}/{key}")) from None
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        for run, value in values.items():
            self._sub_runs.writer(run).add_scalar(main_tag, value, step, wall)

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

