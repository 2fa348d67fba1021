"""One run's event file: its first events, a write buffer, the background flusher, and flush/close/exit.

    f = EventFile("runs/exp1", flush_secs=120)
    f.append(event_bytes)        # cheap: queued in memory, framed when written
    f.flush()                    # returns once every appended record is written
    f.close()

Events queue in a deque (appends need no lock) and are framed and written by the caller once
``QUEUE_RECORDS`` are pending, by one shared background thread every ``flush_secs``, and
at ``flush()``, ``close()`` and interpreter exit (``multiprocessing`` children included,
though they leave through ``os._exit``).  A file is held strongly until it is closed with
nothing pending, so values its owner forgot are still written at exit.

Nothing taken off the queue is lost: records move to the pending state in one C call, and
what a write got out is read back from the file's size, so an exception raised in the
middle (Ctrl-C) leaves the next write to resume exactly where this one stopped. A failed
write keeps the unwritten bytes and raises on the next ``append``, ``flush`` or ``close``.
After each write the path is checked to still name the open file: if the file (or its
directory) was deleted or replaced, a warning names it and the writer continues in a new
file holding that write's records. After ``os.fork()`` the child drops the parent's pending
records (the parent writes them) and opens its own file if it logs.

Where the framed bytes go is the file's :class:`~tbwriter.writing.sinks.Sink`, chosen once from
``log_dir``: a local file, or for a URL (``s3://``, ``gs://``, ``memory://``...), which cannot be
appended to, sealed segments, each flush putting one (a complete event file with its own header),
``QUEUE_RECORDS`` only moving records into it. The training thread never waits on a request it did not
ask for: ``append`` makes none (a full segment is put by the flusher thread), and the flusher holds no
lock of the file while its request is out, so appends go on queuing; ``flush()`` and ``close()`` wait
for that request, then send the rest. While the store fails, what is logged waits in memory, unbounded
(dropping values or blocking the training would be worse), and each failed try is raised once by the
next call. At exit the files of every URL are sent all at once, within one ``segments.PUT_TIMEOUT`` for
them all, and each one that could not be written is printed once, saying its values are lost.
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import itertools
import os
import sys
import threading
import time
import warnings

from tbwriter.errors import StorageError, WriterWarning
from tbwriter.format import encode, record, wire
from tbwriter.storage import objects, segments
from tbwriter.writing import deferred
from tbwriter.writing.sinks import sink_for

QUEUE_RECORDS = 4096
_FILE_VERSION = encode.length_delimited(wire.Event.FILE_VERSION.tag, wire.FILE_VERSION)
# Strong references: a file is written at exit however its owner forgot it (a SummaryWriter
# closes its file when it is collected, so forgotten writers do not pile up here).
_live: set[EventFile] = set()


class EventFile:
    """An append-only event file in ``log_dir``, created at once (as torch does) with its header."""

    def __init__(self, log_dir: str, flush_secs: float = 120, filename_suffix: str = "",
                 first_events: tuple[bytes, ...] = (), storage_options: dict | None = None):
        self.log_dir = os.fspath(log_dir)
        self.storage_options = storage_options
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.path: str | None = None
        self._first_events = first_events
        self._lock = threading.Lock()  # serialises writing, never appending
        self._queue: collections.deque[bytes | deferred.Deferred] = collections.deque()
        # What is off the queue but not known to be in the file, kept in one attribute so that one
        # store changes it: framed bytes, records not framed yet, and the file size where they start.
        self._pending: tuple[bytes, list[bytes | deferred.Deferred], int] = (b"", [], 0)
        self._deferred = False  # whether device values were ever queued: only then are records looked at
        self._sink = sink_for(self.log_dir, filename_suffix, storage_options, _wake_flusher)
        self._error: BaseException | None = None
        self._last_flush = time.monotonic()
        self.closed = True
        self._alarm = True  # set while closed or an error waits: append then takes the slow path
        self.open()

    def open(self) -> None:
        """Create the file and write its ``brain.Event:2`` header; also reopens after ``close()``."""
        with self._lock:
            self._open_locked()

    def _open_locked(self) -> None:
        _hook_multiprocessing_exit()
        nanos = time.time_ns()
        self.path, start = self._sink.open(nanos, encode.event_head(nanos / 1e9, 0) + _FILE_VERSION)
        if self._sink.remote:
            objects.call_before_shutdown(_close_all_at_exit)
        self.closed, self._alarm = False, False
        _live.add(self)  # until closed with nothing pending
        # The header goes first, ahead of anything queued while the file was closed.
        framed, taken, _ = self._pending
        self._pending = (start + record.frame_many(list(self._first_events)) + framed, taken, 0)
        _flusher.watch()
        self._write_locked()

    def _reopen_locked(self) -> None:
        """Open a new file for the values pending on a closed one; if that fails, keep them for exit too."""
        try:
            self._open_locked()
        except OSError:
            _live.add(self)
            raise

    def append(self, data: bytes) -> None:
        """Queue ``data`` (a serialized Event) to be written as a record: ``f.append(event_bytes)``."""
        queue = self._queue
        queue.append(data)
        if self._alarm or len(queue) >= QUEUE_RECORDS:
            self._flush(seal=False)  # a full queue is no flush: remote records wait for a whole segment

    def append_deferred(self, item: deferred.Deferred) -> None:
        """Queue an event whose values are still on a device; it is written in its place once they landed.

            f.append_deferred(deferred.Deferred([deferred.snapshot(loss)], make_event, "add_scalar(tag='loss')"))
        """
        self._deferred = True
        self.append(item)  # type: ignore[arg-type]

    def flush(self) -> None:
        """Write every record appended so far; raise the write error if one happened.

        Records left queued on a closed file (a logging thread racing ``close()``, or a reopen
        that failed) are written to a new file, as logging to a closed file does.
        """
        self._flush(seal=True)

    def _flush(self, seal: bool) -> None:
        try:
            with self._lock:
                if self.closed and self._has_pending_locked():
                    self._reopen_locked()
                # A flush waits (bounded) for device values to land; a full queue in the training thread does not.
                self._write_locked(seal, time.monotonic() + deferred.WAIT_SECS if seal else None)
                if seal:
                    self._send_locked()
                    self._warn_not_landed("flush()", "they are written by a later flush")
                self._raise_error_locked()
        except OSError as e:
            raise _kept(e, e.filename or self.path) from None

    def close(self) -> None:
        """Flush and close the file; a second call does nothing."""
        try:
            self._close()
        except OSError as e:
            raise _kept(e, e.filename or self.path) from None

    def _close(self, deadline: float | None = None) -> None:
        with self._lock:
            if self.closed:
                if not self._has_pending_locked():
                    return
                self._reopen_locked()  # values a failed reopen left queued: written now, or the error raised
            # From here an append takes the slow path, which waits for this lock and then writes its
            # value to a new file: a thread logging while another closes loses nothing.
            self._alarm = True
            waits = time.monotonic() + deferred.WAIT_SECS
            self._write_locked(device_deadline=waits if deadline is None else min(deadline, waits))
            if self._warn_not_landed("close()", "they are not written"):  # the rest after them is written
                framed, rest, base = self._pending
                self._pending = (framed, [item for item in rest if type(item) is not deferred.Deferred
                                          or item.ready()], base)
                self._write_locked()
            self._send_locked(deadline)
            if self._error is not None:
                self._raise_error_locked()  # still open: the caller may free space and close again
            self.closed = True
            _live.discard(self)
            self._sink.close()

    def discard(self) -> None:
        """Drop what is pending and close the file, for a caller that deletes the file anyway.

            f.discard()      # convert's staging file after a failed write: nothing to retry at exit
        """
        with self._lock:
            self._queue.clear()
            self._pending, self._error = (b"", [], 0), None
            self._sink.forget()
            self.closed, self._alarm = True, True
            _live.discard(self)

    def close_or_report(self) -> None:
        """``close()`` where nobody is left to raise to (a collected writer): print the error instead; what is
        pending stays for the exit flush."""
        try:
            self.close()
        except OSError as e:
            print(f"tbwriter: could not write {self.path}: {e}", file=sys.stderr)

    def close_at_exit(self, deadline: float | None = None) -> str | None:
        """Close for a process that is ending, by ``deadline`` (``time.monotonic()``) for a URL: None once
        everything is written, else the line to print, which says the values are lost.

            problem = f.close_at_exit(time.monotonic() + segments.PUT_TIMEOUT)
        """
        with self._lock:
            self._error = None  # an earlier failure: this last try writes its values too, or fails anew
        try:
            self._close(deadline)
        except OSError as e:
            return _lost(self, str(e) if isinstance(e, StorageError) else  # it names the URL
                         f"could not write {self.path}: {e.strerror or e}")
        return None

    def flush_if_due(self, now: float) -> None:
        """Called by the flusher thread: write if ``flush_secs`` have passed, put what a URL has cut, keep any
        error. No lock of the file is held during a put, so ``append`` never waits on the network."""
        if now - self._last_flush >= self.flush_secs and self._lock.acquire(blocking=False):
            try:
                self._write_locked()
            finally:
                self._lock.release()
        if self._sink.waiting:
            self._send()

    def keep_error(self, error: BaseException) -> None:
        """Raise ``error`` on the next ``append``, ``flush`` or ``close`` (for errors of the flusher thread)."""
        self._error, self._alarm = error, True

    def _warn_not_landed(self, what: str, fate: str) -> bool:
        """Warn if device values are still waiting for their copy after ``what`` waited its bound; whether so."""
        waiting = sum(type(item) is deferred.Deferred and not item.ready() for item in self._pending[1])
        if waiting:
            warnings.warn(f"tbwriter: {what} of {self.path}: {waiting} event(s) logged from a device still wait for "
                          f"their values after {deferred.WAIT_SECS:g} s (is the device hung?); {fate}",
                          WriterWarning, stacklevel=4)
        return bool(waiting)

    def _has_pending_locked(self) -> bool:
        framed, taken, _ = self._pending
        return bool(self._queue or framed or taken)

    def _send_locked(self, deadline: float | None = None) -> None:
        """For a URL: put what is cut, after the flusher's put if one is out (``flush()``, ``close()``)."""
        self._send(deadline)

    def _send(self, deadline: float | None = None) -> None:
        with contextlib.suppress(StorageError):  # kept by _sent
            self._sink.send(deadline, done=self._sent)

    def _sent(self, error: StorageError | None) -> None:
        """How a send ended, told before another can start: a failure is kept; a success makes good what
        failed before (its segments are stored now), so that failure is not raised any more."""
        if error is not None:
            self.keep_error(error)
        elif isinstance(self._error, StorageError):
            self._error = None

    def _raise_error_locked(self) -> None:
        error, self._error = self._error, None
        self._alarm = self.closed
        if error is not None:
            raise error

    def _write_locked(self, seal: bool = True, device_deadline: float | None = None) -> None:
        """Write what is queued; with ``seal`` (a flush, not a full queue), remote records are put too.

        Events logged from a device are written once their values landed, in their place: the records after
        the first that has not (by ``device_deadline``, or at once for None) wait with it for the next write.
        """
        self._last_flush = time.monotonic()
        if self.closed:
            return
        framed, taken, base = self._pending
        queue = self._queue
        if queue:  # one C call moves them: an exception from a signal handler lands before or after it
            taken.extend(itertools.starmap(queue.popleft, itertools.repeat((), len(queue))))
        ready: list[bytes] = taken  # type: ignore[assignment]  # only bytes unless device values were queued
        rest: list[bytes | deferred.Deferred] = []
        if self._deferred and taken:
            ready, count = deferred.settle(taken, device_deadline)
            rest = taken[count:]
        data = framed + record.frame_many(ready) if ready else framed
        written, error = self._sink.write(data, base, seal)
        if error is not None:
            self.keep_error(error)
        self._pending = (data[written:], rest, base + written)  # nothing is lost: the rest waits for the next try
        if written and self._sink.replaced():
            warnings.warn(f"tbwriter: {self.path} was deleted or replaced while open; logging continues in a "
                          f"new event file in {self.log_dir}", WriterWarning, stacklevel=2)
            self._pending = (data, rest, 0)  # this write went nowhere anyone can read: it goes to the new file
            self._sink.close()
            self.closed, self._alarm = True, True  # should the new file fail: a closed file's values
            self._reopen_locked()

    def _after_fork_in_child(self) -> None:
        # The parent owns the file and its pending records; a child that logs starts its own.
        self._lock = threading.Lock()
        self._queue.clear()
        self._pending, self._error = (b"", [], 0), None
        self._sink.forget()
        self.closed, self._alarm = True, True


