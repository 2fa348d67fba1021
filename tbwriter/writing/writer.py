"""``SummaryWriter``: the user-facing API, a drop-in for ``torch.utils.tensorboard.SummaryWriter``.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/exp1") as w:
        for step in range(100):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.log_metrics({"lr": 0.1, "acc": step / 100}, step=step)

It validates input (a refused call writes nothing and leaves the writer usable),
turns each call into Event bytes (``encode`` and ``summaries``) and appends them to an
:class:`~tbwriter.writing.eventfile.EventFile`. Under many ranks (torchrun, SLURM) only rank 0 writes by
default: the other ranks validate and encode every call the same way and drop the bytes.
"""
from __future__ import annotations

import os
import socket
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tbwriter import storage
from tbwriter.format import encode, wire
from tbwriter.writing import deferred, distributed, eventfile
from tbwriter.writing.eventfile import EventFile
from tbwriter.writing.sinks import Discarded
from tbwriter.writing.summaries import scalar
from tbwriter.writing.values import (
    INT64_MAX,
    INT64_MIN,
    check_inside,
    check_tag,
    check_utf8,
    to_float,
    to_seconds,
    to_step,
    to_walltime,
    unencodable_tag,
)

if TYPE_CHECKING:
    from tbwriter.writing.file_writer import FileWriter

_now = time.time
_RANKS = ("zero", "each", "any")


