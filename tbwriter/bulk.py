"""Decode a whole event file at numpy speed: records of one shape are checked and unpacked together.

    sink = Sink()
    errors = scan_file("run/events.out.tfevents.1.host", sink, tag_ok=None, decode_what="scalars")
    for tag, chunks in sink.tags().items(): ...

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
4. A record's layout (:mod:`tbwriter.decode`) says which bytes every record of its shape
   shares; records keyed on those bytes fall into classes (one per tag, usually), and
   each class is unpacked column-wise.  Records that share their shape with few others
   are decoded one by one.
"""
from __future__ import annotations

import os
import struct
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from google_crc32c import value as crc32c

from tbwriter import decode, storage
from tbwriter.record import FOOTER_SIZE, HEADER_SIZE, RecordError, header_problem

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


@dataclass
class Chunk:
    """Points of one tag from records of one shape: parallel arrays, plus the decoded payload.

    ``payload`` is a float64 array (scalars), a list of ``[k, 3]`` arrays (histograms), or
    None when the values were not asked for or cannot be read as such.
    """
    tag: str
    plugin: str | None
    kind: str
    seq: np.ndarray  # position of the record in the run, to restore file order across chunks
    step: np.ndarray
    wall: np.ndarray
    payload: object = None


class Sink:
    """Collects the chunks of one run, file after file."""

    def __init__(self) -> None:
        self.records = 0  # records seen in earlier files of the run
        self._chunks: dict[str, list[Chunk]] = defaultdict(list)
        self._rows: dict[tuple, list[list]] = {}

    def add(self, chunk: Chunk) -> None:
        self._chunks[chunk.tag].append(chunk)

    def add_row(self, tag: str, plugin: str | None, kind: str, seq: int, step: int, wall: float,
                payload: object) -> None:
        key = (tag, plugin, kind, payload is None)
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = [[], [], [], []]
        rows[0].append(seq)
        rows[1].append(step)
        rows[2].append(wall)
        rows[3].append(payload)

    def drop_from(self, seq: int) -> None:
        """Forget every point from record ``seq`` on (reading stops at a damaged record)."""
        for tag, chunks in self._chunks.items():
            kept = []
            for c in chunks:
                keep = c.seq < seq
                if keep.all():
                    kept.append(c)
                elif keep.any():
                    payload = c.payload
                    if isinstance(payload, list):
                        payload = [p for p, k in zip(payload, keep) if k]
                    elif payload is not None:
                        payload = payload[keep]
                    kept.append(Chunk(c.tag, c.plugin, c.kind, c.seq[keep], c.step[keep], c.wall[keep], payload))
            chunks[:] = kept
        for key, columns in list(self._rows.items()):
            keep = [i for i, s in enumerate(columns[0]) if s < seq]
            if keep:
                self._rows[key] = [[column[i] for i in keep] for column in columns]
            else:
                del self._rows[key]

    def tags(self) -> dict[str, list[Chunk]]:
        """Tag -> its chunks (in no particular order; ``Chunk.seq`` gives the order)."""
        for (tag, plugin, kind, missing), (seq, step, wall, payload) in self._rows.items():
            if missing:
                payload = None
            elif not isinstance(payload[0], np.ndarray):
                payload = np.array(payload, dtype=np.float64)
            self.add(Chunk(tag, plugin, kind, np.array(seq, np.int64), np.array(step, np.int64),
                           np.array(wall, np.float64), payload))
        self._rows.clear()
        return dict(self._chunks)


_WALK = 16  # records walked one by one (beyond three periods) before looking for a period
_MIN_BULK = 24  # records of one length below which decoding them one by one is cheaper
_CHAIN_BYTES = 1 << 21  # most bytes searched at once for known headers (no period found)
_OWN_GROUP = 1024  # repeats of a periodic run from which each position is its own group, read in place
_MAX_BULK_LENGTH = 4096  # longer records (images...) are few; the byte-column work would not pay
_MAX_TINY_LAYOUTS = 8  # shapes in a row matching one record each before a group is decoded one by one


