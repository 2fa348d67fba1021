"""Where a run's framed records go: a local file, object-storage segments, or nowhere.

    sink = sink_for("runs/exp1", filename_suffix="", storage_options=None, cut=lambda: None)
    path, start = sink.open(time.time_ns(), header)   # a new file; ``start``: the bytes to write first
    written, error = sink.write(start + records, 0, seal=True)
    sink.close()

:class:`~tbwriter.writing.eventfile.EventFile` does what every kind shares (the queue, framing, the background
flusher, flush/close/exit, keeping errors) and picks its sink once, with :func:`sink_for`: a
:class:`LocalSink` for a path, a :class:`SegmentSink` for a URL. A rank that does not write gets
:class:`Discarded` in place of the whole EventFile, so that its values are dropped before they cost framing.
"""
from __future__ import annotations

import itertools
import os
import re
import socket
import warnings
from collections.abc import Callable
from typing import Any, Protocol

from tbwriter.errors import StorageError, WriterWarning
from tbwriter.format import record
from tbwriter.storage import is_url
from tbwriter.storage.segments import Segments

PREFIX = "events.out.tfevents."
# A name is events.out.tfevents.<seconds>.<nanoseconds>.<host>.<pid>.<counter><suffix>, every number
# zero-padded: TensorBoard reads a run's files in name order and never goes back, so a file opened
# later must sort later, by another process too (the pid comes after the time: a second writer's
# file sorts after the first's whatever the pids), and in the same nanosecond by this process
# ("...10" would sort before "...9"). The seconds stay the fourth dot-separated field, as in torch's.
_counter = itertools.count()


class Sink(Protocol):
    """Where the framed records of one EventFile go, file after file (a new one at each ``open``)."""

    remote: bool  # writes go over the network: sent at exit all at once, before the backends' threads stop

    def open(self, nanos: int, header: bytes) -> tuple[str, bytes]:
        """Start a new file at time ``nanos`` whose first record is ``header`` (an Event); returns its path or URL
        and the bytes to write at its start (framed ``header``, or nothing where every segment begins with it)."""
        ...

    def write(self, data: bytes, start: int, seal: bool) -> tuple[int, OSError | None]:
        """Store framed ``data``, which begins at byte ``start`` of what this file has been given; returns how
        many bytes of it are stored (the rest is to be given again) and the error that stopped the rest.
        ``seal``: a flush, not a full queue (object storage cuts a segment then)."""
        ...

    def replaced(self) -> bool:
        """Whether the open file's path no longer names it (deleted, or replaced by another)."""
        ...

    @property
    def waiting(self) -> bool:
        """Whether bytes wait for ``send``."""
        ...

    def send(self, deadline: float | None, done: Callable[[StorageError | None], None]) -> None:
        """Send what waits, by ``deadline`` (``time.monotonic()``); ``done(None or error)`` says how it ended."""
        ...

    def close(self) -> None:
        """Close the open file (what waits must have been sent)."""
        ...

    def forget(self) -> None:
        """Drop what is unsent and close the file (a forked child, or a caller deleting the file anyway)."""
        ...


def sink_for(log_dir: str, filename_suffix: str, storage_options: dict[str, Any] | None,
             cut: Callable[[], None]) -> Sink:
    """The sink of ``log_dir``: a :class:`SegmentSink` for a URL (``cut`` is called when a segment waits to be
    sent), else a :class:`LocalSink`: ``sink_for("s3://bucket/run", "", None, flusher.wake)``."""
    if is_url(log_dir):
        return SegmentSink(log_dir, filename_suffix, storage_options, cut)
    return LocalSink(log_dir, filename_suffix)


