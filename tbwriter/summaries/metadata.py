"""``SummaryMetadata`` and ``Summary.Value`` framing, built in one place for every plugin.

    value_bytes = summary_value("loss", metadata("scalars", data_class=SCALAR), tensor=tensor_bytes)
"""
from __future__ import annotations

from tbwriter.encode import float32, length_delimited, varint

SCALAR, TENSOR, BLOB_SEQUENCE = 1, 2, 3  # SummaryMetadata.DataClass


def metadata(plugin_name: str, content: bytes = b"", data_class: int = 0,
             display_name: str = "", description: str = "") -> bytes:
    """Serialized ``SummaryMetadata``: ``metadata("text", data_class=TENSOR)``."""
    plugin = length_delimited(b"\x0a", plugin_name.encode())
    if content:
        plugin += length_delimited(b"\x12", content)
    out = length_delimited(b"\x0a", plugin) if plugin_name else b""  # no name: no plugin_data (v1 values)
    if display_name:
        out += length_delimited(b"\x12", display_name.encode())
    if description:
        out += length_delimited(b"\x1a", description.encode())
    if data_class:
        out += b"\x20" + varint(data_class)
    return out


def summary_value(tag: str, metadata_bytes: bytes = b"", *, tensor: bytes | None = None,
                  histo: bytes | None = None, image: bytes | None = None, simple_value: float | None = None,
                  audio: bytes | None = None) -> bytes:
    """One serialized ``Summary.Value`` entry (field 1 of Summary), fields in protobuf's order.

        summary_value("weights", metadata("histograms"), histo=histogram_proto_bytes)
    """
    body = length_delimited(b"\x0a", tag.encode("utf-8"))
    if simple_value is not None:
        body += b"\x15" + float32(simple_value)
    if image is not None:
        body += length_delimited(b"\x22", image)
    if histo is not None:
        body += length_delimited(b"\x2a", histo)
    if audio is not None:
        body += length_delimited(b"\x32", audio)
    if tensor is not None:
        body += length_delimited(b"\x42", tensor)
    if metadata_bytes:
        body += length_delimited(b"\x4a", metadata_bytes)
    return length_delimited(b"\x0a", body)


def tensor_proto(dtype: int, shape: tuple[int, ...] = (), content: bytes = b"",
                 string_val: list[bytes] | tuple[bytes, ...] = ()) -> bytes:
    """Serialized ``TensorProto``: ``tensor_proto(1, (), struct.pack("<f", 0.5))`` (DT_FLOAT, rank 0)."""
    dims = b"".join(length_delimited(b"\x12", b"\x08" + varint(n) if n else b"") for n in shape)
    out = b"\x08" + varint(dtype) + length_delimited(b"\x12", dims)
    if content:
        out += length_delimited(b"\x22", content)
    for s in string_val:
        out += length_delimited(b"\x42", s)
    return out


def image_proto(height: int, width: int, colorspace: int, encoded: bytes) -> bytes:
    """Serialized v1 ``Summary.Image`` (a PNG or GIF): ``summary_value(tag, image=image_proto(h, w, 3, png))``."""
    return (b"\x08" + varint(height) + b"\x10" + varint(width) + b"\x18" + varint(colorspace)
            + length_delimited(b"\x22", encoded))
