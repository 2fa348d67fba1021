"""Shape grouping: the records of one length split into classes of one shape, each decoded whole.

    damage = GroupDecoder(rows, base, run, tag_ok, ReadMode.SCALARS).decode_before(cutoff)

A probe record's layout (:mod:`tbwriter.format.decode`) says which bytes every record of its shape
shares; records keyed on those bytes fall into classes (one per tag, usually), and each
class is unpacked column-wise (:mod:`tbwriter.reading.columns`).  Records that share their
shape with few others are decoded one by one.
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import BadValue, DecodeError
from tbwriter.format.decode import Field, Layout, ReadMode, ValueSlot, parse_event
from tbwriter.format.payloads import TensorPoint, value_payload
from tbwriter.format.record import HEADER_SIZE, Damage, Problem
from tbwriter.reading.collect import Chunk, RunCollector
from tbwriter.reading.columns import column
from tbwriter.reading.index import Rows

_MAX_TINY_LAYOUTS = 8  # shapes in a row matching one record each before a group is decoded one by one


class GroupDecoder:
    """Decodes the records of one :class:`~tbwriter.reading.index.Rows` group into a :class:`RunCollector`.

    ``base`` is the run's record count before this file (``seq`` of a record = base + its index
    in the file); ``tag_ok(tag)`` filters tags (None keeps all); ``mode`` says what to decode.
    """

    def __init__(self, group: Rows, base: int, run: RunCollector, tag_ok, mode: ReadMode):
        self.group, self.base, self.run, self.tag_ok, self.mode = group, base, run, tag_ok, mode
        self.damage: list[Damage] = []
        self._unreadable: set[int] = set()

    def decode_before(self, cutoff: int) -> list[Damage]:
        """Decode this group's records that come before record ``cutoff``; return the damage found
        (records that are no Event, values that cannot be read)."""
        self.damage = []
        keep = np.flatnonzero(self.group.idx < cutoff)
        if self.group.bulk:
            keep = self._bulk_decode(keep)
        for i in keep.tolist():  # what bulk decoding left: few records share these shapes
            seq = self.base + int(self.group.idx[i])
            problem = decode_record(self.group.record(i), seq, self.run, self.tag_ok, self.mode, self._offset(i))
            if problem:
                self.damage.append(Damage(self._offset(i), *problem))
        return self.damage

    def _offset(self, i: int) -> int:
        return int(self.group.starts[i]) - HEADER_SIZE

    def _layout(self, row: int) -> Layout | None:
        """The layout of record ``row``, or None if it is not an Event."""
        try:
            return parse_event(self.group.rows[row, :self.group.length].tobytes())
        except DecodeError:
            return None

    def _shape_mask(self, layout: Layout) -> np.ndarray:
        """Per u64 word of a row, the bits every record of this layout has as the first one:
        all bytes outside its variable fields and the continuation bits of its varints,
        leaving out bytes that are equal throughout the group anyway."""
        mask = np.zeros(self.group.words.shape[1] * 8, np.uint8)
        mask[:self.group.length] = 0xFF
        for f in layout.variable_fields():
            mask[f.pos:f.pos + f.width] = 0x80 if f.varint else 0
        mask[:self.group.length] &= np.where(self.group.varying, 0xFF, 0).astype(np.uint8)
        return mask.view("<u8")

    def _bulk_decode(self, keep: np.ndarray) -> np.ndarray:
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
                self._emit(rows, own)
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
        whole = len(rows) == len(self.group.rows)
        mask_bytes = mask.view(np.uint8)
        columns = np.flatnonzero(mask_bytes).tolist()
        if len(columns) <= 8:
            key = np.zeros(len(rows), np.uint64)
            for j, c in enumerate(columns):
                column = self.group.rows[:, c] if whole else self.group.rows[rows, c]
                key |= (column & mask_bytes[c]).astype(np.uint64) << np.uint64(8 * j)
            return key, True
        used = np.flatnonzero(mask)
        words = (self.group.words if whole else self.group.words[rows])[:, used] & mask[used]
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
        words = self.group.words[rows][:, used]
        return ((words ^ self.group.words[reference, used]) & mask[used] == 0).all(axis=1)

    def _field(self, f: Field | None, rows: np.ndarray, dtype) -> np.ndarray:
        """Field ``f`` of the records ``rows`` as ``dtype`` (zeros when the field is absent)."""
        if f is None:
            return np.zeros(len(rows), dtype)
        return column(self.group.rows, f, dtype, None if len(rows) == len(self.group.rows) else rows)

    def _emit(self, rows: np.ndarray, layout: Layout) -> None:
        """Collect the records ``rows``, all of shape ``layout``."""
        seq = self.base + self.group.idx[rows]
        if layout.session_start or layout.file_version_2:
            _note_session(self.run, layout, seq.tolist(), self._field(layout.step_field, rows, np.int64).tolist())
        slots = [v for v in layout.values if self.tag_ok is None or self.tag_ok(v.tag)]
        if not slots:
            return
        step = self._field(layout.step_field, rows, np.int64)
        wall = self._field(layout.wall, rows, np.float64)
        for v in slots:
            chunk = Chunk(v.tag, v.plugin, v.kind, seq, step, wall)
            mode = self.mode.of(v)
            if mode is ReadMode.SCALARS and v.scalar:
                chunk.numbers = self._field(v.scalar, rows, np.float64)
            elif mode is ReadMode.HISTOGRAMS:
                chunk.buckets = self._histograms(rows, v)
                if chunk.buckets is not None and len(chunk.buckets) < len(rows):  # some could not be read
                    fine = np.array([i not in self._unreadable for i in rows.tolist()])
                    chunk = Chunk(v.tag, v.plugin, v.kind, seq[fine], step[fine], wall[fine], buckets=chunk.buckets)
            elif mode is ReadMode.TENSORS:
                length = self.group.length
                chunk.points = [_located(value_payload(self.group.rows[i, :length].tobytes(), v, mode), self.run,
                                         self._offset(i)) for i in rows.tolist()]
            self.run.add(chunk)

    def _histograms(self, rows: np.ndarray, v: ValueSlot) -> list | None:
        """The histograms of value ``v`` in records ``rows`` (None: not histograms); those that cannot
        be read are reported and left out (their rows in ``self._unreadable``)."""
        arrays = []
        self._unreadable.clear()
        for i in rows.tolist():
            try:
                arrays.append(value_payload(self.group.rows[i, :self.group.length].tobytes(), v, self.mode))
            except BadValue as e:
                self.damage.append(Damage(self._offset(i), Problem.UNREADABLE_VALUE, str(e)))
                self._unreadable.add(i)
        return None if any(a is None for a in arrays) else arrays


def _note_session(run: RunCollector, layout: Layout, seqs: list[int], steps: list[int]) -> None:
    """Tell ``run`` of the file versions and session starts among these records of one layout."""
    for seq, step in zip(seqs, steps, strict=True):
        if layout.file_version_2:
            run.add_file_version(seq)
        if layout.session_start:
            run.add_session_start(seq, step)


def _located(payload, run: RunCollector, offset: int):
    """``payload`` of a record at byte ``offset`` of the file ``run`` is reading; a tensor knows where it is,
    so that its plugin, known once the whole run is read, can still report it with file and offset."""
    if not isinstance(payload, TensorPoint):
        return payload
    name, start = run.file
    return payload._replace(where=(name, start + offset))


def decode_record(data: bytes, seq: int, run: RunCollector, tag_ok, mode: ReadMode,
                  offset: int) -> tuple[Problem, str] | None:
    """Decode one record (at byte ``offset`` of its file) the slow, general way; what is wrong with it, or None."""
    try:
        layout = parse_event(data)
    except DecodeError:
        return Problem.MALFORMED_EVENT, ""
    step = layout.step(data)
    if layout.session_start or layout.file_version_2:
        _note_session(run, layout, [seq], [step])
    wall = layout.wall_time(data)
    problem = None
    for v in layout.values:
        if tag_ok is None or tag_ok(v.tag):
            try:
                payload = value_payload(data, v, mode)
            except BadValue as e:
                problem = Problem.UNREADABLE_VALUE, str(e)
                continue
            run.add_row(v.tag, v.plugin, v.kind, seq, step, wall, _located(payload, run, offset))
    return problem
