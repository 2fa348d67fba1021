"""Storage, read side: which event files a logdir holds, by run, and each file's bytes.

    runs, skipped = list_runs("runs")          # {"." : [...], "lr0.1/seed0": [...]}, [RecordError, ...]
    with EventFile(runs["."][0]) as f:
        padded, buf = f.read(0, 16 << 20)      # its first 16 MiB, with room to read u64 words past their end

The one place that lists and opens files: another storage (a URL scheme) plugs in here.
A file is read a window at a time, so that a large one is never in memory whole.
As TensorBoard does, a file is an event file when its name contains ``tfevents``, a run is
every directory holding one, named by its path relative to the logdir, and symlinked
directories are followed (a link back to a directory being walked is not: a cycle).
Entries named like event files that are no regular file (a FIFO, a dangling link) or that
cannot be opened are skipped and reported, so that one bad entry does not stop the rest.
A URL (``s3://bucket/runs``, any fsspec URL) is listed in one listing and each of its files
read in one request, through :mod:`tbwriter.storage`.
"""
from __future__ import annotations

import os
import stat
from typing import Any

import numpy as np

from tbwriter import storage
from tbwriter.format.record import Problem, RecordError
from tbwriter.reading import memory
from tbwriter.storage.manifest import MANIFEST, honour

_PAD = 16  # bytes of zeros after the data: whole u64 words can be read past the last record


def list_runs(path: str | os.PathLike, storage_options: dict[str, Any] | None = None,
              ) -> tuple[dict[str, list[str]], list[RecordError]]:
    """Run name -> its event files in reading order, and the entries skipped (not files, unreadable).

    ``storage_options`` go to fsspec's filesystem for a URL. Raises FileNotFoundError when ``path`` does not exist.
    """
    root = os.fspath(path)
    if storage.is_url(root):
        return list_remote(root, storage_options)[0], []
    if os.path.isfile(root):
        return {".": [root]}, []
    if not os.path.isdir(root):
        raise FileNotFoundError(f"no such file or directory: {root}")
    found: dict[str, list[str]] = {}
    skipped: list[RecordError] = []
    real = os.path.realpath(root)
    _walk(root, real, ".", {real}, found, skipped)
    return dict(sorted(found.items())), skipped


