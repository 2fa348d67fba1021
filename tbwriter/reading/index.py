"""Records of a whole file at once: where they are (framing and indexing) and whether their CRCs hold.

    index = index_records(buf)                          # offsets, lengths, periodic runs, first header problem
    for idx, length in groups(index.lengths, index.runs):
        rows = Rows(buf, padded, index.offsets, idx, length)
        bad = rows.first_bad_crc()                      # index of the first record whose data CRC fails

Why it is fast: in a training log almost every record repeats the shape of another (same
length, same tag, same fields), and only a few bytes differ (wall time, step, value).

1. Framing: record lengths usually repeat with a period (one event per tag per step); a
   short walk finds the period and strided views verify its headers over long runs. Where
   there is none, records are found by searching for the headers already seen (the u64 at
   every byte offset, compared at once).
2. Records are grouped: each position of a long periodic run is read in place (a strided
   2-D view of the file), the rest grouped by length and copied into one 2-D byte array.
3. The data CRCs of a group are computed from its differing byte columns only (CRC-32C is
   affine, so a table per byte position suffices), or record by record when many differ.

With the C scan (``_frames.c``, built at install when a compiler is at hand) framing and every
CRC take one pass at memory speed instead: steps 1 and 3 are then this module's fallback.

Both follow the rule of docs/formats.md section 1.1 (where records are, and which damage ends them), and
:func:`~tbwriter.format.record.header_problem` names the damage of a header for both; tests/framings.py holds
them to a record-by-record walk in Python. Writing a record is :mod:`tbwriter.format.record`'s.
"""
from __future__ import annotations

import struct
from collections.abc import Iterator
from types import ModuleType
from typing import NamedTuple

import numpy as np
from google_crc32c import value as crc32c

from tbwriter.format.record import FOOTER_SIZE, HEADER_SIZE, Damage, Problem, header_problem
from tbwriter.format.wire import CRC32C_REFLECTED, mask_crc
from tbwriter.reading import memory

KERNEL: ModuleType | None
try:
    from tbwriter.reading import _frames as KERNEL  # the C scan, built at install when a compiler is at hand
except ImportError:
    KERNEL = None
# CRCs by the CPU's instruction where it has one, else by the C scan's table (tests/framings.py sets it False)
HARDWARE = bool(KERNEL and KERNEL.HARDWARE)

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")

_WALK = 16  # records walked one by one (beyond three periods) before looking for a period
_MIN_BULK = 24  # records of one length below which decoding them one by one is cheaper
_CHAIN_BYTES = 1 << 21  # most bytes searched at once for known headers (no period found)
_OWN_GROUP = 1024  # repeats of a periodic run from which each position is its own group, read in place
_MAX_BULK_LENGTH = 4096  # longer records (images...) are few; the byte-column work would not pay
_PLAIN_VALUE_SIZE = 10  # fewest bytes of a plain scalar value: keys and lengths of value and tag, 1-byte tag, float
_MOST_PLAIN_VALUES = 1 << 25  # room for plain values a file (1 GiB of scratch); the decoders read any more


class PlainEvents(NamedTuple):
    """The plain scalar events (nothing but tags and ``simple_value``s) that the C scan decoded on its way:
    ``marks`` says which records they are (bool a record), ``ints`` holds the record and step of each of
    their values and ``floats`` its wall time and number (2 rows each), grouped by tag; ``tags`` gives
    each tag's ``(start, size)`` in the buffer and ``counts`` how many values it has."""
    marks: np.ndarray
    ints: np.ndarray
    floats: np.ndarray
    tags: list[tuple[int, int]]
    counts: np.ndarray


class RecordIndex(NamedTuple):
    """Where the records of a file are: ``offsets``/``lengths`` arrays, the periodic ``runs``
    found, as ``(first record, period, repeats)``, the damage that ended it (None: the end of the file),
    whether the data CRCs are ``checked`` already (else :meth:`Rows.first_bad_crc` checks them), and the
    ``plain`` scalar events decoded on the way (None when not asked for, or without the C scan)."""
    offsets: np.ndarray
    lengths: np.ndarray
    runs: list[tuple[int, int, int]]
    problem: Damage | None
    checked: bool
    plain: PlainEvents | None = None


