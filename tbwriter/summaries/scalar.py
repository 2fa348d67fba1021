"""Scalars as v2 tensors (``new_style``): plugin ``scalars``, a rank-0 tensor.

The v1 ``simple_value`` form, which is the hot path, lives in :mod:`tbwriter.encode`.

    value_bytes = tensor_value("loss", 0.25)                      # DT_FLOAT, both loaders show it
    value_bytes = tensor_value("loss", 0.25, double_precision=True)   # DT_DOUBLE
"""
from __future__ import annotations

import struct

from tbwriter.encode import float32
from tbwriter.summaries.metadata import metadata, summary_value, tensor_proto
from tbwriter.wire import DataClass, DataType

_SCALARS_METADATA = metadata("scalars", data_class=DataClass.SCALAR)


def tensor_value(tag: str, value: float, double_precision: bool = False) -> bytes:
    """A ``Summary.Value`` holding ``value`` as a rank-0 DT_FLOAT (or DT_DOUBLE) tensor."""
    if double_precision:
        tensor = tensor_proto(DataType.DT_DOUBLE, (), struct.pack("<d", value))
    else:
        tensor = tensor_proto(DataType.DT_FLOAT, (), float32(value))
    return summary_value(tag, _SCALARS_METADATA, tensor=tensor)
