"""Which records a read can leave alone: the tag and kind of every one-value record, read for all at once.

    skip, firsts = unwanted(padded, offsets, lengths, ReadMode.SCALARS, tag_ok)   # a bool per record, indices

A training log's bytes are mostly histograms (or images); a read of its scalars would spend
nearly all its time parsing records it then throws away. Here the first bytes of every record
are read as numpy columns, in the order protobuf writes an Event's fields: wall time, step,
then the summary with its one value, whose tag comes first and whose kind (``simple_value``,
``histo``, ``image``, ``audio`` or ``tensor``) follows it. A record is skipped when that value
can hold nothing the read wants: another kind, a tensor too large to be a scalar, or a tag the
filter refuses. Records of any other layout (several values, other fields, other field orders)
are left to the decoders, so nothing wanted is ever skipped. Skipped records are not parsed, but
their CRCs are checked as every record's: a damaged one ends its file, as in TensorBoard. A tag's
kind is its first value's (TensorBoard takes the plugin from it), so the first skipped record of
each tag is named, for the reader to look at. The layout is stated in docs/formats.md (section 1.2); the C loops
in ``_frames.c`` read it where they were built, numpy here otherwise.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tbwriter.format.decode import ReadMode
from tbwriter.format.record import FOOTER_SIZE, HEADER_SIZE
from tbwriter.format.wire import Event, Summary, Value, ValueKind
from tbwriter.reading import index

_LARGEST_SCALAR_TENSOR = 64  # bytes: a one-number TensorProto (dtype, shape, 1-8 bytes of value) is about 12-20
# kinds of value each read mode never wants (the tensor rule for scalars is by size, below)
_NOT_WANTED = {
    ReadMode.SCALARS: (ValueKind.HISTO, ValueKind.IMAGE, ValueKind.AUDIO),
    ReadMode.HISTOGRAMS: (ValueKind.SIMPLE_VALUE, ValueKind.IMAGE, ValueKind.AUDIO),
    ReadMode.TENSORS: (ValueKind.SIMPLE_VALUE, ValueKind.HISTO),
    ReadMode.STEPS: (),
    ReadMode.ALL: (),
}
_NOT_WANTED[ReadMode.HPARAMS] = _NOT_WANTED[ReadMode.SCALARS]  # hparams values carry metadata: never skipped
_SCALARS_ONLY = (ReadMode.SCALARS, ReadMode.HPARAMS)  # reads that want no large tensor (by the size rule below)


class Skim(NamedTuple):
    """What :func:`unwanted` found: ``skip``, a bool per record, and ``firsts``, the indices (in file
    order) of the first skipped record of each tag."""
    skip: np.ndarray
    firsts: np.ndarray


def unwanted(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, mode: ReadMode, tag_ok,
             among: np.ndarray | None = None) -> Skim:
    """Per record (at ``offsets``, data ``lengths`` long, in the zero-padded file bytes ``padded``):
    True when it is one value that a read in ``mode`` with tag filter ``tag_ok`` does not want;
    and the first of these of each tag. Only the records where the bool array ``among`` is True are
    looked at (all when None)."""
    skip = np.zeros(len(offsets), bool)
    if not _NOT_WANTED[mode] and tag_ok is None:  # every record is wanted (steps only, or every kind)
        return Skim(skip, np.zeros(0, np.int64))
    look = np.ones(len(offsets), bool) if among is None else among.copy()
    if mode in _SCALARS_ONLY and tag_ok is None:  # a scalar read without a tag filter gains only from long records
        look &= lengths > _LARGEST_SCALAR_TENSOR
    candidates = np.flatnonzero(look)
    if not len(candidates):
        return Skim(skip, candidates)
    skip[candidates], firsts = _unwanted(padded, offsets[candidates], lengths[candidates], mode, tag_ok)
    return Skim(skip, candidates[firsts])


def _unwanted(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, mode: ReadMode,
              tag_ok) -> tuple[np.ndarray, np.ndarray]:
    kind, tag_start, tag_end, tensor_length = layouts(padded, offsets, lengths).T
    one_value = kind >= 0
    skip = np.zeros(len(kind), bool)
    for unwanted_kind in _NOT_WANTED[mode]:  # a few kinds: cheaper than np.isin on a file's worth of records
        skip |= kind == unwanted_kind.key
    if mode in _SCALARS_ONLY:
        skip |= one_value & (kind == ValueKind.TENSOR.key) & (tensor_length > _LARGEST_SCALAR_TENSOR)
    if tag_ok is not None:
        skip |= one_value & ~_tags_pass(padded, tag_start, tag_end - tag_start, one_value & ~skip, tag_ok)
    rows = np.flatnonzero(skip)  # all one-value records
    ends = offsets[rows] + (HEADER_SIZE + FOOTER_SIZE) + lengths[rows]  # past each record's CRC: file bytes all
    return skip, rows[_first_of_each_tag(padded, tag_start[rows], (tag_end - tag_start)[rows], ends)]


def layouts(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per record (at ``offsets``, data ``lengths`` long, in the zero-padded file bytes ``padded``), as a row of 4:
    the key of its value's kind (-1 unless it is a one-value record, docs/formats.md section 1.2), where its tag
    starts and ends, and the varint after the kind's key (-1 if none); by the C loop, else numpy."""
    return (_layouts_with_numpy if index.KERNEL is None else _layouts_with_kernel)(padded, offsets, lengths)


