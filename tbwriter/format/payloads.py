"""What a read takes of one value, by TensorBoard's on-read rules: v1 kinds given their plugins, v1 images
and audio migrated to the tensors of those plugins, v1 histograms converted to ``[k, 3]`` rows, and tensors
bounded by the bytes that hold them.

    layout = parse_event(data)                                   # tbwriter.format.decode: where things are
    value_payload(data, layout.values[0], ReadMode.HISTOGRAMS)   # a [k, 3] array, or None for another kind

:mod:`tbwriter.format.decode` finds a record's values; this module reads one of them as the read's mode asks
(docs/formats.md, sections 4 and 5, say what TensorBoard does).
"""
from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np

from tbwriter.errors import BadValue, DecodeError
from tbwriter.format.decode import (
    STORAGE,
    ReadMode,
    TensorInfo,
    ValueSlot,
    fields,
    from_fixed,
    from_varints,
    numeric_type,
    varint,
)
from tbwriter.format.wire import (
    FIXED64,
    FIXED_TYPED_FIELDS,
    LENGTH,
    TYPED_FIELD,
    VARINT,
    DataType,
    Histogram,
    Media,
    Tensor,
    ValueKind,
)

# v1 Summary.Value oneofs whose plugin TensorBoard assigns on read (data_compat.migrate_value); typed by str, as
# a ValueKind is one, so that kinds still held as plain strings look up the same
MIGRATED_PLUGIN: dict[str, str] = {ValueKind.SIMPLE_VALUE: "scalars", ValueKind.HISTO: "histograms",
                                   ValueKind.IMAGE: "images", ValueKind.AUDIO: "audio"}
# ... and the plugin content it gives v1 images and audio (docs/formats.md, section 4): ImagePluginData with
# converted_to_tensor (field 2) set; AudioPluginData with encoding WAV (field 2 = 11) and converted_to_tensor (3)
MIGRATED_CONTENT = {ValueKind.IMAGE: b"\x10\x01", ValueKind.AUDIO: b"\x10\x0b\x18\x01"}
_MEDIA = (ValueKind.IMAGE, ValueKind.AUDIO)


_LARGEST_ARRAY_BYTES = int(np.iinfo(np.intp).max)  # a constant: np.iinfo() costs microseconds a call, once a value


def element_count(shape: tuple[int, ...], itemsize: int = 8) -> int:
    """How many elements a tensor of ``shape`` holds: ``element_count((2, 3)) == 6``.

    :class:`DecodeError` for a shape no array can have: a negative dimension (stored as a huge varint),
    or dimensions whose product, zeros left out, overflows an array's size in bytes (``[0, 2**40, 2**40]``:
    numpy refuses even to reshape an empty array to it). Callers then compare the count with the values
    the record holds before they allocate anything.
    """
    count = span = 1
    for d in shape:
        if d >= 1 << 63:
            raise DecodeError(f"tensor shape {list(shape)} has a negative dimension")
        count *= d
        span *= d or 1
    if span * itemsize > _LARGEST_ARRAY_BYTES:
        raise DecodeError(f"tensor shape {list(shape)} is too large for any array")
    return count


def tensor_array(data: bytes, t: TensorInfo) -> np.ndarray:
    """The values of a numeric tensor as a float64 array of its shape (used for v2 histograms).

    Bounded by the bytes it reads: a shape that the stored values cannot fill is a
    :class:`DecodeError`, never an allocation of its size.
    """
    dtype = numeric_type(t.dtype)
    if dtype is None:
        raise DecodeError(f"tensor of non-numeric dtype {t.dtype}")
    count = element_count(t.shape)
    if t.content is not None:
        raw = data[t.content[0]:t.content[1]]
        itemsize = np.dtype(STORAGE[dtype]).itemsize
        if len(raw) != count * itemsize:
            raise DecodeError(f"tensor_content holds {len(raw)} bytes for shape {list(t.shape)} of {dtype.name}")
        flat = from_fixed(np.frombuffer(raw, STORAGE[dtype]), dtype)
    else:
        number = TYPED_FIELD[dtype]
        parts = []
        for pos, stop, wire in t.typed.get(number, []):
            if number in FIXED_TYPED_FIELDS:
                parts.append(np.frombuffer(data[pos:stop], STORAGE[dtype]).astype(np.float64))
            else:
                raw_varints = []
                p = pos
                while p < stop:
                    value, p = varint(data, p)
                    raw_varints.append(value)
                    if wire != LENGTH:
                        break
                parts.append(from_varints(np.array(raw_varints, np.uint64), dtype).astype(np.float64))
        flat = np.concatenate(parts) if parts else np.zeros(0)
        if len(flat) == 1 and count > 1:  # TensorFlow's fill convention: one value for all elements
            if count > 8 * len(data):  # memory stays bounded by the bytes read
                raise DecodeError(f"one value to fill a tensor of shape {list(t.shape)}")
            flat = np.full(count, flat[0])
    if flat.size != count:
        raise DecodeError(f"tensor holds {flat.size} values for shape {list(t.shape)}")
    return flat.astype(np.float64).reshape(t.shape)


