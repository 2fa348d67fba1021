"""Merge each finished run's event files (the sealed segments of a URL log_dir) into one event file.

    report = compact("s3://bucket/runs", runs="lr0\\.1")    # also: tbwriter compact s3://bucket/runs
    report.compacted    # [Compaction(run="lr0.1/seed0", merged="s3://.../events...000000.compacted", replaced=720)]
    report.skipped      # [("lr0.1/seed1", "not finished: ...")]

A run in object storage is hundreds of small objects (one per flush); every reader, TensorBoard first, pays a
request or more for each. Compaction makes it one: the run's files are read in name order (the order every reader
reads them in) and their records written one after the other into a single event file, each segment's repeated
first record (``brain.Event:2``) left out. No record is changed, added or dropped otherwise, so purges (SessionLog
START) and everything else read as before.

The steps, each one leaving the run readable, every point once, by our readers:

1. the records are streamed into a temporary object (``tbwriter.compacting.*``: no reader looks at it); a file
   that cannot be read, or holds damage or a torn record, stops the run's compaction and leaves it as it was
   (merging would hide the damage report, or end the merged file at it);
2. a manifest (:data:`~tbwriter.storage.manifest.MANIFEST`) names the merged file and the files it replaces;
3. the temporary object becomes the merged file (a rename on disk; a server-side copy on object stores, which
   appears whole);
4. the replaced files are deleted (one bulk request per 1,000 on S3), then the temporary object and the manifest.

Between 3 and 4 the merged file and the replaced ones both exist: our readers follow the manifest, TensorBoard,
which knows nothing of it, would read both if it loaded the run in that window (one bulk delete: a single request
for a run of up to 1,000 files on S3). The merged file's name sorts right after the run's
first file, before every other: a TensorBoard that is already following the run has read past it and never reads
it (it never goes back in name order), so it counts no point twice either. A compaction stopped half-way (a
crash, a failed request) is finished by the next one. Only a *finished* run is merged (its writer's ``close()``
left an end marker naming its newest file, see :mod:`tbwriter.storage.manifest`): a live writer would go on
adding segments after the merged file. ``force=True`` merges the others too.
"""
from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tbwriter.errors import ArgumentError, StorageError
from tbwriter.format.decode import fields
from tbwriter.format.record import FOOTER_SIZE, HEADER_SIZE, Damage
from tbwriter.format.wire import Event
from tbwriter.storage import is_url
from tbwriter.storage.fetch import fetch
from tbwriter.storage.manifest import END_PREFIX, MANIFEST, finished, manifest_content, marker_last, parse_manifest
from tbwriter.storage.objects import failure, filesystem, find_fresh

TEMPORARY_PREFIX = "tbwriter.compacting."
MERGED_SUFFIX = ".compacted"


@dataclass(frozen=True)
class Compaction:
    """One run merged: its name, the location of the merged event file and how many files it replaced."""
    run: str
    merged: str
    replaced: int


@dataclass
class CompactionReport:
    """What :func:`compact` did: the runs ``compacted``, and the runs ``skipped`` with the reason for each."""
    compacted: list[Compaction] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _RunDir:
    """What one directory holds, by base name: event files (sorted), end markers, a manifest, temporaries."""
    events: list[str] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)
    manifest: bool = False
    temporaries: list[str] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)


class _Skip(Exception):
    """A run left as it is, for the reason given."""


def compact(path: str | os.PathLike, runs: str | None = None, *, force: bool = False,
            storage_options: dict[str, Any] | None = None) -> CompactionReport:
    """Merge the event files of each finished run under ``path`` (a URL or a local directory) into one.

        report = compact("s3://bucket/runs")
        for c in report.compacted: print(c.run, c.replaced, "files ->", c.merged)

    Args:
        path: a logdir (every directory below holding event files is a run), local or a URL.
        runs: a regular expression searched in run names (default: every run).
        force: merge runs without an end marker too (their writer may still be adding files).
        storage_options: passed to fsspec's filesystem (credentials, endpoint...).

    Runs with one event file, unfinished runs (unless ``force``) and runs holding damage are left as they are and
    listed in ``skipped`` with the reason. Raises FileNotFoundError when nothing is at ``path``, and
    :class:`StorageError` naming the URL when a request fails half-way (the next call finishes the job).
    """
    root = os.fspath(path)
    try:
        run_re = re.compile(runs) if runs else None
    except re.error as e:
        raise ArgumentError("runs", f"is no regular expression ({e}): {runs!r}") from None
    fs, fs_root = filesystem(root, storage_options)
    report = CompactionReport()
    for run, directory in _runs(fs, fs_root).items():
        if run_re is not None and not run_re.search(run):
            continue
        location = _location(root, run)
        try:
            merged, replaced = _compact_run(fs, directory, location, storage_options, force)
        except _Skip as e:
            report.skipped.append((run, str(e)))
        else:
            report.compacted.append(Compaction(run, merged, replaced))
    return report


