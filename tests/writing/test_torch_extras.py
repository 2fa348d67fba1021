"""add_onnx_graph against torch's writer, and bad input to add_mesh, add_custom_scalars*, add_image_with_boxes
and add_tensor: refused naming the call, nothing written, the writer usable."""
import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.eventcheck import check_refused, raw_events


def onnx_model(path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    nodes = [helper.make_node("Relu", ["x"], ["h"]), helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.25)]
    onnx.save(helper.make_model(helper.make_graph(nodes, "g", [x], [y])), str(path))
    return str(path)


def test_onnx_graph_is_torchs(tmp_path):
    torch_writer = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
    from tensorboard.compat.proto import graph_pb2
    model = onnx_model(tmp_path / "model.onnx")
    for run, writer in (("torch", torch_writer), ("ours", SummaryWriter)):
        with writer(str(tmp_path / run)) as w:
            w.add_onnx_graph(model)
    graphs = {run: [graph_pb2.GraphDef.FromString(e.graph_def) for e in raw_events(tmp_path / run)
                    if e.HasField("graph_def")] for run in ("torch", "ours")}
    assert graphs["ours"] == graphs["torch"] and [n.op for n in graphs["ours"][0].node] == \
        ["Variable", "Variable", "Relu", "LeakyRelu"]


def test_onnx_graph_of_a_file_that_is_no_model(tmp_path):
    pytest.importorskip("onnx")
    (tmp_path / "bad.onnx").write_bytes(b"\xff\xff not a model")
    with SummaryWriter(tmp_path / "run") as w:
        with pytest.raises(ValueError, match="add_onnx_graph: could not read an ONNX model from .*bad.onnx"):
            w.add_onnx_graph(tmp_path / "bad.onnx")
        with pytest.raises(ValueError, match="add_onnx_graph: could not read an ONNX model"):
            w.add_onnx_graph(tmp_path / "missing.onnx")
    assert len(raw_events(tmp_path / "run")) == 1


V = np.zeros((1, 4, 3))
IMG = np.zeros((3, 8, 8))


@pytest.mark.parametrize("call, error, words", [
    (lambda w: w.add_mesh("m", np.zeros((4, 3))), ValueError, "add_mesh(tag='m'): vertices must be numbers shaped"),
    (lambda w: w.add_mesh("m", V, faces=np.zeros((1, 2, 2))), ValueError, "faces must be"),
    (lambda w: w.add_mesh("m", V, config_dict={"f": object()}), TypeError, "config_dict must be JSON"),
    (lambda w: w.add_mesh("m", None), TypeError, "vertices are required"),
    (lambda w: w.add_custom_scalars([]), TypeError, "add_custom_scalars: layout must be"),
    (lambda w: w.add_custom_scalars({"c": {"t": ["Bars", ["a"]]}}), ValueError, "kind must be"),
    (lambda w: w.add_custom_scalars({"c": {"t": ["Multiline", "a"]}}), TypeError, "tags must be a list"),
    (lambda w: w.add_custom_scalars_marginchart(["a", "b"]), ValueError, "a Margin chart takes 3 tags"),
    (lambda w: w.add_image_with_boxes("b", IMG, np.zeros((2, 3))), ValueError, "(tag='b'): box_tensor must be"),
    (lambda w: w.add_image_with_boxes("b", IMG, np.zeros((2, 4)), labels=["a"]), ValueError, "1 labels for 2 boxes"),
    (lambda w: w.add_image_with_boxes("b", IMG, np.zeros((1, 4)), rescale=0), ValueError, "rescale"),
    (lambda w: w.add_image_with_boxes("b", np.zeros((5, 8, 8)), np.zeros((1, 4))), ValueError, "channels"),
    (lambda w: w.add_tensor("t", np.array(["a"])), TypeError, "add_tensor(tag='t'): tensor dtype <U1"),
    (lambda w: w.add_tensor("t", np.zeros(2), 0.5), TypeError, "global_step"),
])
def test_bad_input_is_refused_and_writes_nothing(tmp_path, call, error, words):
    check_refused(tmp_path, call, error, words)
