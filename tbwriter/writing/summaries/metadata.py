"""``SummaryMetadata`` and ``Summary.Value`` framing, built in one place for every plugin.

    value_bytes = summary_value("loss", metadata("scalars", data_class=DataClass.SCALAR), tensor=tensor_bytes)
"""
from __future__ import annotations

from tbwriter.format.encode import float32, length_delimited, varint
from tbwriter.format.wire import Metadata, Summary, Tensor, Value


def metadata(plugin_name: str, content: bytes = b"", data_class: int = 0,
             display_name: str = "", description: str = "") -> bytes:
    """Serialized ``SummaryMetadata``: ``metadata("text", data_class=DataClass.TENSOR)``."""
    plugin = length_delimited(Metadata.PLUGIN_NAME.tag, plugin_name.encode())
    if content:
        plugin += length_delimited(Metadata.PLUGIN_CONTENT.tag, content)
    out = length_delimited(Metadata.PLUGIN_DATA.tag, plugin) if plugin_name else b""  # no name: no plugin_data (v1)
    if display_name:
        out += length_delimited(Metadata.DISPLAY_NAME.tag, display_name.encode())
    if description:
        out += length_delimited(Metadata.DESCRIPTION.tag, description.encode())
    if data_class:
        out += Metadata.DATA_CLASS.tag + varint(data_class)
    return out


def summary_value(tag: str, metadata_bytes: bytes = b"", *, tensor: bytes | None = None,
                  histo: bytes | None = None, image: bytes | None = None, simple_value: float | None = None,
                  audio: bytes | None = None) -> bytes:
    """One serialized ``Summary.Value`` entry (field 1 of Summary), fields in protobuf's order.

        summary_value("weights", metadata("histograms"), histo=histogram_proto_bytes)
    """
    body = length_delimited(Value.TAG.tag, tag.encode("utf-8"))
    if simple_value is not None:
        body += Value.SIMPLE_VALUE.tag + float32(simple_value)
    if image is not None:
        body += length_delimited(Value.IMAGE.tag, image)
    if histo is not None:
        body += length_delimited(Value.HISTO.tag, histo)
    if audio is not None:
        body += length_delimited(Value.AUDIO.tag, audio)
    if tensor is not None:
        body += length_delimited(Value.TENSOR.tag, tensor)
    if metadata_bytes:
        body += length_delimited(Value.METADATA.tag, metadata_bytes)
    return length_delimited(Summary.VALUE.tag, body)


def tensor_proto(dtype: int, shape: tuple[int, ...] = (), content: bytes = b"",
                 string_val: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    """Serialized ``TensorProto``: ``tensor_proto(1, (), struct.pack("<f", 0.5))`` (DT_FLOAT, rank 0)."""
    dims = b"".join(length_delimited(Tensor.DIM.tag, Tensor.DIM_SIZE.tag + varint(n) if n else b"") for n in shape)
    out = Tensor.DTYPE.tag + varint(dtype) + length_delimited(Tensor.SHAPE.tag, dims)
    if content:
        out += length_delimited(Tensor.CONTENT.tag, content)
    for s in string_val:
        out += length_delimited(Tensor.STRING_VAL.tag, s)
    return out


def image_proto(height: int, width: int, colorspace: int, encoded: bytes) -> bytes:
    """Serialized v1 ``Summary.Image`` (a PNG or GIF): ``summary_value(tag, image=image_proto(h, w, 3, png))``."""
    return (b"\x08" + varint(height) + b"\x10" + varint(width) + b"\x18" + varint(colorspace)
            + length_delimited(b"\x22", encoded))
