"""The scalar methods of :class:`~tbwriter.SummaryWriter`, a part of it (see :mod:`~tbwriter.writing.calls`):
``add_scalar`` (the hot path), ``log_metrics`` (many tags at one step, one event) and ``add_scalars`` (torch's
layout: a sub-run per key).

    w.add_scalar("loss", 0.25, step)
    w.log_metrics({"loss": 0.2, "acc": 0.9}, step=5)
    w.add_scalars("loss", {"train": 0.3, "val": 0.4}, step)   # runs <log_dir>/loss_train and loss_val

A plain ``add_scalar`` (a str tag, a float, an int step, no wall time) goes straight to the cached encoder of
:mod:`tbwriter.format.encode`; every other call is checked first. A tensor on a device (CUDA...) is not read at
the call: a copy is queued on the device and the event is written once it has landed
(:mod:`~tbwriter.writing.deferred`; ``SummaryWriter(defer_device=False)`` reads it at the call).
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tbwriter.errors import ArgumentTypeError
from tbwriter.format import encode
from tbwriter.writing import deferred
from tbwriter.writing.calls import ARGUMENT_ERRORS, SummaryCalls, call_name, names_errors
from tbwriter.writing.summaries import scalar
from tbwriter.writing.values import (
    INT64_MAX,
    INT64_MIN,
    check_tag,
    check_utf8,
    to_float,
    to_step,
    to_walltime,
    unencodable_tag,
)

if TYPE_CHECKING:
    from tbwriter.writing.subruns import SubRuns

_now = time.time


class ScalarCalls(SummaryCalls):
    """``add_scalar``, ``log_metrics`` and ``add_scalars``: a part of ``SummaryWriter``."""

    _scalars: encode.ScalarEncoder  # the cached encoder of plain scalar events
    _scalar_event: Callable[[float, int, str, float], bytes]  # its event(), bound once for the hot path
    _append: Callable[[bytes], None]  # _file.append, bound once for the hot path
    _sub_runs: SubRuns[Any]  # the add_scalars sub-runs
    _warned_double: bool

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
            if data is None:
                return  # a device value: queued, written once it has landed
        except UnicodeEncodeError as e:  # the fast path, on a tag's first use only: later ones are cached
            raise unencodable_tag(e).in_call(call_name("add_scalar", tag)) from None
        except ARGUMENT_ERRORS as e:
            raise e.in_call(call_name("add_scalar", tag)) from None
        self._append(data)

    def _checked_scalar(self, tag: object, scalar_value: object, global_step: object, walltime: object,
                        new_style: bool, double_precision: bool) -> bytes | None:
        """The event of an ``add_scalar`` off the fast path, every argument checked; None once a device value's
        event is queued to be made when it lands."""
        check_tag(tag)
        value = scalar_value if type(scalar_value) is float else self._number(scalar_value)
        step = global_step if type(global_step) is int and INT64_MIN <= global_step <= INT64_MAX else to_step(
            global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        if not new_style:
            return self._event_of([value], lambda v: self._scalars.event(wall, step, tag, v[0]),  # type: ignore[arg-type]
                                  "add_scalar", tag)
        if double_precision:
            self._warn_double()
        return self._event_of([value], lambda v: encode.summary_event(
            wall, step, scalar.tensor_value(str(tag), v[0], double_precision)), "add_scalar", tag)

    def _number(self, value: object) -> float | deferred.Slot:
        """``value`` as a float, or for a tensor on a device (with ``defer_device``) the slot its value will land
        in: a copy is queued on the device and nothing waits for it."""
        if self.defer_device and deferred.deferrable(value):
            return deferred.snapshot(value) if self._writes else 0.0  # a rank that writes nothing needs no value
        return to_float(value)

    def _event_of(self, values: list[float | deferred.Slot], make: Callable[[list[float]], bytes], method: str,
                  tag: object) -> bytes | None:
        """``make(values)``, the event's bytes; or, when some values are still on a device, None once the event
        is queued in its place, to be made when they have landed."""
        if deferred.Slot not in map(type, values):
            return make(values)  # type: ignore[arg-type]  # all floats here
        self._file.append_deferred(deferred.Deferred(values, make, call_name(method, tag)))
        return None

    def _described_scalar(self, tag: object, scalar_value: object, global_step: object, walltime: object,
                          new_style: bool, double_precision: bool, display_name: object,
                          description: object) -> bytes | None:
        """The event of an add_scalar with tensorboardX's display name and description in the summary's metadata."""
        check_tag(tag)
        for name, text in (("display_name", display_name), ("summary_description", description)):
            if not isinstance(text, str):
                raise ArgumentTypeError(name, f"must be a str, got {type(text).__name__}")
            check_utf8(text, name)
        value = self._number(scalar_value)
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        if new_style and double_precision:
            self._warn_double()
        return self._event_of([value], lambda v: encode.summary_event(wall, step, scalar.described_value(
            str(tag), v[0], new_style, double_precision, str(display_name), str(description))), "add_scalar", tag)

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
            values: dict[str, float | deferred.Slot] = {}
            on_device = False  # set only off the float fast path: a scan of the values would cost every call
            for tag, value in metrics.items():
                if type(tag) is not str or not tag:
                    check_tag(tag)
                if type(value) is not float:
                    value = self._number(value)
                    on_device = on_device or type(value) is deferred.Slot
                values[tag] = value
            if not values:
                return
            tag = next(iter(values))
            step = step if type(step) is int and INT64_MIN <= step <= INT64_MAX else to_step(step)
            wall = _now() if walltime is None else to_walltime(walltime)
            if on_device:
                tags = list(values)
                for tag in tags:  # checked now: the event is encoded later, by the background thread
                    check_tag(tag)
                tag = tags[0]
                self._event_of(list(values.values()), lambda v: self._scalars.events_dict(
                    wall, step, dict(zip(tags, v, strict=True))), "log_metrics", tag)
                return
            data = self._scalars.events_dict(wall, step, values)  # type: ignore[arg-type]  # all floats here
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
            try:  # a device tensor is checked here and copied by the sub-run's add_scalar, without waiting
                values[run] = value if self.defer_device and deferred.deferrable(value) else to_float(value)
            except ARGUMENT_ERRORS as e:  # named by the series, as add_scalar would name it
                raise e.in_call(call_name("add_scalars", f"{main_tag}/{key}")) from None
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        for run, value in values.items():
            self._sub_runs.writer(run).add_scalar(main_tag, value, step, wall)
