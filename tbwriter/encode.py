"""Protobuf wire encoding of the hot events, written by hand: no message objects per call.

Produces exactly the bytes ``tbwriter._proto.event_pb2.Event.SerializeToString()`` would
for the same event (a property test holds us to that):

    >>> scalar_event(1700000001.0, 1, "loss", 0.5).hex()
    '0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f'
"""
from __future__ import annotations

import math
import struct

_F32 = struct.Struct("<f").pack
_F64 = struct.Struct("<d").pack
_FLOAT32_MAX = 3.4028234663852886e38
_WALL_TAG = b"\x09"  # Event.wall_time, field 1, fixed64
_STEP_TAG = b"\x10"  # Event.step, field 2, varint
_SUMMARY_TAG = b"\x2a"  # Event.summary, field 5, length-delimited
_VALUE_TAG = b"\x0a"  # Summary.value, field 1, length-delimited
_SIMPLE_VALUE_TAG = b"\x15"  # Summary.Value.simple_value, field 2, fixed32


def varint(n: int) -> bytes:
    """Base-128 varint of a non-negative int, or of a negative int64 as 10 bytes: ``varint(300)``."""
    if n < 0:
        n += 1 << 64
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def length_delimited(field_tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: ``length_delimited(b"\\x0a", b"loss")``."""
    return field_tag + varint(len(payload)) + payload


def float32(value: float) -> bytes:
    """``value`` as a little-endian float32, overflowing to ±inf as a C cast does: ``float32(0.5)``."""
    try:
        return _F32(value)
    except OverflowError:  # finite doubles beyond float32's range
        return _F32(math.copysign(math.inf, value))


def event_head(wall_time: float, step: int) -> bytes:
    """Event fields 1 and 2, each left out at its default as protobuf does: ``event_head(1.0, 3)``."""
    head = _WALL_TAG + _F64(wall_time) if wall_time or math.copysign(1.0, wall_time) < 0 else b""
    if step:
        head += _STEP_TAG + (bytes((step,)) if 0 < step < 0x80 else varint(step))
    return head


def summary_event(wall_time: float, step: int, values: bytes) -> bytes:
    """An Event holding a Summary whose serialized ``Summary.Value`` entries are ``values``."""
    return event_head(wall_time, step) + length_delimited(_SUMMARY_TAG, values)


class ScalarEncoder:
    """Encodes v1 ``simple_value`` scalars, caching the bytes that depend only on the tag.

        enc = ScalarEncoder()
        data = enc.event(time.time(), step, "loss", 0.25)
        data = enc.events_dict(time.time(), step, {"loss": 0.25, "acc": 0.9})
    """

    _MAX_CACHED_TAGS = 65536

    def __init__(self) -> None:
        self._event_middle: dict[str, bytes] = {}
        self._value_prefix: dict[str, bytes] = {}

    def value_prefix(self, tag: str) -> bytes:
        """``Summary.Value`` up to the float: tag field, then the simple_value key."""
        prefix = self._value_prefix.get(tag)
        if prefix is None:
            tag_field = length_delimited(b"\x0a", tag.encode("utf-8"))
            prefix = _VALUE_TAG + varint(len(tag_field) + 5) + tag_field + _SIMPLE_VALUE_TAG
            if len(self._value_prefix) >= self._MAX_CACHED_TAGS:
                self._value_prefix.clear()
            self._value_prefix[tag] = prefix
        return prefix

    def event(self, wall_time: float, step: int, tag: str, value: float) -> bytes:
        """One Event with one scalar value."""
        middle = self._event_middle.get(tag)
        if middle is None:
            value_bytes = self.value_prefix(tag)
            middle = _SUMMARY_TAG + varint(len(value_bytes) + 4) + value_bytes
            if len(self._event_middle) >= self._MAX_CACHED_TAGS:
                self._event_middle.clear()
            self._event_middle[tag] = middle
        if value != value or -_FLOAT32_MAX <= value <= _FLOAT32_MAX:
            packed = _F32(value)
        else:
            packed = float32(value)
        return event_head(wall_time, step) + middle + packed

    def events_dict(self, wall_time: float, step: int, values: dict[str, float]) -> bytes:
        """One Event whose Summary holds one scalar per ``values`` entry, in order."""
        prefix = self.value_prefix
        parts = [prefix(tag) + (_F32(v) if v != v or -_FLOAT32_MAX <= v <= _FLOAT32_MAX else float32(v))
                 for tag, v in values.items()]
        return summary_event(wall_time, step, b"".join(parts))
