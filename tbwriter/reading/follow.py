"""Read a logdir as it grows: each call returns only the scalars written since the last one.

    follower = Follower("runs", tags="loss")
    while training:
        for (run, tag), s in follower.poll().items():   # the new points only
            print(run, tag, s.step[-1], s.value[-1])
        time.sleep(1)

The cost of a call grows with the bytes written since the last, not with the size of the logdir's
files: the follower keeps a :class:`~tbwriter.reading.scan.RunScan` per run, with the byte offset it got to in
every file (the read loop of the one-shot readers, called again at each poll). Unlike TensorBoard, which reads a
run's files one after the other and never goes back, it reads on in every file of a run, so the
points of two processes writing one run at once (two files growing) are all seen. A torn last
record (a writer mid-flush) is read on a later call, once complete; a damaged record ends its file,
with a :class:`~tbwriter.format.record.DamagedRecordWarning` naming the file and byte offset, once; a file that
cannot be read at all (a store's request failed) is warned of once and tried again at each call. New files
of a known run and new runs beside the known ones are seen at the next call; a run anywhere else
within :data:`RESCAN_SECONDS`. A URL (``s3://bucket/runs``, any fsspec URL) is listed afresh at every
call, and only files that grew since are fetched: a sealed segment never changes, so each is fetched once. A run
compacted meanwhile (``tbwriter compact``) is read on in its merged file from where its replaced files were read to.
"""
from __future__ import annotations

import os
import time
from typing import Any

from tbwriter import storage
from tbwriter.format.decode import ReadMode
from tbwriter.reading.collect import merge_numbers
from tbwriter.reading.files import find_runs, list_remote
from tbwriter.reading.filters import TagFilter
from tbwriter.reading.results import Scalars, ScalarSeries
from tbwriter.reading.scan import Fetched, RunScan

RESCAN_SECONDS = 5.0  # how often the whole logdir is walked again, changed or not


def _mtime(directory: str) -> int | None:
    try:
        return os.stat(directory).st_mtime_ns
    except OSError:  # removed: the walk this causes drops it
        return None


class Follower:
    """Scalars of ``path`` that are new since the last :meth:`poll`.

    Args:
        path: a logdir (runs are its directories holding event files, found again at every poll,
            so runs that start later are followed too) or one event file; a local path or a URL.
        runs: a regular expression searched in run names (default: every run).
        tags: a regular expression searched in tag names (default: every tag); other tags are not decoded.
        storage_options: for a URL ``path``, passed to fsspec's filesystem (credentials, endpoint...).
    """

    def __init__(self, path: str | os.PathLike, runs: str | None = None, tags: str | None = None,
                 storage_options: dict[str, Any] | None = None) -> None:
        self.path = os.fspath(path)
        self.storage_options = storage_options
        self._runs = TagFilter(runs)
        self._tags = TagFilter(tags)
        self._scans: dict[str, RunScan] = {}  # run -> its scan: where reading each of its files got to
        self._files: dict[str, list[str]] = {}  # run -> its event files, as last listed
        self._mtimes: dict[str, int | None] = {}  # directory -> its modification time at the last walk
        self._next_walk = 0.0
        self._remote = storage.is_url(self.path)
        self._sizes: dict[str, int] = {}  # for a URL: file -> its size, as last listed

    def poll(self) -> Scalars:
        """The points written since the last call (all of them on the first), as :func:`read_scalars` gives them."""
        out = Scalars()
        listing = {run: files for run, files in self._listing().items() if self._runs.wants(run)}
        for run in listing:
            if run not in self._scans:
                self._scans[run] = RunScan(self._tags, ReadMode.SCALARS, sizes=self._size)
        fetched = None
        if self._remote:  # the objects not read yet (sealed segments never change), fetched many at once
            new = [name for run, files in listing.items() for name in self._scans[run].pending(files)]
            fetched = Fetched(new, self._sizes, self.storage_options) if new else None
        for run, files in listing.items():
            for tag, plugin, chunks in self._scans[run].read(files, out.damaged, fetched=fetched):
                chunks = [c for c in chunks if c.numbers is not None]
                if plugin == "scalars" and chunks:
                    out[(run, tag)] = ScalarSeries(*merge_numbers(chunks))
        return out

    def _listing(self) -> dict[str, list[str]]:
        """Runs and their files, walked again when a directory on the way to a run changed (a new file or
        run: its modification time moves) and every :data:`RESCAN_SECONDS` (a run in a new place). Idle,
        a poll costs a stat per directory and per file being read, not a walk of the logdir."""
        if self._remote:  # object storage has no modification times to watch: one listing, with the sizes
            self._files, self._sizes = list_remote(self.path, self.storage_options)
            return self._files
        now = time.monotonic()
        if now >= self._next_walk or any(_mtime(d) != m for d, m in self._mtimes.items()):
            self._next_walk = now + RESCAN_SECONDS
            self._files = find_runs(self.path)
            self._mtimes = {d: _mtime(d) for d in self._watched()}
        return self._files

    def _watched(self) -> set[str]:
        """The logdir, each run's directory and the directories between."""
        if os.path.isfile(self.path):
            return set()
        found = {self.path}
        for run in self._files:
            parts = [] if run == "." else run.split("/")
            found.update(os.path.join(self.path, *parts[:n]) for n in range(1, len(parts) + 1))
        return found

    def _size(self, name: str) -> int | None:
        """The size of file ``name``; None when it was removed since it was listed."""
        if self._remote:
            return self._sizes.get(name)
        try:
            return os.path.getsize(name)
        except OSError:
            return None
