"""Text: plugin ``text``, a rank-0 DT_STRING tensor that TensorBoard renders as markdown.

    value_bytes = text_value("notes", "**lr** = 0.1")
"""
from __future__ import annotations

from tbwriter.errors import ArgumentTypeError
from tbwriter.format.wire import DataClass, DataType
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tbwriter.writing.values import check_utf8

_TEXT_METADATA = metadata("text", data_class=DataClass.TENSOR)


def text_value(tag: str, text: object) -> bytes:
    """A ``Summary.Value`` holding ``text`` (UTF-8) under exactly ``tag``; ArgumentTypeError unless it is a str."""
    if not isinstance(text, str):
        raise ArgumentTypeError("text_string", f"must be a str, got {type(text).__name__}")
    check_utf8(text, "text_string")
    tensor = tensor_proto(DataType.DT_STRING, (), string_val=[text.encode("utf-8")])
    return summary_value(tag, _TEXT_METADATA, tensor=tensor)
