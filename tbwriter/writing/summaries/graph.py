"""Model graphs: a torch model traced by ``torch.jit`` as the ``GraphDef`` TensorBoard's Graphs tab reads.

    graph_bytes = torch_graph_def(model, torch.zeros(1, 3, 28, 28), verbose=False, strict=True)
    meta_bytes = RUN_METADATA   # the step stats torch writes beside a graph (tag "step1")

The nodes, their names, ops, inputs and ``_output_shapes`` are the ones torch's own writer
builds from the same trace (its naming: ``<Model>/<Class>[<attribute>]/<jit name>`` for ops,
``input/<name>`` and ``output/output.<i>`` for the model's inputs and outputs), so the Graphs
tab shows the same graph for both writers. torch is imported only here, inside the calls.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tbwriter._proto import event_pb2, graph_pb2
from tbwriter.errors import ArgumentError

_PRODUCER = 22  # GraphDef.versions.producer that torch's writer records
_IO_OP = "IO Node"


def _run_metadata() -> bytes:
    meta = graph_pb2.RunMetadata()
    meta.step_stats.dev_stats.add(device="/device:CPU:0")  # torch records every graph as run on the CPU
    return meta.SerializeToString()


RUN_METADATA = _run_metadata()
RUN_METADATA_TAG = "step1"


@contextlib.contextmanager
def _eval_mode(model: object) -> Iterator[None]:
    """The model in eval mode while it is traced (dropout, batch norm), then as it was."""
    training = getattr(model, "training", None)
    if training is None or not hasattr(model, "train"):
        yield
        return
    model.train(False)
    try:
        yield
    finally:
        model.train(training)


def _trace(model: object, args: object, strict: bool):
    import torch

    try:
        with _eval_mode(model):
            traced = torch.jit.trace(model, args, strict=strict)
    except Exception as e:  # torch raises RuntimeError, TypeError, ValueError... for what it cannot trace
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ArgumentError("model", f"torch.jit.trace could not trace {type(model).__name__} with input_to_model "
                                     f"{_describe(args)}: {first_line}", sentence=True) from e
    graph = traced.graph
    torch._C._jit_pass_inline(graph)
    return traced, graph


def _describe(args: object) -> str:
    if isinstance(args, (list, tuple)):
        return "(" + ", ".join(_describe(a) for a in args) + ")"
    shape = getattr(args, "shape", None)
    return f"{type(args).__name__} of shape {tuple(shape)}" if shape is not None else type(args).__name__


def _module_name(module: object) -> str:
    import torch

    if isinstance(module, torch.jit.TracedModule):
        return module._name
    return getattr(module, "original_name", "Module")


def _sizes(value) -> list[int] | None:
    return value.type().sizes() if value.isCompleteTensor() else None


def _attributes(node) -> str:
    """A node's attributes as torch's writer shows them: a dict's str with quotes blanked out."""
    return str({name: getattr(node, node.kindOf(name))(name) for name in node.attributeNames()}).replace("'", " ")


class _Node:
    """One GraphDef node before its inputs are given their scoped names."""

    __slots__ = ("name", "op", "inputs", "shape", "attributes")

    def __init__(self, name: str, op: str, inputs: list[str], shape: list[int] | None, attributes: str = ""):
        self.name, self.op, self.inputs, self.shape, self.attributes = name, op, inputs, shape, attributes


def _nodes(traced, graph) -> list[_Node]:
    root = _module_name(traced)
    module_names = {alias: f"{_module_name(m)}[{alias.rsplit('.', 1)[-1]}]"
                    for alias, m in traced.named_modules(prefix="__module")}

    def scoped(jit_scope: str) -> str:
        parts = [module_names.get(alias, alias.rsplit(".", 1)[-1]) for alias in jit_scope.split("/")]
        return root + "/" + "/".join(parts) if any(parts) else root

    io: dict[str, _Node] = {}  # by jit name: model inputs, model outputs, then every op output
    for value in graph.inputs():
        if value.uses() and value.type().kind() != "ClassType":  # `self` and unused inputs are left out
            io[value.debugName()] = _Node(value.debugName(), _IO_OP, [], _io_sizes(value))
    ops = []  # (scope, op node)
    attribute_scope: dict[str, str] = {}  # jit name of a GetAttr output -> its module path
    for node in graph.nodes():
        if node.kind() == "prim::GetAttr":
            parent = node.input().node()
            if parent.kind() == "prim::GetAttr":
                parent_scope = attribute_scope[parent.output().debugName()]
                path = f"{parent_scope}/{parent_scope.rsplit('/', 1)[-1]}.{node.s('name')}"
            else:
                path = f"__module.{node.s('name')}"
            attribute_scope[node.output().debugName()] = path
            if node.output().type().kind() != "ClassType":  # modules themselves are scopes, not nodes
                ops.append((scoped(path), node))
        else:
            ops.append((scoped(node.scopeName()), node))
    outputs = {}
    for i, value in enumerate(graph.outputs(), 1):
        outputs[f"output.{i}"] = _Node(f"output.{i}", _IO_OP, [value.debugName()], _io_sizes(value))
    io.update(outputs)
    names = {}  # jit name -> scoped node name
    for scope, node in ops:
        for value in node.inputs():
            names[value.debugName()] = f"{scope}/{value.debugName()}"
    for scope, node in ops:
        inputs, attributes = [v.debugName() for v in node.inputs()], _attributes(node)
        for value in node.outputs():
            io[value.debugName()] = _Node(value.debugName(), node.kind(), inputs, _sizes(value), attributes)
            names[value.debugName()] = f"{scope}/{value.debugName()}"
    for key in io:
        if key in outputs:
            names[key] = f"output/{key}"
        elif io[key].op == _IO_OP:
            names[key] = f"input/{key}"
    for node in io.values():
        node.inputs = [names[i] for i in node.inputs]
        node.name = names.get(node.name, node.name)
    return list(io.values())


def _io_sizes(value) -> list[int]:
    try:
        return value.type().sizes()
    except RuntimeError:  # not a tensor (a constant model's output): torch writes [1]
        return [1]


def torch_graph_def(model: object, input_to_model: object, verbose: bool, strict: bool) -> bytes:
    """The serialized ``GraphDef`` of ``model`` traced on ``input_to_model`` (a tensor or a tuple of them).

    Raises ArgumentError naming the model when ``torch.jit.trace`` cannot trace it; the model's
    train/eval mode is restored either way.
    """
    traced, graph = _trace(model, input_to_model, strict)
    if verbose:
        print(graph)
    out = graph_pb2.GraphDef()
    out.versions.producer = _PRODUCER
    for node in _nodes(traced, graph):
        proto = out.node.add(name=node.name, op=node.op, input=node.inputs)
        proto.attr["attr"].s = node.attributes.encode("utf-8")
        if node.shape is not None:
            proto.attr["_output_shapes"].list.shape.add().dim.extend(
                event_pb2.TensorShapeProto.Dim(size=d) for d in node.shape)
    return out.SerializeToString()
