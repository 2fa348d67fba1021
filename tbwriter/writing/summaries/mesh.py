"""3-D meshes: plugin ``mesh``, one ``(batch, points, 3)`` DT_FLOAT tensor per part (vertices, faces, colours).

    values = mesh_values("cube", vertices, colors, faces, {"camera": {"fov": 75}})   # bytes

Each part is written under ``<tag>_VERTEX``, ``<tag>_FACE`` and ``<tag>_COLOR`` with a
``MeshPluginData`` naming the mesh, as torch's writer and TensorBoard's own summaries do.
"""
from __future__ import annotations

import json

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataType
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

_PARTS = (("vertices", 1, "VERTEX"), ("faces", 2, "FACE"), ("colors", 3, "COLOR"))  # MeshPluginData.ContentType


def _part(value: object, name: str) -> np.ndarray:
    array = array_argument(value, name)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype.kind not in "biuf":
        raise ArgumentError(name, "must be numbers shaped (batch, points, 3), "
                                  f"got {array.dtype} of shape {array.shape}")
    return array.astype("<f4")


def mesh_values(tag: str, vertices: object, colors: object, faces: object, config_dict: object) -> bytes:
    """The ``Summary.Value`` entries of a mesh: one per part given (``vertices`` is required)."""
    from tbwriter._proto import plugins_pb2

    if vertices is None:
        raise ArgumentTypeError("vertices", "are required")
    given = {"vertices": vertices, "faces": faces, "colors": colors}
    parts = [(kind, label, _part(given[name], name)) for name, kind, label in _PARTS
             if given[name] is not None]
    try:
        config = json.dumps(config_dict, sort_keys=True) if config_dict is not None else "{}"
    except (TypeError, ValueError) as e:
        raise ArgumentTypeError("config_dict", f"must be JSON-serialisable: {e}") from None
    components = sum(1 << kind for kind, _, _ in parts)
    out = b""
    for _, label, array in parts:
        data = plugins_pb2.MeshPluginData(version=0, name=tag, content_type=label, components=components,
                                          shape=array.shape, json_config=config)
        out += summary_value(f"{tag}_{label}", metadata("mesh", data.SerializeToString()),
                             tensor=tensor_proto(DataType.DT_FLOAT, array.shape, array.tobytes()))
    return out