_KEPT = ("every value logged so far is kept in memory and written by the next flush() or close() that succeeds: "
         "do not log it again")


def _kept(error: OSError, path: str | None) -> OSError:
    """``error`` (same type and errno) saying what a caller needs to know: the values are kept, not lost."""
    if isinstance(error, StorageError):  # it names the object's URL already
        return StorageError(f"{error}; {_KEPT}", error.filename)
    return OSError(error.errno, f"{error.strerror}; {_KEPT}", path)


class _Flusher:
    """One daemon thread for all event files: wakes each second (or when woken), writes the files that are due
    and puts the segments URLs have cut."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self.stop = threading.Event()
        self._wake = threading.Event()

    def watch(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="tbwriter-flush", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look now rather than at the next tick (a segment was cut)."""
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait(_wait_secs())
            self._wake.clear()
            if self.stop.is_set():
                return
            deferred.dispatch()  # device values logged since the last tick start their way to the host
            now = time.monotonic()
            for f in list(_live):
                try:
                    f.flush_if_due(now)
                except Exception as e:  # one broken file must not stop timed flushing of the others
                    f.keep_error(e)


def _wait_secs() -> float:
    """Seconds until the flusher next looks: the smallest ``flush_secs``, kept within 0.05..1 s."""
    secs = [f.flush_secs for f in list(_live) if type(f.flush_secs) in (int, float)]
    wait = min(secs, default=1.0)
    return min(max(wait, 0.05), 1.0) if wait == wait else 1.0  # NaN: the default


