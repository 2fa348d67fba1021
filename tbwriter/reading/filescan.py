"""One event file read into a run's collector, a window of its bytes at a time.

    scan = read_file(name, RunCollector(), TagFilter("loss"), ReadMode.SCALARS)   # FileScan(errors, end, torn)

The stages of :mod:`tbwriter.reading` joined up for one file: :mod:`~tbwriter.reading.files` gives its bytes,
:mod:`~tbwriter.reading.index` finds the records and checks their CRCs, :mod:`~tbwriter.reading.plain` and
:mod:`~tbwriter.reading.skim` take the records that need no parsing, :mod:`~tbwriter.reading.shapes` decodes the
rest, into a :class:`~tbwriter.reading.collect.RunCollector`. A window is at most :data:`_WINDOW` bytes (a record
that is longer is read whole), so the memory a read takes beyond its result does not grow with the file.
:class:`~tbwriter.reading.scan.RunScan` calls this for each file of a run, from where it got to.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from tbwriter.format.decode import DecodeError, ReadMode, parse_event
from tbwriter.format.payloads import MIGRATED_PLUGIN
from tbwriter.format.record import FOOTER_SIZE, HEADER_SIZE, Damage, Problem, RecordError
from tbwriter.reading import memory
from tbwriter.reading.collect import RunCollector
from tbwriter.reading.files import EventFile
from tbwriter.reading.filters import TagFilter
from tbwriter.reading.index import Rows, groups, index_records
from tbwriter.reading.plain import decode_plain, reads_plain
from tbwriter.reading.shapes import GroupDecoder
from tbwriter.reading.skim import unwanted


class FileScan(NamedTuple):
    """What :func:`read_file` found: the damage (in file order), the byte offset just past the last
    sound record read, and whether reading stopped at a torn last record (one still being written,
    when the file is the newest of a live run)."""
    errors: list[RecordError]
    end: int
    torn: bool


_WINDOW = 16 << 20  # bytes of a file read at once (a record that is longer is read whole)


def read_file(name: str, run: RunCollector, tags: TagFilter, mode: ReadMode, start: int = 0,
              fetched: bytes | OSError | None = None) -> FileScan:
    """Decode every sound record of file ``name`` from byte ``start`` on into ``run``.

    ``tags`` says which tags to decode; ``mode`` what to decode of their values; ``fetched`` is a URL's whole
    content fetched already with others (or the error fetching it met), see :mod:`tbwriter.storage.fetch`.  Like
    TensorBoard, reading stops at the first torn or damaged record; a record whose checksums
    hold but which is no Event is skipped and reported too.  The file is read a window at a time:
    the memory a read takes beyond its result does not grow with the file.  Raises MemoryError naming
    the file when memory runs out.
    """
    try:
        file = EventFile(name, start, fetched)
    except RecordError as e:
        return FileScan([e], start, False)
    errors: list[RecordError] = []
    with file:
        pos, size = start, _WINDOW
        while True:
            try:
                window = _read_window(file, pos, size, run, tags.test, mode)
            except RecordError as e:  # the file could not be read on
                return FileScan(errors + [e], pos, False)
            except MemoryError as e:
                raise MemoryError(f"out of memory reading {name} (at byte {pos})") from e
            errors += window.errors
            if window.next is None:
                return FileScan(errors, window.end, window.torn)
            pos, size = window.next, window.size


class _WindowScan(NamedTuple):
    errors: list[RecordError]
    end: int  # past the last sound record
    torn: bool
    next: int | None  # where the next window starts; None: the file is done
    size: int  # how many bytes it takes


def _read_window(file: EventFile, start: int, size: int, run: RunCollector, tag_ok: Callable[[str], bool] | None,
                 mode: ReadMode) -> _WindowScan:
    """Decode the sound records of up to ``size`` bytes of ``file`` from byte ``start`` on into ``run`` (of the tags
    that ``tag_ok`` passes; all when None); a record that the window cuts is left to the next one. Its scratch
    memory is let go on return, for the next window."""
    name = file.name
    padded, buf = file.read(start, size)
    last = len(buf) < size or start + len(buf) >= file.size  # the end of the file (or of what is left of it)
    run.file = (name, start)
    with memory.fenced(padded, len(buf)):  # in a sanitizer run, the C loops may not read the padding
        index = index_records(buf, plain=reads_plain(mode))
        offsets, lengths, runs, problem, checked = index[:5]
        # the scan checked every CRC up to the problem: no point of a plain record is cut later
        plain = decode_plain(buf, index, run, run.records, tag_ok, mode, file.size / max(start + len(buf), 1))
        unread, firsts = unwanted(padded, offsets, lengths, mode, tag_ok, among=~plain)
    _note_unread(buf, offsets, lengths, firsts, run)
    skip = plain | unread
    cutoff, damage = len(offsets), []
    # one group at a time, so only its rows are in memory; with the CRCs checked, only wanted records count
    for idx, length in groups(lengths, runs, ~skip if checked else None):
        group = None
        if not checked:
            group = Rows(buf, padded, offsets, idx, length)
            bad = group.first_bad_crc()  # of the skipped records too: damage ends the file, as in TensorBoard
            if bad is not None and bad < cutoff:
                cutoff = bad
        wanted = ~skip[idx]
        if not wanted.any():
            continue
        if group is None or not wanted.all():
            group = Rows(buf, padded, offsets, idx[wanted], length)
        damage += GroupDecoder(group, run.records, run, tag_ok, mode).decode_before(cutoff)
    torn = problem is not None and problem.problem in (Problem.TORN_HEADER, Problem.TORN_RECORD)
    if cutoff < len(offsets):
        problem, torn = Damage(int(offsets[cutoff]), Problem.DATA_CHECKSUM), False
        run.drop_from(run.records + cutoff)  # decoded by groups that came before the damage was found
    run.records += cutoff
    stop = int(offsets[cutoff]) if cutoff < len(offsets) else len(buf)  # nothing past the damage counts
    errors = [RecordError(name, start + d.offset, d.problem, d.detail) for d in sorted(damage) if d.offset < stop]
    end = start + (int(offsets[cutoff - 1] + lengths[cutoff - 1]) + HEADER_SIZE + FOOTER_SIZE if cutoff else 0)
    if problem and torn and not last:  # cut by the window, not torn: the next window starts with that record
        whole = HEADER_SIZE if problem.problem is Problem.TORN_HEADER else \
            HEADER_SIZE + int.from_bytes(buf[problem.offset:problem.offset + 8], "little") + FOOTER_SIZE
        return _WindowScan(errors, end, False, end, max(_WINDOW, whole))
    if problem:
        errors.append(RecordError(name, start + problem.offset, problem.problem, problem.detail))
    elif not last and len(buf):  # ended with a whole record: read on
        return _WindowScan(errors, end, False, end, _WINDOW)
    return _WindowScan(errors, end, torn, None, 0)


def _note_unread(buf: memoryview, offsets: np.ndarray, lengths: np.ndarray, records: np.ndarray,
                 run: RunCollector) -> None:
    """Tell ``run`` the tag and plugin of each of ``records`` (the first of their tags that the read leaves
    undecoded): a tag's first value decides its kind, decoded or not."""
    for i in records.tolist():
        start = int(offsets[i]) + HEADER_SIZE
        try:
            layout = parse_event(bytes(buf[start:start + int(lengths[i])]))
        except DecodeError:  # not an Event: it is skipped unread, as before
            continue
        for v in layout.values:
            run.add_unread(v.tag, run.records + i, MIGRATED_PLUGIN.get(v.kind) or v.plugin)
