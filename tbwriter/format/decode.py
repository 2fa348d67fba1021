"""One-record decoding: the protobuf wire read by hand, the mirror of :mod:`tbwriter.format.encode`.

Parsing one Event gives its :class:`Layout`: where its wall time, step and each value's
number sit in the record's bytes, as typed :class:`Field` s.  Records that share a layout
(same length, same tag, same metadata — the common case) are then decoded column-wise by
:mod:`tbwriter.reading.columns`; this module decodes the odd ones one at a time:

    layout = parse_event(data)
    layout.wall_time(data), layout.step(data), [(v.tag, v.number(data)) for v in layout.values]

What is an Event is protobuf's call: a record protobuf would not parse (field number 0,
bad UTF-8 in a string, a packed field of the wrong size...) is a :class:`DecodeError` here
too, so that we accept exactly the records TensorBoard accepts.  The conversions of stored
bits to values (varints to a DataType, bfloat16) live here once, for one value and for many.
Field numbers and DataType codes come from :mod:`tbwriter.format.wire`; docs/formats.md explains them.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

import numpy as np

from tbwriter.errors import BadValue, DecodeError
from tbwriter.format.wire import (
    END_GROUP,
    FIXED32,
    FIXED64,
    FIXED_TYPED_FIELDS,
    LENGTH,
    START_GROUP,
    TYPED_FIELD,
    VARINT,
    DataType,
    Event,
    Histogram,
    Media,
    Metadata,
    SessionLog,
    SessionStatus,
    Summary,
    Tensor,
    Value,
    ValueKind,
)


class ReadMode(Enum):
    """What a read decodes of each value besides its step and wall time."""
    STEPS = "steps"  # nothing more (``summarize``, ``ls``)
    SCALARS = "scalars"  # the number of one-number values
    HISTOGRAMS = "histograms"  # the ``[k, 3]`` buckets of histograms
    TENSORS = "tensors"  # any value's data as a tensor, and its plugin's metadata content
    HPARAMS = "hparams"  # SCALARS, and TENSORS of the hparams plugin's values: the HPARAMS table in one pass

    def of(self, plugin: str | None) -> ReadMode:
        """The mode in which a value of ``plugin`` is read."""
        if self is ReadMode.HPARAMS:
            return ReadMode.TENSORS if plugin == "hparams" else ReadMode.SCALARS
        return self

    @property
    def scalars(self) -> bool:
        """Whether values without a plugin (``simple_value``, one-number tensors) are read as scalars."""
        return self.of(None) is ReadMode.SCALARS


class Field(NamedTuple):
    """A number of type ``dtype`` stored at ``data[pos:pos+width]``, as a varint or little-endian fixed bytes."""
    pos: int
    width: int
    dtype: DataType
    varint: bool = False


WALL_TIME_AT = DataType.DT_DOUBLE
STEP_AT = DataType.DT_INT64

# DataType -> numpy dtype of its little-endian bytes (bfloat16: its 16 bits, see `bfloat16`)
STORAGE = {DataType.DT_FLOAT: "<f4", DataType.DT_DOUBLE: "<f8", DataType.DT_INT32: "<i4", DataType.DT_UINT8: "u1",
           DataType.DT_INT16: "<i2", DataType.DT_INT8: "i1", DataType.DT_INT64: "<i8", DataType.DT_BOOL: "?",
           DataType.DT_BFLOAT16: "<u2", DataType.DT_UINT16: "<u2", DataType.DT_HALF: "<f2",
           DataType.DT_UINT32: "<u4", DataType.DT_UINT64: "<u8"}


def bfloat16(bits: np.ndarray) -> np.ndarray:
    """float32 values of bfloat16 bit patterns (the upper half of a float32's bits)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def from_fixed(stored: np.ndarray, dtype: DataType) -> np.ndarray:
    """Values of type ``dtype`` from an array of their stored little-endian bytes (as ``STORAGE[dtype]``)."""
    return bfloat16(stored) if dtype == DataType.DT_BFLOAT16 else stored


def from_varints(raw: np.ndarray, dtype: DataType) -> np.ndarray:
    """Values of type ``dtype`` from raw varints (uint64), as protobuf reads them into the field.

    32-bit fields keep the low 32 bits (sign-extended for signed types); the 16-bit floats
    (half_val) keep the low 16 bits; bools are 0.0 or 1.0.
    """
    if dtype in (DataType.DT_HALF, DataType.DT_BFLOAT16):
        bits = (raw & 0xFFFF).astype(np.uint16)
        return bits.view("<f2") if dtype == DataType.DT_HALF else bfloat16(bits)
    if dtype == DataType.DT_BOOL:
        return (raw != 0).astype(np.float64)
    if dtype in (DataType.DT_INT64, DataType.DT_UINT64):
        return raw.view(STORAGE[dtype])
    signed = dtype in (DataType.DT_INT32, DataType.DT_INT16, DataType.DT_INT8)
    return (raw & 0xFFFFFFFF).astype(np.uint32).view("<i4" if signed else "<u4")


# v1 Summary.Value oneofs whose plugin TensorBoard assigns on read (data_compat.migrate_value); typed by str, as
# a ValueKind is one, so that kinds still held as plain strings look up the same
MIGRATED_PLUGIN: dict[str, str] = {ValueKind.SIMPLE_VALUE: "scalars", ValueKind.HISTO: "histograms",
                                   ValueKind.IMAGE: "images", ValueKind.AUDIO: "audio"}
# ... and the plugin content it gives v1 images and audio (docs/formats.md, section 4): ImagePluginData with
# converted_to_tensor (field 2) set; AudioPluginData with encoding WAV (field 2 = 11) and converted_to_tensor (3)
MIGRATED_CONTENT = {ValueKind.IMAGE: b"\x10\x01", ValueKind.AUDIO: b"\x10\x0b\x18\x01"}
_MEDIA = (ValueKind.IMAGE, ValueKind.AUDIO)


@dataclass
class ValueSlot:
    """One ``Summary.Value`` of an event: its tag, plugin metadata, kind and where its data is."""
    tag: str
    plugin: str | None  # SummaryMetadata.plugin_data.plugin_name, None when the value has no metadata
    kind: ValueKind
    scalar: Field | None = None  # set when the value is one number
    span: tuple[int, int] = (0, 0)  # bytes of the HistogramProto / TensorProto
    tensor: TensorInfo | None = None
    content: tuple[int, int] | None = None  # bytes of SummaryMetadata.plugin_data.content, when present

    def number(self, data: bytes) -> float:
        assert self.scalar is not None
        return float(read_field(data, self.scalar))


@dataclass
class TensorInfo:
    """The parts of a ``TensorProto`` a reader needs, as positions in the record."""
    dtype: int = 0
    shape: tuple[int, ...] = ()
    content: tuple[int, int] | None = None
    typed: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # field -> [(pos, end, wire type)]


@dataclass
class Layout:
    """Where the numbers of one serialized Event sit, so that same-shaped events decode in bulk."""
    length: int
    wall: Field | None = None  # None: field absent, wall time 0.0
    step_field: Field | None = None  # None: field absent, step 0
    values: list[ValueSlot] = field(default_factory=list)
    session_start: bool = False  # a SessionLog START: TensorBoard purges the run's later steps read so far
    file_version_2: bool = False  # a file_version of 2 or more, from which on TensorBoard heeds START events

    def wall_time(self, data: bytes) -> float:
        return float(read_field(data, self.wall)) if self.wall else 0.0

    def step(self, data: bytes) -> int:
        return int(read_field(data, self.step_field)) if self.step_field else 0

    def variable_fields(self) -> list[Field]:
        """Fields whose bytes may differ between events of this layout; all other bytes must match."""
        fields = [f for f in (self.wall, self.step_field) if f]
        return fields + [v.scalar for v in self.values if v.scalar]


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the varint at ``pos``: ``varint(b"\\xac\\x02", 0) == (300, 2)``.

    Bits past the 64th (a 10th byte above 1) are dropped, as protobuf (and the C scan) drop them.
    """
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & _U64_MASK, pos
        shift += 7
        if shift > 63:
            raise DecodeError("varint longer than 10 bytes")


_U64_MASK = (1 << 64) - 1


def fields(data: bytes, start: int, end: int):
    """Yield ``(key, pos, stop)`` for each field in ``data[start:end]``.

    ``key`` is the int of a :class:`~tbwriter.format.wire.Key`.
    For varints ``pos:stop`` spans the varint, for fixed and length-delimited fields the payload.
    """
    pos = start
    while pos < end:
        key, pos = varint(data, pos)
        wire = key & 7
        if wire == VARINT:
            _, stop = varint(data, pos)
        elif wire == FIXED64:
            stop = pos + 8
        elif wire == FIXED32:
            stop = pos + 4
        elif wire == LENGTH:
            size, pos = varint(data, pos)
            stop = pos + size
        elif wire == START_GROUP:  # an old-style group, in an unknown field: skipped to its end as protobuf does
            stop = _group_end(data, pos, end, key >> 3)
        else:
            raise DecodeError(f"wire type {wire} out of place")
        if stop > end:
            raise DecodeError("field runs past its message")
        yield key, pos, stop
        pos = stop


def _group_end(data: bytes, pos: int, end: int, number: int) -> int:
    """Where the group of field ``number`` that starts at ``pos`` ends (after its END_GROUP key)."""
    while pos < end:
        key, after = varint(data, pos)
        if key == number << 3 | END_GROUP:
            return after
        _, _, pos = next(fields(data, pos, end))  # skip the field at pos (a stray END_GROUP raises)
    raise DecodeError("group runs past its message")


_protobuf_event = None


def _protobuf_accepts(data: bytes) -> bool:
    """Whether protobuf parses ``data`` as an Event: the judge of what is an Event."""
    global _protobuf_event
    if _protobuf_event is None:
        from tbwriter._proto import event_pb2  # protobuf: a required dependency, loaded when first reading

        _protobuf_event = event_pb2.Event.FromString
    try:
        _protobuf_event(data)
    except Exception:  # google.protobuf.message.DecodeError, or RecursionError on deep nesting
        return False
    return True


def parse_event(data: bytes) -> Layout:
    """The :class:`Layout` of one serialized Event; :class:`DecodeError` if protobuf would not parse it."""
    try:
        layout = _parse_event(data)
    except (IndexError, UnicodeDecodeError) as e:
        raise DecodeError(f"malformed event ({e})") from None
    if not _protobuf_accepts(data):
        raise DecodeError("malformed event (protobuf does not parse it)")
    return layout


def _parse_event(data: bytes) -> Layout:
    layout = Layout(len(data))
    for key, pos, stop in fields(data, 0, len(data)):
        if key == Event.WALL_TIME:
            layout.wall = Field(pos, 8, WALL_TIME_AT)
        elif key == Event.STEP:
            layout.step_field = Field(pos, stop - pos, STEP_AT, varint=True)
        elif key == Event.SUMMARY:
            for k, vpos, vstop in fields(data, pos, stop):
                if k == Summary.VALUE:
                    slot = _parse_value(data, vpos, vstop)
                    if slot.tag:
                        layout.values.append(slot)
        elif key == Event.FILE_VERSION:
            layout.file_version_2 = _file_version(data[pos:stop].decode()) >= 2
        elif key == Event.SESSION_LOG:
            status = [varint(data, p)[0] for k, p, _ in fields(data, pos, stop) if k == SessionLog.STATUS]
            layout.session_start = bool(status) and status[-1] == SessionStatus.START
    return layout


def _file_version(text: str) -> float:
    """The number in ``"brain.Event:2"``, read as TensorBoard reads it (-1 when it is none)."""
    try:
        return float(text.split("brain.Event:")[-1])
    except ValueError:
        return -1.0


def _parse_value(data: bytes, start: int, end: int) -> ValueSlot:
    tag = node_name = ""
    plugin = None
    slot = ValueSlot("", None, ValueKind.NONE)
    for key, pos, stop in fields(data, start, end):
        if key == Value.TAG:
            tag = data[pos:stop].decode()
        elif key == Value.NODE_NAME:
            node_name = data[pos:stop].decode()
        elif key == Value.METADATA:
            plugin, slot.content = _plugin_data(data, pos, stop)
        elif key == Value.SIMPLE_VALUE:
            slot.kind, slot.scalar = ValueKind.SIMPLE_VALUE, Field(pos, 4, DataType.DT_FLOAT)
        elif (kind := ValueKind.of_key(key)) is not None:  # the oneof's other kinds
            slot.kind = kind
            slot.span = (pos, stop)
            slot.scalar = slot.tensor = None
            if key == Value.TENSOR:
                slot.tensor = _parse_tensor(data, pos, stop)
                slot.scalar = _tensor_scalar(data, slot.tensor)
    slot.tag = tag or node_name  # TensorBoard falls back to node_name for old summaries
    slot.plugin = plugin
    return slot


def _plugin_data(data: bytes, start: int, end: int) -> tuple[str, tuple[int, int] | None]:
    """The plugin name of a ``SummaryMetadata`` and where its content is."""
    name, content = "", None
    for key, pos, stop in fields(data, start, end):
        if key == Metadata.PLUGIN_DATA:
            for k, p, s in fields(data, pos, stop):
                if k == Metadata.PLUGIN_NAME:
                    name = data[p:s].decode()
                elif k == Metadata.PLUGIN_CONTENT:
                    content = (p, s)
    return name, content


def _parse_tensor(data: bytes, start: int, end: int) -> TensorInfo:
    info = TensorInfo()
    for key, pos, stop in fields(data, start, end):
        if key == Tensor.DTYPE:
            info.dtype = varint(data, pos)[0]
        elif key == Tensor.SHAPE:
            dims = []
            for k, p, s in fields(data, pos, stop):
                if k == Tensor.DIM:
                    size = [varint(data, q)[0] for kk, q, _ in fields(data, p, s) if kk == Tensor.DIM_SIZE]
                    dims.append(size[-1] if size else 0)
            info.shape = tuple(dims)
        elif key == Tensor.CONTENT:
            info.content = (pos, stop)
        elif key >> 3 in FIXED_TYPED_FIELDS or key >> 3 in TYPED_FIELD.values() or key == Tensor.STRING_VAL:
            info.typed.setdefault(key >> 3, []).append((pos, stop, key & 7))
    return info


def _numeric(dtype: int) -> DataType | None:
    return DataType(dtype) if dtype in STORAGE else None


def _tensor_scalar(data: bytes, t: TensorInfo) -> Field | None:
    """Where the single number of a one-element numeric tensor is, or None."""
    dtype = _numeric(t.dtype)
    if dtype is None or any(d != 1 for d in t.shape):
        return None
    if t.content is not None:
        pos, stop = t.content
        return Field(pos, stop - pos, dtype) if stop - pos == np.dtype(STORAGE[dtype]).itemsize else None
    number = TYPED_FIELD[dtype]
    entries = t.typed.get(number)
    if not entries or len(entries) != 1:
        return None
    pos, stop, wire = entries[0]
    if number in FIXED_TYPED_FIELDS:
        size = FIXED_TYPED_FIELDS[number]
        return Field(pos, size, dtype) if stop - pos == size else None
    if wire == LENGTH and (pos == stop or varint(data, pos)[1] != stop):  # packed: exactly one varint
        return None
    return Field(pos, stop - pos, dtype, varint=True)


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


def read_field(data: bytes, f: Field) -> float | int:
    """The number in ``f`` as a Python float (or int for integer types)."""
    if f.varint:
        raw = np.array([varint(data, f.pos)[0]], np.uint64)
        return from_varints(raw, f.dtype)[0].item()
    return from_fixed(np.frombuffer(data, STORAGE[f.dtype], 1, f.pos), f.dtype)[0].item()


def tensor_array(data: bytes, t: TensorInfo) -> np.ndarray:
    """The values of a numeric tensor as a float64 array of its shape (used for v2 histograms).

    Bounded by the bytes it reads: a shape that the stored values cannot fill is a
    :class:`DecodeError`, never an allocation of its size.
    """
    dtype = _numeric(t.dtype)
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
    mode = mode.of(v.plugin)
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
                if len(v.tensor.shape) == 2 and v.tensor.shape[1] == 3:
                    return tensor_array(data, v.tensor)
                if v.plugin == "histograms":
                    raise DecodeError(f"shape {list(v.tensor.shape)} is not [k, 3]")
        except (DecodeError, struct.error) as e:
            raise BadValue(f"histogram {v.tag!r}: {e}") from None
    return None