_flusher = _Flusher()
_exit_hooked_pid = 0


def _wake_flusher() -> None:
    """Wake the flusher of this process (a fork makes a new one): a segment was cut."""
    _flusher.wake()


def _close_all_at_exit() -> None:
    """Write what every file still holds; print once each one that could not be written.

    The URLs are sent all at once, a thread each, within one ``segments.PUT_TIMEOUT`` for them all: an
    endpoint that never answers costs that once, not once per writer in turn.
    """
    _flusher.stop.set()
    _flusher.wake()
    files = list(_live)
    deadline = time.monotonic() + segments.PUT_TIMEOUT
    problems: dict[EventFile, str | None] = {}
    threads = []
    for f in files:
        if f._sink.remote:
            thread = threading.Thread(target=lambda f=f: problems.update({f: f.close_at_exit(deadline)}),
                                      name="tbwriter-exit", daemon=True)
            try:
                thread.start()
                threads.append(thread)
                continue
            except RuntimeError:  # too late to start threads (a plain atexit hook on 3.12+): in turn, then
                pass
        problems[f] = f.close_at_exit(deadline)
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0) + 1)  # a put is cut off at the deadline; 1 s to wind up
    for f in files:
        problem = problems.get(f, _lost(f, f"could not write {f.path}: no answer within {segments.PUT_TIMEOUT:g} s"))
        if problem is not None:
            print(problem, file=sys.stderr)
    _live.difference_update(files)  # said once: the second exit hook (atexit after threading's) finds nothing
    if files:
        deferred.stop()  # the values are written: no thread of ours touches the device while it is torn down


