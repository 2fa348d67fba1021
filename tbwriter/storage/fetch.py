"""Fetch many objects of a store at once: the read side of a sweep in object storage.

    sizes = list_files("s3://bucket/runs")                   # one recursive listing, with every size
    for url, data in fetch(sorted(sizes), sizes):           # in the order asked, CONCURRENCY requests in flight
        if isinstance(data, OSError):                        # the rest is read all the same
            print("skipped:", data)                          # names the URL
        else:
            decode(data)

One request after another costs a round trip each (20-50 ms on S3): 10,000 objects would take minutes. Here
the requests of a *window* of objects run together on the filesystem's own event loop (fsspec's asynchronous
backends: S3, GCS, Azure), at most ``concurrency`` at a time, while the caller decodes the window before; a
synchronous filesystem (``memory://``, ``file://``) is read one object after the other.

Memory: a window holds at most ``window_bytes`` by the listed sizes (one object larger than that is a window
of its own), and at most two windows are held at once (the one being handed out, the one being fetched), so
beyond what the caller keeps, fetching takes at most ``2 * window_bytes`` (or twice the largest object).

Failures: each request is retried by the backend as a put is (s3fs and botocore retry throttling and dropped
connections), bounded by ``timeout`` seconds; what still fails is handed out in its place as an ``OSError``
naming the URL (``FileNotFoundError`` for an object gone since the listing, :class:`StorageError` otherwise),
and the other objects are read.
"""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from tbwriter.errors import ArgumentError
from tbwriter.storage import segments
from tbwriter.storage.objects import failure, filesystem

CONCURRENCY = 32  # requests in flight at once
WINDOW_BYTES = 64 << 20  # bytes of objects fetched ahead of the caller (twice this at most are held)
_WINDOW_OBJECTS = 8  # a window holds at most this many objects per request in flight: its end keeps them busy
_POOL_DEFAULT = 10  # connections aiobotocore keeps per client unless told otherwise


def options_for(url: str, storage_options: dict[str, Any] | None, concurrency: int) -> dict[str, Any]:
    """``storage_options`` tuned for many reads at once, where the backend has settings for it (S3).

    Each is added only where the caller set nothing of its own, and each was measured (``docs/remote.md``):

    - aiobotocore keeps 10 connections: more requests in flight than that would only queue for one, so the pool
      is raised to ``concurrency`` (``config_kwargs={"max_pool_connections": ...}``);
    - botocore checks the checksum S3 keeps of each object it gets (``response_checksum_validation``); every record
      of an event file carries its own CRC-32C, which the reader checks, so that is asked for only where the
      operation requires it: 7% of a GET's CPU;
    - the session is :func:`tbwriter.storage.s3session.session`, which parses timestamps without dateutil: a
      seventh of a GET's CPU and two thirds of a listing's.
    """
    options = dict(storage_options or {})
    if url.partition(":")[0].lower() in ("s3", "s3a"):
        from tbwriter.storage import s3session

        config = dict(options.get("config_kwargs") or {})
        if concurrency > _POOL_DEFAULT:
            config.setdefault("max_pool_connections", concurrency)
        config.setdefault("response_checksum_validation", "when_required")
        options["config_kwargs"] = config
        if not options.keys() & s3session.session_arguments():
            options["session"] = s3session.session()
    return options


def read_error(url: str, error: BaseException) -> OSError:
    """What a failed read of ``url`` is reported as: FileNotFoundError when the object is not there (removed since
    it was listed), else :class:`StorageError`; both name the URL."""
    if isinstance(error, FileNotFoundError):
        return FileNotFoundError(f"no such object: {url}")
    if isinstance(error, (asyncio.TimeoutError, TimeoutError)):
        error = TimeoutError("no answer in time, the backend's retries included")
    return failure("read", url, error)


