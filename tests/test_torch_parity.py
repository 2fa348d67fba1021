"""Differential test: one script calls torch's SummaryWriter API on torch's writer and on ours with the same
inputs; TensorBoard's loaders and a real server (both loaders) must see the same tags, in the same plugins,
with equal values."""
import pytest

from eventcheck import accumulator, raw_events
from tbserver import TensorBoardServer
from tbwriter import SummaryWriter

torch = pytest.importorskip("torch")
torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
nn = torch.nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x, scale):
        return self.head(self.features(x).flatten(1)) * scale


def log_everything(writer_class, logdir):
    """The same calls, as a torch user writes them, on either writer."""
    from torch.utils.tensorboard import summary as torch_summary

    torch.manual_seed(0)
    model = SmallCNN()
    with writer_class(logdir) as w:
        w.add_graph(model, (torch.zeros(2, 1, 28, 28), torch.ones(2, 10)))
        w._get_file_writer().add_summary(torch_summary.scalar("via_file_writer", 1.5), global_step=3)
        w.file_writer.add_summary(torch_summary.scalar("via_file_writer", 2.5), 4)
        w.add_scalar("loss", 0.25, 1)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    log_everything(torch_tensorboard.SummaryWriter, str(root / "torch"))
    log_everything(SummaryWriter, str(root / "ours"))
    return root


def test_graph_defs_are_equal(logdir):
    from tensorboard.compat.proto import graph_pb2
    graphs = {run: [graph_pb2.GraphDef.FromString(e.graph_def) for e in raw_events(logdir / run)
                    if e.HasField("graph_def")] for run in ("torch", "ours")}
    assert len(graphs["ours"]) == 1 and graphs["ours"] == graphs["torch"]
    assert {n.op for n in graphs["ours"][0].node} >= {"aten::_convolution", "aten::batch_norm", "aten::linear"}
    metadata = {run: [(e.tagged_run_metadata.tag, e.tagged_run_metadata.run_metadata) for e in raw_events(logdir / run)
                      if e.HasField("tagged_run_metadata")] for run in ("torch", "ours")}
    assert metadata["ours"] == metadata["torch"] != []


def test_accumulator_sees_the_same_tags_and_values(logdir):
    accs = {run: accumulator(logdir / run) for run in ("torch", "ours")}
    assert accs["ours"].Tags() == accs["torch"].Tags()
    for tag in accs["ours"].Tags()["scalars"]:
        assert [(e.step, e.value) for e in accs["ours"].Scalars(tag)] == \
               [(e.step, e.value) for e in accs["torch"].Scalars(tag)]
    assert accs["ours"].Graph() == accs["torch"].Graph()


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_server_shows_the_same(logdir, load_fast):
    with TensorBoardServer(logdir, load_fast=load_fast) as tb:
        info = tb.wait_for(lambda: (lambda i: i if {"torch", "ours"} <= set(i) else None)(
            tb.get("/data/plugin/graphs/info")))
        assert info["ours"] | {"run": "torch"} == info["torch"]
        graphs = {run: tb.get_bytes("/data/plugin/graphs/graph", run=run, conceptual="false") for run in info}
        assert graphs["ours"] == graphs["torch"] and b'op: "aten::linear"' in graphs["ours"]
        assert tb.get_bytes("/data/plugin/graphs/run_metadata", run="ours", tag="step1") == \
               tb.get_bytes("/data/plugin/graphs/run_metadata", run="torch", tag="step1")
        tags = tb.wait_for(lambda: (lambda t: t if {"torch", "ours"} <= set(t) else None)(
            tb.get("/data/plugin/scalars/tags")))
        assert tags["ours"] == tags["torch"]
        for tag in tags["ours"]:
            assert [p[1:] for p in tb.scalars("ours", tag)] == [p[1:] for p in tb.scalars("torch", tag)]