def list_remote(url: str, storage_options: dict[str, Any] | None = None,
                ) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The runs of a URL, as :func:`list_runs` gives them, and ``{url: size}`` of their files, from one
    listing of object storage (which has neither links nor special files).

        runs, sizes = list_remote("s3://bucket/runs")

    Raises FileNotFoundError when nothing is there.
    """
    from tbwriter.storage import fetch

    root = url.rstrip("/")
    # the filesystem the objects are then fetched with (its connection pool raised): one client, made once
    options = fetch.options_for(root, storage_options, fetch.CONCURRENCY)
    listed = storage.list_files(root, options)
    if list(listed) == [root]:
        return {".": [root]}, listed
    found: dict[str, list[str]] = {}
    for name in sorted(listed):
        directory, _, base = name[len(root):].strip("/").rpartition("/")
        if "tfevents" in base:
            found.setdefault(directory or ".", []).append(name)
    for run, names in found.items():
        manifest = f"{names[0].rpartition('/')[0]}/{MANIFEST}"
        if manifest in listed:  # a compaction half-way through (rare): one more request
            found[run] = _honoured(names, lambda url=manifest: _read_remote(url, options))
    return dict(sorted(found.items())), listed


def _honoured(files: list[str], read_manifest) -> list[str]:
    """``files`` (of one directory) less those a compaction manifest says its merged file replaces."""
    kept = set(honour([os.path.basename(f) for f in files], read_manifest))
    return [f for f in files if os.path.basename(f) in kept]


def _read_remote(url: str, storage_options: dict[str, Any] | None) -> bytes | None:
    try:
        return storage.read_file(url, storage_options)
    except FileNotFoundError:  # the compaction ended meanwhile: what was listed is then read as it is
        return None


def _read_local(name: str) -> bytes | None:
    try:
        with open(name, "rb") as f:
            return f.read()
    except OSError:
        return None


def _walk(directory: str, real_directory: str, run: str, ancestors: set[str], found: dict[str, list[str]],
          skipped: list[RecordError]) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as e:
        skipped.append(RecordError(directory, None, Problem.UNREADABLE_FILE, e.strerror or str(e)))
        return
    events = []
    for entry in entries:
        if _is_dir(entry):
            # only a link needs resolving (a stat a path component): a plain directory is its parent's plus its name
            linked = entry.is_symlink() or os.name != "posix"  # (Windows: junctions are no symlinks, yet link)
            real = os.path.realpath(entry.path) if linked else os.path.join(real_directory, entry.name)
            if real not in ancestors:  # else a symlink back up the tree
                _walk(entry.path, real, entry.name if run == "." else f"{run}/{entry.name}", ancestors | {real},
                      found, skipped)
        elif "tfevents" in entry.name:
            # a regular file by the directory's own record (no stat); anything else (a link...) is looked at
            problem = None if entry.is_file(follow_symlinks=False) else _not_a_file(entry.path)
            if problem:
                skipped.append(problem)
            else:
                events.append(entry.path)
    if events and any(entry.name == MANIFEST for entry in entries):  # a compaction half-way through (rare)
        events = _honoured(events, lambda: _read_local(os.path.join(directory, MANIFEST)))
    if events:
        found[run] = events


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()  # follows symlinks
    except OSError:
        return False


def _not_a_file(name: str) -> RecordError | None:
    """Why ``name`` cannot be read as an event file, or None."""
    try:
        mode = os.stat(name).st_mode
    except OSError as e:
        detail = "a dangling symbolic link" if os.path.islink(name) else (e.strerror or str(e))
        return RecordError(name, None, Problem.NOT_A_FILE if os.path.islink(name) else Problem.UNREADABLE_FILE,
                           detail)
    if not stat.S_ISREG(mode):
        return RecordError(name, None, Problem.NOT_A_FILE, _file_kind(mode))
    return None


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device")):
        if test(mode):
            return kind
    return "not a regular file"


def find_runs(path: str | os.PathLike, storage_options: dict[str, Any] | None = None) -> dict[str, list[str]]:
    """Run name -> its event files in reading order: ``find_runs("runs") == {".": [...], "a": [...]}``.

    Entries that cannot be read are left out here; the readers report them. ``storage_options`` go to fsspec's
    filesystem for a URL. Raises FileNotFoundError when ``path`` does not exist.
    """
    return list_runs(path, storage_options)[0]


class EventFile:
    """An event file open for reading, a window of its bytes at a time (a large file is never in memory whole).

        with EventFile(runs["."][0]) as f:   # RecordError when it cannot be opened, or is no regular file
            padded, buf = f.read(0, 16 << 20)  # its first 16 MiB (fewer at its end), zero-padded

    Opened without blocking, so a FIFO put there meanwhile cannot hang us. ``size`` is the file's size when it
    was opened: a file that grows meanwhile is read up to there, one that shrinks up to its new end. A URL is
    fetched from byte ``start`` on in one request when opened, unless its whole content was ``fetched`` already
    (or the error that fetching it met).
    """

    def __init__(self, name: str, start: int = 0, fetched: bytes | OSError | None = None) -> None:
        self.name = name
        self._data: bytes | None = None
        self._start = 0  # of _data in the file
        self._file = None
        if fetched is not None:  # a URL's whole content, fetched with others at once (tbwriter.storage.fetch)
            if isinstance(fetched, OSError):
                raise RecordError(name, None, Problem.UNREADABLE_FILE, str(fetched))
            self._data = fetched
            self.size = len(fetched)
            return
        if storage.is_url(name):
            try:
                self._data = storage.read_file(name, start=start)  # one request for the rest of the file
            except OSError as e:
                raise RecordError(name, None, Problem.UNREADABLE_FILE, str(e)) from None
            self._start = start
            self.size = start + len(self._data)
            return
        try:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as e:
            raise RecordError(name, None, Problem.UNREADABLE_FILE, e.strerror or str(e)) from None
        self._file = os.fdopen(fd, "rb")
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            self.close()
            raise RecordError(name, None, Problem.NOT_A_FILE, _file_kind(info.st_mode))
        self.size = info.st_size

    def read(self, start: int, size: int) -> tuple[np.ndarray, memoryview]:
        """Up to ``size`` bytes from byte ``start`` on (fewer only at the end of the file): a zero-padded
        numpy copy and a read-only view of the data in it. Raises RecordError when the file cannot be read."""
        size = max(min(size, self.size - start), 0)
        padded = memory.empty((size + _PAD,), np.uint8)
        whole = memoryview(padded.data)
        if self._data is not None:
            got = size
            at = start - self._start
            whole[:got] = memoryview(self._data)[at:at + got]
        else:
            assert self._file is not None
            try:
                self._file.seek(start)
                got = self._file.readinto(whole[:size]) or 0
            except OSError as e:
                raise RecordError(self.name, None, Problem.UNREADABLE_FILE, e.strerror or str(e)) from None
        padded[got:] = 0  # the padding, and what a file that shrank meanwhile did not fill
        return padded, whole.toreadonly()[:got]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> EventFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
