"""Device values logged without waiting for the device: a snapshot at the call, one batched copy later.

    slot = snapshot(loss)                                # at the call: a copy queued on loss's device, no wait
    item = Deferred([slot, 0.5], lambda values: make_event(values), "log_metrics(tag='loss')")
    queue.append(item)                                   # where the event's bytes will go, in call order
    ...
    done, taken = settle(list(queue), deadline=None)     # the flusher: bytes of the leading items that landed

Why: ``.item()`` on a CUDA tensor makes the calling thread wait until the GPU has run everything
queued before it, so the CPU can no longer run ahead and the GPU idles between steps. Here the
training thread only queues work on the device: a copy of the value (``clone``, so an in-place
change made later does not reach what was logged) on the stream that produced it. The snapshots
wait, grouped by (device, stream, dtype, shape), until ``dispatch()`` (the flusher thread each tick, or
a ``flush()``) stacks each group and copies it to the host in one non-blocking copy; a
:class:`Deferred` in an event file's queue turns into its event's bytes once that copy has landed,
so events are written in call order, deferred or not. Nothing here blocks in the device: waiting
is polling, with a deadline, so no thread of ours is stuck in CUDA when the process ends.

Which values: single-element tensors off the CPU (a CPU tensor's ``.item()`` costs nothing worth
deferring), and the pixels of images and videos (:func:`snapshot_array`: a tensor made on the device at
the call, e.g. uint8 pixels, copied whole; its :class:`FromDevice` says how to finish the event once it
has landed). ``DEFER_CPU_TENSORS = True`` defers CPU tensors too, through the same code: the tests
use it to drive the queue, ordering and snapshots on machines without a GPU.

The one place that knows CUDA is :class:`_Transfer` (and ``_stream_of``): with CUDA it copies into
pinned memory and records an event to poll; on other devices it copies synchronously (in the thread
that dispatches, never the training thread unless it flushes).
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from tbwriter.errors import ArgumentError, ArgumentTypeError, WriterWarning

# Test switch (documented in docs/writing.md): defer CPU tensors too, so CI runs the deferred path.
DEFER_CPU_TENSORS = False
WAIT_SECS = 60.0  # the longest flush(), close() or exit waits for copies to land (a hung device)
_POLL_SECS = (0.0002, 0.01)  # first and longest sleep while waiting for a copy to land
# Held around every device call made here (copies, event queries): ``stop()`` takes it, so that once the
# exit flush is done no thread of ours is inside CUDA, or enters it, while the process tears CUDA down.
_gate = threading.Lock()
_stopped = False


def deferrable(value: object) -> bool:
    """Whether ``value`` is logged deferred: a one-element real torch tensor off the CPU (or on it, with
    ``DEFER_CPU_TENSORS``). Anything else goes through ``to_float``, which also refuses bad values.

        deferrable(loss)          # True for a CUDA loss
    """
    is_cpu = getattr(value, "is_cpu", None)  # a torch tensor's (numpy's arrays have none)
    if is_cpu is None or not hasattr(value, "detach") or (is_cpu and not DEFER_CPU_TENSORS):
        return False
    return value.numel() == 1 and not value.dtype.is_complex  # type: ignore[attr-defined]


def on_device(value: object) -> bool:
    """Whether ``value`` is a torch tensor whose data is best made ready on its device and copied once, later:
    one off the CPU (or on it, with ``DEFER_CPU_TENSORS``). ``on_device(images)`` for a CUDA batch."""
    is_cpu = getattr(value, "is_cpu", None)
    return is_cpu is not None and hasattr(value, "detach") and (not is_cpu or DEFER_CPU_TENSORS)


class _Transfer:
    """One group's snapshots stacked and copied to the host; the only code that knows CUDA.

    With CUDA: into pinned host memory without blocking, on the stream that made the snapshots, and a
    CUDA event recorded after it, which ``done()`` polls. Elsewhere (CPU, and devices without
    events) the same steps run synchronously, so ``done()`` is at once true.
    """

    def __init__(self, snapshots: list[Any], stream: Any) -> None:
        import torch  # a tensor was logged, so torch is imported already
        self._values: list[float] | None = None
        self._host: Any
        self._event: Any
        if stream is None:
            self._host = _stacked(snapshots).to("cpu")  # snapshots of one shape (and dtype): they stack
            self._event = None
            return
        with torch.cuda.stream(stream):  # after the snapshots, which were queued on this stream
            stacked = _stacked(snapshots)
            self._host = torch.empty(stacked.shape, dtype=stacked.dtype, pin_memory=True)
            self._host.copy_(stacked, non_blocking=True)
            self._event = torch.cuda.Event()
            self._event.record(stream)

    def done(self) -> bool:
        """Whether the values have landed on the host (never blocks; never true after ``stop()``)."""
        if self._event is None:
            return True
        with _gate:
            return not _stopped and self._event.query()

    def values(self) -> list[float]:
        """The values as Python floats, as ``float(t.item())`` gives them; only once ``done()``."""
        values = self._values
        if values is None:  # two threads may both get here: they compute the same list
            values = self._values = [float(v) for v in self._host.reshape(-1).tolist()]
        return values

    def array(self, index: int) -> Any:
        """Snapshot ``index`` as a numpy array (a view of the host copy); only once ``done()``."""
        return self._host[index].numpy()


def _stacked(snapshots: list[Any]) -> Any:
    """The snapshots in one tensor, to copy at once; one alone is not copied again on the device (an image's
    pixels may be megabytes)."""
    import torch
    return snapshots[0].unsqueeze(0) if len(snapshots) == 1 else torch.stack(snapshots)


def _stream_of(tensor: Any) -> Any:
    """The stream ``tensor``'s snapshot is queued on (None off CUDA): its copy must follow it there. Part of
    the CUDA seam with :class:`_Transfer`."""
    if not tensor.is_cuda:
        return None
    import torch
    return torch.cuda.current_stream(tensor.device)


class _Failed:
    """What a group's copy that raised leaves: done, and no values (the events are dropped with a warning)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def done(self) -> bool:
        return True


