"""Decode a whole event file at numpy speed: records of one shape are checked and unpacked together.

    sink = Sink()
    error = scan_file("run/events.out.tfevents.1.host", sink, tag_ok=None, decode="scalars")
    for tag, chunks in sink.tags().items(): ...

Why it is fast: in a training log almost every record repeats the shape of another (same
length, same tag, same fields), and only a few bytes differ (wall time, step, value).
So records are grouped by length, each group is copied into one 2-D byte array, the data
CRCs of the whole group are computed from the differing byte columns only (CRC-32C is
affine, so a table per byte position suffices), the first record of each shape is parsed
by :mod:`tbwriter.decode` and every record matching that shape is unpacked column-wise.
Records that share their shape with few others are decoded one by one.
"""
from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from tbwriter import decode
from tbwriter.record import FOOTER_SIZE, HEADER_SIZE, RecordError, masked_crc, record_problem

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


def scan_file(name: str, sink: Sink, tag_ok, decode_what: str | None) -> RecordError | None:
    """Decode every sound record of file ``name`` into ``sink``; return the damage that ended it, if any.

    ``tag_ok(tag)`` filters tags (None keeps all); ``decode_what`` is ``"scalars"``,
    ``"histograms"`` or None (steps only).
    """
    with open(name, "rb") as f:
        buf = f.read()
    offsets, problem = index_records(buf)
    first = sink.records
    error = None
    for i, offset in enumerate(offsets):
        length = _U64.unpack_from(buf, offset)[0]
        start = offset + HEADER_SIZE
        data = buf[start:start + length]
        if masked_crc(data) != struct.unpack_from("<I", buf, start + length)[0]:
            problem = (offset, "data checksum mismatch")
            offsets = offsets[:i]
            break
    for i, offset in enumerate(offsets):
        length = _U64.unpack_from(buf, offset)[0]
        start = offset + HEADER_SIZE
        _decode_row(buf[start:start + length], first + i, sink, tag_ok, decode_what)
    sink.records = first + len(offsets)
    if problem:
        error = RecordError(name, *problem)
    return error


def index_records(buf: bytes) -> tuple[list[int], tuple[int, str] | None]:
    """Offsets of the records in ``buf`` with sound headers, and ``(offset, problem)`` where that stopped."""
    offsets = []
    offset, end = 0, len(buf)
    while offset < end:
        problem = _header_problem(buf, offset)
        if problem:
            return offsets, (offset, problem)
        offsets.append(offset)
        offset += HEADER_SIZE + _U64.unpack_from(buf, offset)[0] + FOOTER_SIZE
    return offsets, None


def _header_problem(buf: bytes, offset: int) -> str:
    """``record_problem`` without the data CRC, which is checked in bulk."""
    end = len(buf)
    if end - offset < HEADER_SIZE:
        return f"torn record header ({end - offset} of {HEADER_SIZE} bytes)"
    size = buf[offset:offset + 8]
    if masked_crc(size) != struct.unpack_from("<I", buf, offset + 8)[0]:
        return "length checksum mismatch"
    length = _U64.unpack(size)[0]
    if end - offset - HEADER_SIZE < length + FOOTER_SIZE:
        return f"torn record ({end - offset - HEADER_SIZE} of {length + FOOTER_SIZE} bytes after the header)"
    return ""


def _decode_row(data: bytes, seq: int, sink: Sink, tag_ok, decode_what: str | None) -> None:
    """Decode one record the slow, general way."""
    try:
        layout = decode.parse_event(data)
    except decode.DecodeError:
        return  # CRC-sound but not an Event: TensorBoard skips it too
    if not layout.values:
        return
    step, wall = layout.step(data), layout.wall_time(data)
    for v in layout.values:
        if tag_ok is None or tag_ok(v.tag):
            sink.add_row(v.tag, v.plugin, v.kind, seq, step, wall, _payload(data, v, decode_what))


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
