"""Result collection: the points of one run, gathered chunk by chunk, then put back in file order.

    run = RunCollector()
    ... decoding adds Chunks (many records of one shape) and rows (odd records) ...
    for tag, chunks in run.tags().items():
        step, wall, value = merge_numbers(chunks)   # scalars; merge_items for histograms and tensors

Records are decoded group by group, not in file order: every point carries ``seq``, the
position of its record in the run, so that file order, a cut at a damaged record and
TensorBoard's purge after a restart (a SessionLog START) can be applied afterwards.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tbwriter.format.payloads import MIGRATED_PLUGIN, TensorPoint


@dataclass
class Chunk:
    """Points of one tag from records of one shape: parallel arrays, plus their values in the field of their kind.

    At most one of ``numbers`` (scalars: float64, one a point), ``buckets`` (histograms: a ``[k, 3]`` array a
    point) and ``points`` (tensors: a :class:`~tbwriter.format.payloads.TensorPoint` a point) is set: the one the
    read asked for; none when it asked for no values (steps only) or they cannot be read as such.
    """
    tag: str
    plugin: str | None
    kind: str
    seq: np.ndarray  # position of the record in the run, to restore file order across chunks
    step: np.ndarray
    wall: np.ndarray
    numbers: np.ndarray | None = None
    buckets: list[np.ndarray] | None = None
    points: list[TensorPoint] | None = None

    @property
    def has_values(self) -> bool:
        """Whether the chunk holds values, not only steps and wall times."""
        return self.numbers is not None or self.buckets is not None or self.points is not None

    def where(self, keep: np.ndarray) -> Chunk:
        """The points for which ``keep`` is True."""
        kept = keep.tolist()

        def pick(items: list | None) -> list | None:
            return None if items is None else [item for item, k in zip(items, kept, strict=True) if k]

        return Chunk(self.tag, self.plugin, self.kind, self.seq[keep], self.step[keep], self.wall[keep],
                     None if self.numbers is None else self.numbers[keep], pick(self.buckets), pick(self.points))


class Merged(NamedTuple):
    """A tag's scalars in file order (:func:`merge_numbers`): ``step`` (int64), ``wall`` and ``value``."""
    step: np.ndarray
    wall: np.ndarray
    value: np.ndarray


class MergedItems(NamedTuple):
    """A tag's histograms or tensors in file order (:func:`merge_items`): one item a point in ``items``."""
    step: np.ndarray
    wall: np.ndarray
    items: list


_HEAD = 4  # free rows before a tag's plain values: for the few points decoded apart before them (its first value)


