"""A growing file in object storage, written as sealed segments: each one a whole object, put once.

    segments = Segments("s3://bucket/run", head=b"...", prefix="events.out.tfevents.")
    segments.write(b"records")       # buffered in memory
    segments.cut()                   # the buffered bytes become the next segment (no request)
    segments.send()                  # one put per cut segment, each under a name after every earlier one

Object stores cannot append, and rewriting a whole file on each flush costs bytes quadratic in its length.
So a growing file is kept as a sequence of sealed segments: each one is written once with a single put
(atomic on S3, GCS and Azure: a reader never sees half of one), begins with the same ``head`` bytes so
each is complete on its own, and is named to sort after every name already in the directory, because
readers (TensorBoard) read a directory's files in name order and never go back.  Every byte is sent once.

This module knows nothing of what the bytes mean.  A failed put keeps its bytes (the next send puts them
again under the same name, so a put that did land after all is overwritten with the same bytes) and raises
:class:`StorageError` naming the URL; a put on an asynchronous backend (S3, GCS, Azure) is cancelled after
``timeout`` seconds (:data:`PUT_TIMEOUT` by default). ``write`` and ``cut`` never touch the network and never
wait for ``send``, so one thread can go on buffering while another waits on a put.
"""
from __future__ import annotations

import collections
import itertools
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from tbwriter.errors import StorageError
from tbwriter.storage.objects import call, failure, filesystem

SEGMENT_BYTES = 16 << 20  # a segment cut once this many bytes are buffered
PUT_TIMEOUT = 60.0  # seconds one put may take, the backend's own retries included
# One counter for every sequence of the process: two writers of one directory never pick one name.
_counter = itertools.count()
_SEQ_DIGITS = 6


