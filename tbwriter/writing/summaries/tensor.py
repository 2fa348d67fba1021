"""Raw tensors: plugin ``tensor``, any numeric array as a ``TensorProto`` of its own dtype.

    value_bytes = tensor_value("weights", np.eye(3, dtype=np.float32))
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

_METADATA = metadata("tensor")
# numpy dtype -> TensorFlow DataType, as torch maps torch dtypes (bool is not among them)
_DTYPES = {"float16": 19, "float32": 1, "float64": 2, "int8": 6, "uint8": 4, "int16": 5, "int32": 3,
           "int64": 9, "complex64": 8, "complex128": 18}


def tensor_value(tag: str, tensor: object) -> bytes:
    """A ``Summary.Value`` holding ``tensor`` (numpy or torch; bfloat16 as float32) with its shape."""
    array = array_argument(tensor, "tensor")
    dtype = _DTYPES.get(array.dtype.name)
    if dtype is None:
        raise ArgumentTypeError("tensor", f"dtype {array.dtype} has no TensorBoard type; "
                                          f"use one of {', '.join(_DTYPES)}")
    if array.nbytes >= 1 << 31:
        raise ArgumentError("tensor", f"of {array.nbytes} bytes is beyond protobuf's 2 GB limit")
    content = np.ascontiguousarray(array, array.dtype.newbyteorder("<")).tobytes()
    return summary_value(tag, _METADATA, tensor=tensor_proto(dtype, array.shape, content))