class LocalSink:
    """A local append-only file, named so that it sorts after every file opened before it.

    What a write got out is read back from the file's size, so a write interrupted part way (Ctrl-C) or failed
    (a full disk) is resumed exactly where it stopped.
    """

    remote = False
    waiting = False  # every byte is in the file when write returns

    def __init__(self, log_dir: str, filename_suffix: str = "") -> None:
        self.log_dir, self.filename_suffix = log_dir, filename_suffix
        self._fd: int | None = None
        self._path = ""

    def open(self, nanos: int, header: bytes) -> tuple[str, bytes]:
        os.makedirs(self.log_dir, exist_ok=True)
        while True:
            name = (f"{PREFIX}{nanos // 10**9:010d}.{nanos % 10**9:09d}.{socket.gethostname()}."
                    f"{os.getpid()}.{next(_counter):06d}{self.filename_suffix}")
            path = os.path.join(self.log_dir, name)
            try:
                self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
                break
            except FileExistsError:  # another host with our pid on a shared disk
                continue
        self._path = path
        return path, record.frame(header)

    def write(self, data: bytes, start: int, seal: bool) -> tuple[int, OSError | None]:
        fd = self._fd
        if fd is None or not data:
            return 0, None
        written = 0
        try:
            # A write interrupted (Ctrl-C) or failed part way has put a prefix of data in the file.
            written = min(max(os.fstat(fd).st_size - start, 0), len(data))
            view = memoryview(data)
            while written < len(data):
                written += os.write(fd, view[written:])
        except OSError as e:
            return written, e
        return written, None

    def replaced(self) -> bool:
        if self._fd is None:
            return False
        try:
            on_disk = os.stat(self._path)
        except (FileNotFoundError, NotADirectoryError):  # the file, or a folder on its path, is gone
            return True
        except OSError:
            return False  # the path cannot be checked (a permission change): keep writing where we are
        ours = os.fstat(self._fd)
        return (on_disk.st_ino, on_disk.st_dev) != (ours.st_ino, ours.st_dev)

    def send(self, deadline: float | None, done: Callable[[StorageError | None], None]) -> None:
        pass  # nothing waits

    def close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    forget = close  # nothing is held besides the descriptor


class SegmentSink:
    """A file in object storage, as sealed :class:`~tbwriter.storage.segments.Segments` (it cannot be appended
    to): each flush puts one segment, a complete event file with its own header.

    ``write`` never touches the network (this may be the training loop): the records join the open segment,
    and a flush or a full segment cuts it, for ``send`` to put from ``flush()``, ``close()`` or the flusher
    thread, which ``cut`` wakes. A failed put keeps its segment for the next send.
    """

    remote = True

    def __init__(self, url: str, filename_suffix: str, storage_options: dict[str, Any] | None,
                 cut: Callable[[], None]) -> None:
        self.url, self.filename_suffix, self.storage_options = url, filename_suffix, storage_options
        self._cut = cut
        self._segments: Segments | None = None  # None while closed: nothing is open between puts anyway

    def open(self, nanos: int, header: bytes) -> tuple[str, bytes]:
        self._segments = Segments(self.url, record.frame(header), PREFIX, self.filename_suffix, self.storage_options)
        return self._segments.url, b""

    def write(self, data: bytes, start: int, seal: bool) -> tuple[int, OSError | None]:
        segments = self._segments
        if segments is None:
            return 0, None
        segments.write(data)  # cannot fail: nothing is sent
        if seal or segments.full:
            segments.cut()
            self._cut()
        return len(data), None

    def replaced(self) -> bool:
        return False  # a put replaces nothing of ours: each segment has a name of its own

    @property
    def waiting(self) -> bool:
        segments = self._segments
        return segments is not None and segments.waiting

    def send(self, deadline: float | None, done: Callable[[StorageError | None], None]) -> None:
        # The flusher thread sends without the file's lock: the segments it found are the ones it sends.
        segments = self._segments
        if segments is not None:
            segments.send(deadline, done=done)

    def close(self) -> None:
        """Leave an end marker (the run is finished, for ``tbwriter compact``); every value is stored already, so
        a failure only warns."""
        segments, self._segments = self._segments, None
        if segments is None:
            return
        try:
            segments.mark_end()
        except StorageError as e:
            warnings.warn(f"tbwriter: {e}: every value is stored, but `tbwriter compact` will take the run for one "
                          "still being written (--force merges it)", WriterWarning, stacklevel=4)

    def forget(self) -> None:
        if self._segments is not None:
            self._segments.discard()
        self._segments = None


class Discarded:
    """The EventFile of a rank that does not write: takes the encoded events and drops them, creates nothing.

        sink = Discarded()
        sink.append(b"...")   # dropped; no file is created
    """

    path = None

    def append(self, data: bytes) -> None:
        pass

    def append_deferred(self, item: object) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def close_or_report(self) -> None:
        pass

    def discard(self) -> None:
        pass


def other_writers(directory: str) -> list[tuple[str, int]]:
    """The event files in local ``directory`` opened by another process of this host that still runs.

        for path, pid in other_writers("runs/exp1"): ...

    Found by the host and pid in their names (ours, torch's and TensorFlow's all hold them); a
    writer on another host sharing the disk cannot be checked and is not listed.
    """
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return []
    pattern = re.compile(rf"events\.out\.tfevents\.\d+\.(?:\d{{9}}\.)?{re.escape(socket.gethostname())}\.(\d+)\.")
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found = []
    for name in names:
        match = pattern.match(name)
        if match and int(match[1]) != os.getpid() and _running(int(match[1])):
            found.append((os.path.join(directory, name), int(match[1])))
    return found


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except PermissionError:  # it exists, under another user
        return True
    except (OSError, OverflowError):
        return False
    return True