def _first_of_each_tag(padded: np.ndarray, starts: np.ndarray, sizes: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Where each distinct tag (``sizes[i]`` bytes from ``starts[i]`` of the zero-padded file bytes, in a record
    whose bytes end at ``ends[i]``) is met first: indices into ``starts``, in order."""
    if index.KERNEL is None:
        return _firsts_with_numpy(padded, starts, sizes)
    # The C loop loads whole words, up to 7 bytes past a tag. A tag that close to the end of its record (an empty
    # value: only a hostile file has one) may be in the file's last record, whose next bytes are the padding that
    # a sanitizer run fences off (memory.fenced): then the loop reads a copy of the bytes, zeros after them.
    buffer = padded
    if len(starts) and (starts + sizes + 8 > ends).any():
        last = int((starts + sizes).max())
        buffer = np.zeros(last + 8, np.uint8)
        buffer[:last] = padded[:last]
    new = np.empty(len(starts), np.uint8)
    index.KERNEL.firsts(buffer, np.ascontiguousarray(starts, np.int64), np.ascontiguousarray(sizes, np.int64), new)
    return np.flatnonzero(new)


_BYTE_MASKS = np.array([(1 << 8 * k) - 1 for k in range(9)], np.uint64)  # the low k bytes of a word


def _firsts_with_numpy(padded: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """:func:`_first_of_each_tag` without the C loop: tags told apart by a 64-bit hash of their bytes (two
    tags of a file sharing one, at odds of 2**-64, would hide the second's first record), taken in chunks
    of growing size of which only the tags not met before are sorted."""
    words = np.ndarray((len(padded) - 7,), "<u8", padded, 0, (1,))  # the u64 at every byte offset, no copy
    # A word a round, each round over the tags still that long only (sorted by size, they are the last ones): a
    # hostile tag of megabytes then costs its own words, not a pass over every record for each 8 of its bytes.
    by_size = np.argsort(sizes, kind="stable")
    ascending, at_start = sizes[by_size], starts[by_size]
    mixed = ascending.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    for at in range(0, int(ascending[-1]) if len(sizes) else 0, 8):
        live = slice(int(np.searchsorted(ascending, at, side="right")), None)
        part = mixed[live]
        part ^= words[at_start[live] + at] & _BYTE_MASKS[np.minimum(ascending[live] - at, 8)]
        part *= np.uint64(0xFF51AFD7ED558CCD)
        part ^= part >> np.uint64(32)
    key = np.empty_like(mixed)
    key[by_size] = mixed
    found, known, done, chunk = [], np.zeros(0, np.uint64), 0, 1024
    while done < len(key):
        part = key[done:done + chunk]
        new = np.flatnonzero(~np.isin(part, known))
        if len(new):
            distinct, first = np.unique(part[new], return_index=True)
            found.append(done + new[first])
            known = np.union1d(known, distinct)
        done += len(part)
        chunk *= 2
    return np.sort(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _layouts_with_kernel(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`layouts` by the C loop in _frames.c: ~10 ns a record instead of numpy's ~1 ms a file."""
    assert index.KERNEL is not None  # chosen by layouts
    out = np.empty((len(offsets), 4), np.int64)
    index.KERNEL.layouts(padded, np.ascontiguousarray(offsets, np.int64), np.ascontiguousarray(lengths, np.int64), out)
    return out


def _layouts_with_numpy(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """:func:`layouts` with numpy, a few passes over all records at once."""
    reader = _Columns(padded, offsets + HEADER_SIZE, lengths)
    out = np.full((len(offsets), 4), -1, np.int64)
    pos = reader.start.copy()
    pos += 9 * reader.key_is(pos, Event.WALL_TIME)  # a fixed64 after its key
    has_step = reader.key_is(pos, Event.STEP)
    pos = np.where(has_step, pos + 1 + reader.varint(pos + 1)[1], pos)
    summary_start, summary_end = reader.length_delimited(pos, Event.SUMMARY)
    reader.ok &= summary_end == reader.end  # nothing after the summary that a decoder would need
    value_start, value_end = reader.length_delimited(summary_start, Summary.VALUE)
    reader.ok &= value_end == summary_end  # one value
    if not reader.ok.any():  # all of several values (log_metrics) or odd layouts
        return out
    tag_start, tag_end = reader.length_delimited(value_start, Value.TAG)
    reader.ok &= tag_end < value_end
    kind = reader.byte(tag_end)
    one_value = reader.ok.copy()
    tensor_length = reader.varint(tag_end + 1)[0]
    # written where they hold into the int64 table of -1s, never by np.where(..., -1): numpy 2 keeps a
    # uint8 kind's dtype there, and -1 became 255, a "kind" of every record that is not one value
    whole = reader.ok & (tensor_length >= 0)  # a varint of 2**63 or more wraps around to negative: none
    out[whole, 3] = tensor_length[whole]
    out[one_value, 0] = kind[one_value]
    out[:, 1], out[:, 2] = tag_start, tag_end
    return out


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
        first = self.byte(pos)
        if (first < 0x80).all():  # one byte each, as most lengths and steps are
            return first.astype(np.int64), np.ones(len(pos), np.int64)
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
        self.ok &= (length >= 0) & (end <= self.end)  # a 10-byte varint may wrap around to negative
        return start, end
