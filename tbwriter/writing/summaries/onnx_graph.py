"""ONNX models as the ``GraphDef`` TensorBoard's Graphs tab reads, node for node as torch's writer converts them.

    graph_bytes = onnx_graph_def("model.onnx")    # needs the onnx package (the onnx extra)

Inputs and outputs become ``Variable`` nodes with their element type and shape; each ONNX node
becomes a node named by its first output, with its op type, inputs and parameters as text.
"""
from __future__ import annotations

import os

from tbwriter._proto import event_pb2, graph_pb2
from tbwriter.errors import ArgumentError, ArgumentTypeError

_PRODUCER = 22


def onnx_graph_def(prototxt: object) -> bytes:
    """The serialized ``GraphDef`` of the ONNX model in file ``prototxt`` (a path, as torch takes it)."""
    from tbwriter.extras import optional

    with optional("add_onnx_graph"):  # the only call that reads ONNX models
        import onnx  # imported here only: the onnx extra

    if not isinstance(prototxt, (str, os.PathLike)):
        raise ArgumentTypeError("prototxt", f"must be the path of an ONNX model file, got {type(prototxt).__name__}")
    path = os.fspath(prototxt)
    try:
        model = onnx.load(path)
    except Exception as e:  # OSError, protobuf's DecodeError, onnx's own errors: one message naming the file
        raise ArgumentError("prototxt", f"could not read an ONNX model from {path!r}: {type(e).__name__}: {e}",
                            sentence=True) from None
    graph = graph_pb2.GraphDef()
    graph.versions.producer = _PRODUCER
    for value in (*model.graph.input, *model.graph.output):
        node = graph.node.add(name=value.name, op="Variable")
        node.attr["dtype"].type = value.type.tensor_type.elem_type
        node.attr["shape"].shape.dim.extend(
            event_pb2.TensorShapeProto.Dim(size=d.dim_value) for d in value.type.tensor_type.shape.dim)
    for op in model.graph.node:
        parameters = ", ".join(" = ".join(str(field[1]) for field in attribute.ListFields())
                               for attribute in op.attribute)
        node = graph.node.add(name=op.output[0], op=op.op_type, input=op.input)
        node.attr["parameters"].s = parameters.encode("utf-8")
    return graph.SerializeToString()
