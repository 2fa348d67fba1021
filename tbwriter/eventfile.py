"""One event file: its name, its first event, a write buffer, and getting bytes to disk.

    f = EventFile("runs/exp1", flush_secs=120)
    f.append(event_bytes)        # cheap: queued in memory, framed when written
    f.flush()                    # returns once every appended record is written
    f.close()

Events queue in a deque (appends need no lock) and are framed and written by the caller once
``QUEUE_RECORDS`` are pending, by one shared background thread every ``flush_secs``, and
at ``flush()``, ``close()`` and interpreter exit.  A failed write keeps the unwritten
bytes and raises on the next ``append``, ``flush`` or ``close``.  After ``os.fork()`` the
child drops the parent's pending records (the parent writes them) and opens its own
file if it logs.

A ``log_dir`` that is a URL (``s3://``, ``gs://``, ``memory://``...) cannot be appended to: the
records go to :class:`~tbwriter.storage.Segments`, each flush putting one sealed segment (a
complete event file with its own header), and ``QUEUE_RECORDS`` only moves records into it.
"""
from __future__ import annotations

import atexit
import collections
import itertools
import os
import socket
import sys
import threading
import time
import weakref

from tbwriter import encode, record, storage

QUEUE_RECORDS = 4096
_FILE_VERSION = encode.length_delimited(b"\x1a", b"brain.Event:2")  # Event.file_version, field 3
# Zero-padded in names: TensorBoard reads a run's files in name order and never goes back, so
# a file opened later in the same second must sort later ("...10" would sort before "...9").
_counter = itertools.count()
_live: weakref.WeakSet[EventFile] = weakref.WeakSet()


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
        self._queue: collections.deque[bytes] = collections.deque()
        self._unwritten = b""  # the tail of a write that failed part way
        self._fd: int | None = None
        self._segments: storage.Segments | None = None  # instead of _fd when log_dir is a URL
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
        now = time.time()
        head = [encode.event_head(now, 0) + _FILE_VERSION, *self._first_events]
        if storage.is_url(self.log_dir):
            self._segments = storage.Segments(self.log_dir, record.frame(head.pop(0)), "events.out.tfevents.",
                                              self.filename_suffix, self.storage_options)
            storage.call_before_shutdown(_close_all_at_exit)
            self._open_done(self._segments.url, head)
            return
        os.makedirs(self.log_dir, exist_ok=True)
        while True:
            name = (f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}."
                    f"{os.getpid()}.{next(_counter):06d}{self.filename_suffix}")
            path = os.path.join(self.log_dir, name)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
                break
            except FileExistsError:  # another host with our pid on a shared disk
                continue
        self._fd = fd
        self._open_done(path, head)

    def _open_done(self, path: str, head: list[bytes]) -> None:
        self.path, self.closed, self._alarm = path, False, False
        # The header goes first, ahead of anything queued while the file was closed.
        self._unwritten = record.frame_many(head) + self._unwritten
        _live.add(self)
        _flusher.watch()
        self._write_locked()

    def append(self, data: bytes) -> None:
        """Queue ``data`` (a serialized Event) to be written as a record: ``f.append(event_bytes)``."""
        queue = self._queue
        queue.append(data)
        if self._alarm or len(queue) >= QUEUE_RECORDS:
            self._attend()

    def _attend(self) -> None:
        with self._lock:
            if self.closed:
                self._open_locked()  # torch reopens a fresh file when a closed writer is used again
            self._write_locked(seal=False)
            self._raise_error_locked()

    def flush(self) -> None:
        """Write every record appended so far; raise the write error if one happened."""
        with self._lock:
            self._write_locked()
            self._raise_error_locked()

    def close(self) -> None:
        """Flush and close the file; a second call does nothing."""
        with self._lock:
            if self.closed:
                return
            self._write_locked()
            self._raise_error_locked()  # still open: the caller may free space and close again
            fd, self._fd, self._segments = self._fd, None, None
            self.closed = self._alarm = True
            _live.discard(self)
            if fd is not None:
                os.close(fd)

    def flush_if_due(self, now: float) -> None:
        """Called by the flusher thread: write if ``flush_secs`` have passed, keep any error."""
        if now - self._last_flush >= self.flush_secs and self._lock.acquire(blocking=False):
            try:
                self._write_locked()
            finally:
                self._lock.release()

    def _raise_error_locked(self) -> None:
        error, self._error = self._error, None
        self._alarm = self.closed
        if error is not None:
            raise error

    def _write_locked(self, seal: bool = True) -> None:
        """Write what is queued; with ``seal`` (a flush, not a full queue), remote records are put too."""
        self._last_flush = time.monotonic()
        if self._fd is None and self._segments is None:
            return
        queue = self._queue
        # appenders may add more meanwhile: they wait for next time
        events = [queue.popleft() for _ in range(len(queue))]
        data = self._unwritten + record.frame_many(events) if events else self._unwritten
        view, written = memoryview(data), 0
        try:
            if self._segments is not None:
                self._segments.write(data)  # buffered: nothing can fail here
                written = len(data)
                if seal or self._segments.full:
                    self._segments.seal()
            elif self._fd is not None:
                while written < len(data):
                    written += os.write(self._fd, view[written:])
        except OSError as e:
            if not isinstance(e, storage.StorageError):  # which names the URL already
                e.filename = self.path
            self._error, self._alarm = e, True
        self._unwritten = data[written:]  # on failure, kept for the next try: nothing is lost

    def _after_fork_in_child(self) -> None:
        # The parent owns the file and its pending records; a child that logs starts its own.
        self._lock = threading.Lock()
        self._queue.clear()
        self._unwritten, self._error = b"", None
        if self._fd is not None:
            os.close(self._fd)
        if self._segments is not None:
            self._segments.discard()
        self._fd, self._segments, self.closed, self._alarm = None, None, True, True


class _Flusher:
    """One daemon thread for all event files: wakes each second, writes the files that are due."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self.stop = threading.Event()

    def watch(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="tbwriter-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self.stop.wait(min([1.0, *(f.flush_secs for f in list(_live))])):
            now = time.monotonic()
            for f in list(_live):
                f.flush_if_due(now)


_flusher = _Flusher()


def _close_all_at_exit() -> None:
    _flusher.stop.set()
    for f in list(_live):
        try:
            f.close()
        except OSError as e:  # nowhere left to raise it: say it, do not hide it
            print(f"tbwriter: could not write {f.path}: {e}", file=sys.stderr)


def _reset_after_fork() -> None:
    global _flusher
    _flusher = _Flusher()
    for f in list(_live):
        f._after_fork_in_child()
    _live.clear()


atexit.register(_close_all_at_exit)
os.register_at_fork(after_in_child=_reset_after_fork)
