"""Files at a location, local or in object storage (``s3://``, ``gs://``, ``az://``, ``memory://``, any fsspec URL).

    sizes = list_files("s3://bucket/runs")        # {url: size} of every file below, one listing
    data = read_file("s3://bucket/runs/a/events.out.tfevents.1700000000.host.1.000000")  # one request
    files_in("runs/a")                           # the files directly in a folder, local or remote
    remove(["s3://bucket/runs/a/old"])           # delete files (local ones too)

fsspec, and a cloud SDK through it, is imported only when a URL is used. A failed request raises
:class:`StorageError` naming the URL; ``call`` cancels a request on an asynchronous backend (S3, GCS, Azure)
after a timeout.
"""
from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from typing import Any

from tbwriter.errors import StorageError
from tbwriter.storage.locations import is_url

# URL scheme -> the package fsspec needs for it (the extras name them: tbwriter.extras)
_BACKENDS = {"s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
             "abfss": "adlfs"}


def filesystem(url: str, storage_options: dict[str, Any] | None = None):
    """``(fs, path)``: fsspec's filesystem for ``url`` (its configuration, environment variables included,
    plus ``storage_options``) and the path inside it: ``fs, path = filesystem("s3://bucket/runs")``."""
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


def failure(action: str, url: str, error: BaseException) -> StorageError:
    """The :class:`StorageError` saying ``could not <action> <url>`` because of ``error``."""
    reason = " ".join(str(error).split()) or "no detail"
    return StorageError(f"could not {action} {url}: {type(error).__name__}: {reason}", url)


def call(fs, method: str, timeout: float, *args):
    """``fs.<method>(*args)``; on an asynchronous filesystem, cancelled after ``timeout`` seconds."""
    from fsspec.asyn import AsyncFileSystem, sync
    from fsspec.exceptions import FSTimeoutError

    if isinstance(fs, AsyncFileSystem) and not fs.asynchronous:
        try:
            return sync(fs.loop, getattr(fs, "_" + method), *args, timeout=timeout)
        except FSTimeoutError:
            raise TimeoutError(f"no answer within {timeout:.3g} s, the backend's retries included") from None
    return getattr(fs, method)(*args)


def list_files(url: str, storage_options: dict[str, Any] | None = None) -> dict[str, int]:
    """``{url: size}`` of every file at or below ``url``: ``list_files("s3://bucket/runs")``.

    Raises FileNotFoundError when nothing is there, :class:`StorageError` when listing fails.
    """
    fs, path = filesystem(url, storage_options)
    root = url.rstrip("/")
    found = find_fresh(fs, path, url)
    base = path.rstrip("/")
    files = {}
    for name, info in found.items():
        if info.get("type") == "directory":
            continue
        rest = name.rstrip("/")[len(base):]
        files[root + rest] = int(info.get("size") or 0)
    return files


def find_fresh(fs: Any, path: str, url: str) -> dict[str, dict]:
    """``fs.find(path, detail=True)`` asked of the store, not of fsspec's cache: ``find_fresh(fs, "bucket/runs", url)``.

    fsspec reuses one filesystem per configuration, and its listings cache never expires: objects other processes
    put since would be missing (and then unreadable, their size looked up there). Raises FileNotFoundError when
    nothing is there, :class:`StorageError` naming ``url`` when listing fails.
    """
    fs.invalidate_cache()
    try:
        found = fs.find(path, detail=True)
    except FileNotFoundError:
        found = {}
    except Exception as e:
        raise failure("list", url.rstrip("/"), e) from e
    if not found:
        raise FileNotFoundError(f"no such file or directory: {url}")
    return found


def read_file(url: str, storage_options: dict[str, Any] | None = None, start: int = 0) -> bytes:
    """The content of ``url`` from byte ``start`` on, in one request: ``read_file("s3://bucket/run/events...")``."""
    fs, path = filesystem(url, storage_options)
    try:
        return fs.cat_file(path, start=start or None)  # a range only when asked: else a plain GET
    except FileNotFoundError:
        raise
    except Exception as e:
        raise failure("read", url, e) from e


def files_in(location: str, storage_options: dict[str, Any] | None = None) -> list[str]:
    """The files directly in folder ``location`` (a path or a URL, ``storage_options`` for its fsspec filesystem),
    sorted; none when it does not exist.

        files_in("s3://bucket/runs/a")   # ["s3://bucket/runs/a/events.out.tfevents.1700000000.host.1.000000"]
    """
    if is_url(location):
        try:
            files = list_files(location, storage_options)
        except FileNotFoundError:
            return []
        prefix = location.rstrip("/") + "/"
        return sorted(url for url in files if "/" not in url[len(prefix):])
    try:
        entries = list(os.scandir(location))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(e.path for e in entries if e.is_file())


def remove(files: list[str], storage_options: dict[str, Any] | None = None) -> None:
    """Delete ``files``: local paths, or URLs of one store (deleted in one call): ``remove(files_in("runs/a"))``."""
    if files and is_url(files[0]):
        fs, _ = filesystem(files[0], storage_options)
        fs.rm([filesystem(url)[1] for url in files])
        return
    for path in files:
        os.unlink(path)