def scan_file(name: str, sink: Sink, tag_ok, decode_what: str | None) -> list[RecordError]:
    """Decode every sound record of file ``name`` into ``sink``; return the damage found, in file order.

    ``tag_ok(tag)`` filters tags (None keeps all); ``decode_what`` is ``"scalars"``,
    ``"histograms"`` or None (steps only).  Like TensorBoard, reading stops at the first
    torn or damaged record; a record whose checksums hold but which is no Event is skipped
    and reported too.
    """
    with storage.open_file(name) as f:  # a local file, or a remote one fetched in one request
        # one copy of the file, with room for reading whole u64 words past its last record
        padded = np.zeros(f.seek(0, os.SEEK_END) + 16, np.uint8)
        f.seek(0)
        size = f.readinto(memoryview(padded)[:-16])
    buf = memoryview(padded).toreadonly()[:size]
    offsets, lengths, runs, problem = index_records(buf)
    cutoff, malformed = len(offsets), []
    for idx, length in _groups(lengths, runs):  # one group at a time, so only its rows are in memory
        group = _Group(buf, padded, offsets, idx, length)
        bad = group.first_bad_crc()
        if bad is not None and bad < cutoff:
            cutoff = bad
        malformed += group.decode(cutoff, sink.records, sink, tag_ok, decode_what)
    if cutoff < len(offsets):
        problem = (int(offsets[cutoff]), "data checksum mismatch")
        sink.drop_from(sink.records + cutoff)  # decoded by groups that came before the damage was found
    sink.records += cutoff
    errors = [RecordError(name, offset, "malformed event (checksums hold, protobuf does not parse)")
              for offset in sorted(malformed)]
    return errors + ([RecordError(name, *problem)] if problem else [])


class RecordIndex(NamedTuple):
    """Where the records of a file are: ``offsets``/``lengths`` arrays, the periodic ``runs``
    found, as ``(first record, period, repeats)``, and the ``(offset, problem)`` that ended it."""
    offsets: np.ndarray
    lengths: np.ndarray
    runs: list[tuple[int, int, int]]
    problem: tuple[int, str] | None


def index_records(buf: bytes) -> RecordIndex:
    """Find the records in ``buf`` whose headers are sound, up to the first problem.

    Walks a few records at a time; when their lengths repeat with some period (one event
    per tag per step), the following periods are verified in bulk on strided views.
    """
    offs: list = []
    lens: list = []
    runs = []
    count = 0
    known: dict[bytes, int] = {}  # header bytes already verified -> length
    pos, end = 0, len(buf)
    window = 6 * _WALK
    problem = None
    patterns: dict = {}
    repeats = 0
    span = 1 << 20
    while pos < end and problem is None:
        walked_offs, walked_lens = [], []
        while pos < end and len(walked_offs) < window:
            head = bytes(buf[pos:pos + HEADER_SIZE])
            length = known.get(head)
            if length is None or end - pos - HEADER_SIZE < length + FOOTER_SIZE:
                error = header_problem(buf, pos)
                if error:
                    problem = (pos, error)
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
    return RecordIndex(_flat(offs), _flat(lens), runs, problem)


def _chain(buf: bytes, pos: int, known: dict[bytes, int], span: int) -> tuple[np.ndarray, np.ndarray]:
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


