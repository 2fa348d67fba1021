"""``SummaryWriter``: the user-facing API, a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.log_metrics({"lr": 0.1, "acc": step / 100}, step=step)

Each ``add_*`` is short: it checks its input (:mod:`~tbwriter.writing.values`; a refused call writes nothing,
leaves the writer usable and names the call once), turns it into Event bytes (:mod:`~tbwriter.format.encode`
and :mod:`~tbwriter.writing.summaries`) and appends them to its sink. What a writer holds besides lives in
modules of its own: which ranks write and where their events go (:mod:`~tbwriter.writing.ranks`), the sub-runs
of ``add_scalars`` (:mod:`~tbwriter.writing.subruns`), the hparams sessions (:mod:`~tbwriter.writing.sessions`)
and the projector's files (:mod:`~tbwriter.writing.projector`).
"""
from __future__ import annotations

import os
import socket
import time
import warnings
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tbwriter import storage
from tbwriter.errors import ArgumentTypeError
from tbwriter.format import encode, wire
from tbwriter.writing.ranks import open_sink, rank_run
from tbwriter.writing.sessions import Sessions
from tbwriter.writing.subruns import SubRuns
from tbwriter.writing.summaries import scalar
from tbwriter.writing.values import (
    ARGUMENT_ERRORS,
    INT64_MAX,
    INT64_MIN,
    call_name,
    check_tag,
    check_utf8,
    names_errors,
    to_float,
    to_seconds,
    to_step,
    to_walltime,
    unencodable_tag,
)

if TYPE_CHECKING:
    from tbwriter.writing.eventfile import EventFile
    from tbwriter.writing.file_writer import FileWriter
    from tbwriter.writing.sinks import Discarded

_now = time.time
# A warning made while a summary is built points at the user's line: the builder, _write, the add_* method, the
# wrapper of names_errors, the caller.
_CALLER = 5