class Segments:
    """The files of one writer in directory ``url``: bytes buffered by ``write``, made a segment by ``cut``,
    put by ``send``.

    Args:
        url: the directory, e.g. ``"s3://bucket/runs/exp1"``.
        head: bytes that begin every segment (so each is a complete file on its own).
        prefix: how names begin; the name is ``<prefix><10-digit seconds>.<host>.<pid>.<6-digit number><suffix>``.
        suffix: how names end.
        storage_options: passed to fsspec's filesystem (credentials, endpoint...).
        limit: ``full`` is true once this many bytes are buffered (default ``SEGMENT_BYTES``).
        timeout: seconds one put may take (default ``PUT_TIMEOUT``).
    """

    def __init__(self, url: str, head: bytes, prefix: str, suffix: str = "",
                 storage_options: dict[str, Any] | None = None, limit: int | None = None,
                 timeout: float | None = None):
        self.url = url.rstrip("/")
        self.head, self.prefix, self.suffix = head, prefix, suffix
        self.limit = SEGMENT_BYTES if limit is None else limit
        self.timeout = PUT_TIMEOUT if timeout is None else timeout
        self.fs, self._dir = filesystem(self.url, storage_options)
        self._buffer = bytearray()
        # Cut but not yet put, in order: [name, content]; the name is chosen by the first try to put it
        # (it may take a listing). ``cut`` appends and only ``send`` pops: no lock between the two.
        self._unsent: collections.deque[list] = collections.deque()
        self._sending = threading.Lock()  # held by the one thread putting, for as long as its requests take
        self._last: str | None = None  # the name every new one must sort after; None: not listed yet
        self._put_last: str | None = None  # the last segment this writer put
        self._marked: str | None = None  # the segment the last end marker names

    def write(self, data: bytes | memoryview) -> None:
        """Buffer ``data`` for the next segment (never fails: nothing is sent)."""
        self._buffer += data

    @property
    def full(self) -> bool:
        """True once ``limit`` bytes wait: time to ``cut()``."""
        return len(self._buffer) >= self.limit

    @property
    def waiting(self) -> bool:
        """True while cut segments wait to be put: time to ``send()``."""
        return bool(self._unsent)

    def cut(self) -> None:
        """Make what is buffered the next segment to put (nothing when nothing is); no request is made."""
        if self._buffer:
            self._unsent.append([None, self.head + bytes(self._buffer)])
            self._buffer.clear()

    def send(self, deadline: float | None = None,
             done: Callable[[StorageError | None], None] | None = None) -> None:
        """Put every cut segment, in order, after any that failed before (waiting for a send in another thread).

        Returns once every one is stored; raises :class:`StorageError` naming the URL otherwise, keeping
        the unsent segments for the next call. ``deadline`` (a ``time.monotonic()`` value) bounds the
        whole call, waiting included, as well as each put's own ``timeout``. ``done(None)`` or
        ``done(error)`` is called before another send can start, so sends report in the order they ran.
        """
        error: StorageError | None = None
        locked = self._sending.acquire(timeout=-1 if deadline is None else max(deadline - time.monotonic(), 0))
        try:
            if not locked:
                error = failure("write", self.url, TimeoutError("an earlier put to it had no answer in the time left"))
            else:
                try:
                    self._send_locked(deadline)
                except StorageError as e:
                    error = e
            if done is not None:
                done(error)
        finally:
            if locked:
                self._sending.release()
        if error is not None:
            raise error

    def _send_locked(self, deadline: float | None) -> None:
        while self._unsent:
            entry = self._unsent[0]
            if entry[0] is None:
                if self._last is None:
                    self._last = self._newest_name(deadline)
                entry[0] = self._last = self._next_name()
            name, content = entry
            timeout = self._timeout(deadline)
            try:
                call(self.fs, "pipe_file", timeout, f"{self._dir}/{name}", content)
            except Exception as e:  # any backend error: kept, and raised naming the URL
                raise failure("write", f"{self.url}/{name}", e) from e
            self._unsent.popleft()
            self._put_last = name

    def mark_end(self, deadline: float | None = None) -> None:
        """Leave an end marker naming the last segment put (see :mod:`tbwriter.storage.manifest`): the run is
        finished, ``tbwriter compact`` may merge it. Nothing when nothing was put since the last marker."""
        from tbwriter.storage.manifest import end_marker_content, end_marker_name

        last = self._put_last
        if last is None or last == self._marked or self._unsent:
            return
        name = end_marker_name()
        try:
            call(self.fs, "pipe_file", self._timeout(deadline), f"{self._dir}/{name}", end_marker_content(last))
        except Exception as e:  # any backend error
            raise failure("write", f"{self.url}/{name}", e) from e
        self._marked = last

    def _timeout(self, deadline: float | None) -> float:
        """Seconds the next request may take: ``timeout``, or less where ``deadline`` comes first."""
        if deadline is None:
            return self.timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise failure("write", self.url, TimeoutError("no time left to try"))
        return min(self.timeout, left)

    def discard(self) -> None:
        """Forget what is buffered and unsent (a forked child leaves it to its parent)."""
        self._buffer.clear()
        self._unsent.clear()

    def _newest_name(self, deadline: float | None) -> str:
        """The greatest name of ours already in the directory (``""`` when none): one listing per writer."""
        self.fs.invalidate_cache(self._dir)  # the names other processes put since, too (see list_files)
        timeout = self._timeout(deadline)
        try:
            found = call(self.fs, "ls", timeout, self._dir, False)
        except FileNotFoundError:
            return ""
        except Exception as e:
            raise failure("list", self.url, e) from e
        names = [p.rstrip("/").rsplit("/", 1)[-1] for p in found]
        return max((n for n in names if n.startswith(self.prefix)), default="")

    def _next_name(self) -> str:
        last = self._last or ""
        seq = next(_counter) % 10**_SEQ_DIGITS
        stamp = int(time.time())
        stamped = re.match(r"\d{10}", last[len(self.prefix):]) if last.startswith(self.prefix) else None
        if stamped:
            # a restart in the same second, clock skew, another host: move past what is there
            stamp = max(stamp, int(stamped.group()))
        while True:
            name = f"{self.prefix}{stamp:010d}.{socket.gethostname()}.{os.getpid()}.{seq:0{_SEQ_DIGITS}d}{self.suffix}"
            if name > last:
                return name
            stamp += 1