def _location(root: str, run: str) -> str:
    """Where run ``run`` (relative to ``root``) lies, written as ``root`` is (a URL, or a local path)."""
    if run == ".":
        return root.rstrip("/") if is_url(root) else root
    return f"{root.rstrip('/')}/{run}" if is_url(root) else os.path.join(root, *run.split("/"))


def _runs(fs, fs_root: str) -> dict[str, tuple[str, _RunDir]]:
    """Run name -> (its directory in ``fs``, what it holds), from one recursive listing."""
    found = find_fresh(fs, fs_root, fs_root)
    base = fs_root.rstrip("/")
    dirs: dict[str, _RunDir] = {}
    for name, info in sorted(found.items()):
        if info.get("type") == "directory":
            continue
        directory, _, leaf = name.rstrip("/").rpartition("/")
        held = dirs.setdefault(directory, _RunDir())
        held.sizes[leaf] = int(info.get("size") or 0)
        if leaf.startswith(TEMPORARY_PREFIX):
            held.temporaries.append(leaf)
        elif leaf.startswith(END_PREFIX):
            held.markers.append(leaf)
        elif leaf == MANIFEST:
            held.manifest = True
        elif "tfevents" in leaf:
            held.events.append(leaf)
    out = {}
    for directory, held in sorted(dirs.items()):
        if held.events or held.manifest:
            run = directory[len(base):].strip("/") or "."
            out[run] = (directory, held)
    return out


def _compact_run(fs, directory: tuple[str, _RunDir], location: str, storage_options: dict[str, Any] | None,
                 force: bool) -> tuple[str, int]:
    where, held = directory
    earlier = _finish_earlier(fs, where, held) if held.manifest else None
    if held.temporaries:  # of a compaction that stopped half-way: of no use now
        _request("remove", location, fs.rm, [f"{where}/{t}" for t in held.temporaries])
    events = held.events
    if len(events) < 2:
        if earlier is not None:  # what that compaction merged is all there is
            return _in(location, earlier[0]), earlier[1]
        raise _Skip("one event file: nothing to merge")
    if not force:
        contents = _contents(fs, location, where, held.markers, held.sizes, storage_options)
        lasts = [last for _, content in contents if (last := marker_last(content)) is not None]
        if not finished(events, lasts):
            raise _Skip("not finished: no end marker (left by its writer's close()) names its newest file "
                        f"{events[-1]}; it may still be written to (force=True / --force merges it anyway)")
    merged = _merged_name(events[0], set(events))
    temporary = f"{where}/{TEMPORARY_PREFIX}{time.time_ns()}.{os.getpid()}"
    try:
        with fs.open(temporary, "wb") as out:
            for chunk in _merged(fs, location, where, events, held.sizes, storage_options):
                out.write(chunk)
    except BaseException as e:
        try:
            fs.rm(temporary)
        except Exception:  # left for the next compaction to remove
            pass
        if isinstance(e, _Skip):
            raise
        if isinstance(e, Exception):
            raise failure("write", f"{location}/{merged}", e) from e
        raise
    _request("write", f"{location}/{MANIFEST}", fs.pipe_file, f"{where}/{MANIFEST}", manifest_content(merged, events))
    # the merged file appears whole: renamed on disk; copied on the server in object storage, where the
    # temporary object goes only after the replaced files, so that both are seen for one bulk delete's time
    local = not is_url(location)
    _request("write", f"{location}/{merged}", fs.mv if local else fs.copy, temporary, f"{where}/{merged}")
    _request("remove", location, fs.rm, [f"{where}/{name}" for name in events])
    if not local:
        _request("remove", location, fs.rm, temporary)
    _request("remove", f"{location}/{MANIFEST}", fs.rm, f"{where}/{MANIFEST}")
    return _in(location, merged), len(events)


def _in(location: str, name: str) -> str:
    return f"{location.rstrip('/')}/{name}" if is_url(location) else os.path.join(location, name)


def _finish_earlier(fs, where: str, held: _RunDir) -> tuple[str, int] | None:
    """Take an earlier compaction of this run that stopped half-way to its end: when its merged file is there,
    the files it replaces are deleted (else nothing of it counts), then its manifest. Returns the merged file's
    name and how many files it replaces, or None when there was nothing to finish."""
    parsed = parse_manifest(_request("read", f"{where}/{MANIFEST}", fs.cat_file, f"{where}/{MANIFEST}"))
    done = None
    if parsed is not None and parsed[0] in held.events:
        merged, replaced = parsed
        gone = [name for name in replaced if name in held.events and name != merged]
        if gone:
            _request("remove", where, fs.rm, [f"{where}/{name}" for name in gone])
        held.events = [name for name in held.events if name not in gone]
        done = merged, len(replaced)
    _request("remove", f"{where}/{MANIFEST}", fs.rm, f"{where}/{MANIFEST}")
    held.manifest = False
    return done