class Slot:
    """Where one logged value will be: its group's transfer (once dispatched) and its place in it; ``whole``
    for an array (a numpy array when landed), else one number (a float)."""

    __slots__ = ("transfer", "index", "whole")

    def __init__(self, whole: bool = False) -> None:
        self.transfer: _Transfer | _Failed | None = None
        self.index = 0
        self.whole = whole

    def ready(self) -> bool:
        transfer = self.transfer
        return transfer is not None and transfer.done()


class _Pending:
    """Snapshots not dispatched yet, by (device, stream, dtype, shape): appended by loggers, swapped out by
    ``dispatch``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # an append racing the swap would land in a list already dispatched
        self.groups: dict[tuple, tuple[Any, list[tuple[Any, Slot]]]] = {}

    def add(self, copy: Any, stream: Any, slot: Slot) -> Slot:
        # current_stream() makes a new object at each call: the stream is known by its CUDA handle. One group
        # holds one shape (a loss is () or (1,)), so that it stacks without a reshape of each value.
        key = (copy.device, getattr(stream, "cuda_stream", None), copy.dtype, copy.shape)
        with self.lock:
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = (stream, [])
            group[1].append((copy, slot))  # one append: a Ctrl-C lands before or after it, never between
        return slot

    def take(self) -> list[tuple[Any, list[tuple[Any, Slot]]]]:
        with self.lock:
            groups, self.groups = list(self.groups.values()), {}
        return groups

    def restore(self, groups: list[tuple[Any, list[tuple[Any, Slot]]]]) -> None:
        """Put back groups a dispatch was interrupted in (Ctrl-C): the next one copies them."""
        for stream, entries in groups:
            for copy, slot in entries:
                slot.transfer = None
                self.add(copy, stream, slot)


_pending = _Pending()


def snapshot(tensor: Any) -> Slot:
    """Queue a copy of one-element ``tensor`` on its device and return where its value will be; never waits.

        slot = snapshot(loss)       # loss.add_(1) afterwards does not change what is logged
    """
    copy = tensor.detach().clone()  # queued on the current stream: sees the value as of the call
    return _pending.add(copy, _stream_of(copy), Slot())


def snapshot_array(fresh: Any) -> Slot:
    """Queue tensor ``fresh`` to be copied whole to the host and return where it will be; never waits.

        slot = snapshot_array(pixels_made_now)      # lands as a numpy array of fresh's shape

    ``fresh`` must be a tensor made at the call that nothing else holds (the uint8 pixels computed from an
    image): it is the snapshot, so it is not cloned again. Tensors of one shape and dtype go in one copy.
    """
    return _pending.add(fresh.detach(), _stream_of(fresh), Slot(whole=True))


def dispatch() -> None:
    """Start copying every pending snapshot to the host: one stacked copy per group (device, stream, dtype, shape).

    Called by the flusher thread each tick and before any wait; cheap when nothing is pending.
    """
    with _gate:
        if not _stopped:
            _dispatch_locked()


def _dispatch_locked() -> None:
    groups = _pending.take()
    for done, (stream, entries) in enumerate(groups):
        try:
            try:
                transfer: _Transfer | _Failed = _Transfer([copy for copy, _ in entries], stream)
            except Exception as e:  # a device in error: its values cannot be had, the rest goes on
                transfer = _Failed(e)
            for index, (_, slot) in enumerate(entries):
                slot.index, slot.transfer = index, transfer
        except BaseException:  # Ctrl-C: what is not dispatched waits for the next dispatch, nothing is lost
            _pending.restore(groups[done:])
            raise


class FromDevice:
    """What a summary maker returns for input still on a device: how to make the tensor to copy, and how to
    finish the ``Summary.Value`` from its host copy. The writer decides when the copy happens: later, by the
    background thread (:class:`Deferred`), or at the call (:meth:`at_once`, ``defer_device=False``).

        FromDevice(pixels.packed, lambda host: image.image_value(tag, pixels.unpack(host)), "add_image(tag='x')")

    ``payload()`` queues work on the device and never waits; it is not called on a rank that writes nothing.
    ``finish`` may raise ArgumentError for values only the host can judge (NaN pixels): at the call that
    refuses the call, later it drops the event with a warning naming ``where``.
    """

    __slots__ = ("payload", "finish", "where")

    def __init__(self, payload: Callable[[], Any], finish: Callable[[Any], bytes], where: str) -> None:
        self.payload, self.finish, self.where = payload, finish, where

    def at_once(self) -> bytes:
        """The value's bytes now: one copy to the host, which waits for the device."""
        return self.finish(self.payload().cpu().numpy())


