"""What every ``add_*`` call of :class:`~tbwriter.SummaryWriter` shares: its body, and how a refused one is named.

    class MediaCalls(SummaryCalls):
        @names_errors
        def add_text(self, tag, text_string, global_step=None, walltime=None):
            self._write(tag, global_step, walltime, text.text_value, tag, text_string)

    w.add_text("notes", 3)   # ArgumentTypeError: add_text(tag='notes'): text_string must be a str, got int

:meth:`SummaryCalls._write` is the body of each ``add_*`` of one summary: check the tag, the step and the wall
time, make the summary's bytes, append their event. Lower layers (:mod:`~tbwriter.writing.values`,
:mod:`~tbwriter.writing.summaries`) raise :class:`~tbwriter.errors.ArgumentError` or ``ArgumentTypeError`` with
the argument and the reason; :func:`names_errors` on the public method adds the call's name, once. The two hot
paths (``add_scalar``, ``log_metrics``) name their errors with an inline ``except`` instead, which costs nothing
until something is raised, where a decorator costs a call each time.

``SummaryWriter`` is made of these parts: :class:`~tbwriter.writing.media.MediaCalls`,
:class:`~tbwriter.writing.charts.ChartCalls`, :class:`~tbwriter.writing.graphs.GraphCalls` and
:class:`~tbwriter.writing.sessions.SessionCalls`, each a subclass of :class:`SummaryCalls`.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, overload

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format import encode
from tbwriter.writing import deferred
from tbwriter.writing.values import check_tag, to_step, to_walltime

if TYPE_CHECKING:
    from tbwriter.writing.eventfile import EventFile
    from tbwriter.writing.sinks import Discarded

ARGUMENT_ERRORS = (ArgumentError, ArgumentTypeError)
# The stacklevel of a warning made while a summary value is made (clipped audio, NaN left out of a histogram), so
# that it points at the user's line: the maker, _write, the add_* method, the wrapper of names_errors, the caller.
MAKER_STACKLEVEL = 5
F = TypeVar("F", bound=Callable)
_now = time.time


def call_name(method: str, tag: object) -> str:
    """How a refused call is named: ``add_text(tag='notes')``, or ``add_text`` when the tag itself is unusable."""
    return f"{method}(tag={tag!r})" if isinstance(tag, str) and tag else method


@overload
def names_errors(method: F) -> F: ...
@overload
def names_errors(*, tag: str | None = "tag") -> Callable[[F], F]: ...
def names_errors(method: F | None = None, *, tag: str | None = "tag") -> F | Callable[[F], F]:
    """Decorate a public method: an argument error raised under it comes out named after the call, once.

        @names_errors
        def add_text(self, tag, text_string, ...): ...     # add_text(tag='t'): text_string must be a str, got int

    ``tag`` is the argument the call is named by (``None``: the method's name alone). A lower layer's error
    that is named already (a method calling another public one) keeps its name. The argument values are looked
    up only when an error is raised: a call that succeeds pays one function call.
    """
    def decorate(method: F) -> F:
        name = method.__name__

        @functools.wraps(method)
        def public(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except ARGUMENT_ERRORS as e:
                value = None
                if tag is not None:
                    import inspect  # slow to import: only once a call is refused

                    bound = inspect.signature(method).bind(*args, **kwargs)
                    bound.apply_defaults()
                    value = bound.arguments[tag]
                raise e.in_call(call_name(name, value)) from e.__cause__  # the cause stays (a torch trace error)
        return public  # type: ignore[return-value]

    return decorate if method is None else decorate(method)


class SummaryCalls:
    """The state every part of ``SummaryWriter`` reads, set by its ``__init__``, and the body of its ``add_*``."""

    log_dir: str  # the run directory as the user gave it
    _run_dir: str  # where its files go: absolute, or a URL
    _writes: bool  # False on a rank that does not write, or with write_to_disk=False
    _file: EventFile | Discarded  # where the run's events go
    storage_options: dict | None  # for a URL log_dir: its fsspec filesystem's options
    defer_device: bool  # SummaryWriter(defer_device=...): device tensors are copied later, not read at the call

    def _write(self, tag: object, global_step: object, walltime: object,
               value: Callable[..., bytes | deferred.FromDevice], *args: object) -> None:
        """The body of every ``add_*`` of one summary: check the tag, the step and the wall time (before any
        costly encoding), make the ``Summary.Value`` bytes by ``value(*args)`` and append their event.

        ``value`` may instead return a :class:`~tbwriter.writing.deferred.FromDevice` (input still on a device):
        its event is queued in its place and made once the copy has landed, or with ``defer_device=False``
        made now. A rank that writes nothing copies nothing.
        """
        check_tag(tag)
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        made = value(*args)
        if type(made) is not deferred.FromDevice:
            self._file.append(encode.summary_event(wall, step, made))  # type: ignore[arg-type]
        elif not self.defer_device:
            self._file.append(encode.summary_event(wall, step, made.at_once()))
        elif self._writes:
            finish = made.finish
            slot = deferred.snapshot_array(made.payload())
            self._file.append_deferred(deferred.Deferred(
                [slot], lambda values: encode.summary_event(wall, step, finish(values[0])), made.where))
