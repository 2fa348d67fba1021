"""The hparams sessions of a writer's run and its sub-runs: ``add_hparams``, ``end_hparams``, and the sessions
they keep (a part of :class:`~tbwriter.SummaryWriter`, see :mod:`~tbwriter.writing.calls`).

    w.add_hparams({"lr": 0.1}, {"hparam/accuracy": 0.93})   # the session of this run, and its metrics
    w.end_hparams("FAILURE")

    sessions = Sessions(log_dir, run_dir, sub_runs, append)   # what SummaryWriter keeps for them
    run = sessions.place({"lr": 0.1}, run_name=None)   # None: the writer's own run; else a sub-run's name
    sessions.start({"lr": 0.1}, run)                   # the session's start, written once per run
    sessions.end("SUCCESS")                            # the end of every session still open

A run holds one session, whose hparams are fixed when it starts. A later ``add_hparams`` with the same hparams
goes to the run already holding them; one with other hparams and no ``run_name`` starts its own session in a
new sub-run named by the time, as torch names every one. TensorBoard keeps the first end status a run records,
so an end is written once, when it is known. The sessions of a writer and of all its sub-runs are kept here,
in the writer that made the sub-runs: no writer looks into another's state.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING

from tbwriter import storage
from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format import encode
from tbwriter.writing.calls import ARGUMENT_ERRORS, call_name, names_errors
from tbwriter.writing.scalars import ScalarCalls
from tbwriter.writing.values import check_inside, check_tag, to_float, to_step

if TYPE_CHECKING:
    from tbwriter.writing.summaries.hparams import HParam

_now = time.time
HParams = dict[str, "HParam"]  # checked by summaries.hparams.check_hparams


class Sessions:
    """The hparams sessions of one run directory and its sub-runs; see the module docstring.

    Args:
        log_dir: the run directory as the user gave it, for messages.
        run_dir: where its files go (absolute, or a URL).
        sub_runs: the names of the sub-runs made so far (a new session's run is named apart from them).
        append: ``append(run, event)`` writes an encoded event into run ``run`` (None: the writer's own run;
            a name: that sub-run, made on first use).
    """

    def __init__(self, log_dir: str, run_dir: str, sub_runs: Container[str],
                 append: Callable[[str | None, bytes], None]):
        self._log_dir, self._run_dir, self._sub_runs, self._append = log_dir, run_dir, sub_runs, append
        self._hparams: dict[str | None, HParams] = {}  # by run: the hparams of its session
        self._open: list[str | None] = []  # the runs whose session has no end written yet

    def place(self, hparams: HParams, run_name: object) -> str | None:
        """The run the session of (checked) ``hparams`` goes in: None for the writer's own, else a sub-run name.

        ``run_name`` is the user's (None, ``"."`` and log_dir's own path name the writer's run, as torch scripts
        pass them); ArgumentError if it leads outside the run, or if the run holds a session of other hparams.
        """
        if run_name is not None and (not isinstance(run_name, str) or not run_name):
            raise ArgumentTypeError("run_name", f"must be a non-empty str or None, got {run_name!r}")
        if run_name is not None and self._names_this_run(run_name):
            run_name = None
        elif run_name is not None:
            check_inside(run_name, "run_name", f"log_dir {self._log_dir}")
        elif self._hparams.get(None, hparams) != hparams:
            run_name = self._new_run(hparams)  # another session: its own run, as torch gives each call
        held = self._hparams.get(run_name)
        if held is not None and held != hparams:
            shown = self._log_dir if run_name is None else os.path.join(self._log_dir, run_name)
            raise ArgumentError(f"run {shown!r}", f"already holds a session with hparams {held}; a run holds one "
                                                  "session, pass run_name= for another")
        return run_name

    def _names_this_run(self, run_name: str) -> bool:
        """Whether ``run_name`` joined to the run directory, as torch joins it, is that directory itself."""
        if storage.is_url(self._run_dir):
            return run_name.strip("/") in ("", ".")
        return os.path.normpath(os.path.join(self._run_dir, run_name)) == os.path.normpath(self._run_dir)

    def _new_run(self, hparams: HParams) -> str:
        """The sub-run already holding a session of these hparams, else a new one named by the time as torch does."""
        for run, held in self._hparams.items():
            if run is not None and held == hparams:
                return run
        name = str(_now())
        while name in self._sub_runs:
            name += "_"
        return name

    def start(self, hparams: HParams, run: str | None) -> None:
        """Write the start of the session of ``hparams`` in ``run`` (from :meth:`place`), unless it has one."""
        from tbwriter.writing.summaries.hparams import session_start_value

        if run in self._hparams:
            return
        now = _now()
        self._append(run, encode.summary_event(now, 0, session_start_value(hparams, now)))
        self._hparams[run] = hparams
        self._open.append(run)

    def end(self, status: object) -> None:
        """End every open session as ``status`` (``"SUCCESS"`` or ``"FAILURE"``; ArgumentError otherwise)."""
        from tbwriter.writing.summaries.hparams import STATUSES, session_end_value

        if status not in STATUSES:
            raise ArgumentError("status", f"must be one of {', '.join(STATUSES)}, got {status!r}")
        while self._open:
            run = self._open.pop(0)  # ended once, even if its end cannot be written
            now = _now()
            self._append(run, encode.summary_event(now, 0, session_end_value(str(status), now)))


class SessionCalls(ScalarCalls):
    """``add_hparams`` and ``end_hparams`` (whose metrics are scalars): a part of ``SummaryWriter``."""

    _sessions: Sessions  # the sessions of this run and its sub-runs

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
