"""The wire vocabulary both directions share: field keys, DataType codes, value kinds, the CRC mask.

Every number a writer puts on the wire and a reader looks for is named here once
(docs/formats.md explains each).  A field is a :class:`Key`, an ``int`` equal to the key
protobuf writes before the field (``number << 3 | wire type``), so the encoder prepends
its bytes and the decoder compares with it:

    >>> Event.STEP.tag, Event.STEP == (2 << 3 | VARINT), Event.STEP.number
    (b'\\x10', True, 2)
    >>> hex(mask_crc(0))
    '0xa282ead8'

Kept free of numpy and protobuf: ``import tbwriter`` loads it.
"""
from __future__ import annotations

from enum import Enum, IntEnum

VARINT, FIXED64, LENGTH, START_GROUP, END_GROUP, FIXED32 = 0, 1, 2, 3, 4, 5  # protobuf wire types


class Key(int):
    """A field's key: its number and wire type, as the int protobuf writes before the field."""

    def __new__(cls, number: int, wire_type: int) -> Key:
        return super().__new__(cls, number << 3 | wire_type)

    @property
    def number(self) -> int:
        return self >> 3

    @property
    def tag(self) -> bytes:
        """The key's bytes on the wire (one byte: every field here is numbered below 16)."""
        return bytes((self,))


class Event:
    """``tensorboard.Event`` (event.proto)."""
    WALL_TIME = Key(1, FIXED64)
    STEP = Key(2, VARINT)
    FILE_VERSION = Key(3, LENGTH)
    SUMMARY = Key(5, LENGTH)
    SESSION_LOG = Key(7, LENGTH)


FILE_VERSION = b"brain.Event:2"  # Event.file_version of the first record of every file


class SessionLog:
    """``tensorboard.SessionLog``: ``status`` is a :class:`SessionStatus`."""
    STATUS = Key(1, VARINT)


class SessionStatus(IntEnum):
    STATUS_UNSPECIFIED = 0
    START = 1  # a (re)started run: TensorBoard drops the run's earlier events at steps >= this event's
    STOP = 2
    CHECKPOINT = 3


class Summary:
    """``tensorboard.Summary``."""
    VALUE = Key(1, LENGTH)


class Value:
    """``tensorboard.Summary.Value``: a tag, its metadata and one of the value kinds."""
    TAG = Key(1, LENGTH)
    SIMPLE_VALUE = Key(2, FIXED32)
    IMAGE = Key(4, LENGTH)
    HISTO = Key(5, LENGTH)
    AUDIO = Key(6, LENGTH)
    NODE_NAME = Key(7, LENGTH)
    TENSOR = Key(8, LENGTH)
    METADATA = Key(9, LENGTH)


class ValueKind(str, Enum):
    """Which of ``Summary.Value``'s kinds a value holds, named as protobuf names its field (``NONE``: none of
    them, as an hparams summary); a ``str``, so that it compares and hashes as its name. ``key`` is the field's
    :class:`Key` on the wire, the byte after a value's tag (the C scan and the skim compare that):

        >>> ValueKind.of_key(Value.HISTO), ValueKind.HISTO == "histo", ValueKind.TENSOR.key == Value.TENSOR
        (<ValueKind.HISTO: 'histo'>, True, True)
    """
    SIMPLE_VALUE = "simple_value"
    IMAGE = "image"
    HISTO = "histo"
    AUDIO = "audio"
    TENSOR = "tensor"
    NONE = "none"

    def __str__(self) -> str:  # the name it stands for (as StrEnum, which Python 3.10 lacks): messages read as before
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def key(self) -> Key | None:
        return _KIND_KEYS.get(self)

    @staticmethod
    def of_key(key: int) -> ValueKind | None:
        """The kind whose field has key ``key``, or None when ``key`` is no value kind's."""
        return _KINDS_BY_KEY.get(key)


