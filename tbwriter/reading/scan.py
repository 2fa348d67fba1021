"""The read loop, written once: a run's event files, each read on from where the last pass got to.

    scan = RunScan(TagFilter("loss"), ReadMode.SCALARS)
    for tag, plugin, chunks in scan.read(files, damaged):    # a tag's plugin is its first value's
        ...
    ... later, the run grown: scan.read(files, damaged) reads only what is new (with ``sizes=``, see RunScan)

As TensorBoard's loader does, a :class:`RunScan` keeps a cursor per file (the byte offset it got to, whether
damage ended the file, whether it could not be read at the last try) and the plugin of every tag it has met: the
first load and every reload are the same code. The one-shot readers (:mod:`tbwriter.reading.reader`,
:func:`~tbwriter.reading.sessions.read_hparams`) start a fresh one per run through :func:`scan_logdir`;
:class:`~tbwriter.reading.follow.Follower` keeps one per run and calls it at each poll. Each file is read by
:func:`~tbwriter.reading.filescan.read_file`; damage is reported once, as a
:class:`~tbwriter.format.record.DamagedRecordWarning` naming the file and byte offset.
"""
from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from tbwriter.format.decode import ReadMode
from tbwriter.format.record import DamagedRecordWarning, RecordError
from tbwriter.reading.collect import Chunk, RunCollector, of_plugin
from tbwriter.reading.files import EventFile, list_remote, list_runs
from tbwriter.reading.filescan import read_file
from tbwriter.reading.filters import TagFilter
from tbwriter.storage import compact, is_url
from tbwriter.storage.fetch import fetch

Progress = Callable[[int, int], None]
_HEAD_BYTES = 4096  # read of a followed file's start, for its first record (a file-version record: tens of bytes)


class TagChunks(NamedTuple):
    """A tag read by a pass of :class:`RunScan`: its plugin (its first value's, as TensorBoard decides it) and its
    chunks of that plugin, in no particular order (``Chunk.seq`` gives the file order)."""
    tag: str
    plugin: str | None
    chunks: list[Chunk]


@dataclass
class _Cursor:
    """Where reading a file got to."""
    offset: int = 0  # the byte the next read starts at
    ended: bool = False  # damage ended the file: nothing more is read of it
    failing: bool = False  # it could not be read at all at the last try (said once, while it lasts)
    # a followed run's (RunScan with sizes): what a compaction that replaces the file needs to know of it
    size: int | None = None  # its size at the last look
    version: bytes | None = None  # its first record's file_version (storage.compact.file_version)
    head: int = 0  # that first record's length