def fetch(urls: Sequence[str], sizes: Mapping[str, int] | None = None,
          storage_options: dict[str, Any] | None = None, *, concurrency: int | None = None,
          window_bytes: int | None = None, timeout: float | None = None) -> Iterator[tuple[str, bytes | OSError]]:
    """``(url, content)`` of each of ``urls``, in their order, ``content`` an OSError naming the URL for an
    object that could not be read: ``dict(fetch(["s3://b/r/a", "s3://b/r/b"]))``.

    Args:
        urls: objects of one filesystem (one scheme and ``storage_options``).
        sizes: ``{url: size}`` as listed (:func:`tbwriter.storage.list_files`), to cut windows by bytes; an
            object not in it counts as empty (windows are then bounded by their number of objects only).
        storage_options: passed to fsspec's filesystem (credentials, endpoint...).
        concurrency: requests in flight at once (default :data:`CONCURRENCY`).
        window_bytes: bytes fetched ahead of the caller (default :data:`WINDOW_BYTES`).
        timeout: seconds one request may take, the backend's retries included (default ``PUT_TIMEOUT``).
    """
    concurrency = CONCURRENCY if concurrency is None else concurrency
    window_bytes = WINDOW_BYTES if window_bytes is None else window_bytes
    if not isinstance(concurrency, int) or concurrency < 1:
        raise ArgumentError("concurrency", f"must be a whole number of requests >= 1, got {concurrency!r}")
    if not isinstance(window_bytes, int) or window_bytes < 1:
        raise ArgumentError("window_bytes", f"must be a number of bytes >= 1, got {window_bytes!r}")
    if not urls:
        return
    schemes = {url.partition("://")[0] for url in urls}
    if len(schemes) > 1:
        raise ArgumentError("urls", f"must all be of one filesystem, got the schemes {sorted(schemes)}")
    fs, _ = filesystem(urls[0], options_for(urls[0], storage_options, concurrency))
    windows = _windows(urls, sizes or {}, window_bytes, concurrency * _WINDOW_OBJECTS)
    yield from _fetched(fs, windows, concurrency, segments.PUT_TIMEOUT if timeout is None else timeout)


def _windows(urls: Sequence[str], sizes: Mapping[str, int], window_bytes: int, most: int) -> list[list[str]]:
    """``urls`` cut into runs of at most ``window_bytes`` (one larger object alone) and ``most`` objects."""
    windows: list[list[str]] = []
    current: list[str] = []
    held = 0
    for url in urls:
        size = sizes.get(url, 0)
        if current and (held + size > window_bytes or len(current) >= most):
            windows.append(current)
            current, held = [], 0
        current.append(url)
        held += size
    if current:
        windows.append(current)
    return windows


def _fetched(fs, windows: list[list[str]], concurrency: int,
             timeout: float) -> Iterator[tuple[str, bytes | OSError]]:
    from fsspec.asyn import AsyncFileSystem

    if not isinstance(fs, AsyncFileSystem) or fs.asynchronous:  # no loop of its own to run requests on
        for window in windows:
            for url in window:
                try:
                    yield url, fs.cat_file(fs._strip_protocol(url))
                except Exception as e:  # any backend error: reported in its place
                    yield url, read_error(url, e)
        return
    pending: Future | None = None
    try:
        for n, window in enumerate(windows):
            if pending is None:
                pending = _start(fs, window, concurrency, timeout)
            results = pending.result()
            # the next window's requests go out while the caller decodes this one
            pending = _start(fs, windows[n + 1], concurrency, timeout) if n + 1 < len(windows) else None
            for url, content in zip(window, results, strict=True):
                yield url, content if isinstance(content, bytes) else read_error(url, content)
            del results  # before the next window is waited for: two windows held at most
    finally:
        if pending is not None:  # the caller stopped early: the requests of no use are cancelled
            pending.cancel()


def _start(fs, window: list[str], concurrency: int, timeout: float) -> Future:
    """The requests of ``window`` started on the filesystem's event loop; the future gives their contents."""
    paths = [fs._strip_protocol(url) for url in window]
    return asyncio.run_coroutine_threadsafe(_gather(fs, paths, concurrency, timeout), fs.loop)


async def _gather(fs, paths: list[str], concurrency: int, timeout: float) -> list[bytes | BaseException]:
    gate = asyncio.Semaphore(concurrency)
    # s3fs asks each object's size first (a HEAD, unless a listing of this very instance is cached) to split
    # a large one into ranges fetched at once; the objects themselves are fetched at once here: one GET each
    options = {"max_concurrency": 1} if "max_concurrency" in inspect.signature(fs._cat_file).parameters else {}

    async def one(path: str) -> bytes:
        async with gate:
            return await asyncio.wait_for(fs._cat_file(path, **options), timeout)

    return await asyncio.gather(*(one(p) for p in paths), return_exceptions=True)