def histogram_v1(data: bytes, start: int, end: int) -> np.ndarray:
    """A v1 ``HistogramProto`` as ``[k, 3]`` rows ``(left, right, count)``, converted as TensorBoard does.

    Empty buckets at both ends are dropped and min/max become the outer edges
    (tensorboard's ``data_compat``), so the ±DBL_MAX limits never show.
    """
    lo = hi = 0.0
    limits: list[float] = []
    counts: list[float] = []
    for key, pos, stop in fields(data, start, end):
        if key == Histogram.MIN:
            lo = struct.unpack_from("<d", data, pos)[0]
        elif key == Histogram.MAX:
            hi = struct.unpack_from("<d", data, pos)[0]
        elif key >> 3 in (Histogram.BUCKET_LIMIT, Histogram.BUCKET) and key & 7 in (FIXED64, LENGTH):
            target = limits if key >> 3 == Histogram.BUCKET_LIMIT else counts
            target.extend(struct.unpack_from(f"<{(stop - pos) // 8}d", data, pos))
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    if not nonzero:
        return np.zeros((0, 3))
    first, last = nonzero[0], nonzero[-1]
    inner = limits[first:last]
    if len(inner) != last - first:
        raise DecodeError(f"histogram has {len(counts)} buckets but {len(limits)} limits")
    return np.array([[lo, *inner], [*inner, hi], counts[first:last + 1]], dtype=np.float64).T.copy()


def value_tensor(data: bytes, v: ValueSlot) -> np.ndarray:
    """A value's data as TensorBoard's loaders see it: numeric tensors as float64 arrays of their
    shape, string tensors as object arrays of bytes; v1 images and audio migrated to the string
    tensors of their plugins (``[b"<width>", b"<height>", encoded]`` and ``[encoded]``).

    ``value_tensor(data, parse_event(data).values[0])``; :class:`DecodeError` if it holds no tensor.
    """
    if v.kind is ValueKind.TENSOR and v.tensor is not None:
        t = v.tensor
        if t.dtype != DataType.DT_STRING:
            return tensor_array(data, t)
        items = [data[pos:stop] for pos, stop, wire in t.typed.get(Tensor.STRING_VAL.number, []) if wire == LENGTH]
        count = element_count(t.shape)
        if len(items) != count:
            raise DecodeError(f"string tensor holds {len(items)} values for shape {list(t.shape)}")
        strings = np.empty(count, dtype=object)
        strings[:] = items
        return strings.reshape(t.shape)
    if v.kind in _MEDIA:
        numbers, encoded = {}, b""
        for key, pos, stop in fields(data, *v.span):
            if key & 7 == VARINT:
                numbers[key >> 3] = varint(data, pos)[0]
            elif key == Media.ENCODED:
                encoded = data[pos:stop]
        # width and height are int32 fields: protobuf keeps a varint's low 32 bits, signed
        width, height = from_varints(np.array([numbers.get(Media.WIDTH, 0), numbers.get(Media.HEIGHT, 0)],
                                              np.uint64), DataType.DT_INT32).tolist()
        items = [str(width).encode(), str(height).encode(), encoded] if v.kind is ValueKind.IMAGE else [encoded]
        migrated = np.empty(len(items), dtype=object)
        migrated[:] = items
        return migrated
    raise DecodeError(f"value of kind {v.kind} holds no tensor")


class TensorPoint(NamedTuple):
    """One value read as a tensor: its data (None when the value holds none, as hparams summaries
    may, or holds one that cannot be read: ``problem`` then says why), its plugin's metadata content
    (None when the value has none), and ``where`` its record is: ``(file, byte offset)``, set by the
    reader, so that a value its plugin cannot use is reported once the tag's plugin is known."""
    value: np.ndarray | None
    content: bytes | None
    problem: str | None = None
    where: tuple[str, int] | None = None


def value_payload(data: bytes, v: ValueSlot, mode: ReadMode):
    """What ``mode`` reads of value ``v`` of record ``data``: a float, a ``[k, 3]`` array, a
    :class:`TensorPoint`, or None (not of that kind); :class:`BadValue` when it is of that kind but cannot be read."""
    mode = mode.of(v)
    if mode is ReadMode.SCALARS:
        return v.number(data) if v.scalar else None
    if mode is ReadMode.TENSORS:
        content = MIGRATED_CONTENT.get(v.kind) or (data[v.content[0]:v.content[1]] if v.content else None)
        if v.kind is not ValueKind.TENSOR and v.kind not in _MEDIA:
            return TensorPoint(None, content)  # holds no tensor (hparams summaries): nothing is wrong
        try:
            return TensorPoint(value_tensor(data, v), content)
        except DecodeError as e:
            return TensorPoint(None, content, str(e))
    if mode is ReadMode.HISTOGRAMS:
        try:
            if v.kind is ValueKind.HISTO:
                return histogram_v1(data, *v.span)
            if v.tensor is not None and v.plugin in (None, "", "histograms"):  # later values may lack metadata
                if not v.plugin and numeric_type(v.tensor.dtype) is None:  # strings (a text table): no histogram
                    return None
                if len(v.tensor.shape) == 2 and v.tensor.shape[1] == 3:
                    return tensor_array(data, v.tensor)
                if v.plugin == "histograms":
                    raise DecodeError(f"shape {list(v.tensor.shape)} is not [k, 3]")
        except (DecodeError, struct.error) as e:
            raise BadValue(f"histogram {v.tag!r}: {e}") from None
    return None