def _lost(f: EventFile, reason: str) -> str:
    return (f"tbwriter: {reason}; the values logged to {f.path} since its last successful write were not written "
            "(the process is ending)")


def _hook_multiprocessing_exit() -> None:
    """Run the exit flush in ``multiprocessing`` children too: they leave through ``os._exit``, past atexit.

    Their ``_bootstrap`` runs ``multiprocessing.util``'s finalizers on the way out (and clears them
    when it starts, so ``register_after_fork`` registers again). A child imports multiprocessing
    before it can log; a process that never did has no such child to care for.
    """
    global _exit_hooked_pid
    util = sys.modules.get("multiprocessing.util")
    if _exit_hooked_pid == os.getpid() or util is None:
        return
    _exit_hooked_pid = os.getpid()
    util.Finalize(None, _close_all_at_exit, exitpriority=10)
    util.register_after_fork(_close_all_at_exit, _hook_again_in_child)


def _hook_again_in_child(_: object) -> None:
    global _exit_hooked_pid
    _exit_hooked_pid = 0
    _hook_multiprocessing_exit()


def _reset_after_fork() -> None:
    global _flusher
    _flusher = _Flusher()
    for f in list(_live):
        f._after_fork_in_child()
    _live.clear()


atexit.register(_close_all_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