class _Plain:
    """The plain scalar values of one tag (reading/plain.py), appended window after window in file order into
    columns ``seq, step, wall[, value]`` with room for more, after ``_HEAD`` free rows. Each value is written
    once, where the result then holds it: with the tag's first value (decoded apart, as it carries the
    plugin's metadata) put in front, the tag is one chunk, which merge returns without a copy. Fresh memory
    is much of a read's time (each page is faulted in), and a copy would hold the points twice."""

    def __init__(self, columns: list[np.ndarray]) -> None:
        self.columns = columns
        self.count = 0

    @staticmethod
    def blocks(columns: int, rooms: list[int]) -> list[list[np.ndarray]]:
        """Columns for tags of ``rooms`` rows each (``_HEAD`` included): ``seq`` (int64) in a block of its own,
        as the result does not keep it, then ``step`` (int64), ``wall`` and ``value`` (float64) in another,
        column after column. Two blocks for all the tags of a file, not a few small ones a tag: the memory
        of large blocks is kept by malloc for the next read and in huge pages, small ones are faulted in anew
        4 KiB at a time (that took longer than the rest of the read)."""
        total = sum(rooms)
        seq = np.empty(total, np.int64)
        block = np.empty((columns - 1) * total * 8, np.uint8)
        rest = [block[8 * total * i:8 * total * (i + 1)].view(np.float64 if i else np.int64)
                for i in range(columns - 1)]
        cuts = np.cumsum([0] + rooms).tolist()
        return [[c[a:b] for c in [seq] + rest] for a, b in zip(cuts, cuts[1:], strict=False)]

    def append(self, parts: list[np.ndarray], base: int, room: int) -> None:
        """Append ``parts`` (one a column, ``seq - base`` first); ``room``: how many values to make room for
        when it must grow (at least twice as many as now)."""
        start = _HEAD + self.count
        end = start + len(parts[0])
        if end > len(self.columns[0]):
            grown = self.blocks(len(self.columns), [max(_HEAD + room, end, 2 * len(self.columns[0]))])[0]
            for column, old in zip(grown, self.columns, strict=True):  # pages past what is written stay untouched
                column[:start] = old[:start]
            self.columns = grown
        for column, part in zip(self.columns, parts, strict=True):
            column[start:end] = part
        if base:
            self.columns[0][start:end] += base
        self.count = end - _HEAD

    def cut(self, seq: int) -> None:
        """Forget the values from record ``seq`` on."""
        self.count = int(np.searchsorted(self.columns[0][_HEAD:_HEAD + self.count], seq))

    def chunks(self, tag: str, others: list[Chunk]) -> list[Chunk]:
        """The chunks of ``tag``: ``others`` (its points decoded apart) and these values, in one chunk when
        the others are a few scalars before them all."""
        if not self.count:
            return others
        front = sum(len(c.seq) for c in others)
        scalars = all(c.numbers is not None and _own_plugin(c) in (None, "", "scalars") for c in others)
        if len(self.columns) == 4 and 0 < front <= _HEAD and scalars:
            others = sorted(others, key=lambda c: int(c.seq[0]))
            parts = [np.concatenate([getattr(c, name) for c in others]) for name in ("seq", "step", "wall", "numbers")]
            if (np.diff(parts[0]) >= 0).all() and parts[0][-1] <= self.columns[0][_HEAD]:
                for column, part in zip(self.columns, parts, strict=True):
                    column[_HEAD - front:_HEAD] = part
                seq, step, wall, value = (c[_HEAD - front:_HEAD + self.count] for c in self.columns)
                return [Chunk(tag, others[0].plugin, others[0].kind, seq, step, wall, numbers=value)]
        seq, step, wall, *values = (c[_HEAD:_HEAD + self.count] for c in self.columns)
        return others + [Chunk(tag, None, "simple_value", seq, step, wall, numbers=values[0] if values else None)]