class RunScan:
    """One run's event files, read on from a cursor per file at each :meth:`read`.

    Args:
        tags: the tags to decode (the others are not).
        mode: what to decode of their values.
        sizes: for a run being written (a follower): the current size of a file, None when it is gone. A file
            is then read only once it grew past its cursor, and a torn last record is taken for one being
            written: not reported, read at a later call once whole. None: every file is read from its cursor,
            and a torn record is damage like any other (a one-shot read).
        vanished: raise :class:`Vanished` when a fetched file is gone since it was listed, instead of reporting
            it (a one-shot read of a URL, which lists the run again: a compaction replaced its files meanwhile).
    """

    def __init__(self, tags: TagFilter, mode: ReadMode, sizes: Callable[[str], int | None] | None = None,
                 vanished: bool = False) -> None:
        self.tags, self.mode, self.sizes, self.vanished = tags, mode, sizes, vanished
        self._cursors: dict[str, _Cursor] = {}
        self._plugins: dict[str, str | None] = {}  # tag -> plugin of its first value, once met

    def read(self, files: list[str], damaged: list[RecordError], after_file: Callable[[str], None] | None = None,
             fetched: Fetched | None = None) -> list[TagChunks]:
        """The tags that have new values in ``files`` (the run's event files in reading order; a file no longer
        listed is forgotten), in the order they were first logged; damage is appended to ``damaged`` and
        warned of. ``after_file(name)`` is called after each file. ``fetched`` gives the contents of URLs
        fetched ahead (the files of :meth:`pending`, in order)."""
        run = RunCollector()
        if self.sizes is not None:
            self._follow_compaction(files)
        self._cursors = {name: self._cursors.get(name) or _Cursor() for name in files}
        read = False
        for name, cursor in self._cursors.items():
            read |= self._read_file(name, cursor, run, damaged, fetched)
            if after_file:
                after_file(name)
        if not read:  # the common case of a follower while idle, on every run at every poll
            return []
        by_tag = run.tags()
        found = []
        for tag, chunks in by_tag.items():
            if tag not in self._plugins:  # else its first value came in an earlier pass
                self._plugins[tag] = run.first_plugin(tag, chunks)
            found.append(TagChunks(tag, self._plugins[tag], of_plugin(chunks, self._plugins[tag])))
        for tag, plugin in run.unread_plugins().items():  # tags of which nothing was decoded yet
            self._plugins.setdefault(tag, plugin)
        firsts = {tag: min(int(c.seq.min()) for c in chunks) for tag, chunks in by_tag.items()}
        return sorted(found, key=lambda t: firsts[t.tag])  # as logged

    def _follow_compaction(self, files: list[str]) -> None:
        """A followed run compacted since the last pass (``tbwriter compact``): its merged file is read on from
        where reading the files it replaced got to, so no point is read twice (:func:`~tbwriter.storage.compact.
        merged_offset`). The files read so far must be the first ones merged, in order, as they are when each
        pass reads every file listed; the merged file is known by its name, made from its first file's."""
        listed = set(files)
        gone = [name for name in self._cursors if name not in listed]  # in name order, as they were read
        for name in files:
            first = next((g for g in gone if compact.merges(_base(name), _base(g))), None)
            if first is None or name in self._cursors:
                continue
            replaced = [self._cursors[g] for g in gone if g >= first]
            offset = compact.merged_offset([compact.ReadSoFar(c.offset, c.size, c.version, c.head) for c in replaced])
            # it begins as its first file did, head included (for a compaction of it with later files)
            self._cursors[name] = _Cursor(offset, version=replaced[0].version, head=replaced[0].head)

    def pending(self, files: list[str]) -> list[str]:
        """Those of ``files`` that the next :meth:`read` reads (a follower fetches them together beforehand)."""
        if self.sizes is not None:
            self._follow_compaction(files)
        return [name for name in files if self._unread(name, self._cursors.get(name) or _Cursor())[0]]

    def _unread(self, name: str, cursor: _Cursor) -> tuple[bool, int | None]:
        """Whether file ``name`` has anything new past ``cursor``, and its size (None without ``sizes``)."""
        if cursor.ended:
            return False, None
        if self.sizes is None:
            return True, None
        size = self.sizes(name)
        return size is not None and size > cursor.offset, size

    def _read_file(self, name: str, cursor: _Cursor, run: RunCollector, damaged: list[RecordError],
                   fetched: Fetched | None = None) -> bool:
        """Read file ``name`` on from ``cursor`` into ``run``, if there is anything new; whether it was read."""
        unread, size = self._unread(name, cursor)
        if not unread:
            return False
        content = fetched(name) if fetched is not None else None
        if self.vanished and isinstance(content, FileNotFoundError):
            raise Vanished(name)
        if self.sizes is not None and cursor.offset == 0:
            cursor.version, cursor.head = _head(name, content)
        cursor.size = size
        scan = read_file(name, run, self.tags, self.mode, start=cursor.offset, fetched=content)
        if scan.errors and scan.errors[0].offset is None:  # the file could not be read at all (a failed
            # request to a store, too many open files): no damage, so a follower tries it again at its next poll
            if not cursor.failing:
                cursor.failing = True
                report(scan.errors[0], damaged)
            return False
        cursor.failing = False
        # A torn end of a file being written is a record being written, in any file when several processes
        # write the run: the rest is read once it is complete. Damage ends the file for good.
        live_torn = scan.torn and self.sizes is not None
        for error in scan.errors[:-1] if live_torn else scan.errors:
            report(error, damaged)
        cursor.offset = scan.end
        cursor.ended = not (scan.torn or size is not None and scan.end >= size)
        return True


