"""Files in object storage (``s3://``, ``gs://``, ``az://``, ``memory://``, any fsspec URL), written as whole objects.

    segments = Segments("s3://bucket/run", head=b"...", prefix="events.out.tfevents.")
    segments.write(b"records")       # buffered in memory
    segments.cut()                   # the buffered bytes become the next segment (no request)
    segments.send()                  # one put per cut segment, each under a name after every earlier one
    data = read_file("s3://bucket/run/events.out.tfevents.1700000000.host.1.000000")  # one request
    sizes = list_files("s3://bucket")  # {url: size} of every file below

Object stores cannot append, and rewriting a whole file on each flush costs bytes quadratic in its length.
So a growing file is kept as a sequence of sealed segments: each one is written once with a single put
(atomic on S3, GCS and Azure: a reader never sees half of one), begins with the same ``head`` bytes so
each is complete on its own, and is named to sort after every name already in the directory, because
readers (TensorBoard) read a directory's files in name order and never go back.  Every byte is sent once.

This module knows nothing of what the bytes mean.  fsspec, and a cloud SDK through it, is imported only
when a URL is used.  A failed put keeps its bytes (the next send puts them again under the same name,
so a put that did land after all is overwritten with the same bytes) and raises :class:`StorageError`
naming the URL; a put on an asynchronous backend (S3, GCS, Azure) is cancelled after ``timeout`` seconds.
``write`` and ``cut`` never touch the network and never wait for ``send``, so one thread can go on
buffering while another waits on a put.
"""
from __future__ import annotations

import atexit
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

SEGMENT_BYTES = 16 << 20  # a segment cut once this many bytes are buffered
PUT_TIMEOUT = 60.0  # seconds one put may take, the backend's own retries included
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
# URL scheme -> the package fsspec needs for it (the extras name them: tbwriter.extras)
_BACKENDS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
             "abfss": "adlfs"}
# One counter for every sequence of the process: two writers of one directory never pick one name.
_counter = itertools.count()
_SEQ_DIGITS = 6



def is_url(path: str | os.PathLike) -> bool:
    """True for ``"s3://bucket/run"`` and other fsspec URLs, False for local paths."""
    text = os.fspath(path)
    return isinstance(text, str) and _URL.match(text) is not None


def filesystem(url: str, storage_options: dict[str, Any] | None = None):
    """``(fs, path)``: fsspec's filesystem for ``url`` (its configuration, environment variables included,
    plus ``storage_options``) and the path inside it."""
    from tbwriter.extras import PACKAGES, missing, optional

    backend = _BACKENDS.get(url.partition(":")[0].lower())
    with optional(url, PACKAGES[backend][1] if backend else None):  # the store's own extra brings fsspec too
        from fsspec.core import url_to_fs
    try:
        return url_to_fs(url, **(storage_options or {}))
    except ImportError as e:  # the backend (s3fs, gcsfs, adlfs...) is missing; fsspec's message names no extra
        if backend:
            raise ModuleNotFoundError(missing(backend, url), name=backend) from None
        raise ImportError(f"{url}: {e}") from None
    except ValueError as e:  # unknown protocol
        raise ValueError(f"{url}: {e}") from None


def call_before_shutdown(function: Callable[[], None]) -> None:
    """Run ``function`` at interpreter exit while the backends can still send (once per function).

    fsspec's S3, GCS and Azure backends need thread pools (name resolution) that Python stops before
    ``atexit`` handlers run, so a put from there fails; ``threading``'s exit hooks run before that.
    """
    if function in _before_shutdown:
        return
    _before_shutdown.append(function)
    register = getattr(threading, "_register_atexit", None)  # what concurrent.futures itself uses
    try:
        (register or atexit.register)(function)
    except RuntimeError:  # the interpreter is already shutting down: atexit still runs
        atexit.register(function)


_before_shutdown: list[Callable[[], None]] = []


def _failed(action: str, url: str, error: BaseException) -> StorageError:
    reason = " ".join(str(error).split()) or "no detail"
    return StorageError(f"could not {action} {url}: {type(error).__name__}: {reason}", url)


def _call(fs, method: str, timeout: float, *args):
    """``fs.<method>(*args)``; on an asynchronous filesystem, cancelled after ``timeout`` seconds."""
    from fsspec.asyn import AsyncFileSystem, sync
    from fsspec.exceptions import FSTimeoutError

    if isinstance(fs, AsyncFileSystem) and not fs.asynchronous:
        try:
            return sync(fs.loop, getattr(fs, "_" + method), *args, timeout=timeout)
        except FSTimeoutError:
            raise TimeoutError(f"no answer within {timeout:.3g} s, the backend's retries included") from None
    return getattr(fs, method)(*args)


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
                error = _failed("write", self.url, TimeoutError("an earlier put to it had no answer in the time left"))
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
                _call(self.fs, "pipe_file", timeout, f"{self._dir}/{name}", content)
            except Exception as e:  # any backend error: kept, and raised naming the URL
                raise _failed("write", f"{self.url}/{name}", e) from e
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
            _call(self.fs, "pipe_file", self._timeout(deadline), f"{self._dir}/{name}", end_marker_content(last))
        except Exception as e:
            raise _failed("write", f"{self.url}/{name}", e) from e
        self._marked = last

    def _timeout(self, deadline: float | None) -> float:
        """Seconds the next request may take: ``timeout``, or less where ``deadline`` comes first."""
        if deadline is None:
            return self.timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise _failed("write", self.url, TimeoutError("no time left to try"))
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
            found = _call(self.fs, "ls", timeout, self._dir, False)
        except FileNotFoundError:
            return ""
        except Exception as e:
            raise _failed("list", self.url, e) from e
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


def list_files(url: str, storage_options: dict[str, Any] | None = None) -> dict[str, int]:
    """``{url: size}`` of every file at or below ``url``: ``list_files("s3://bucket/runs")``.

    Raises FileNotFoundError when nothing is there, :class:`StorageError` when listing fails.
    """
    fs, path = filesystem(url, storage_options)
    root = url.rstrip("/")
    # fsspec reuses one filesystem per configuration, and its listings cache never expires: objects other
    # processes put since would be missing (and then unreadable, their size looked up there). Always ask.
    fs.invalidate_cache()
    try:
        found = fs.find(path, detail=True)
    except FileNotFoundError:
        found = {}
    except Exception as e:
        raise _failed("list", root, e) from e
    if not found:
        raise FileNotFoundError(f"no such file or directory: {url}")
    base = path.rstrip("/")
    files = {}
    for name, info in found.items():
        if info.get("type") == "directory":
            continue
        rest = name.rstrip("/")[len(base):]
        files[root + rest] = int(info.get("size") or 0)
    return files


def read_file(url: str, storage_options: dict[str, Any] | None = None, start: int = 0) -> bytes:
    """The content of ``url`` from byte ``start`` on, in one request: ``read_file("s3://bucket/run/events...")``."""
    fs, path = filesystem(url, storage_options)
    try:
        return fs.cat_file(path, start=start or None)  # a range only when asked: else a plain GET
    except FileNotFoundError:
        raise
    except Exception as e:
        raise _failed("read", url, e) from e
