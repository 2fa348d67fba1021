"""Which records a read can leave alone: the tag and kind of every one-value record, read for all at once.

    skip = unwanted(padded, offsets, lengths, ReadMode.SCALARS, tag_ok)   # a bool per record

A training log's bytes are mostly histograms (or images); a read of its scalars would spend
nearly all its time parsing records it then throws away. Here the first bytes of every record
are read as numpy columns, in the order protobuf writes an Event's fields: wall time, step,
then the summary with its one value, whose tag comes first and whose kind (``simple_value``,
``histo``, ``image``, ``audio`` or ``tensor``) follows it. A record is skipped when that value
can hold nothing the read wants: another kind, a tensor too large to be a scalar, or a tag the
filter refuses. Records of any other layout (several values, other fields, other field orders)
are left to the decoders, so nothing wanted is ever skipped. Skipped records are not parsed, but
their CRCs are checked as every record's: a damaged one ends its file, as in TensorBoard.
"""
from __future__ import annotations

import numpy as np

from tbwriter.decode import ReadMode
from tbwriter.record import HEADER_SIZE
from tbwriter.wire import Event, Summary, Value

_LARGEST_SCALAR_TENSOR = 64  # bytes: a one-number TensorProto (dtype, shape, 1-8 bytes of value) is about 12-20
# kinds of value each read mode never wants (the tensor rule for scalars is by size, below)
_NOT_WANTED = {
    ReadMode.SCALARS: (Value.HISTO, Value.IMAGE, Value.AUDIO),
    ReadMode.HISTOGRAMS: (Value.SIMPLE_VALUE, Value.IMAGE, Value.AUDIO),
    ReadMode.TENSORS: (Value.SIMPLE_VALUE, Value.HISTO),
    ReadMode.STEPS: (),
}


def unwanted(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, mode: ReadMode, tag_ok) -> np.ndarray:
    """Per record (at ``offsets``, data ``lengths`` long, in the zero-padded file bytes ``padded``):
    True when it is one value that a read in ``mode`` with tag filter ``tag_ok`` does not want."""
    skip = np.zeros(len(offsets), bool)
    if mode is ReadMode.STEPS and tag_ok is None:
        return skip
    # without a tag filter a scalar read only gains from skipping long records (histograms, images)
    candidates = np.flatnonzero(lengths > _LARGEST_SCALAR_TENSOR) if mode is ReadMode.SCALARS and tag_ok is None \
        else np.arange(len(offsets))
    if len(candidates):
        skip[candidates] = _unwanted(padded, offsets[candidates], lengths[candidates], mode, tag_ok)
    return skip


def _unwanted(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, mode: ReadMode, tag_ok) -> np.ndarray:
    reader = _Columns(padded, offsets + HEADER_SIZE, lengths)
    pos = reader.start.copy()
    pos += 9 * reader.key_is(pos, Event.WALL_TIME)  # a fixed64 after its key
    has_step = reader.key_is(pos, Event.STEP)
    pos = np.where(has_step, pos + 1 + reader.varint(pos + 1)[1], pos)
    summary_start, summary_end = reader.length_delimited(pos, Event.SUMMARY)
    reader.ok &= summary_end == reader.end  # nothing after the summary that a decoder would need
    value_start, value_end = reader.length_delimited(summary_start, Summary.VALUE)
    reader.ok &= value_end == summary_end  # one value
    tag_start, tag_end = reader.length_delimited(value_start, Value.TAG)
    reader.ok &= tag_end < value_end
    kind = reader.byte(tag_end)
    not_wanted = np.isin(kind, np.array(_NOT_WANTED[mode], np.uint8))
    if mode is ReadMode.SCALARS:
        layout_ok = reader.ok.copy()
        tensor_length = reader.varint(tag_end + 1)[0]  # meaningful where the kind is a tensor
        not_wanted |= reader.ok & (kind == Value.TENSOR) & (tensor_length > _LARGEST_SCALAR_TENSOR)
        reader.ok = layout_ok
    skip = reader.ok & not_wanted
    if tag_ok is not None:
        skip |= reader.ok & ~_tags_pass(padded, tag_start, tag_end - tag_start, reader.ok & ~skip, tag_ok)
    return skip


def _tags_pass(padded: np.ndarray, starts: np.ndarray, sizes: np.ndarray, which: np.ndarray, tag_ok) -> np.ndarray:
    """``tag_ok`` of the tag of each record in ``which`` (True elsewhere), asked once per distinct tag."""
    passes = np.ones(len(starts), bool)
    for size in np.unique(sizes[which]).tolist():
        rows = np.flatnonzero(which & (sizes == size))
        names = padded[starts[rows, None] + np.arange(size)]
        distinct, inverse = np.unique(names, axis=0, return_inverse=True)
        verdicts = np.array([_accepts(tag_ok, bytes(name)) for name in distinct], bool)
        passes[rows] = verdicts[inverse.ravel()]
    return passes


def _accepts(tag_ok, name: bytes) -> bool:
    try:
        return bool(tag_ok(name.decode()))
    except UnicodeDecodeError:  # not a tag protobuf would read: the decoder reports the record
        return True


class _Columns:
    """Reads bytes and varints at one position per record, all records at once; ``ok`` turns False
    for a record whose bytes do not have the layout being read (it is then left to the decoders)."""

    def __init__(self, padded: np.ndarray, start: np.ndarray, lengths: np.ndarray) -> None:
        self.padded, self.last = padded, len(padded) - 1
        self.start, self.end = start, start + lengths
        self.ok = lengths > 0

    def byte(self, pos: np.ndarray) -> np.ndarray:
        inside = pos < self.end
        self.ok &= inside
        return np.where(inside, self.padded[np.minimum(pos, self.last)], 0).astype(np.uint8)

    def key_is(self, pos: np.ndarray, key: int) -> np.ndarray:
        return (pos < self.end) & (self.padded[np.minimum(pos, self.last)] == key)

    def varint(self, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The varint at each ``pos`` and how many bytes it takes (lengths fit in 63 bits)."""
        value = np.zeros(len(pos), np.int64)
        size = np.zeros(len(pos), np.int64)
        going = self.ok.copy()
        for k in range(10):
            b = self.byte(np.where(going, pos + k, self.start)).astype(np.int64)
            value |= np.where(going, (b & 0x7F) << (7 * k), 0)
            size += going
            going &= (b & 0x80) != 0
            if not going.any():
                break
        self.ok &= ~going
        return value, size

    def length_delimited(self, pos: np.ndarray, key: int) -> tuple[np.ndarray, np.ndarray]:
        """Where the payload of the length-delimited field ``key`` at each ``pos`` starts and ends."""
        self.ok &= self.key_is(pos, key)
        length, size = self.varint(pos + 1)
        start = pos + 1 + size
        end = start + length
        self.ok &= end <= self.end
        return start, end