class RunCollector:
    """Collects the chunks of one run, file after file."""

    def __init__(self) -> None:
        self.records = 0  # records seen in earlier files of the run
        self.file = ("", 0)  # the file being read and the byte offset its reading started at
        self._chunks: dict[str, list[Chunk]] = defaultdict(list)
        self._plain: dict[str, _Plain] = {}
        self._rows: dict[tuple, list[list]] = {}
        self._starts: list[tuple[int, int]] = []  # (seq, step) of each SessionLog START
        self._first_v2 = -1  # seq of the first file_version "brain.Event:2" (or later) event, -1: none yet
        self._unread: dict[str, tuple[int, str | None]] = {}  # tag -> (seq, plugin) of its first record not decoded

    def add(self, chunk: Chunk) -> None:
        if len(chunk.seq):
            self._chunks[chunk.tag].append(chunk)

    def add_plain(self, points: dict[str, list[np.ndarray]], base: int, scale: float) -> None:
        """Points of plain scalar events, after all earlier ones of their tags in file order: tag -> its columns
        ``record, step, wall[, value]`` (of records ``base + record``). ``scale``: how many times as many values
        the whole file likely holds as read so far (room is made for them at once)."""
        def room(tag: str, count: int) -> int:
            return int(count * scale * 1.0625) + 64  # a little more: the rest of the file may hold more

        new = [tag for tag in points if tag not in self._plain]
        if new:
            columns = len(points[new[0]])
            rooms = [_HEAD + room(tag, len(points[tag][0])) for tag in new]
            for tag, block in zip(new, _Plain.blocks(columns, rooms), strict=True):
                self._plain[tag] = _Plain(block)
        for tag, parts in points.items():
            plain = self._plain[tag]
            plain.append(parts, base, room(tag, plain.count + len(parts[0])))

    def add_row(self, tag: str, plugin: str | None, kind: str, seq: int, step: int, wall: float,
                value: float | np.ndarray | TensorPoint | None) -> None:
        """One point decoded on its own (a record of a shape of its own): its value is a number (scalar reads), a
        ``[k, 3]`` array (histograms), a :class:`~tbwriter.format.decode.TensorPoint` (tensors) or None."""
        key = (tag, plugin, kind, type(value))  # a read of every kind gives one tag's values in several forms
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = [[], [], [], []]
        rows[0].append(seq)
        rows[1].append(step)
        rows[2].append(wall)
        rows[3].append(value)

    def add_unread(self, tag: str, seq: int, plugin: str | None) -> None:
        """Record ``seq``, of a value of ``tag`` and ``plugin`` (v1 kinds migrated), was left undecoded (the read
        does not want its kind); it still counts for the tag's kind, should it be the tag's first."""
        if tag not in self._unread or seq < self._unread[tag][0]:
            self._unread[tag] = (seq, plugin)

    def unread_plugins(self) -> dict[str, str | None]:
        """Tag -> plugin of its first record left undecoded, for every tag that has one."""
        return {tag: plugin for tag, (_, plugin) in self._unread.items()}

    def first_plugin(self, tag: str, chunks: list[Chunk]) -> str | None:
        """The plugin of ``tag`` (of which ``chunks`` are the decoded values): its first value's, decoded or not,
        as TensorBoard decides it (v1 values migrated). Keep only the values of it with :func:`of_plugin`.

            plugin = run.first_plugin("loss", run.tags()["loss"])   # "scalars"
        """
        first = min(chunks, key=lambda c: int(c.seq.min()))
        unread = self._unread.get(tag)
        if unread is not None and unread[0] < int(first.seq.min()):
            return unread[1]
        return _own_plugin(first)

    def add_session_start(self, seq: int, step: int) -> None:
        """A SessionLog START at record ``seq``: points read before it at steps >= ``step`` go."""
        self._starts.append((seq, step))

    def add_file_version(self, seq: int) -> None:
        """A file_version of 2 or later at record ``seq``: from there on, START events purge."""
        if self._first_v2 < 0 or seq < self._first_v2:
            self._first_v2 = seq

    def drop_from(self, seq: int) -> None:
        """Forget every point from record ``seq`` on (reading stops at a damaged record)."""
        for chunks in self._chunks.values():
            chunks[:] = [c if (c.seq < seq).all() else c.where(c.seq < seq) for c in chunks if c.seq.min() < seq]
        for plain in self._plain.values():
            plain.cut(seq)
        for key, columns in list(self._rows.items()):
            keep = [i for i, s in enumerate(columns[0]) if s < seq]
            if keep:
                self._rows[key] = [[column[i] for i in keep] for column in columns]
            else:
                del self._rows[key]
        self._starts = [(s, step) for s, step in self._starts if s < seq]
        self._unread = {tag: first for tag, first in self._unread.items() if first[0] < seq}
        if self._first_v2 >= seq:
            self._first_v2 = -1

    def tags(self) -> dict[str, list[Chunk]]:
        """Tag -> its chunks (in no particular order; ``Chunk.seq`` gives the order), purged as TensorBoard does."""
        for (tag, plugin, kind, _), (seq, step, wall, values) in self._rows.items():
            chunk = Chunk(tag, plugin, kind, np.array(seq, np.int64), np.array(step, np.int64),
                          np.array(wall, np.float64))
            # a row's value is what format.decode.value_payload read: a number, a [k, 3] array or a TensorPoint
            if values[0] is None:  # values not asked for, or not of a kind the read takes
                pass
            elif isinstance(values[0], TensorPoint):
                chunk.points = values
            elif isinstance(values[0], np.ndarray):
                chunk.buckets = values
            else:
                chunk.numbers = np.array(values, dtype=np.float64)
            self.add(chunk)
        self._rows.clear()
        for tag, plain in self._plain.items():
            self._chunks[tag] = plain.chunks(tag, self._chunks.get(tag, []))
        self._plain.clear()
        starts = sorted((s, step) for s, step in self._starts if 0 <= self._first_v2 < s)
        if starts:
            self._purge(starts)
        return {tag: chunks for tag, chunks in self._chunks.items() if chunks}

    def _purge(self, starts: list[tuple[int, int]]) -> None:
        """TensorBoard's EventAccumulator on a restart: each START at step S drops the points read
        before it whose step is >= S, in every tag; a point goes if any later START's step is <= its own."""
        seqs = np.array([s for s, _ in starts], np.int64)
        # lowest START step from each START on: what a point read before that START must stay below
        floor = np.minimum.accumulate(np.array([step for _, step in starts], np.int64)[::-1])[::-1]
        floor = np.append(floor, np.iinfo(np.int64).max)
        for chunks in self._chunks.values():
            kept = []
            for c in chunks:
                keep = c.step < floor[np.searchsorted(seqs, c.seq, side="right")]
                if keep.any():
                    kept.append(c if keep.all() else c.where(keep))
            chunks[:] = kept