class SummaryWriter:
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

    def _write(self, tag: object, global_step: object, walltime: object, value: Callable[..., bytes],
               *args: object) -> None:
        """The body of every ``add_*`` of one summary: check the tag, the step and the wall time (before any
        costly encoding), make the ``Summary.Value`` bytes by ``value(*args)`` and append their event."""
        check_tag(tag)
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        self._file.append(encode.summary_event(wall, step, value(*args)))

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

    # -- hparams, text, images ---------------------------------------------------------------
    # The summaries modules import numpy and protobuf, so they are imported on first use:
    # `import tbwriter` stays fast for those who only log scalars.

    @names_errors(tag=None)
    def add_hparams(self, hparam_dict: Mapping[str, object], metric_dict: Mapping[str, object],
                    hparam_domain_discrete: Mapping[str, list] | None = None, run_name: str | None = None,
                    global_step: int | None = None, *, name: str | None = None) -> None:
        """Start this run's hyperparameter session and log ``metric_dict`` as scalars at ``global_step``.

            with SummaryWriter("runs/lr0.1") as w:
                w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {})     # at the start of training
                ...                                                     # add_scalar(...) as usual
                w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"hparam/accuracy": 0.93}, global_step=step)

        The session lives in this writer's run, beside its training curves (``run_name="x"``:
        in sub-run ``x``, torch's layout). Later calls with the same hparams log more metrics
        into it; a call with other hparams and no ``run_name`` starts its own session in a new
        sub-run named by the time, as torch names every one:

            for i in range(5):          # torch's docstring loop: five sessions
                w.add_hparams({"lr": 0.1 * i, "bsize": i}, {"hparam/accuracy": 10 * i})

        The session ends SUCCESS at ``close()``, FAILURE when a ``with`` block exits on an
        exception, or as ``end_hparams(status)`` says.

        Args:
            hparam_dict: name -> value (bool, str, int, float, numpy or torch scalar).
            metric_dict: tag -> number, logged as scalars at ``global_step`` in the session's run.
            hparam_domain_discrete: name -> allowed values; checked, not written (TensorBoard
                lists the values the runs used).
            run_name: put the session in sub-run ``run_name`` (torch's layout).
            global_step: the step of the metrics (see *Common arguments* above).
            name: tensorboardX's name for ``run_name`` (give one of the two).
        """
        from tbwriter.writing.summaries.hparams import check_hparams

        if name is not None:
            if run_name is not None:
                raise TypeError("add_hparams: give run_name or name (tensorboardX's name for it), not both")
            run_name = name
        checked = check_hparams(hparam_dict, hparam_domain_discrete)
        if not isinstance(metric_dict, Mapping):
            raise ArgumentTypeError("metric_dict", "must be a mapping of tag to number, "
                                                   f"got {type(metric_dict).__name__}")
        tag: object = None
        metrics = {}
        try:  # named after the metric, as log_metrics names its errors
            for tag, value in metric_dict.items():
                metrics[check_tag(tag)] = to_float(value, "metric value")
            tag = next(iter(metrics), None)
            step = to_step(global_step)
        except ARGUMENT_ERRORS as e:
            raise e.in_call(call_name("add_hparams", tag)) from None
        run = self._sessions.place(checked, run_name)
        self._sessions.start(checked, run)
        if metrics:
            (self if run is None else self._sub_runs.writer(run)).log_metrics(metrics, step)

    @names_errors(tag=None)
    def end_hparams(self, status: str = "SUCCESS") -> None:
        """End the hparams sessions of this run and its sub-runs as ``"SUCCESS"`` or ``"FAILURE"``.

            try:
                train(w)
            except Exception:
                w.end_hparams("FAILURE")
                raise

        A session ends once; ``close()`` ends the open ones as SUCCESS. TensorBoard keeps the
        first end status a run records, so the end is written only when it is known.

        Args:
            status: "SUCCESS" or "FAILURE".
        """
        self._sessions.end(status)

    @names_errors
    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log markdown under exactly ``tag``: ``w.add_text("notes", "**lr** = 0.1", step)``.

        Args:
            tag: the text's name (torch appends ``/text_summary``; we do not).
            text_string: markdown.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import text

        self._write(tag, global_step, walltime, text.text_value, tag, text_string)

    @names_errors
    def add_image(self, tag: str, img_tensor: object, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log one image: ``w.add_image("sample", hwc_uint8, step, dataformats="HWC")``.

        Args:
            tag: the image's name.
            img_tensor: uint8 pixels in [0, 255] or floats in [0, 1]; 1, 3 or 4 channels (numpy or torch).
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            dataformats: the axes of ``img_tensor``: "CHW", "HWC", "HW"...
        """
        self._write(tag, global_step, walltime, _images, tag, img_tensor, dataformats, False)

    @names_errors
    def add_images(self, tag: str, img_tensor: object, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one summary; TensorBoard shows a slider over its samples.

            w.add_images("batch", nchw_float, step)

        Args:
            tag: the images' name.
            img_tensor: a batch of uint8 [0, 255] or float [0, 1] images (numpy or torch).
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            dataformats: the axes of ``img_tensor``: "NCHW", "NHWC"...
        """
        self._write(tag, global_step, walltime, _images, tag, img_tensor, dataformats, True)

    @names_errors
    def add_figure(self, tag: str, figure: object, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of same-sized figures) rendered by Agg.

            fig, ax = plt.subplots(); ax.plot([1, 3, 2])
            w.add_figure("curve", fig, step)           # closes fig unless close=False

        Args:
            tag: the image's name.
            figure: a matplotlib Figure, or a list of figures of one size (one sample each).
            global_step: see *Common arguments* above.
            close: close the figure(s) once drawn.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import image

        self._write(tag, global_step, walltime, lambda: image.image_value(tag, image.figure_batch(figure, close)))

    # -- histograms ------------------------------------------------------------------------
    @names_errors
    def add_histogram(self, tag: str, values: object, global_step: int | None = None,
                      bins: object = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log the distribution of ``values``: ``w.add_histogram("weights", model.fc.weight, step)``.

        ``values``: numpy array, nested list or torch tensor (any device or dtype). ``bins``:
        "tensorflow" (default), an int, a numpy strategy name ("auto", "fd", ...) or a
        sequence of edges. Every finite value is counted (outer buckets catch values beyond
        the edges); NaN/inf are left out with one warning. See tbwriter.writing.summaries.histogram.

        Args:
            tag: the histogram's name.
            values: the numbers to count (numpy, nested list or torch tensor).
            global_step: see *Common arguments* above.
            bins: "tensorflow", an int, a numpy strategy name or a sequence of edges.
            walltime: see *Common arguments* above.
            max_bins: merge neighbouring buckets into at most this many rows.
        """
        self._write(tag, global_step, walltime, _histogram, tag, values, bins, max_bins)

    @names_errors
    def add_histogram_raw(self, tag: str, min: object, max: object, num: object, sum: object,
                          sum_squares: object, bucket_limits: object, bucket_counts: object,
                          global_step: int | None = None, walltime: float | None = None) -> None:
        """Log a histogram you have already bucketed (torch's arguments: right edges and counts).

            w.add_histogram_raw("h", min=0.5, max=3.5, num=6, sum=12.0, sum_squares=28.5,
                                bucket_limits=[1, 2, 4], bucket_counts=[1, 2, 3], global_step=0)

        Stored as TensorBoard's Python loader reads torch's form (empty end buckets dropped,
        ``min``/``max`` as the outer edges); ``sum`` and ``sum_squares`` are checked but not
        stored: TensorBoard 2 shows neither.

        Args:
            tag: the histogram's name.
            min: the smallest value counted.
            max: the largest value counted.
            num: how many values; must equal ``sum(bucket_counts)``.
            sum: checked as a number, not stored.
            sum_squares: checked as a number, not stored.
            bucket_limits: the right edge of each bucket.
            bucket_counts: the count of each bucket.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        self._write(tag, global_step, walltime, _raw_histogram, tag, min, max, num, sum, sum_squares, bucket_limits,
                    bucket_counts)

    # -- torch's file writers and model graphs --------------------------------------------------
    @property
    def file_writer(self) -> FileWriter:
        """torch's low-level writer of this run (``add_summary``, ``add_event``, ``add_graph``...).

            w.file_writer.add_summary(summary_proto, global_step=3)

        Unlike torch's, it is never None: after ``close()`` it opens a new event file when used.
        """
        from tbwriter.writing.file_writer import FileWriter

        writer = self.__dict__.get("_file_writer")
        if writer is None:
            writer = self.__dict__["_file_writer"] = FileWriter(self.log_dir, self._file)
        return writer

    def _get_file_writer(self) -> FileWriter:
        """``file_writer``, by the name Lightning and other torch integrations call: ``w._get_file_writer()``."""
        return self.file_writer

    @property
    def all_writers(self) -> dict[str, FileWriter]:
        """The file writer of this run and of each ``add_scalars`` sub-run, by directory (as torch's)."""
        writers = {self.log_dir: self.file_writer}
        for sub in self._sub_runs:
            writers.update(sub.all_writers)
        return writers

    @property
    def default_bins(self) -> list[float]:
        """torch's default histogram edges (``±1e-12·1.1^k`` up to 1e20, and 0): what ``bins="tensorflow"`` uses."""
        from tbwriter.writing.summaries.buckets import TF_EDGES

        return TF_EDGES.tolist()

    @names_errors(tag=None)
    def add_graph(self, model: object, input_to_model: object = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Trace a torch model with ``torch.jit.trace`` and write its graph for TensorBoard's Graphs tab.

            w.add_graph(model, torch.zeros(1, 3, 32, 32))

        Args:
            model: a ``torch.nn.Module`` (or a function/ScriptModule that ``torch.jit.trace`` takes).
            input_to_model: the example input: a tensor or a tuple of tensors.
            verbose: print the traced graph, as torch does.
            use_strict_trace: passed as ``strict`` to ``torch.jit.trace``; False lets the model
                return lists and dicts.

        A model that cannot be traced raises one ValueError naming it (torch prints the error,
        then raises it); nothing is written and the writer stays usable. torch is imported here only.
        """
        from tbwriter.writing.summaries import graph

        graph_def = graph.torch_graph_def(model, input_to_model, verbose, use_strict_trace)
        self.file_writer.write_graph(graph_def, graph.RUN_METADATA, None)

    # -- precision-recall curves -----------------------------------------------------------------
    @names_errors
    def add_pr_curve(self, tag: str, labels: object, predictions: object, global_step: int | None = None,
                     num_thresholds: int = 127, weights: object = None, walltime: float | None = None) -> None:
        """Log a precision-recall curve of ``predictions`` against true/false ``labels``.

            w.add_pr_curve("pr", labels=np.array([0, 1, 1]), predictions=np.array([0.1, 0.6, 0.9]), global_step=0)

        Args:
            tag: the curve's name.
            labels: the true classes, bool or 0/1 (numpy, torch or list), one per prediction.
            predictions: probabilities in [0, 1]; values outside it count nowhere, as in torch.
            global_step: see *Common arguments* above.
            num_thresholds: thresholds from 0 to 1 (at least 2; torch's cap of 127 applies).
            weights: one weight per prediction, or one for all; None weighs each 1.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import pr_curve

        def value() -> bytes:
            n = pr_curve.thresholds(num_thresholds)
            return pr_curve.pr_curve_value(tag, pr_curve.curve_from_predictions(labels, predictions, n, weights), n)

        self._write(tag, global_step, walltime, value)

    @names_errors
    def add_pr_curve_raw(self, tag: str, true_positive_counts: object, false_positive_counts: object,
                         true_negative_counts: object, false_negative_counts: object, precision: object,
                         recall: object, global_step: int | None = None, num_thresholds: int = 127,
                         weights: object = None, walltime: float | None = None) -> None:
        """Log a precision-recall curve you have computed: six sequences, one value per threshold.

            w.add_pr_curve_raw("pr_raw", [3, 2, 0], [2, 1, 0], [0, 1, 2], [0, 1, 3], [0.6, 0.67, 0], [1, 0.67, 0])

        Args:
            tag: the curve's name.
            true_positive_counts: one value per threshold, as all six sequences (all of one length).
            false_positive_counts: one value per threshold.
            true_negative_counts: one value per threshold.
            false_negative_counts: one value per threshold.
            precision: one value per threshold.
            recall: one value per threshold.
            global_step: see *Common arguments* above.
            num_thresholds: recorded in the metadata as torch records it (capped at 127).
            weights: accepted for torch's signature; torch ignores it too.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import pr_curve

        rows = [true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts, precision,
                recall]
        self._write(tag, global_step, walltime, lambda: pr_curve.pr_curve_value(
            tag, pr_curve.curve_from_counts(rows), pr_curve.thresholds(num_thresholds)))

    # -- embeddings (the projector's files) ------------------------------------------------------
    @names_errors
    def add_embedding(self, mat: object, metadata: object = None, label_img: object = None,
                      global_step: int | None = None, tag: str = "default", metadata_header: object = None) -> None:
        """Write an embedding for TensorBoard's projector: ``w.add_embedding(features, metadata=labels)``.

        Args:
            mat: ``(points, dimensions)`` numbers (numpy or torch).
            metadata: one label per point; with ``metadata_header``, one row of columns per point.
            label_img: ``(points, 1 or 3, height, width)`` images shown as the points' sprites,
                uint8 [0, 255] or floats [0, 1].
            global_step: see *Common arguments* above.
            tag: the embedding's name.
            metadata_header: the column names of a multi-column ``metadata``.

        Files go to ``<log_dir>/<step:05d>/<tag>/`` and ``<log_dir>/projector_config.pbtxt``, as torch
        puts them; the config keeps every embedding of the run, including earlier writers'.
        """
        from tbwriter.writing.projector import write_embedding

        check_tag(tag)
        write_embedding(self._run_dir, self.log_dir, tag, to_step(global_step), mat, metadata, label_img,
                        metadata_header, self._writes)

    # -- audio and video ---------------------------------------------------------------------
    @names_errors
    def add_audio(self, tag: str, snd_tensor: object, global_step: int | None = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """Log a sound clip as a 16-bit PCM WAV: ``w.add_audio("tone", np.sin(np.arange(44100) / 7), 0)``.

        Args:
            tag: the clip's name.
            snd_tensor: float samples in [-1, 1] shaped ``(samples,)``, ``(1, samples)`` (torch's
                shape) or ``(channels, samples)`` for several channels; or int16 samples as they are.
                Samples beyond [-1, 1] are clipped, never wrapped, with one warning.
            global_step: see *Common arguments* above.
            sample_rate: samples per second, a positive whole number.
            walltime: see *Common arguments* above.
        """
        self._write(tag, global_step, walltime, _audio, tag, snd_tensor, sample_rate)

    @names_errors
    def add_video(self, tag: str, vid_tensor: object, global_step: int | None = None, fps: float = 4,
                  walltime: float | None = None) -> None:
        """Log clips as one animated GIF: ``w.add_video("clip", np.random.rand(2, 16, 3, 64, 64), 0, fps=8)``.

        Args:
            tag: the clip's name.
            vid_tensor: ``(N, T, C, H, W)``: N clips of T frames, C of 1, 3 or 4 channels; uint8
                [0, 255] or floats [0, 1]. The N clips are tiled into one as torch tiles them.
            global_step: see *Common arguments* above.
            fps: frames per second.
            walltime: see *Common arguments* above.

        Needs Pillow (the ``media`` extra), not moviepy; torch writes nothing without moviepy.
        """
        from tbwriter.writing.summaries import video

        def value() -> bytes:
            rate = video.check_fps(fps)
            return video.video_value(tag, video.to_frames(vid_tensor), rate)

        self._write(tag, global_step, walltime, value)

    # -- meshes, custom scalar layouts, boxes, raw tensors, ONNX graphs ---------------------------
    @names_errors
    def add_mesh(self, tag: str, vertices: object, colors: object = None, faces: object = None,
                 config_dict: object = None, global_step: int | None = None, walltime: float | None = None) -> None:
        """Log a 3-D mesh or point cloud for TensorBoard's MESH tab.

            w.add_mesh("cube", vertices=v, colors=c, faces=f, global_step=0)   # each (1, points, 3)

        Args:
            tag: the mesh's name (its parts go under ``<tag>_VERTEX``, ``_FACE``, ``_COLOR``).
            vertices: ``(batch, points, 3)`` coordinates.
            colors: ``(batch, points, 3)`` RGB values 0..255 per vertex, or None.
            faces: ``(batch, faces, 3)`` vertex indices per triangle, or None.
            config_dict: three.js settings (camera, lights, material) as a JSON-serialisable dict.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import mesh

        self._write(tag, global_step, walltime, mesh.mesh_values, tag, vertices, colors, faces, config_dict)

    @names_errors(tag=None)
    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """Lay out charts of scalar tags in the CUSTOM SCALARS tab.

            w.add_custom_scalars({"Loss": {"train and val": ["Multiline", ["loss/train", "loss/val"]],
                                           "band": ["Margin", ["loss", "loss_low", "loss_high"]]}})

        Args:
            layout: ``{category: {chart title: [kind, tags]}}``; kind ``"Multiline"`` draws the tags
                (regular expressions) in one chart, ``"Margin"`` a value with its lower and upper tags.
        """
        from tbwriter.writing.summaries import custom_scalars

        self._write(custom_scalars.TAG, 0, None, custom_scalars.layout_value, layout)

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """One multiline chart: ``w.add_custom_scalars_multilinechart(["loss/train", "loss/val"], "Loss", "both")``.

        Args:
            tags: the scalar tags (regular expressions) drawn in the chart.
            category: the section the chart goes in.
            title: the chart's title.
        """
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """One margin chart: ``w.add_custom_scalars_marginchart(["loss", "loss_low", "loss_high"], "Loss", "band")``.

        Args:
            tags: three scalar tags: the value, its lower and its upper bound.
            category: the section the chart goes in.
            title: the chart's title.
        """
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    @names_errors
    def add_image_with_boxes(self, tag: str, img_tensor: object, box_tensor: object, global_step: int | None = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: list[str] | None = None) -> None:
        """Log an image with boxes (and their labels) drawn on it in red.

            w.add_image_with_boxes("detections", img_chw, np.array([[10, 10, 40, 30]]), 0, labels=["cat"])

        Args:
            tag: the image's name.
            img_tensor: one image, uint8 [0, 255] or floats [0, 1], laid out as ``dataformats``.
            box_tensor: ``(boxes, 4)`` as (xmin, ymin, xmax, ymax) in pixels.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            rescale: scale the drawn image by this factor.
            dataformats: the axes of ``img_tensor`` ("CHW", "HWC", "HW"...).
            labels: one label per box (a str for one box), or None.

        Needs Pillow (the ``media`` extra).
        """
        from tbwriter.writing.summaries import boxes, image

        def value() -> bytes:
            batch = image.to_batch(img_tensor, dataformats, batched=False)
            return boxes.boxed_value(tag, boxes.boxed_image(batch[0], box_tensor, labels, rescale))

        self._write(tag, global_step, walltime, value)

    @names_errors
    def add_tensor(self, tag: str, tensor: object, global_step: int | None = None,
                   walltime: float | None = None) -> None:
        """Log a raw tensor (plugin ``tensor``): ``w.add_tensor("weights", model.fc.weight, step)``.

        Args:
            tag: the tensor's name.
            tensor: a numpy array or torch tensor of floats, ints or complex numbers, any shape.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import tensor as tensors

        self._write(tag, global_step, walltime, tensors.tensor_value, tag, tensor)

    @names_errors(tag=None)
    def add_onnx_graph(self, prototxt: str | os.PathLike) -> None:
        """Write the graph of an ONNX model file for the Graphs tab: ``w.add_onnx_graph("model.onnx")``.

        Args:
            prototxt: the path of the ONNX model (torch's name for it).

        Needs the ``onnx`` package (the ``onnx`` extra), imported here only.
        """
        from tbwriter.writing.summaries import onnx_graph

        self.file_writer.write_graph(onnx_graph.onnx_graph_def(prototxt), None, None)

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


# Summary values whose making warns or takes several steps; _write calls them after the tag, step and wall time
# are checked. Their warnings name the public call and come before anything is written, so that a warnings filter
# set to "error" refuses the call cleanly.

def _images(tag: str, img_tensor: object, dataformats: object, batched: bool) -> bytes:
    from tbwriter.writing.summaries import image

    return image.image_value(tag, image.to_batch(img_tensor, dataformats, batched))


def _histogram(tag: str, values: object, bins: object, max_bins: object) -> bytes:
    from tbwriter.writing.summaries import histogram  # imports numpy on first use: `import tbwriter` stays quick

    rows, nonfinite = histogram.histogram_rows(values, bins, max_bins)
    if nonfinite:
        warnings.warn(f"add_histogram(tag={tag!r}): left out {nonfinite} non-finite value(s) (NaN/inf) "
                      f"of {int(rows[:, 2].sum()) + nonfinite}", RuntimeWarning, stacklevel=_CALLER)
    return histogram.tensor_value(tag, rows)


def _raw_histogram(tag: str, min: object, max: object, num: object, sum: object, sum_squares: object,
                   bucket_limits: object, bucket_counts: object) -> bytes:
    from tbwriter.writing.summaries import histogram

    lo, hi, n, _, _ = (to_float(v, name) for v, name in (
        (min, "min"), (max, "max"), (num, "num"), (sum, "sum"), (sum_squares, "sum_squares")))
    return histogram.tensor_value(tag, histogram.raw_rows(lo, hi, n, bucket_limits, bucket_counts))


def _audio(tag: str, snd_tensor: object, sample_rate: object) -> bytes:
    from tbwriter.writing.summaries import audio

    rate = audio.check_sample_rate(sample_rate)
    pcm, clipped = audio.to_pcm16(snd_tensor)
    if clipped:
        warnings.warn(f"add_audio(tag={tag!r}): clipped {clipped} sample(s) beyond [-1, 1]", RuntimeWarning,
                      stacklevel=_CALLER)
    return audio.audio_value(tag, pcm, rate)