def scan_logdir(path: str | os.PathLike, runs: TagFilter, tags: TagFilter, mode: ReadMode,
                damaged: list[RecordError], progress: Progress | None = None,
                storage_options: dict[str, Any] | None = None) -> Iterator[tuple[str, TagChunks]]:
    """``(run, tag)`` for each tag of each run under ``path`` that ``runs`` keeps, read whole by a fresh
    :class:`RunScan` (entries that could not be listed are reported first); ``progress(bytes_done, bytes_total)``
    is called after each file. A URL is listed once, with its sizes, and its files fetched many at once
    (:mod:`tbwriter.storage.fetch`), in reading order, a bounded window ahead; ``storage_options`` go to fsspec.

        for run, (tag, plugin, chunks) in scan_logdir("runs", TagFilter(), TagFilter(), ReadMode.STEPS, []):
    """
    fetched = None
    if is_url(os.fspath(path)):
        found, listed = list_remote(os.fspath(path), storage_options)
        chosen = {run: files for run, files in found.items() if runs.wants(run)}
        sizes = {name: listed.get(name, 0) for files in chosen.values() for name in files}
        fetched = Fetched([name for files in chosen.values() for name in files], sizes, storage_options)
    else:
        found, skipped = list_runs(path)
        for error in skipped:
            report(error, damaged)
        chosen = {run: files for run, files in found.items() if runs.wants(run)}
        sizes = {name: _size(name) for files in chosen.values() for name in files} if progress else {}
    total, done = sum(sizes.values()), 0

    def after_file(name: str) -> None:
        nonlocal done
        if progress:
            done += sizes[name]
            progress(done, total)

    for run, files in chosen.items():
        relist = fetched is not None and files != [os.fspath(path).rstrip("/")]  # a URL logdir, not one file
        try:
            scanned = RunScan(tags, mode, vanished=relist).read(files, damaged, after_file, fetched)
        except Vanished as gone:  # a compaction replaced the run's files since the listing: read what is there now
            assert fetched is not None
            fetched.skip(files[files.index(gone.name) + 1:])
            try:
                again, again_sizes = list_remote(gone.name.rpartition("/")[0], storage_options)
            except FileNotFoundError:  # the whole run is gone
                again, again_sizes = {}, {}
            files = again.get(".", [])
            scanned = RunScan(tags, mode).read(files, damaged, fetched=Fetched(files, again_sizes, storage_options))
        for tag in scanned:
            yield run, tag


class Vanished(Exception):
    """A listed file is gone (see :class:`RunScan`'s ``vanished``): ``name``."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Fetched:
    """The contents of URLs fetched ahead, many at once, in the order they are read:
    ``fetched(name)`` is the next one's bytes (or the error fetching it met) when ``name`` is it, else None (the
    file is then read on its own).

        fetched = Fetched(urls, sizes, storage_options)
        RunScan(tags, mode).read(files, damaged, fetched=fetched)
    """

    def __init__(self, urls: list[str], sizes: dict[str, int], storage_options: dict[str, Any] | None) -> None:
        self._stream = fetch(urls, sizes, storage_options)
        self._next: tuple[str, bytes | OSError] | None = None

    def skip(self, names: list[str]) -> None:
        """Pass over ``names``, the next ones, unread."""
        for name in names:
            self(name)

    def __call__(self, name: str) -> bytes | OSError | None:
        if self._next is None:
            self._next = next(self._stream, None)
        if self._next is None or self._next[0] != name:
            return None
        content, self._next = self._next[1], None
        return content


def _head(name: str, content: bytes | OSError | None) -> tuple[bytes | None, int]:
    """The file_version of file ``name``'s first record and that record's length; ``(None, 0)`` when it is no
    file-version record (or cannot be read). ``content``: the file's, when fetched already."""
    if not isinstance(content, bytes):
        try:
            with EventFile(name) as file:
                content = bytes(file.read(0, _HEAD_BYTES)[1])
        except RecordError:
            return None, 0
    head = bytes(content[:_HEAD_BYTES])
    version = compact.file_version(head)
    return version, compact.first_record_end(head) if version is not None else 0


def _base(name: str) -> str:
    """A file's name in its directory, of a path or a URL."""
    return name.rpartition("/")[2] if is_url(name) else os.path.basename(name)


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:  # gone, or a dangling link: reported when read
        return 0


def report(error: RecordError, damaged: list[RecordError]) -> None:
    """Append ``error`` to ``damaged`` and warn of it, at the line that called into the read path (the user's
    ``read_scalars(...)`` or ``follower.poll()``)."""
    damaged.append(error)
    warnings.warn(str(error), DamagedRecordWarning, stacklevel=_outside_level())


def _outside_level() -> int:
    """The ``stacklevel`` that points a warning raised in :func:`report` at the first frame outside
    :mod:`tbwriter.reading`, however deep in it the damage was found."""
    frame, level = sys._getframe(2), 2  # report's caller
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("tbwriter.reading"):
        frame, level = frame.f_back, level + 1
    return level