def _rank_run(log_dir: str, ranks: object) -> tuple[str, bool]:
    """This process's run directory and whether it writes there (``SummaryWriter(ranks=...)``)."""
    if ranks == "any":
        return log_dir, True
    if ranks not in _RANKS:
        raise ValueError(f"SummaryWriter: ranks must be one of {', '.join(map(repr, _RANKS))}, got {ranks!r}")
    rank = distributed.detect().rank
    if ranks == "each":
        return os.path.join(log_dir, f"rank_{rank}"), True
    return log_dir, rank == 0


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
            defer_device: scalars given as tensors on a device (CUDA...) are copied to the host later, in
                batches, by the background thread, so the call never waits for the device; False fetches
                each at the call with ``.item()``, as torch's writer does (docs/writing.md).
        """
        if logdir is not None:
            if log_dir is not None:
                raise TypeError("SummaryWriter: give log_dir or logdir (tensorboardX's name for it), not both")
            log_dir = logdir
        if log_dir is None:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir, self._writes = _rank_run(os.fspath(log_dir), ranks)
        # log_dir stays as given (get_logdir() returns it, as torch's does), but every file goes where it
        # points now: an os.chdir later (Hydra makes one) must not split the run across two directories.
        self._run_dir = self.log_dir if storage.is_url(self.log_dir) else os.path.abspath(self.log_dir)
        self._writes = self._writes and write_to_disk
        self.ranks, self.write_to_disk = ranks, write_to_disk
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
        if not isinstance(defer_device, bool):
            raise TypeError(f"SummaryWriter: defer_device must be True or False, got {defer_device!r:.80}")
        self.defer_device = defer_device
        if self._writes and not storage.is_url(self._run_dir):  # before the file: a warning made an error opens none
            self._warn_other_writers()
        self._file: EventFile | Discarded = (EventFile(self._run_dir, self.flush_secs, filename_suffix, first,
                                                        storage_options)
                                              if self._writes else Discarded())
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

    def _warn_other_writers(self) -> None:
        """Warn when a file of this run was opened by another process that still runs: TensorBoard will miss points."""
        others = eventfile.other_writers(self._run_dir)
        if others:
            path, pid = others[-1]
            warnings.warn(f"SummaryWriter: process {pid}, still running, opened {os.path.basename(path)} in "
                          f"{self.log_dir}; TensorBoard reads a run's files one after the other and never goes "
                          "back, so it will miss the points of one of two files growing at once: give each "
                          "process a run directory of its own", RuntimeWarning, stacklevel=3)

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
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
            new_style: write a v2 rank-0 DT_FLOAT tensor (both TensorBoard loaders show it)
                instead of a v1 ``simple_value``.
            double_precision: with ``new_style``, write DT_DOUBLE, which TensorBoard's
                ``--load_fast=true`` loader does not display (a warning says so).
            display_name: tensorboardX's option: the name TensorBoard shows for the series.
            summary_description: tensorboardX's option: a description shown with the chart.
        """
        if display_name or summary_description:
            self._add_described_scalar(tag, scalar_value, global_step, walltime, new_style, double_precision,
                                       display_name, summary_description)
            return
        if (type(scalar_value) is float and type(global_step) is int and 0 <= global_step <= INT64_MAX
                and type(tag) is str and tag and walltime is None and not new_style):
            try:
                data = self._scalar_event(_now(), global_step, tag, scalar_value)
            except UnicodeEncodeError as e:  # only on a tag's first use: later ones are cached
                raise unencodable_tag("add_scalar", e) from None
            self._append(data)
            return
        check_tag(tag, "add_scalar")
        value = scalar_value if type(scalar_value) is float else self._number(scalar_value, "add_scalar", tag)
        if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX:
            step = global_step
        else:
            step = to_step(global_step, "add_scalar", tag)
        wall = _now() if walltime is None else to_walltime(walltime, "add_scalar", tag)
        if new_style:
            if double_precision:
                self._warn_double()
            self._append_values([value], lambda v: encode.summary_event(
                wall, step, scalar.tensor_value(tag, v[0], double_precision)), "add_scalar", tag)
        else:
            self._append_values([value], lambda v: self._scalars.event(wall, step, tag, v[0]), "add_scalar", tag)

    def _number(self, value: object, method: str, tag: object) -> float | deferred.Slot:
        """``value`` as a float, or for a tensor on a device (with ``defer_device``) the slot its value will land
        in: a copy is queued on the device and nothing waits for it (docs/writing.md)."""
        if self.defer_device and deferred.deferrable(value):
            return deferred.snapshot(value) if self._writes else 0.0  # a rank that writes nothing needs no value
        return to_float(value, method, tag)

    def _append_values(self, values: list[float | deferred.Slot], make: Callable[[list[float]], bytes],
                       method: str, tag: object) -> None:
        """Append the event ``make(values)`` makes: now, or once the values still on a device have landed."""
        if deferred.Slot in map(type, values):
            self._file.append_deferred(deferred.Deferred(values, make, f"{method}(tag={tag!r})"))
        else:
            self._file.append(make(values))  # type: ignore[arg-type]  # all floats here

    def _add_described_scalar(self, tag: str, scalar_value: object, global_step: object, walltime: object,
                              new_style: bool, double_precision: bool, display_name: object,
                              description: object) -> None:
        """add_scalar with tensorboardX's display name and description in the summary's metadata."""
        check_tag(tag, "add_scalar")
        for name, text in (("display_name", display_name), ("summary_description", description)):
            if not isinstance(text, str):
                raise TypeError(f"add_scalar(tag={tag!r}): {name} must be a str, got {type(text).__name__}")
        value = self._number(scalar_value, "add_scalar", tag)
        step, wall = self._when("add_scalar", tag, global_step, walltime)
        if new_style and double_precision:
            self._warn_double()
        self._append_values([value], lambda v: encode.summary_event(wall, step, scalar.described_value(
            tag, v[0], new_style, double_precision, str(display_name), str(description))), "add_scalar", tag)

    def log_metrics(self, metrics: Mapping[str, object], step: int | None = None,
                    walltime: float | None = None) -> None:
        """Log a dict of scalars at one step as a single event: ``w.log_metrics({"loss": 0.2, "acc": 0.9}, step=5)``.

        Args:
            metrics: tag -> real number (int, float, numpy or torch scalar).
            step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        if not isinstance(metrics, Mapping):
            raise TypeError(f"log_metrics: metrics must be a mapping of tag to number, got {type(metrics).__name__}")
        values: dict[str, float | deferred.Slot] = {}
        for tag, value in metrics.items():
            if type(tag) is not str or not tag:
                check_tag(tag, "log_metrics")
            values[tag] = value if type(value) is float else self._number(value, "log_metrics", tag)
        if not values:
            return
        first = next(iter(values))
        step = step if type(step) is int and INT64_MIN <= step <= INT64_MAX else to_step(step, "log_metrics", first)
        wall = _now() if walltime is None else to_walltime(walltime, "log_metrics", first)
        tags = list(values)
        if deferred.Slot in map(type, values.values()):
            for tag in tags:  # checked now: the event is encoded later, by the background thread
                check_tag(tag, "log_metrics")
        try:
            self._append_values(list(values.values()), lambda v: self._scalars.events_dict(
                wall, step, dict(zip(tags, v, strict=True))), "log_metrics", first)
        except UnicodeEncodeError as e:
            raise unencodable_tag("log_metrics", e) from None

    def add_scalars(self, main_tag: str, tag_scalar_dict: Mapping[str, object],
                    global_step: int | None = None, walltime: float | None = None) -> None:
        """torch's layout: each key goes to run ``<log_dir>/<main_tag>_<key>`` under tag ``main_tag``.

            w.add_scalars("loss", {"train": 0.3, "val": 0.4}, step)

        Args:
            main_tag: the tag of every series (one chart with a line per key).
            tag_scalar_dict: key -> real number; each key is its own sub-run.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        check_tag(main_tag, "add_scalars")
        if not isinstance(tag_scalar_dict, Mapping):
            raise TypeError(f"add_scalars(main_tag={main_tag!r}): tag_scalar_dict must be a mapping, "
                            f"got {type(tag_scalar_dict).__name__}")
        # Every key is checked before any is written: a refused call writes nothing.
        # A device tensor is checked here and snapshotted by the sub-run's add_scalar, without waiting.
        values = {self._sub_run(main_tag, k): v if self.defer_device and deferred.deferrable(v) else
                  to_float(v, "add_scalars", f"{main_tag}/{k}") for k, v in tag_scalar_dict.items()}
        step, wall = self._when("add_scalars", main_tag, global_step, walltime)
        for run, value in values.items():
            self._sub_writer(run).add_scalar(main_tag, value, step, wall)

    def _sub_run(self, main_tag: str, key: object) -> str:
        """The sub-run of ``key`` in ``add_scalars``, refused if it is no path that stays inside ``log_dir``."""
        run = main_tag.replace("/", "_") + "_" + check_tag(key, "add_scalars")
        if run not in self._sub_writers:  # checked once, before its writer is made: not at every call
            check_inside(run, f"add_scalars(main_tag={main_tag!r})", f"key {key!r:.80}: its sub-run",
                         f"log_dir {self.log_dir}")
        return run

    def _sub_writer(self, run: str) -> SummaryWriter:
        """The writer of sub-run ``<log_dir>/<run>``, created on first use and closed with this one."""
        sub = self._sub_writers.get(run)
        if sub is None:
            with self._sub_writers_lock:
                sub = self._sub_writers.get(run)
                if sub is None:
                    sub = SummaryWriter(os.path.join(self._run_dir, run), flush_secs=self.flush_secs,
                                        filename_suffix=self.filename_suffix,
                                        ranks="any" if self._writes else "zero",
                                        write_to_disk=self.write_to_disk, storage_options=self.storage_options,
                                        defer_device=self.defer_device)
                    sub.log_dir = os.path.join(self.log_dir, run)  # shown as torch shows it: below ours as given
                    self._sub_writers[run] = sub
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
            global_step: the step of the metrics; None is 0.
            name: tensorboardX's name for ``run_name`` (give one of the two).
        """
        from tbwriter.writing.summaries import hparams

        if name is not None:
            if run_name is not None:
                raise TypeError("add_hparams: give run_name or name (tensorboardX's name for it), not both")
            run_name = name

        checked = hparams.check_hparams(hparam_dict, hparam_domain_discrete, "add_hparams")
        if not isinstance(metric_dict, Mapping):
            raise TypeError(f"add_hparams: metric_dict must be a mapping of tag to number, "
                            f"got {type(metric_dict).__name__}")
        metrics = {check_tag(tag, "add_hparams"): to_float(value, "add_hparams", tag, "metric value")
                   for tag, value in metric_dict.items()}
        step = to_step(global_step, "add_hparams", next(iter(metrics), "hparams"))
        if run_name is not None and (not isinstance(run_name, str) or not run_name):
            raise TypeError(f"add_hparams: run_name must be a non-empty str or None, got {run_name!r}")
        # torch scripts pass run_name="." (or log_dir's own absolute path) to keep the session in this run
        own_run = run_name is not None and self._names_this_run(run_name)
        if own_run:
            run_name = None
        elif run_name is not None:
            check_inside(run_name, "add_hparams", "run_name", f"log_dir {self.log_dir}")
        elif self._session_hparams not in (None, checked):
            run_name = self._session_run_name(checked)  # another session: its own run, as torch gives each call
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

    def _names_this_run(self, run_name: str) -> bool:
        """Whether ``run_name`` joined to log_dir, as torch joins it, is this writer's own run directory."""
        if storage.is_url(self._run_dir):
            return run_name.strip("/") in ("", ".")
        return os.path.normpath(os.path.join(self._run_dir, run_name)) == os.path.normpath(self._run_dir)

    def _session_run_name(self, hparams: dict) -> str:
        """The sub-run already holding a session of these hparams, else a new one named by the time as torch does."""
        for name, sub in self._sub_writers.items():
            if sub._session_hparams == hparams:
                return name
        name = str(_now())
        while name in self._sub_writers:
            name += "_"
        return name

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
        from tbwriter.writing.summaries import hparams

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
        """Log markdown under exactly ``tag``: ``w.add_text("notes", "**lr** = 0.1", step)``.

        Args:
            tag: the text's name (torch appends ``/text_summary``; we do not).
            text_string: markdown.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import text

        check_tag(tag, "add_text")
        if not isinstance(text_string, str):
            raise TypeError(f"add_text(tag={tag!r}): text_string must be a str, got {type(text_string).__name__}")
        step, wall = self._when("add_text", tag, global_step, walltime)
        self._file.append(encode.summary_event(wall, step, text.text_value(tag, text_string)))

    def add_image(self, tag: str, img_tensor: object, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log one image: ``w.add_image("sample", hwc_uint8, step, dataformats="HWC")``.

        Args:
            tag: the image's name.
            img_tensor: uint8 pixels in [0, 255] or floats in [0, 1]; 1, 3 or 4 channels (numpy or torch).
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
            dataformats: the axes of ``img_tensor``: "CHW", "HWC", "HW"...
        """
        self._add_images("add_image", tag, img_tensor, global_step, walltime, dataformats)

    def add_images(self, tag: str, img_tensor: object, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one summary; TensorBoard shows a slider over its samples.

            w.add_images("batch", nchw_float, step)

        Args:
            tag: the images' name.
            img_tensor: a batch of uint8 [0, 255] or float [0, 1] images (numpy or torch).
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
            dataformats: the axes of ``img_tensor``: "NCHW", "NHWC"...
        """
        self._add_images("add_images", tag, img_tensor, global_step, walltime, dataformats)

    def add_figure(self, tag: str, figure: object, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of same-sized figures) rendered by Agg.

            fig, ax = plt.subplots(); ax.plot([1, 3, 2])
            w.add_figure("curve", fig, step)           # closes fig unless close=False

        Args:
            tag: the image's name.
            figure: a matplotlib Figure, or a list of figures of one size (one sample each).
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            close: close the figure(s) once drawn.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import image

        check_tag(tag, "add_figure")
        step, wall = self._when("add_figure", tag, global_step, walltime)
        batch = image.figure_batch(figure, close, tag)
        self._file.append(encode.summary_event(wall, step, image.image_value(tag, batch)))

    def _add_images(self, method: str, tag: str, img_tensor: object, global_step: object, walltime: object,
                    dataformats: object) -> None:
        from tbwriter.writing.summaries import image

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
        the edges); NaN/inf are left out with one warning. See tbwriter.writing.summaries.histogram.

        Args:
            tag: the histogram's name.
            values: the numbers to count (numpy, nested list or torch tensor).
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            bins: "tensorflow", an int, a numpy strategy name or a sequence of edges.
            walltime: seconds since the epoch; None is now.
            max_bins: merge neighbouring buckets into at most this many rows.
        """
        from tbwriter.writing.summaries import histogram  # imports numpy on first use: `import tbwriter` stays quick
        check_tag(tag, "add_histogram")
        step, wall = self._when("add_histogram", tag, global_step, walltime)
        if getattr(getattr(values, "device", None), "type", "cpu") != "cpu" and hasattr(values, "detach"):
            from tbwriter.writing.summaries import device_histogram  # counted on the device: only counts come back
            rows, nonfinite = device_histogram.device_histogram_rows(values, bins, max_bins, "add_histogram", tag)
        else:
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

        Args:
            tag: the histogram's name.
            min: the smallest value counted.
            max: the largest value counted.
            num: how many values; must equal ``sum(bucket_counts)``.
            sum: checked as a number, not stored.
            sum_squares: checked as a number, not stored.
            bucket_limits: the right edge of each bucket.
            bucket_counts: the count of each bucket.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import histogram
        check_tag(tag, "add_histogram_raw")
        lo, hi, n, _, _ = (to_float(v, "add_histogram_raw", tag, name) for v, name in (
            (min, "min"), (max, "max"), (num, "num"), (sum, "sum"), (sum_squares, "sum_squares")))
        step, wall = self._when("add_histogram_raw", tag, global_step, walltime)
        rows = histogram.raw_rows(lo, hi, n, bucket_limits, bucket_counts, "add_histogram_raw", tag)
        self._file.append(encode.summary_event(wall, step, histogram.tensor_value(tag, rows)))

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
        for sub in self._sub_writers.values():
            writers.update(sub.all_writers)
        return writers

    @property
    def default_bins(self) -> list[float]:
        """torch's default histogram edges (``±1e-12·1.1^k`` up to 1e20, and 0): what ``bins="tensorflow"`` uses."""
        from tbwriter.writing.summaries.buckets import TF_EDGES

        return TF_EDGES.tolist()

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

        graph_def = graph.torch_graph_def(model, input_to_model, verbose, use_strict_trace, "add_graph")
        self.file_writer.write_graph(graph_def, graph.RUN_METADATA, None, "add_graph")

    # -- precision-recall curves -----------------------------------------------------------------
    def add_pr_curve(self, tag: str, labels: object, predictions: object, global_step: int | None = None,
                     num_thresholds: int = 127, weights: object = None, walltime: float | None = None) -> None:
        """Log a precision-recall curve of ``predictions`` against true/false ``labels``.

            w.add_pr_curve("pr", labels=np.array([0, 1, 1]), predictions=np.array([0.1, 0.6, 0.9]), global_step=0)

        Args:
            tag: the curve's name.
            labels: the true classes, bool or 0/1 (numpy, torch or list), one per prediction.
            predictions: probabilities in [0, 1]; values outside it count nowhere, as in torch.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            num_thresholds: thresholds from 0 to 1 (at least 2; torch's cap of 127 applies).
            weights: one weight per prediction, or one for all; None weighs each 1.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import pr_curve

        check_tag(tag, "add_pr_curve")
        step, wall = self._when("add_pr_curve", tag, global_step, walltime)
        n = pr_curve.thresholds(num_thresholds, "add_pr_curve", tag)
        curve = pr_curve.curve_from_predictions(labels, predictions, n, weights, "add_pr_curve", tag)
        self._file.append(encode.summary_event(wall, step, pr_curve.pr_curve_value(tag, curve, n)))

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
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            num_thresholds: recorded in the metadata as torch records it (capped at 127).
            weights: accepted for torch's signature; torch ignores it too.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import pr_curve

        check_tag(tag, "add_pr_curve_raw")
        step, wall = self._when("add_pr_curve_raw", tag, global_step, walltime)
        n = pr_curve.thresholds(num_thresholds, "add_pr_curve_raw", tag)
        curve = pr_curve.curve_from_counts([true_positive_counts, false_positive_counts, true_negative_counts,
                                            false_negative_counts, precision, recall], n, "add_pr_curve_raw", tag)
        self._file.append(encode.summary_event(wall, step, pr_curve.pr_curve_value(tag, curve, n)))

    # -- embeddings (the projector's files) ------------------------------------------------------
    def add_embedding(self, mat: object, metadata: object = None, label_img: object = None,
                      global_step: int | None = None, tag: str = "default", metadata_header: object = None) -> None:
        """Write an embedding for TensorBoard's projector: ``w.add_embedding(features, metadata=labels)``.

        Args:
            mat: ``(points, dimensions)`` numbers (numpy or torch).
            metadata: one label per point; with ``metadata_header``, one row of columns per point.
            label_img: ``(points, 1 or 3, height, width)`` images shown as the points' sprites,
                uint8 [0, 255] or floats [0, 1].
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            tag: the embedding's name.
            metadata_header: the column names of a multi-column ``metadata``.

        Files go to ``<log_dir>/<step:05d>/<tag>/`` and ``<log_dir>/projector_config.pbtxt``, as torch
        puts them; the config keeps every embedding of the run, including earlier writers'.
        """
        from tbwriter.writing.summaries import embedding

        check_tag(tag, "add_embedding")
        if storage.is_url(self.log_dir):  # the projector reads plain files beside the run, not event records
            raise ValueError(f"add_embedding(tag={tag!r}): the projector files can only be written to a local "
                             f"log_dir, not to {self.log_dir}")
        step = to_step(global_step, "add_embedding", tag)
        files, single_image = embedding.embedding_files(mat, metadata, label_img, metadata_header, "add_embedding")
        subdir = embedding.embedding_subdir(tag, step)
        # The tag is one directory name ("/" is escaped): "." or ".." would put the files in the run's root.
        check_inside(subdir.split("/", 1)[1], f"add_embedding(tag={tag!r})", "tag", f"log_dir {self.log_dir}")
        config_path = os.path.join(self._run_dir, embedding.CONFIG_NAME)
        existing = None
        if os.path.exists(config_path):
            with open(config_path, encoding="utf-8") as f:
                existing = f.read()
        config = embedding.projector_config(existing, tag, step, subdir, set(files), single_image)
        if not self._writes:  # write_to_disk=False, or a rank that does not write
            return
        os.makedirs(os.path.join(self._run_dir, subdir), exist_ok=True)
        for name, data in files.items():
            _write_whole(os.path.join(self._run_dir, subdir, name), data)
        _write_whole(config_path, config.encode("utf-8"))

    # -- audio and video ---------------------------------------------------------------------
    def add_audio(self, tag: str, snd_tensor: object, global_step: int | None = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """Log a sound clip as a 16-bit PCM WAV: ``w.add_audio("tone", np.sin(np.arange(44100) / 7), 0)``.

        Args:
            tag: the clip's name.
            snd_tensor: float samples in [-1, 1] shaped ``(samples,)``, ``(1, samples)`` (torch's
                shape) or ``(channels, samples)`` for several channels; or int16 samples as they are.
                Samples beyond [-1, 1] are clipped, never wrapped, with one warning.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            sample_rate: samples per second, a positive whole number.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import audio

        check_tag(tag, "add_audio")
        step, wall = self._when("add_audio", tag, global_step, walltime)
        rate = audio.check_sample_rate(sample_rate, "add_audio", tag)
        pcm, clipped = audio.to_pcm16(snd_tensor, "add_audio", tag)
        if clipped:  # before writing: a warnings filter set to "error" refuses the call cleanly
            warnings.warn(f"add_audio(tag={tag!r}): clipped {clipped} sample(s) beyond [-1, 1]", RuntimeWarning,
                          stacklevel=2)
        self._file.append(encode.summary_event(wall, step, audio.audio_value(tag, pcm, rate)))

    def add_video(self, tag: str, vid_tensor: object, global_step: int | None = None, fps: float = 4,
                  walltime: float | None = None) -> None:
        """Log clips as one animated GIF: ``w.add_video("clip", np.random.rand(2, 16, 3, 64, 64), 0, fps=8)``.

        Args:
            tag: the clip's name.
            vid_tensor: ``(N, T, C, H, W)``: N clips of T frames, C of 1, 3 or 4 channels; uint8
                [0, 255] or floats [0, 1]. The N clips are tiled into one as torch tiles them.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            fps: frames per second.
            walltime: seconds since the epoch; None is now.

        Needs Pillow (the ``media`` extra), not moviepy; torch writes nothing without moviepy.
        """
        from tbwriter.writing.summaries import video

        check_tag(tag, "add_video")
        step, wall = self._when("add_video", tag, global_step, walltime)
        rate = video.check_fps(fps, "add_video", tag)
        frames = video.to_frames(vid_tensor, "add_video", tag)
        self._file.append(encode.summary_event(wall, step, video.video_value(tag, frames, rate)))

    # -- meshes, custom scalar layouts, boxes, raw tensors, ONNX graphs ---------------------------
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
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import mesh

        check_tag(tag, "add_mesh")
        step, wall = self._when("add_mesh", tag, global_step, walltime)
        values = mesh.mesh_values(tag, vertices, colors, faces, config_dict, "add_mesh")
        self._file.append(encode.summary_event(wall, step, values))

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """Lay out charts of scalar tags in the CUSTOM SCALARS tab.

            w.add_custom_scalars({"Loss": {"train and val": ["Multiline", ["loss/train", "loss/val"]],
                                           "band": ["Margin", ["loss", "loss_low", "loss_high"]]}})

        Args:
            layout: ``{category: {chart title: [kind, tags]}}``; kind ``"Multiline"`` draws the tags
                (regular expressions) in one chart, ``"Margin"`` a value with its lower and upper tags.
        """
        from tbwriter.writing.summaries import custom_scalars

        value = custom_scalars.layout_value(layout, "add_custom_scalars")
        self._file.append(encode.summary_event(_now(), 0, value))

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

    def add_image_with_boxes(self, tag: str, img_tensor: object, box_tensor: object, global_step: int | None = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: list[str] | None = None) -> None:
        """Log an image with boxes (and their labels) drawn on it in red.

            w.add_image_with_boxes("detections", img_chw, np.array([[10, 10, 40, 30]]), 0, labels=["cat"])

        Args:
            tag: the image's name.
            img_tensor: one image, uint8 [0, 255] or floats [0, 1], laid out as ``dataformats``.
            box_tensor: ``(boxes, 4)`` as (xmin, ymin, xmax, ymax) in pixels.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
            rescale: scale the drawn image by this factor.
            dataformats: the axes of ``img_tensor`` ("CHW", "HWC", "HW"...).
            labels: one label per box (a str for one box), or None.

        Needs Pillow (the ``media`` extra).
        """
        from tbwriter.writing.summaries import boxes, image

        check_tag(tag, "add_image_with_boxes")
        step, wall = self._when("add_image_with_boxes", tag, global_step, walltime)
        batch = image.to_batch(img_tensor, dataformats, "add_image_with_boxes", tag)
        drawn = boxes.boxed_image(batch[0], box_tensor, labels, rescale, "add_image_with_boxes", tag)
        self._file.append(encode.summary_event(wall, step, boxes.boxed_value(tag, drawn)))

    def add_tensor(self, tag: str, tensor: object, global_step: int | None = None,
                   walltime: float | None = None) -> None:
        """Log a raw tensor (plugin ``tensor``): ``w.add_tensor("weights", model.fc.weight, step)``.

        Args:
            tag: the tensor's name.
            tensor: a numpy array or torch tensor of floats, ints or complex numbers, any shape.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter.writing.summaries import tensor as tensors

        check_tag(tag, "add_tensor")
        step, wall = self._when("add_tensor", tag, global_step, walltime)
        self._file.append(encode.summary_event(wall, step, tensors.tensor_value(tag, tensor, "add_tensor")))

    def add_onnx_graph(self, prototxt: str | os.PathLike) -> None:
        """Write the graph of an ONNX model file for the Graphs tab: ``w.add_onnx_graph("model.onnx")``.

        Args:
            prototxt: the path of the ONNX model (torch's name for it).

        Needs the ``onnx`` package (the ``onnx`` extra), imported here only.
        """
        from tbwriter.writing.summaries import onnx_graph

        self.file_writer.write_graph(onnx_graph.onnx_graph_def(prototxt, "add_onnx_graph"), None, None,
                                     "add_onnx_graph")

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


def _write_whole(path: str, data: bytes) -> None:
    """Write a file whole: readers (TensorBoard's projector) see the old or the new file, never a part."""
    partial = f"{path}.{os.getpid()}.partial"
    with open(partial, "wb") as f:
        f.write(data)
    os.replace(partial, path)
