"""Scalars as v2 tensors (``new_style``): plugin ``scalars``, a rank-0 tensor.

The v1 ``simple_value`` form, which is the hot path, lives in :mod:`tbwriter.format.encode`.

    value_bytes = tensor_value("loss", 0.25)                      # DT_FLOAT, both loaders show it
    value_bytes = tensor_value("loss", 0.25, double_precision=True)   # DT_DOUBLE
    value_bytes = described_value("loss", 0.25, False, False, "Loss", "mean over the batch")  # tensorboardX's
"""
from __future__ import annotations

import struct

from tbwriter.format.encode import float32
from tbwriter.format.wire import DataClass, DataType
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

_SCALARS_METADATA = metadata("scalars", data_class=DataClass.SCALAR)


def tensor_value(tag: str, value: float, double_precision: bool = False) -> bytes:
    """A ``Summary.Value`` holding ``value`` as a rank-0 DT_FLOAT (or DT_DOUBLE) tensor."""
    return summary_value(tag, _SCALARS_METADATA, tensor=_rank0(value, double_precision))


def _rank0(value: float, double_precision: bool) -> bytes:
    if double_precision:
        return tensor_proto(DataType.DT_DOUBLE, (), struct.pack("<d", value))
    return tensor_proto(DataType.DT_FLOAT, (), float32(value))


def described_value(tag: str, value: float, new_style: bool, double_precision: bool, display_name: str,
                    description: str) -> bytes:
    """A scalar ``Summary.Value`` whose metadata carries a display name and a description.

    As tensorboardX writes them: a v1 ``simple_value`` with metadata that names no plugin
    (TensorBoard moves it to the scalars plugin keeping both texts), or with ``new_style`` the
    v2 tensor with the scalars plugin's metadata.
    """
    if not new_style:
        return summary_value(tag, metadata("", display_name=display_name, description=description),
                             simple_value=value)
    meta = metadata("scalars", data_class=DataClass.SCALAR, display_name=display_name, description=description)
    return summary_value(tag, meta, tensor=_rank0(value, double_precision))
