"""Protobuf wire decoding of events, written by hand: the mirror of :mod:`tbwriter.encode`.

Parsing one event gives its :class:`Layout`: where its wall time, step and each value's
number sit in the record's bytes.  Records that share a layout (same length, same tag,
same metadata — the common case) are then decoded in bulk by :mod:`tbwriter.bulk`; this
module decodes the odd ones one at a time:

    layout = parse_event(data)
    layout.wall_time(data), layout.step(data), [(v.tag, v.number(data)) for v in layout.values]
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class DecodeError(ValueError):
    """The bytes are not a well-formed Event."""


class Field(NamedTuple):
    """A number stored at ``data[pos:pos+width]`` in format ``fmt``.

    ``fmt`` is a numpy dtype string for fixed-width fields (``"<f4"``) or ``"varint:<dtype>"``
    for base-128 varints, converted to that dtype (``"varint:<i4"`` sign-truncates as protobuf does).
    """
    pos: int
    width: int
    fmt: str


# v1 Summary.Value oneofs whose plugin TensorBoard assigns on read (data_compat.migrate_value)
MIGRATED_PLUGIN = {"simple_value": "scalars", "histo": "histograms", "image": "images", "audio": "audio"}
# ... and the plugin content it gives v1 images and audio: ImagePluginData / AudioPluginData with
# converted_to_tensor (field 3 / 2) set, audio encoding WAV (field 2 = 11)
MIGRATED_CONTENT = {"image": b"\x10\x01", "audio": b"\x10\x0b\x18\x01"}


@dataclass
class ValueSlot:
    """One ``Summary.Value`` of an event: its tag, plugin metadata, kind and where its data is."""
    tag: str
    plugin: str | None  # SummaryMetadata.plugin_data.plugin_name, None when the value has no metadata
    kind: str  # "simple_value", "histo", "image", "audio", "tensor" or "none"
    scalar: Field | None = None  # set when the value is one number
    span: tuple[int, int] = (0, 0)  # bytes of the HistogramProto / TensorProto
    tensor: TensorInfo | None = None
    content: tuple[int, int] | None = None  # bytes of SummaryMetadata.plugin_data.content, when present

    def number(self, data: bytes) -> float:
        return read_field(data, self.scalar)


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

    def wall_time(self, data: bytes) -> float:
        return read_field(data, self.wall) if self.wall else 0.0

    def step(self, data: bytes) -> int:
        return int(read_field(data, self.step_field)) if self.step_field else 0

    def variable_fields(self) -> list[Field]:
        """Fields whose bytes may differ between events of this layout; all other bytes must match."""
        fields = [f for f in (self.wall, self.step_field) if f]
        return fields + [v.scalar for v in self.values if v.scalar]


# DataType -> numpy dtype of tensor_content, and the typed repeated field holding values otherwise
DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 9: "<i8", 10: "?", 14: "bf16",
          17: "<u2", 19: "<f2", 22: "<u4", 23: "<u8"}
TYPED_FIELD = {1: 5, 2: 6, 3: 7, 4: 7, 5: 7, 6: 7, 9: 10, 10: 11, 14: 13, 17: 7, 19: 13, 22: 16, 23: 17}
_FIXED_WIRE = {5: (5, 4), 6: (1, 8)}  # float_val: fixed32, double_val: fixed64 (unpacked wire types)


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """Decode the varint at ``pos``: ``varint(b"\\xac\\x02", 0) == (300, 2)``."""
    result = shift = 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise DecodeError("varint longer than 10 bytes")


def fields(data: bytes, start: int, end: int):
    """Yield ``(field_number, wire_type, pos, stop)`` for each field in ``data[start:end]``.

    For varints ``pos:stop`` spans the varint, for fixed and length-delimited fields the payload.
    """
    pos = start
    while pos < end:
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, stop = varint(data, pos)
        elif wire == 1:
            stop = pos + 8
        elif wire == 5:
            stop = pos + 4
        elif wire == 2:
            size, pos = varint(data, pos)
            stop = pos + size
        else:
            raise DecodeError(f"unsupported wire type {wire}")
        if stop > end:
            raise DecodeError("field runs past its message")
        yield number, wire, pos, stop
        pos = stop


def parse_event(data: bytes) -> Layout:
    """The :class:`Layout` of one serialized Event; :class:`DecodeError` if it is malformed."""
    try:
        return _parse_event(data)
    except (IndexError, UnicodeDecodeError) as e:
        raise DecodeError(f"malformed event ({e})") from None


def _parse_event(data: bytes) -> Layout:
    layout = Layout(len(data))
    for number, wire, pos, stop in fields(data, 0, len(data)):
        if number == 1 and wire == 1:
            layout.wall = Field(pos, 8, "<f8")
        elif number == 2 and wire == 0:
            layout.step_field = Field(pos, stop - pos, "varint:<i8")
        elif number == 5 and wire == 2:
            for n, w, vpos, vstop in fields(data, pos, stop):
                if n == 1 and w == 2:
                    slot = _parse_value(data, vpos, vstop)
                    if slot.tag:
                        layout.values.append(slot)
    return layout


def _parse_value(data: bytes, start: int, end: int) -> ValueSlot:
    tag = node_name = ""
    plugin = None
    slot = ValueSlot("", None, "none")
    for number, wire, pos, stop in fields(data, start, end):
        if number == 1 and wire == 2:
            tag = data[pos:stop].decode()
        elif number == 7 and wire == 2:
            node_name = data[pos:stop].decode()
        elif number == 9 and wire == 2:
            plugin, slot.content = _plugin_data(data, pos, stop)
        elif number == 2 and wire == 5:
            slot.kind, slot.scalar = "simple_value", Field(pos, 4, "<f4")
        elif number in (4, 5, 6, 8) and wire == 2:
            slot.kind = {4: "image", 5: "histo", 6: "audio", 8: "tensor"}[number]
            slot.span = (pos, stop)
            if number == 8:
                slot.tensor = _parse_tensor(data, pos, stop)
                slot.scalar = _tensor_scalar(data, slot.tensor)
    slot.tag = tag or node_name  # TensorBoard falls back to node_name for old summaries
    slot.plugin = plugin
    return slot


def _plugin_data(data: bytes, start: int, end: int) -> tuple[str, tuple[int, int] | None]:
    """The plugin name of a ``SummaryMetadata`` and where its content is."""
    name, content = "", None
    for number, wire, pos, stop in fields(data, start, end):
        if number == 1 and wire == 2:  # plugin_data
            for n, w, p, s in fields(data, pos, stop):
                if n == 1 and w == 2:
                    name = data[p:s].decode()
                elif n == 2 and w == 2:
                    content = (p, s)
    return name, content


def _parse_tensor(data: bytes, start: int, end: int) -> TensorInfo:
    info = TensorInfo()
    for number, wire, pos, stop in fields(data, start, end):
        if number == 1 and wire == 0:
            info.dtype = varint(data, pos)[0]
        elif number == 2 and wire == 2:
            dims = []
            for n, w, p, s in fields(data, pos, stop):
                if n == 2 and w == 2:
                    size = [varint(data, q)[0] for m, ww, q, _ in fields(data, p, s) if m == 1 and ww == 0]
                    dims.append(size[0] if size else 0)
            info.shape = tuple(dims)
        elif number == 4 and wire == 2:
            info.content = (pos, stop)
        elif number in (5, 6, 7, 8, 10, 11, 13, 16, 17):  # typed values; 8: string_val
            info.typed.setdefault(number, []).append((pos, stop, wire))
    return info


def _tensor_scalar(data: bytes, t: TensorInfo) -> Field | None:
    """Where the single number of a one-element numeric tensor is, or None."""
    fmt = DTYPES.get(t.dtype)
    if fmt is None or any(d != 1 for d in t.shape):
        return None
    if t.content is not None:
        pos, stop = t.content
        return Field(pos, stop - pos, fmt) if stop - pos == _itemsize(fmt) else None
    entries = t.typed.get(TYPED_FIELD[t.dtype])
    if not entries or len(entries) != 1:
        return None
    pos, stop, wire = entries[0]
    number = TYPED_FIELD[t.dtype]
    if number in _FIXED_WIRE:
        size = _FIXED_WIRE[number][1]
        return Field(pos, size, fmt) if stop - pos == size else None
    if wire == 2 and (pos == stop or varint(data, pos)[1] != stop):  # packed: exactly one varint
        return None
    return Field(pos, stop - pos, f"varint:{fmt}")


def _itemsize(fmt: str) -> int:
    return 2 if fmt == "bf16" else np.dtype(fmt).itemsize


_STRUCT = {"<f4": "<f", "<f8": "<d", "<f2": "<e", "<i4": "<i", "u1": "<B", "<i2": "<h", "i1": "<b", "<i8": "<q",
           "?": "<?", "<u2": "<H", "<u4": "<I", "<u8": "<Q"}


def read_field(data: bytes, f: Field) -> float:
    """The number in ``f`` as a Python float (or int for steps)."""
    if not f.fmt.startswith("varint:"):
        if f.fmt == "bf16":
            return struct.unpack("<f", b"\0\0" + data[f.pos:f.pos + 2])[0]
        return struct.unpack_from(_STRUCT[f.fmt], data, f.pos)[0]
    raw, _ = varint(data, f.pos)
    return convert_varint(raw, f.fmt[7:])


def convert_varint(raw: int, fmt: str):
    """A raw unsigned varint as protobuf reads it into a field of numpy dtype ``fmt``."""
    if fmt in ("<f2", "bf16"):
        bits = struct.pack("<H", raw & 0xFFFF)
        return struct.unpack("<e", bits)[0] if fmt == "<f2" else struct.unpack("<f", b"\0\0" + bits)[0]
    if fmt == "?":
        return float(raw != 0)
    bits = 64 if fmt in ("<i8", "<u8") else 32
    raw &= (1 << bits) - 1
    if fmt.startswith(("<i", "i")) and raw >= 1 << (bits - 1):
        raw -= 1 << bits
    return raw


def tensor_array(data: bytes, t: TensorInfo) -> np.ndarray:
    """The values of a numeric tensor as a float64 array of its shape (used for v2 histograms)."""
    fmt = DTYPES.get(t.dtype)
    if fmt is None:
        raise DecodeError(f"tensor of non-numeric dtype {t.dtype}")
    count = int(np.prod(t.shape)) if t.shape else 1
    if t.content is not None:
        raw = data[t.content[0]:t.content[1]]
        flat = (np.frombuffer(raw, "<u2").astype("<u4") << 16).view("<f4") if fmt == "bf16" else np.frombuffer(raw, fmt)
    else:
        number = TYPED_FIELD[t.dtype]
        items: list[float] = []
        for pos, stop, wire in t.typed.get(number, []):
            if number in _FIXED_WIRE:
                items.extend(np.frombuffer(data[pos:stop], fmt).tolist())
            elif wire == 2:
                p = pos
                while p < stop:
                    raw_v, p = varint(data, p)
                    items.append(convert_varint(raw_v, fmt))
            else:
                items.append(convert_varint(varint(data, pos)[0], fmt))
        flat = np.asarray(items, dtype=np.float64)
        if len(flat) == 1 and count > 1:  # TensorFlow's fill convention: one value for all elements
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
    for number, wire, pos, stop in fields(data, start, end):
        if number == 1 and wire == 1:
            lo = struct.unpack_from("<d", data, pos)[0]
        elif number == 2 and wire == 1:
            hi = struct.unpack_from("<d", data, pos)[0]
        elif number in (6, 7):
            target = limits if number == 6 else counts
            target.extend(struct.unpack_from(f"<{(stop - pos) // 8}d", data, pos) if wire in (1, 2) else ())
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    if not nonzero:
        return np.zeros((0, 3))
    first, last = nonzero[0], nonzero[-1]
    inner = limits[first:last]
    return np.array([[lo, *inner], [*inner, hi], counts[first:last + 1]], dtype=np.float64).T.copy()


DT_STRING = 7


def value_tensor(data: bytes, v: ValueSlot) -> np.ndarray:
    """A value's data as TensorBoard's loaders see it: numeric tensors as float64 arrays of their
    shape, string tensors as object arrays of bytes; v1 images and audio migrated to the string
    tensors of their plugins (``[b"<width>", b"<height>", encoded]`` and ``[encoded]``).

    ``value_tensor(data, parse_event(data).values[0])``; :class:`DecodeError` if it holds no tensor.
    """
    if v.kind == "tensor" and v.tensor is not None:
        t = v.tensor
        if t.dtype != DT_STRING:
            return tensor_array(data, t)
        items = [data[pos:stop] for pos, stop, wire in t.typed.get(8, []) if wire == 2]
        count = int(np.prod(t.shape)) if t.shape else 1
        if len(items) != count:
            raise DecodeError(f"string tensor holds {len(items)} values for shape {list(t.shape)}")
        out = np.empty(count, dtype=object)
        out[:] = items
        return out.reshape(t.shape)
    if v.kind in ("image", "audio"):
        numbers, encoded = {}, b""
        for number, wire, pos, stop in fields(data, *v.span):
            if wire == 0:
                numbers[number] = varint(data, pos)[0]
            elif number == 4 and wire == 2:
                encoded = data[pos:stop]
        items = [str(numbers.get(2, 0)).encode(), str(numbers.get(1, 0)).encode(), encoded] if v.kind == "image" \
            else [encoded]
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out
    raise DecodeError(f"value of kind {v.kind} holds no tensor")
