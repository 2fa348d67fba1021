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
What a read takes of a value (TensorBoard's on-read rules) is :mod:`tbwriter.format.payloads`'s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

import numpy as np

from tbwriter.errors import DecodeError
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
    ALL = "all"  # each value as what it is (``read_all``): every kind of a logdir in one pass

    def of(self, v: ValueSlot) -> ReadMode:
        """The mode in which value ``v`` is read."""
        if self is ReadMode.HPARAMS:
            return ReadMode.TENSORS if v.plugin == "hparams" else ReadMode.SCALARS
        if self is ReadMode.ALL:
            return _mode_of(v)
        return self

    @property
    def scalars(self) -> bool:
        """Whether values without a plugin (``simple_value``, one-number tensors) are read as scalars."""
        return self in (ReadMode.SCALARS, ReadMode.HPARAMS, ReadMode.ALL)


def _mode_of(v: ValueSlot) -> ReadMode:
    """What value ``v`` is read as when a read takes every kind: its plugin's (or its v1 kind's) mode; a value
    naming no plugin (a tag's later values may leave the metadata out) is read by its shape: one number as a
    scalar, a numeric ``[k, 3]`` tensor as a histogram, anything else as a tensor. The tag's plugin, its first
    value's, then decides which of these it keeps, as a read of that one kind would."""
    if v.plugin == "scalars" or v.kind is ValueKind.SIMPLE_VALUE:
        return ReadMode.SCALARS
    if v.plugin == "histograms" or v.kind is ValueKind.HISTO:
        return ReadMode.HISTOGRAMS
    if v.plugin or v.tensor is None:
        return ReadMode.TENSORS
    if v.scalar is not None:
        return ReadMode.SCALARS
    shape = v.tensor.shape
    if numeric_type(v.tensor.dtype) is not None and len(shape) == 2 and shape[1] == 3:
        return ReadMode.HISTOGRAMS
    return ReadMode.TENSORS


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


def numeric_type(dtype: int) -> DataType | None:
    """The :class:`DataType` of a tensor's ``dtype`` code when it is a number type we read, else None."""
    return DataType(dtype) if dtype in STORAGE else None


def _tensor_scalar(data: bytes, t: TensorInfo) -> Field | None:
    """Where the single number of a one-element numeric tensor is, or None."""
    dtype = numeric_type(t.dtype)
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


def read_field(data: bytes, f: Field) -> float | int:
    """The number in ``f`` as a Python float (or int for integer types)."""
    if f.varint:
        raw = np.array([varint(data, f.pos)[0]], np.uint64)
        return from_varints(raw, f.dtype)[0].item()
    return from_fixed(np.frombuffer(data, STORAGE[f.dtype], 1, f.pos), f.dtype)[0].item()