class Deferred:
    """An event some of whose values are still on a device; it stands in a file's queue for its bytes.

        Deferred([snapshot(loss), 0.9], lambda v: scalars.events_dict(wall, step, {"loss": v[0], "acc": v[1]}),
                 "log_metrics(tag='loss')")

    ``encode`` gets the values in order: floats, and numpy arrays for the slots of :func:`snapshot_array`.
    """

    __slots__ = ("parts", "encode", "where")

    def __init__(self, parts: Sequence[float | Slot], encode: Callable[[list[Any]], bytes], where: str) -> None:
        self.parts, self.encode, self.where = parts, encode, where

    def ready(self) -> bool:
        return all(part.ready() for part in self.parts if type(part) is Slot)

    def event(self) -> bytes | None:
        """The event's bytes (only once ``ready()``); None if a copy failed or the values are refused (NaN pixels,
        which only the host copy shows), after a warning naming the call."""
        values: list[Any] = []
        for part in self.parts:
            if not isinstance(part, Slot):
                values.append(part)
                continue
            transfer = part.transfer
            if isinstance(transfer, _Failed):
                warnings.warn(f"tbwriter: {self.where}: the value could not be copied from its device "
                              f"({transfer.error}); this event is not written", WriterWarning, stacklevel=2)
                return None
            values.append(transfer.array(part.index) if part.whole  # type: ignore[union-attr]
                          else transfer.values()[part.index])  # type: ignore[union-attr]
        try:
            return self.encode(values)
        except (ArgumentError, ArgumentTypeError) as e:  # the call has returned: nobody to raise to
            warnings.warn(f"tbwriter: {self.where}: {e}; this event is not written", WriterWarning, stacklevel=2)
            return None


def settle(items: Sequence[bytes | Deferred], deadline: float | None) -> tuple[list[bytes], int]:
    """(bytes of the leading ``items`` that can be written, how many items that took) from a queue's items.

    Plain bytes pass as they are; a :class:`Deferred` becomes its event once its values landed. It stops
    at the first one whose values have not: at once with ``deadline=None`` (the flusher, or a full queue in
    the training thread), else after polling until ``deadline`` (``time.monotonic()``; ``flush()``,
    ``close()``, exit). What is left keeps its place for the next call, so events stay in call order.

        done, taken = settle(queue_items, time.monotonic() + 10)
    """
    out: list[bytes] = []
    dispatched = False
    for taken, item in enumerate(items):
        if type(item) is not Deferred:
            out.append(item)  # type: ignore[arg-type]
            continue
        if not item.ready():
            if not dispatched:
                dispatch()  # its snapshots may still wait for the flusher's tick
                dispatched = True
            if not _wait(item, deadline):
                return out, taken
        data = item.event()
        if data is not None:
            out.append(data)
    return out, len(items)


def _wait(item: Deferred, deadline: float | None) -> bool:
    """Poll ``item`` until it is ready or ``deadline`` passes (no wait at all for None): whether it is ready."""
    pause = _POLL_SECS[0]
    while not item.ready():
        if deadline is None or time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, _POLL_SECS[1])
    return True


def stop() -> None:
    """Make no more device calls, after waiting for one in progress: the last step of the exit flush.

        deferred.stop()     # values not landed by now are not written
    """
    global _stopped
    with _gate:
        _stopped = True


def _forget_after_fork() -> None:
    # A child cannot use its parent's CUDA context; the parent writes the values it logged.
    global _pending, _gate
    _pending, _gate = _Pending(), threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)