def _repeat_run(buf: bytes, pos: int, offs: list[int], lens: list[int], patterns: dict,
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


def _by_length(lengths: np.ndarray):
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


def _decode_row(data: bytes, seq: int, sink: Sink, tag_ok, decode_what: str | None) -> bool:
    """Decode one record the slow, general way; False if it is not an Event."""
    try:
        layout = decode.parse_event(data)
    except decode.DecodeError:
        return False
    if not layout.values:
        return True
    step, wall = layout.step(data), layout.wall_time(data)
    for v in layout.values:
        if tag_ok is None or tag_ok(v.tag):
            sink.add_row(v.tag, v.plugin, v.kind, seq, step, wall, _payload(data, v, decode_what))
    return True


def _payload(data: bytes, v: decode.ValueSlot, decode_what: str | None):
    if decode_what == "scalars":
        return v.number(data) if v.scalar else None
    if decode_what == "histograms":
        try:
            if v.kind == "histo":
                return decode.histogram_v1(data, *v.span)
            if v.tensor is not None and len(v.tensor.shape) == 2 and v.tensor.shape[1] == 3:
                return decode.tensor_array(data, v.tensor)
        except decode.DecodeError:
            return None
    return None


def _groups(lengths: np.ndarray, runs: list[tuple[int, int, int]]):
    """Yield ``(record indices, length)`` of the groups to decode together.

    The records at one position of a long periodic run (one tag, every step) are evenly
    spaced and read in place; all other records are grouped by length and gathered.
    """
    rest = np.ones(len(lengths), bool)
    for first, period, repeats in runs:
        if repeats >= _OWN_GROUP:
            rest[first:first + period * repeats] = False
            for j in range(period):
                idx = np.arange(first + j, first + period * repeats, period)
                yield idx, int(lengths[first + j])
    rest = np.flatnonzero(rest)
    for length, part in _by_length(lengths[rest]):
        yield rest[part], length


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
            reg = np.where(reg & 1, (reg >> 1) ^ np.uint32(0x82F63B78), reg >> 1).astype(np.uint32)
        tables = [reg]
        for _ in range(max(count, 2 * len(_CRC_TABLES)) - 1):
            prev = tables[-1]
            tables.append(reg[prev & 0xFF] ^ (prev >> 8))
        _CRC_TABLES = np.stack(tables)
    return _CRC_TABLES


class _Group:
    """The records of one file that share a data length: checked and decoded together."""

    def __init__(self, buf: bytes, padded: np.ndarray, offsets: np.ndarray, idx: np.ndarray, length: int):
        self.buf, self.idx, self.length = buf, idx, length
        self.starts = offsets[idx] + HEADER_SIZE
        self.bulk = len(idx) >= _MIN_BULK and length <= _MAX_BULK_LENGTH
        if self.bulk:
            width = (length + FOOTER_SIZE + 7) // 8 * 8  # whole u64 words, to compare 8 bytes at a time
            self.rows = _gather_rows(padded, self.starts, width)
            self.words = words = self.rows.view("<u8")
            differs = np.bitwise_or.reduce(words ^ words[0], axis=0).view(np.uint8)[:length]
            self.varying = differs != 0  # byte columns of the data that are not the same in every record

    def first_bad_crc(self) -> int | None:
        """Index (in the file) of the first record of this group whose data CRC fails, or None."""
        crc = self._crcs()
        if self.bulk:
            stored = _typed(self.rows, self.length, "<u4")
        else:
            stored = np.array([_U32.unpack_from(self.buf, s + self.length)[0] for s in self.starts.tolist()],
                              np.uint32)
        bad = np.flatnonzero(((crc >> 15) | (crc << 17)) + np.uint32(0xA282EAD8) != stored)
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
                crc ^= pair[_typed(self.rows, c, "<u2")] ^ pair[int(first[c]) | int(first[c + 1]) << 8]
            else:
                crc ^= low[self.rows[:, c]] ^ low[int(first[c])]
        return crc

    def field(self, f: decode.Field | None, rows: np.ndarray, dtype) -> np.ndarray:
        """Field ``f`` of the records ``rows`` as ``dtype`` (zeros when the field is absent)."""
        if f is None:
            return np.zeros(len(rows), dtype)
        return _column(self.rows, f, dtype, None if len(rows) == len(self.rows) else rows)

    def decode(self, cutoff: int, base: int, sink: Sink, tag_ok, decode_what: str | None) -> list[int]:
        """Decode this group's records that come before record ``cutoff`` into ``sink``;
        return the offsets of those that are no Event."""
        keep = np.flatnonzero(self.idx < cutoff)
        emit = lambda rows, layout: self._emit(rows, layout, base, sink, tag_ok, decode_what)  # noqa: E731
        if self.bulk:
            keep = self._bulk_decode(keep, emit)
        malformed = []
        for i in keep.tolist():  # what bulk decoding left: few records share these shapes
            s = int(self.starts[i])
            if not _decode_row(bytes(self.buf[s:s + self.length]), base + int(self.idx[i]), sink, tag_ok,
                               decode_what):
                malformed.append(s - HEADER_SIZE)
        return malformed

    def _layout(self, row: int) -> decode.Layout | None:
        """The layout of record ``row``, or None if it is not an Event."""
        try:
            return decode.parse_event(self.rows[row, :self.length].tobytes())
        except decode.DecodeError:
            return None

    def _shape_mask(self, layout: decode.Layout) -> np.ndarray:
        """Per u64 word of a row, the bits every record of this layout has as the first one:
        all bytes outside its variable fields and the continuation bits of its varints,
        leaving out bytes that are equal throughout the group anyway."""
        mask = np.zeros(self.words.shape[1] * 8, np.uint8)
        mask[:self.length] = 0xFF
        for f in layout.variable_fields():
            mask[f.pos:f.pos + f.width] = 0x80 if f.fmt.startswith("varint:") else 0
        mask[:self.length] &= np.where(self.varying, 0xFF, 0).astype(np.uint8)
        return mask.view("<u8")

    def _bulk_decode(self, keep: np.ndarray, emit) -> np.ndarray:
        """Decode ``keep`` shape by shape; return the rows left for one-by-one decoding.

        A probe record's layout says which bits every record of its shape shares; a key of
        those bits splits the remaining records into classes (one per tag, usually), and each
        class whose own layout fixes the same bits is emitted whole.  Classes of another
        shape go round again with their own layout.  The probe is the middle remaining record:
        more likely of the usual shape than the first (a one-off, or an early step whose short
        varint leaves room for a longer tag), whose mask would scatter the others.
        """
        remaining, tiny, unparsed = keep, 0, keep[:0]
        while len(remaining):
            if tiny >= _MAX_TINY_LAYOUTS:  # records of one length but all shapes: text, histograms
                break
            probe = len(remaining) // 2
            layout = self._layout(remaining[probe])
            if layout is None:  # not an Event: left to the one-by-one decoder, which reports it
                unparsed = np.append(unparsed, remaining[probe])
                remaining, tiny = np.delete(remaining, probe), tiny + 1
                continue
            mask = self._shape_mask(layout)
            key, exact = self._keys(remaining, mask)
            retry, misses = [], 0
            for n, rows in enumerate(self._split(remaining, key, probe)):
                if n and (len(rows) == 1 or misses > 4):  # likely other shapes, scattered by this mask
                    retry.append(rows)
                    continue
                own = layout if n == 0 else self._layout(rows[0])
                if own is None or (n and not (self._shape_mask(own) == mask).all()):
                    retry.append(rows)
                    misses += 1
                    continue
                if not exact:  # the key was a hash: make sure
                    same = self._matches(rows, mask, remaining[probe] if n == 0 else rows[0])
                    retry.append(rows[~same])
                    rows = rows[same]
                emit(rows, own)
                if n == 0:
                    tiny = tiny + 1 if len(rows) == 1 else 0
                    if len(rows) == 1:  # a one-off record: its layout is no guide for the rest
                        retry = [np.delete(remaining, probe)]
                        break
            remaining = np.concatenate(retry) if retry else remaining[:0]
        return np.concatenate([remaining, unparsed])

    def _keys(self, rows: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, bool]:
        """A key per record of the bits ``mask`` selects: those bits themselves when they fit
        in 8 bytes (exact), else a hash of them."""
        whole = len(rows) == len(self.rows)
        mask_bytes = mask.view(np.uint8)
        columns = np.flatnonzero(mask_bytes).tolist()
        if len(columns) <= 8:
            key = np.zeros(len(rows), np.uint64)
            for j, c in enumerate(columns):
                column = self.rows[:, c] if whole else self.rows[rows, c]
                key |= (column & mask_bytes[c]).astype(np.uint64) << np.uint64(8 * j)
            return key, True
        used = np.flatnonzero(mask)
        words = (self.words if whole else self.words[rows])[:, used] & mask[used]
        powers = np.cumprod(np.full(len(used), 0x9E3779B97F4A7C15, np.uint64))  # wrapping: a polynomial hash
        return (words * powers).sum(axis=1, dtype=np.uint64), False

    @staticmethod
    def _split(rows: np.ndarray, key: np.ndarray, first: int):
        """Yield the rows of each distinct key, the class of ``rows[first]`` first."""
        same = key == key[first]
        yield rows[same]
        rows, key = rows[~same], key[~same]
        for _ in range(15):  # usually a handful of tags: peel them off one by one
            if not len(rows):
                return
            same = key == key[0]
            yield rows[same]
            rows, key = rows[~same], key[~same]
        order = np.argsort(key, kind="stable")
        for part in np.split(order, np.flatnonzero(np.diff(key[order])) + 1):
            if len(part):
                yield rows[part]

    def _matches(self, rows: np.ndarray, mask: np.ndarray, reference: int) -> np.ndarray:
        """Which of ``rows`` agree with record ``reference`` on ``mask``'s bits."""
        used = np.flatnonzero(mask)
        words = self.words[rows][:, used]
        return ((words ^ self.words[reference, used]) & mask[used] == 0).all(axis=1)

    def _emit(self, rows: np.ndarray, layout: decode.Layout, base: int, sink: Sink, tag_ok,
              decode_what: str | None) -> None:
        slots = [v for v in layout.values if tag_ok is None or tag_ok(v.tag)]
        if not slots:
            return
        seq = base + self.idx[rows]
        step = self.field(layout.step_field, rows, np.int64)
        wall = self.field(layout.wall, rows, np.float64)
        for v in slots:
            payload = None
            if decode_what == "scalars" and v.scalar:
                payload = self.field(v.scalar, rows, np.float64)
            elif decode_what == "histograms":
                payload = [_payload(self.rows[i, :self.length].tobytes(), v, decode_what) for i in rows.tolist()]
                if any(p is None for p in payload):
                    payload = None
            sink.add(Chunk(v.tag, v.plugin, v.kind, seq, step, wall, payload))


def _column(rows: np.ndarray, f: decode.Field, dtype, pick: np.ndarray | None = None) -> np.ndarray:
    """Field ``f`` of the records ``rows[pick]`` (all when ``pick`` is None) in a 2-D byte array, as ``dtype``.

    Only the picked records are converted: others may hold a different shape there.
    """
    if f.fmt.startswith("varint:"):
        raw = rows[:, f.pos:f.pos + f.width]
        return _varints(raw if pick is None else raw[pick], f.fmt[7:]).astype(dtype)
    typed = _typed(rows, f.pos, "<u2" if f.fmt == "bf16" else f.fmt)
    if pick is not None:
        typed = typed[pick]
    if f.fmt == "bf16":
        typed = (typed.astype(np.uint32) << 16).view("<f4")
    return typed.astype(dtype)


def _typed(rows: np.ndarray, pos: int, fmt: str) -> np.ndarray:
    """A view of the ``fmt`` value at byte ``pos`` of each row (no copy; unaligned is fine)."""
    size = np.dtype(fmt).itemsize
    return rows[:, pos:pos + size].view(fmt)[:, 0]


def _varints(raw: np.ndarray, fmt: str) -> np.ndarray:
    """Decode a column of same-width varints (``raw``: one row of bytes each) into numpy dtype ``fmt``."""
    value = np.zeros(len(raw), np.uint64)
    for j in range(raw.shape[1]):
        value |= (raw[:, j] & 0x7F).astype(np.uint64) << np.uint64(7 * j)
    if fmt in ("<f2", "bf16"):
        bits = (value & 0xFFFF).astype(np.uint16)
        return bits.view("<f2") if fmt == "<f2" else (bits.astype(np.uint32) << 16).view("<f4")
    if fmt == "?":
        return (value != 0).astype(np.float64)
    if fmt in ("<i8", "<u8"):
        return value.view(fmt)
    return (value & 0xFFFFFFFF).astype(np.uint32).view("<i4" if fmt.startswith(("<i", "i")) else "<u4")