_KIND_KEYS = {ValueKind.SIMPLE_VALUE: Value.SIMPLE_VALUE, ValueKind.IMAGE: Value.IMAGE, ValueKind.HISTO: Value.HISTO,
              ValueKind.AUDIO: Value.AUDIO, ValueKind.TENSOR: Value.TENSOR}
_KINDS_BY_KEY = {int(key): kind for kind, key in _KIND_KEYS.items()}


class Metadata:
    """``tensorboard.SummaryMetadata`` and its ``PluginData``."""
    PLUGIN_DATA = Key(1, LENGTH)
    DISPLAY_NAME = Key(2, LENGTH)
    DESCRIPTION = Key(3, LENGTH)
    DATA_CLASS = Key(4, VARINT)
    PLUGIN_NAME = Key(1, LENGTH)  # PluginData.plugin_name
    PLUGIN_CONTENT = Key(2, LENGTH)  # PluginData.content


class Media:
    """``Summary.Image``: height and width (varints) and the encoded image; ``Summary.Audio`` keeps its
    encoded clip at the same field 4."""
    HEIGHT = 1
    WIDTH = 2
    ENCODED = Key(4, LENGTH)


class DataClass(IntEnum):
    """``SummaryMetadata.DataClass``."""
    UNKNOWN = 0
    SCALAR = 1
    TENSOR = 2
    BLOB_SEQUENCE = 3


class Histogram:
    """``tensorboard.HistogramProto``: bucket ``i`` counts values up to ``bucket_limit[i]``."""
    MIN = Key(1, FIXED64)
    MAX = Key(2, FIXED64)
    BUCKET_LIMIT = 6  # repeated double, packed or not
    BUCKET = 7


class Tensor:
    """``tensorboard.TensorProto`` and ``TensorShapeProto``."""
    DTYPE = Key(1, VARINT)
    SHAPE = Key(2, LENGTH)
    CONTENT = Key(4, LENGTH)
    STRING_VAL = Key(8, LENGTH)
    DIM = Key(2, LENGTH)  # TensorShapeProto.dim
    DIM_SIZE = Key(1, VARINT)  # TensorShapeProto.Dim.size


class DataType(IntEnum):
    """``tensorboard.DataType`` codes of the tensors we write or read."""
    DT_FLOAT = 1
    DT_DOUBLE = 2
    DT_INT32 = 3
    DT_UINT8 = 4
    DT_INT16 = 5
    DT_INT8 = 6
    DT_STRING = 7
    DT_INT64 = 9
    DT_BOOL = 10
    DT_BFLOAT16 = 14
    DT_UINT16 = 17
    DT_HALF = 19
    DT_UINT32 = 22
    DT_UINT64 = 23


# DataType -> number of the TensorProto repeated field holding its values when there is no
# tensor_content (packed or not); the small integer types share int_val, the 16-bit floats half_val
TYPED_FIELD = {DataType.DT_FLOAT: 5, DataType.DT_DOUBLE: 6, DataType.DT_INT32: 7, DataType.DT_UINT8: 7,
               DataType.DT_INT16: 7, DataType.DT_INT8: 7, DataType.DT_INT64: 10, DataType.DT_BOOL: 11,
               DataType.DT_BFLOAT16: 13, DataType.DT_UINT16: 7, DataType.DT_HALF: 13, DataType.DT_UINT32: 16,
               DataType.DT_UINT64: 17}
FIXED_TYPED_FIELDS = {5: 4, 6: 8}  # float_val and double_val are fixed32 / fixed64 (bytes each); the rest varints

CRC32C_REFLECTED = 0x82F63B78  # the CRC-32C (Castagnoli) polynomial, bit-reversed
_MASK_DELTA = 0xA282EAD8


def mask_crc(crc):
    """A CRC-32C as TFRecord stores it: rotated right by 15 bits, plus a constant.

    ``crc`` is an int or a numpy uint32 array (the same expression serves both).
    """
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF
