"""``SummaryWriter``: the user-facing API, a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.log_metrics({"lr": 0.1, "acc": step / 100}, step=step)

It validates input (a refused call writes nothing and leaves the writer usable),
turns each call into Event bytes (``encode`` and ``summaries``) and appends them to an
:class:`~tbwriter.eventfile.EventFile`.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Mapping
from datetime import datetime

from tbwriter import encode, wire
from tbwriter.eventfile import EventFile
from tbwriter.summaries import scalar
from tbwriter.values import (INT64_MAX, INT64_MIN, check_tag, check_utf8, to_float, to_seconds, to_step,
                             to_walltime, unencodable_tag)

_now = time.time


class SummaryWriter:
    """Writes event files for one run; see the module docstring for a call."""

    def __init__(self, log_dir: str | os.PathLike | None = None, comment: str = "",
                 purge_step: int | None = None, max_queue: int = 10, flush_secs: float = 120,
                 filename_suffix: str = "", storage_options: dict | None = None):
        """Args:
            log_dir: the run directory, a local path or an fsspec URL (``s3://bucket/runs/exp1``,
                ``gs://...``, ``az://...``, ``memory://...``); default ``runs/<date>_<host><comment>``.
            comment: appended to the default ``log_dir``.
            purge_step: TensorBoard drops events logged earlier at steps >= this one (a resumed run).
            max_queue: accepted for torch's signature; records are buffered by count and time.
            flush_secs: seconds between background flushes.
            filename_suffix: how event file names end.
            storage_options: for a URL, options of its fsspec filesystem (credentials, endpoint...).
        """
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue  # accepted for compatibility: we buffer by size and time instead
        self.flush_secs = to_seconds(flush_secs, "SummaryWriter", "flush_secs")
        self.filename_suffix = filename_suffix
        first: tuple[bytes, ...] = ()
        if purge_step is not None:
            step = to_step(purge_step, "SummaryWriter", "purge_step")
            # SessionLog(status=START) at purge_step: TensorBoard drops older events at steps >= it.
            start = encode.length_delimited(wire.Event.SESSION_LOG.tag,
                                            wire.SessionLog.STATUS.tag + encode.varint(wire.SessionStatus.START))
            first = (encode.event_head(_now(), step) + start,)
        self.storage_options = storage_options
        self._file = EventFile(self.log_dir, self.flush_secs, filename_suffix, first, storage_options)
        # A writer nobody holds any more (made in a function, never closed) writes what it has and
        # closes its file then; exit closes the files of writers still held.
        weakref.finalize(self, self._file.close_or_report).atexit = False
        self._scalars = encode.ScalarEncoder()
        self._append, self._scalar_event = self._file.append, self._scalars.event  # hot path
        self._sub_writers: dict[str, SummaryWriter] = {}
        self._sub_writers_lock = threading.Lock()  # threads calling add_scalars get one writer per sub-run
        self._warned_double = False
        self._session_hparams: dict | None = None  # the hparams session of this run, once add_hparams starts it
        self._session_open = False

    def get_logdir(self) -> str:
        """The run directory: ``SummaryWriter("runs/a").get_logdir() == "runs/a"``."""
        return self.log_dir

    # -- scalars ---------------------------------------------------------------------------
    def add_scalar(self, tag: str, scalar_value: object, global_step: int | None = None,
                   walltime: float | None = None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Log one scalar: ``w.add_scalar("loss", 0.25, step)``.

        ``new_style=True`` writes a v2 rank-0 DT_FLOAT tensor (both TensorBoard loaders
        show it); ``double_precision=True`` with it writes DT_DOUBLE, which TensorBoard's
        ``--load_fast=true`` loader does not display.
        """
        if (type(scalar_value) is float and type(global_step) is int and 0 <= global_step <= INT64_MAX
                and type(tag) is str and tag and walltime is None and not new_style):
            try:
                data = self._scalar_event(_now(), global_step, tag, scalar_value)
            except UnicodeEncodeError as e:  # only on a tag's first use: later ones are cached
                raise unencodable_tag("add_scalar", e) from None
            self._append(data)
            return
        check_tag(tag, "add_scalar")
        value = scalar_value if type(scalar_value) is float else to_float(scalar_value, "add_scalar", tag)
        if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = to_step(global_step, "add_scalar", tag)
        wall = _now() if walltime is None else to_walltime(walltime, "add_scalar", tag)
        if new_style:
            if double_precision:
                self._warn_double()
            data = encode.summary_event(wall, step, scalar.tensor_value(tag, value, double_precision))
        else:
            data = self._scalars.event(wall, step, tag, value)
        self._file.append(data)

    def log_metrics(self, metrics: Mapping[str, object], step: int | None = None,
                    walltime: float | None = None) -> None:
        """Log a dict of scalars at one step as a single event: ``w.log_metrics({"loss": 0.2, "acc": 0.9}, step=5)``."""
        if not isinstance(metrics, Mapping):
            raise TypeError(f"log_metrics: metrics must be a mapping of tag to number, got {type(metrics).__name__}")
        values = {}
        for tag, value in metrics.items():
            if type(tag) is not str or not tag:
                check_tag(tag, "log_metrics")
            values[tag] = value if type(value) is float else to_float(value, "log_metrics", tag)
        if not values:
            return
        first = next(iter(values))
        step = step if type(step) is int and INT64_MIN <= step <= INT64_MAX else to_step(step, "log_metrics", first)
        wall = _now() if walltime is None else to_walltime(walltime, "log_metrics", first)
        try:
            data = self._scalars.events_dict(wall, step, values)
        except UnicodeEncodeError as e:
            raise unencodable_tag("log_metrics", e) from None
        self._file.append(data)

    def add_scalars(self, main_tag: str, tag_scalar_dict: Mapping[str, object],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """torch's layout: each key goes to run ``<log_dir>/<main_tag>_<key>`` under tag ``main_tag``.

            w.add_scalars("loss", {"train": 0.3, "val": 0.4}, step)
        """
        check_tag(main_tag, "add_scalars")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(f"add_scalars(main_tag={main_tag!r}): tag_scalar_dict must be a mapping, "
                            f"got {type(tag_scalar_dict).__name__}")
        # Every key is checked before any is written: a refused call writes nothing.
        values = {self._sub_run(main_tag, k): to_float(v, "add_scalars", f"{main_tag}/{k}")
                  for k, v in tag_scalar_dict.items()}
        step, wall = self._when("add_scalars", main_tag, global_step, walltime)
        for run, value in values.items():
            self._sub_writer(run).add_scalar(main_tag, value, step, wall)

    def _sub_run(self, main_tag: str, key: object) -> str:
        """The sub-run of ``key`` in ``add_scalars``, refused if its path would leave ``log_dir``."""
        run = main_tag.replace("/", "_") + "_" + check_tag(key, "add_scalars")
        if "\0" in run or ".." in run.split("/"):  # it starts with main_tag, so it is never absolute
            raise ValueError(f"add_scalars(main_tag={main_tag!r}): key {key!r} would make the sub-run {run!r}, "
                             f"whose path leaves log_dir {self.log_dir!r} or is no path; use a key without "
                             "'..' components or NUL characters")
        return run

    def _sub_writer(self, run: str) -> SummaryWriter:
        """The writer of sub-run ``<log_dir>/<run>``, created on first use and closed with this one."""
        sub = self._sub_writers.get(run)
        if sub is None:
            with self._sub_writers_lock:
                sub = self._sub_writers.get(run)
                if sub is None:
                    sub = self._sub_writers[run] = SummaryWriter(os.path.join(self.log_dir, run),
                                                                 flush_secs=self.flush_secs,
                                                                 filename_suffix=self.filename_suffix,
                                                                 storage_options=self.storage_options)
        return sub

    def _warn_double(self) -> None:
        if not self._warned_double:
            self._warned_double = True
            warnings.warn("add_scalar(double_precision=True) writes DT_DOUBLE tensors, which TensorBoard's "
                          "--load_fast=true loader does not display", stacklevel=3)

    # -- hparams, text, images ---------------------------------------------------------------
    # The summaries modules import numpy and protobuf, so they are imported on first use:
    # `import tbwriter` stays fast for those who only log scalars.

    def add_hparams(self, hparam_dict: Mapping[str, object], metric_dict: Mapping[str, object],
                    hparam_domain_discrete: Mapping[str, list] | None = None, run_name: str | None = None,
                    global_step: int | None = None) -> None:
        """Start this run's hyperparameter session and log ``metric_dict`` as scalars at ``global_step``.

            with SummaryWriter("runs/lr0.1") as w:
                w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {})     # at the start of training
                ...                                                     # add_scalar(...) as usual
                w.add_hparams({"lr": 0.1, "optimizer": "adam"}, {"hparam/accuracy": 0.93}, global_step=step)

        The session lives in this writer's run, beside its training curves (``run_name="x"``:
        in sub-run ``x``, torch's layout). Later calls must repeat the same hparams and only
        log metrics. The session ends SUCCESS at ``close()``, FAILURE when a ``with`` block
        exits on an exception, or as ``end_hparams(status)`` says. ``hparam_domain_discrete``
        (name -> allowed values) is checked, not written: TensorBoard lists the values the runs used.
        """
        from tbwriter.summaries import hparams

        checked = hparams.check_hparams(hparam_dict, hparam_domain_discrete, "add_hparams")
        if not isinstance(metric_dict, Mapping):
            raise TypeError(f"add_hparams: metric_dict must be a mapping of tag to number, "
                            f"got {type(metric_dict).__name__}")
        metrics = {check_tag(tag, "add_hparams"): to_float(value, "add_hparams", tag, "metric value")
                   for tag, value in metric_dict.items()}
        step = to_step(global_step, "add_hparams", next(iter(metrics), "hparams"))
        if run_name is not None and (not isinstance(run_name, str) or not run_name):
            raise TypeError(f"add_hparams: run_name must be a non-empty str or None, got {run_name!r}")
        existing = self if run_name is None else self._sub_writers.get(run_name)
        if existing is not None and existing._session_hparams not in (None, checked):
            raise ValueError(f"add_hparams: run {existing.log_dir!r} already holds a session with hparams "
                             f"{existing._session_hparams}; a run holds one session, pass run_name= for another")
        for name, value in checked.items():
            check_utf8(name, "add_hparams", f"hparam name {name!r}")
            if isinstance(value, str):
                check_utf8(value, "add_hparams", f"hparam {name!r} value {value!r}")
        start = None
        if existing is None or existing._session_hparams is None:  # encoded before any state changes
            now = _now()
            start = encode.summary_event(now, 0, hparams.session_start_value(checked, now))
        target = self if run_name is None else self._sub_writer(run_name)
        if start is not None:
            target._session_hparams, target._session_open = checked, True
            target._file.append(start)
        if metrics:
            target.log_metrics(metrics, step)

    def end_hparams(self, status: str = "SUCCESS") -> None:
        """End the hparams sessions of this run and its sub-runs as ``"SUCCESS"`` or ``"FAILURE"``.

            try:
                train(w)
            except Exception:
                w.end_hparams("FAILURE")
                raise

        A session ends once; ``close()`` ends the open ones as SUCCESS. TensorBoard keeps the
        first end status a run records, so the end is written only when it is known.
        """
        from tbwriter.summaries import hparams

        if status not in hparams.STATUSES:
            raise ValueError(f"end_hparams: status must be one of {', '.join(hparams.STATUSES)}, got {status!r}")
        if self._session_open:
            self._session_open = False
            now = _now()
            self._file.append(encode.summary_event(now, 0, hparams.session_end_value(status, now)))
        for sub in self._sub_writers.values():
            sub.end_hparams(status)

    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log markdown under exactly ``tag``: ``w.add_text("notes", "**lr** = 0.1", step)``."""
        from tbwriter.summaries import text

        check_tag(tag, "add_text")
        if not isinstance(text_string, str):
            raise TypeError(f"add_text(tag={tag!r}): text_string must be a str, got {type(text_string).__name__}")
        step, wall = self._when("add_text", tag, global_step, walltime)
        self._file.append(encode.summary_event(wall, step, text.text_value(tag, text_string)))

    def add_image(self, tag: str, img_tensor: object, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log one image: ``w.add_image("sample", hwc_uint8, step, dataformats="HWC")``.

        uint8 pixels in [0, 255] or floats in [0, 1]; 1, 3 or 4 channels (numpy or torch).
        """
        self._add_images("add_image", tag, img_tensor, global_step, walltime, dataformats)

    def add_images(self, tag: str, img_tensor: object, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one summary; TensorBoard shows a slider over its samples.

            w.add_images("batch", nchw_float, step)
        """
        self._add_images("add_images", tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure: object, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of same-sized figures) rendered by Agg.

            fig, ax = plt.subplots(); ax.plot([1, 3, 2])
            w.add_figure("curve", fig, step)           # closes fig unless close=False
        """
        from tbwriter.summaries import image

        check_tag(tag, "add_figure")
        step, wall = self._when("add_figure", tag, global_step, walltime)
        batch = image.figure_batch(figure, close, tag)
        self._file.append(encode.summary_event(wall, step, image.image_value(tag, batch)))

    def _add_images(self, method: str, tag: str, img_tensor: object, global_step: object, walltime: object,
                    dataformats: object) -> None:
        from tbwriter.summaries import image

        check_tag(tag, method)
        step, wall = self._when(method, tag, global_step, walltime)
        batch = image.to_batch(img_tensor, dataformats, method, tag)
        self._file.append(encode.summary_event(wall, step, image.image_value(tag, batch)))

    @staticmethod
    def _when(method: str, tag: str, global_step: object, walltime: object) -> tuple[int, float]:
        """The checked step and wall time of a call, before any costly encoding."""
        step = to_step(global_step, method, tag)
        return step, _now() if walltime is None else to_walltime(walltime, method, tag)

    # -- histograms ------------------------------------------------------------------------
    def add_histogram(self, tag: str, values: object, global_step: int | None = None,
                      bins: object = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log the distribution of ``values``: ``w.add_histogram("weights", model.fc.weight, step)``.

        ``values``: numpy array, nested list or torch tensor (any device or dtype). ``bins``:
        "tensorflow" (default), an int, a numpy strategy name ("auto", "fd", ...) or a
        sequence of edges. Every finite value is counted (outer buckets catch values beyond
        the edges); NaN/inf are left out with one warning. See tbwriter.summaries.histogram.
        """
        from tbwriter.summaries import histogram  # imports numpy on first use: `import tbwriter` stays quick
        check_tag(tag, "add_histogram")
        step, wall = self._when("add_histogram", tag, global_step, walltime)
        rows, nonfinite = histogram.histogram_rows(values, bins, max_bins, "add_histogram", tag)
        if nonfinite:  # before writing: a warnings filter set to "error" refuses the call cleanly
            warnings.warn(f"add_histogram(tag={tag!r}): left out {nonfinite} non-finite value(s) (NaN/inf) "
                          f"of {int(rows[:, 2].sum()) + nonfinite}", RuntimeWarning, stacklevel=2)
        self._file.append(encode.summary_event(wall, step, histogram.tensor_value(tag, rows)))

    def add_histogram_raw(self, tag: str, min: object, max: object, num: object, sum: object,
                          sum_squares: object, bucket_limits: object, bucket_counts: object,
                          global_step: int | None = None, walltime: float | None = None) -> None:
        """Log a histogram you have already bucketed (torch's arguments: right edges and counts).

            w.add_histogram_raw("h", min=0.5, max=3.5, num=6, sum=12.0, sum_squares=28.5,
                                bucket_limits=[1, 2, 4], bucket_counts=[1, 2, 3], global_step=0)

        Stored as TensorBoard's Python loader reads torch's form (empty end buckets dropped,
        ``min``/``max`` as the outer edges); ``sum`` and ``sum_squares`` are checked but not
        stored: TensorBoard 2 shows neither.
        """
        from tbwriter.summaries import histogram
        check_tag(tag, "add_histogram_raw")
        lo, hi, n, _, _ = (to_float(v, "add_histogram_raw", tag, name) for v, name in (
            (min, "min"), (max, "max"), (num, "num"), (sum, "sum"), (sum_squares, "sum_squares")))
        step, wall = self._when("add_histogram_raw", tag, global_step, walltime)
        rows = histogram.raw_rows(lo, hi, n, bucket_limits, bucket_counts, "add_histogram_raw", tag)
        self._file.append(encode.summary_event(wall, step, histogram.tensor_value(tag, rows)))

    # -- lifecycle ---------------------------------------------------------------------------
    def flush(self) -> None:
        """Return once everything logged so far is written to the files."""
        self._file.flush()
        for sub in self._sub_writers.values():
            sub.flush()

    def close(self) -> None:
        """End open hparams sessions as SUCCESS, flush and close the files; calling it again does nothing.

        Logging afterwards opens a new file.
        """
        self.end_hparams("SUCCESS")
        for sub in self._sub_writers.values():
            sub.close()
        self._file.close()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.end_hparams("FAILURE")  # the with block raised: training failed
        self.close()