def _merged_name(first: str, taken: set[str]) -> str:
    """A name that sorts right after ``first`` and before every other file of the run (they do not begin with
    ``first``): ``<first without an earlier merged suffix>.compacted[-N]``."""
    stem = _stem(first)
    name, n = stem + MERGED_SUFFIX, 1
    while name in taken:
        n += 1
        name = f"{stem}{MERGED_SUFFIX}-{n}"
    return name


def _stem(name: str) -> str:
    """``name`` without a merged file's suffix."""
    return re.sub(rf"{re.escape(MERGED_SUFFIX)}(-\d+)?$", "", name)


def merges(name: str, first: str) -> bool:
    """Whether ``name`` is what compacting a run whose first event file is ``first`` names its merged file (base
    names): ``merges("events.out.tfevents.1.h.7.compacted", "events.out.tfevents.1.h.7") is True``."""
    return re.fullmatch(re.escape(_stem(first)) + rf"{re.escape(MERGED_SUFFIX)}(-\d+)?", name) is not None


@dataclass(frozen=True)
class ReadSoFar:
    """How far a reader that follows a run got in one of its event files before a compaction replaced it."""
    offset: int  # the bytes of it read
    size: int | None  # its size at the reader's last look (None: not known)
    version: bytes | None  # its first record's file_version (:func:`file_version`)
    head: int  # the length of that first record


def merged_offset(files: list[ReadSoFar]) -> int:
    """Where a reader goes on in the merged file, having read ``files`` (the replaced files it knew, in name order,
    the run's first one first) so far: the merged file holds each file's bytes after the one before, but the
    first record a later file repeats, so that reader neither misses a record nor reads one twice.

        merged_offset([ReadSoFar(200, 200, b"brain.Event:2", 40), ReadSoFar(90, 90, b"brain.Event:2", 40)])  # 250
    """
    position = 0
    for n, f in enumerate(files):
        dropped = f.head if n and f.version is not None and f.version == files[0].version else 0
        position += max(f.offset - dropped, 0)
        if f.size is None or f.offset < f.size:  # the rest of it, and the files after it, the reader has not read
            break
    return position


def _contents(fs, location: str, where: str, names: list[str], sizes: dict[str, int],
              storage_options: dict[str, Any] | None) -> Iterator[tuple[str, bytes]]:
    """``(name, content)`` of the files ``names`` of a run, fetched concurrently on a URL; raises _Skip naming the
    first one that cannot be read."""
    if is_url(location):
        urls = [_in(location, name) for name in names]
        fetched = fetch(urls, {u: sizes[n] for u, n in zip(urls, names, strict=True)}, storage_options)
    else:
        fetched = ((_in(location, name), _read_local(fs, f"{where}/{name}")) for name in names)
    for name, (url, content) in zip(names, fetched, strict=True):
        if isinstance(content, OSError):
            raise _Skip(f"{url} cannot be read ({content}); left as it is")
        yield name, content


def _read_local(fs, path: str) -> bytes | OSError:
    try:
        return fs.cat_file(path)
    except OSError as e:
        return e


def _merged(fs, location: str, where: str, events: list[str], sizes: dict[str, int],
            storage_options: dict[str, Any] | None) -> Iterator[bytes]:
    """The bytes of the merged file, a file's records at a time; raises _Skip at damage."""
    version: bytes | None = None
    for n, (name, content) in enumerate(_contents(fs, location, where, events, sizes, storage_options)):
        damage = _damage(content)
        if damage is not None:
            raise _Skip(f"{_in(location, name)} holds a {damage.problem.value} at byte {damage.offset}: merging "
                        "would change what readers read; left as it is")
        head = file_version(content)
        if n == 0:
            version = head
        elif head is not None and head == version:  # the segment's own copy of the first record: once is enough
            yield content[first_record_end(content):]
            continue
        yield content


def _damage(content: bytes) -> Damage | None:
    """The first problem of an event file's bytes (a torn or damaged record), or None when every record is sound."""
    from tbwriter.reading.records import index_all

    return index_all(memoryview(content)).problem


def first_record_end(content: bytes) -> int:
    """The byte just past the first record of an event file beginning with ``content``."""
    return HEADER_SIZE + int.from_bytes(content[:8], "little") + FOOTER_SIZE


def file_version(content: bytes) -> bytes | None:
    """The file_version of the first record of an event file beginning with ``content`` (at least that record)
    when the record is a file-version event and nothing else (wall time aside), as every file's first record is;
    None otherwise."""
    if len(content) < HEADER_SIZE or first_record_end(content) > len(content):
        return None
    data = content[HEADER_SIZE:first_record_end(content) - FOOTER_SIZE]
    version = None
    try:
        for key, pos, stop in fields(data, 0, len(data)):
            if key == Event.FILE_VERSION:
                version = data[pos:stop]
            elif key != Event.WALL_TIME:
                return None
    except (ValueError, IndexError):
        return None
    return version


def _request(action: str, url: str, method, *args):
    """``method(*args)``, a failure raised as :class:`StorageError` naming ``url`` (the next compaction resumes)."""
    try:
        return method(*args)
    except StorageError:
        raise
    except Exception as e:
        raise failure(action, url, e) from e