def index_records(buf: memoryview, plain: bool = False) -> RecordIndex:
    """Find the records in ``buf`` that are sound, up to the first problem: by the C scan, else by
    :func:`index_with_numpy` (whose data CRCs are left to the groups). ``plain``: decode the plain
    scalar events too, when the C scan is there."""
    return index_with_numpy(buf) if KERNEL is None else index_with_kernel(buf, plain=plain)


def index_with_kernel(buf: memoryview, plain: bool = False) -> RecordIndex:
    """:func:`index_records` by the C scan: every CRC checked (by the CRC instruction when :data:`HARDWARE`)."""
    kernel = KERNEL
    if kernel is None:
        raise RuntimeError("index_with_kernel: the C scan (tbwriter/reading/_frames.c) is not built; "
                           "reinstall with a C compiler at hand, or use index_with_numpy")
    room = len(buf) // (HEADER_SIZE + FOOTER_SIZE) + 1
    offsets, lengths = memory.empty((room,), np.int64), memory.empty((room,), np.int64)  # pages past the end: untouched
    events = None
    if plain:
        marks = memory.empty((room,), np.uint8)  # every mark is written
        room_values = min(len(buf) // _PLAIN_VALUE_SIZE + 1, _MOST_PLAIN_VALUES)  # virtual: pages past use untouched
        points = memory.empty((room_values, 32), np.uint8)
        count, status, stop, values, tags = kernel.scan(buf, offsets, lengths, HARDWARE, marks, points)
        # scratch too: reading/plain.py copies each tag's columns out, so that they are let go tag by tag
        columns, counts = memory.empty((32 * values,), np.uint8), np.empty(len(tags), np.int64)
        kernel.group(points, values, counts, columns)
        ints = columns[:16 * values].view(np.int64).reshape(2, values)
        floats = columns[16 * values:].view(np.float64).reshape(2, values)
        events = PlainEvents(marks[:count].view(bool), ints, floats, tags, counts)
    else:
        count, status, stop = kernel.scan(buf, offsets, lengths, HARDWARE)
    problem = None
    if status == kernel.DATA:
        problem = Damage(stop, Problem.DATA_CHECKSUM)
    elif status == kernel.HEADER:
        problem = header_problem(buf, stop)
    return RecordIndex(offsets[:count], lengths[:count], [], problem, True, events)  # the pages past count stay unused


def index_with_numpy(buf: memoryview) -> RecordIndex:
    """Find the records in ``buf`` whose headers are sound (docs/formats.md section 1.1), up to the first problem.

    Walks a few records at a time; when their lengths repeat with some period (one event
    per tag per step), the following periods are verified in bulk on strided views.
    """
    offs: list = []
    lens: list = []
    runs: list[tuple[int, int, int]] = []
    count = 0
    known: dict[bytes, int] = {}  # header bytes already verified -> length
    pos, end = 0, len(buf)
    window = 6 * _WALK
    problem: Damage | None = None
    patterns: dict = {}
    repeats = 0
    span = 1 << 20
    while pos < end and problem is None:
        walked_offs: list[int] = []
        walked_lens: list[int] = []
        while pos < end and len(walked_offs) < window:
            head = bytes(buf[pos:pos + HEADER_SIZE])
            length = known.get(head)
            if length is None or end - pos - HEADER_SIZE < length + FOOTER_SIZE:
                problem = header_problem(buf, pos)
                if problem:
                    break
                length = _U64.unpack_from(buf, pos)[0]
                if len(known) < 4096:
                    known[head] = length
            walked_offs.append(pos)
            walked_lens.append(length)
            pos += HEADER_SIZE + length + FOOTER_SIZE
        offs.append(walked_offs)
        lens.append(walked_lens)
        count += len(walked_offs)
        period = _period(walked_lens) if problem is None else 0
        if period:
            # the period just walked should repeat from here on
            repeats, more_offs, more_lens = _repeat_run(buf, pos, walked_offs[-period:], walked_lens[-period:],
                                                        patterns, repeats)
            offs.append(more_offs)
            lens.append(more_lens)
            runs.append((count, period, repeats))
            count += len(more_offs)
            pos += repeats * (sum(walked_lens[-period:]) + period * (HEADER_SIZE + FOOTER_SIZE))
        elif problem is None and pos < end and len(walked_offs) >= 6 * _WALK:
            # no period in sight (irregular logging): find the records by their known headers
            more_offs, more_lens = _chain(buf, pos, known, span)
            offs.append(more_offs)
            lens.append(more_lens)
            count += len(more_offs)
            start = pos
            if len(more_offs):
                pos = int(more_offs[-1] + more_lens[-1]) + HEADER_SIZE + FOOTER_SIZE
            # search further next time if this chain ran to the end of what was searched
            span = min(2 * span, _CHAIN_BYTES) if pos - start > span // 2 else max(span // 4, 1 << 16)
        # after a long run, walk just enough to see its period again past an irregular spot;
        # after none or a short one (many tags), look further
        window = 3 * period + _WALK if period and repeats >= 64 else 6 * _WALK
    return RecordIndex(_flat(offs), _flat(lens), runs, problem, False)


def _chain(buf: memoryview, pos: int, known: dict[bytes, int], span: int) -> tuple[np.ndarray, np.ndarray]:
    """Records from ``pos`` on (within ``span`` bytes) whose headers are among ``known``.

    Every byte offset whose 12 bytes form a known header is a candidate; the records are
    the candidates from ``pos`` on in which each one ends where the next begins.  The chain
    stops before an unknown length, a torn record or a look-alike inside a record's data;
    the walk takes over there.
    """
    count = min(len(buf), pos + span) - HEADER_SIZE + 1 - pos  # offsets a whole header fits after
    if count <= 0 or not known:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    heads = sorted((length, _U32.unpack_from(head, 8)[0]) for head, length in known.items())
    known_lengths, known_crcs = np.array(heads, np.int64).T
    # the u64 at every byte offset (a strided view, no copy): few are small enough to be a
    # known length but not zero (in runs of zero bytes, every offset would be), and of those
    # only headers carry the length's CRC after it
    every = np.ndarray((count,), "<u8", buf, pos, (1,))
    data = np.frombuffer(buf, np.uint8)
    small = every <= heads[-1][0]
    np.logical_and(small, np.logical_or(data[pos:pos + count], data[pos + 1:pos + count + 1]), out=small)
    cand = np.flatnonzero(small)
    lengths = every[cand].astype(np.int64)
    at = np.minimum(np.searchsorted(known_lengths, lengths), len(heads) - 1)
    crcs = np.ndarray((count,), "<u4", buf, pos + 8, (1,))[cand]
    ok = (known_lengths[at] == lengths) & (known_crcs[at] == crcs)
    cand, lengths = cand[ok] + pos, lengths[ok]
    after = cand + lengths + HEADER_SIZE + FOOTER_SIZE
    if not len(cand) or cand[0] != pos:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    broken = np.flatnonzero(cand[1:] != after[:-1])
    n = int(broken[0]) + 1 if len(broken) else len(cand)
    if after[n - 1] > len(buf):  # torn: left to the walk, which reports it
        n -= 1
    return cand[:n], lengths[:n]


def _flat(parts: list) -> np.ndarray:
    return np.concatenate([np.asarray(p, np.int64) for p in parts]) if parts else np.zeros(0, np.int64)


def _period(lengths: list[int]) -> int:
    """Smallest period with which the end of the sequence repeats three times, or 0.

    Only the end counts: the walk may begin at an irregular spot (a validation step).
    """
    last = lengths[-1]
    for q in range(1, len(lengths) // 3 + 1):
        if lengths[-1 - q] == last and lengths[-1 - 2 * q] == last:  # cheap test first
            tail = lengths[-3 * q:]
            if tail[q:] == tail[:-q]:
                return q
    return 0


def _repeat_run(buf: memoryview, pos: int, offs: list[int], lens: list[int], patterns: dict,
                hint: int) -> tuple[int, np.ndarray, np.ndarray]:
    """How many more times the records ``offs`` (one period) repeat from ``pos`` with identical
    headers, and those records' offsets and lengths.

    ``patterns`` caches what describes a period (the same few recur all through a file);
    ``hint`` is the length of the previous run, a good first guess.
    """
    heads = b"".join(bytes(buf[o:o + HEADER_SIZE]) for o in offs)
    pattern = patterns.get(heads)
    if pattern is None:
        rel = np.asarray([o - offs[0] for o in offs], np.int64)
        columns = (rel[:, None] + np.arange(HEADER_SIZE)).ravel()  # the header bytes within one period
        pattern = patterns[heads] = (sum(lens) + len(lens) * (HEADER_SIZE + FOOTER_SIZE), rel, columns,
                                     np.frombuffer(heads, np.uint8), np.asarray(lens, np.int64))
    size, rel, columns, expected, lengths = pattern
    limit = (len(buf) - pos) // size
    done, chunk = 0, max(64, hint + 1)
    while done < limit:
        k = min(chunk, limit - done)
        periods = np.ndarray((k, size), np.uint8, buf, pos + done * size, (size, 1))
        ok = (periods[:, columns] == expected).all(axis=1)
        if not ok.all():
            done += int(np.argmin(ok))
            break
        done += k
        chunk *= 4
    starts = pos + np.arange(done, dtype=np.int64)[:, None] * size + rel
    return done, starts.ravel(), np.tile(lengths, done)


def _by_length(lengths: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(length, record indices)`` for each distinct record length."""
    if len(lengths) == 0:
        return
    low = int(lengths.min())
    if int(lengths.max()) - low < 1 << 16:  # numpy's stable sort of 16-bit keys is a radix sort
        order = np.argsort((lengths - low).astype(np.uint16), kind="stable")
    else:
        order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    cuts = np.flatnonzero(np.diff(sorted_lengths)) + 1
    for part in np.split(order, cuts):
        yield int(lengths[part[0]]), part


def groups(lengths: np.ndarray, runs: list[tuple[int, int, int]],
           among: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, int]]:
    """Yield ``(record indices, length)`` of the groups to decode together (of the records where
    the bool array ``among`` is True, when given: ``runs`` must then be empty).

    The records at one position of a long periodic run (one tag, every step) are evenly
    spaced and read in place; all other records are grouped by length and gathered.
    """
    rest = np.ones(len(lengths), bool) if among is None else among
    for first, period, repeats in runs:
        if repeats >= _OWN_GROUP:
            rest[first:first + period * repeats] = False
            for j in range(period):
                idx = np.arange(first + j, first + period * repeats, period)
                yield idx, int(lengths[first + j])
    left = np.flatnonzero(rest)
    for length, part in _by_length(lengths[left]):
        yield left[part], length


def _gather_rows(padded: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Rows of ``width`` bytes from each of ``starts``, as one 2-D array.

    Evenly spaced records (one position of a periodic run) are read in place, as a strided
    view; others are copied, as ``width``-byte items (numpy then copies whole items, not
    byte after byte).
    """
    gaps = np.diff(starts)
    if len(gaps) and (gaps == gaps[0]).all():
        return np.ndarray((len(starts), width), np.uint8, padded, int(starts[0]), (int(gaps[0]), 1))
    every = np.ndarray((len(padded) - width + 1,), f"V{width}", padded, 0, (1,))
    return every[starts].view(np.uint8).reshape(len(starts), width)


_CRC_TABLES = np.zeros((0, 256), np.uint32)


def _crc_tables(count: int) -> np.ndarray:
    """``T[d][b]``: the CRC-32C register contribution of byte ``b`` at ``d`` bytes before a message's end.

    CRC-32C is affine over GF(2), so a message's CRC is that of a reference message XOR the
    contributions of the bytes where they differ (from the reference's and from the message's).
    """
    global _CRC_TABLES
    if len(_CRC_TABLES) < count:
        reg = np.arange(256, dtype=np.uint32)
        for _ in range(8):
            reg = np.where(reg & 1, (reg >> 1) ^ np.uint32(CRC32C_REFLECTED), reg >> 1).astype(np.uint32)
        tables = [reg]
        for _ in range(max(count, 2 * len(_CRC_TABLES)) - 1):
            prev = tables[-1]
            tables.append(reg[prev & 0xFF] ^ (prev >> 8))
        _CRC_TABLES = np.stack(tables)
    return _CRC_TABLES


class Rows:
    """The records of one file that share a data length, as rows of bytes: checked and decoded together.

    ``bulk`` groups are a 2-D byte array ``rows`` (``words``: the same as u64 words, ``varying``:
    the data byte columns that differ between records); others are read from ``buf`` one by one.
    """

    def __init__(self, buf: memoryview, padded: np.ndarray, offsets: np.ndarray, idx: np.ndarray, length: int):
        self.buf, self.idx, self.length = buf, idx, length
        self.starts = offsets[idx] + HEADER_SIZE
        self.bulk = len(idx) >= _MIN_BULK and length <= _MAX_BULK_LENGTH
        if self.bulk:
            width = (length + FOOTER_SIZE + 7) // 8 * 8  # whole u64 words, to compare 8 bytes at a time
            self.rows = _gather_rows(padded, self.starts, width)
            self.words = words = self.rows.view("<u8")
            differs = np.bitwise_or.reduce(words ^ words[0], axis=0).view(np.uint8)[:length]
            self.varying = differs != 0  # byte columns of the data that are not the same in every record

    def record(self, i: int) -> bytes:
        """The data of the group's ``i``-th record."""
        s = int(self.starts[i])
        return bytes(self.buf[s:s + self.length])

    def first_bad_crc(self) -> int | None:
        """Index (in the file) of the first record of this group whose data CRC fails, or None."""
        crc = self._crcs()
        if self.bulk:
            stored = typed(self.rows, self.length, "<u4")
        else:
            stored = np.array([_U32.unpack_from(self.buf, s + self.length)[0] for s in self.starts.tolist()],
                              np.uint32)
        bad = np.flatnonzero(mask_crc(crc) != stored)
        return int(self.idx[bad].min()) if len(bad) else None

    def _crcs(self) -> np.ndarray:
        """CRC-32C of every record's data: the first record's, corrected where bytes differ.

        Adjacent differing bytes are looked up in pairs, in a 65536-entry table per pair.
        When many bytes differ (histograms) or the records are few, google-crc32c's ~0.5 µs a
        record is cheaper than the ~4 ns a record and ~20 µs a table of each differing byte.
        """
        n = len(self.starts)
        columns = np.flatnonzero(self.varying).tolist() if self.bulk else []
        if not self.bulk or len(columns) * (4 * n + 20_000) > 500 * n:
            return np.array([crc32c(bytes(self.buf[s:s + self.length])) for s in self.starts.tolist()], np.uint32)
        tables = _crc_tables(self.length)
        first = self.rows[0]
        crc = np.full(n, crc32c(first[:self.length].tobytes()), np.uint32)
        while columns:
            c = columns.pop(0)
            low = tables[self.length - 1 - c]
            if columns and columns[0] == c + 1:
                columns.pop(0)
                pair = (tables[self.length - 2 - c][:, None] ^ low[None, :]).ravel()  # index: high << 8 | low
                crc ^= pair[typed(self.rows, c, "<u2")] ^ pair[int(first[c]) | int(first[c + 1]) << 8]
            else:
                crc ^= low[self.rows[:, c]] ^ low[int(first[c])]
        return crc


def typed(rows: np.ndarray, pos: int, fmt: str) -> np.ndarray:
    """A view of the ``fmt`` value at byte ``pos`` of each row (no copy; unaligned is fine)."""
    size = np.dtype(fmt).itemsize
    return rows[:, pos:pos + size].view(fmt)[:, 0]