def _own_plugin(chunk: Chunk) -> str | None:
    """The plugin its values name: of their metadata, or the one TensorBoard gives v1 kinds on reading."""
    return MIGRATED_PLUGIN.get(chunk.kind) or chunk.plugin


def of_plugin(chunks: list[Chunk], plugin: str | None) -> list[Chunk]:
    """The ``chunks`` of a tag of ``plugin`` that hold its values: values that name no plugin of their own
    are the tag's; TensorBoard's data server leaves out those that name another (a tag logged first as a
    histogram, later as scalars, is a histogram whose scalars do not show).

        shown = of_plugin(chunks, run.first_plugin(tag, chunks))
    """
    return [c for c in chunks if _own_plugin(c) in (None, "", plugin)]


def merge_numbers(chunks: list[Chunk]) -> Merged:
    """A tag's chunks of scalars (all with ``numbers``) as arrays in file order; empties ``chunks``.

        step, wall, value = merge_numbers(chunks)
    """
    return Merged(*_merge(chunks, numbers=True))


def merge_items(chunks: list[Chunk]) -> MergedItems:
    """A tag's chunks of histograms or tensors (all with ``buckets``, or all with ``points``) in file order, one
    item a point; empties ``chunks``.

        step, wall, points = merge_items(chunks)
    """
    return MergedItems(*_merge(chunks, numbers=False))


def _values(chunk: Chunk, numbers: bool) -> Any:
    """The values of ``chunk``: its ``numbers``, else its items (``buckets`` or ``points``)."""
    return chunk.numbers if numbers else chunk.buckets if chunk.buckets is not None else chunk.points


def _merge(chunks: list[Chunk], numbers: bool) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(step, wall, values)`` of ``chunks`` in file order: values an array when ``numbers``, else a list.

    Each chunk is let go as soon as it is copied: were the chunks kept to the end, a read would hold its
    points twice (the chunks, and the arrays it returns) at its peak.
    """
    # each chunk is in file order; in order of their first records they are usually all of it (a tag's first
    # value, which carries its metadata, is decoded apart from the rest), so only overlaps need a sort
    chunks.sort(key=lambda c: int(c.seq[0]))
    if len(chunks) == 1:
        c = chunks.pop()
        return _in_file_order(c.seq, c.step, c.wall, _values(c, numbers))
    if not _in_order(chunks):
        return _joined(chunks, numbers)
    total = sum(len(c.seq) for c in chunks)
    step, wall = (np.empty(total, np.result_type(*{getattr(c, name).dtype for c in chunks}))
                  for name in ("step", "wall"))
    values: Any = np.empty(total, np.result_type(*{_values(c, numbers).dtype for c in chunks})) if numbers else []
    chunks.reverse()
    at = 0
    while chunks:
        c = chunks.pop()  # the last reference to it: its memory goes once copied
        part = slice(at, at + len(c.seq))
        step[part], wall[part] = c.step, c.wall
        if numbers:
            values[part] = c.numbers
        else:
            values += _values(c, numbers)
        at = part.stop
    return step, wall, values


def _in_order(chunks: list[Chunk]) -> bool:
    """Whether the points of ``chunks``, one after the other, are in file order."""
    return all(len(c.seq) < 2 or (c.seq[1:] >= c.seq[:-1]).all() for c in chunks) and \
        all(a.seq[-1] <= b.seq[0] for a, b in zip(chunks, chunks[1:], strict=False))


def _joined(chunks: list[Chunk], numbers: bool) -> tuple[np.ndarray, np.ndarray, Any]:
    """:func:`_merge` of chunks whose points interleave: all concatenated, then sorted (stable) by record."""
    def join(arrays):
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    seq, step, wall = (join([getattr(c, name) for c in chunks]) for name in ("seq", "step", "wall"))
    if numbers:
        values = join([c.numbers for c in chunks])
    else:
        values = [item for c in chunks for item in _values(c, numbers)]
    chunks.clear()
    return _in_file_order(seq, step, wall, values)


def _in_file_order(seq: np.ndarray, step: np.ndarray, wall: np.ndarray,
                   values: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """``(step, wall, values)`` sorted (stable) by ``seq``, when they are not in its order already."""
    if len(seq) > 1 and not (seq[1:] >= seq[:-1]).all():
        order = np.argsort(seq, kind="stable")
        step, wall = step[order], wall[order]
        values = [values[i] for i in order] if isinstance(values, list) else values[order]
    return step, wall, values
