"""A real tensorboard server, in both loader modes, shows what the TensorBoard callback wrote in a PyTorch loop
(examples/torch_loop.py): Keras's train/validation runs and epoch_* tags, weight histograms named after
named_parameters, and an hparams session whose metrics are those epoch_* curves."""
import pytest
from tests.support.tbserver import TensorBoardServer

torch = pytest.importorskip("torch")

STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
GROUPS_BODY = {"experimentName": "", "allowedStatuses": STATUSES, "colParams": [], "startIndex": 0,
               "sliceSize": 1000, "includeMetrics": True}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from examples import torch_loop
    root = tmp_path_factory.mktemp("callbacks")
    net, stop, cbs = torch_loop.main(str(root / "torch"), epochs=12)
    return root, net, cbs.model.history


@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_tensorboard_shows_the_callbacks_logs(trained, load_fast):
    # One test per loader mode, so pytest-xdist starts each server once.
    root, net, history = trained
    with TensorBoardServer(root, load_fast=load_fast) as server:
        check_scalars_in_the_keras_layout(server, history)
        check_weight_histograms_every_histogram_freq_epochs(server, net, history)
        check_hparams_session_lists_the_epoch_metrics(server)


def check_scalars_in_the_keras_layout(server, history):
    epochs = len(history.epoch)
    train = server.scalars_when("torch/train", "epoch_loss", epochs)
    val = server.scalars_when("torch/validation", "epoch_loss", epochs)
    assert [p[1] for p in train] == [p[1] for p in val] == history.epoch
    assert [p[2] for p in val] == pytest.approx(history.history["val_loss"], rel=1e-6)
    assert [p[2] for p in server.scalars_when("torch/train", "epoch_learning_rate", epochs)] == \
        pytest.approx(history.history["learning_rate"])
    batches = server.scalars_when("torch/train", "batch_loss", 4 * epochs)
    assert [p[1] for p in batches] == list(range(1, 4 * epochs + 1))


def check_weight_histograms_every_histogram_freq_epochs(server, net, history):
    names = [f"{name}/histogram" for name, _ in net.named_parameters()]
    tags = server.wait_for(lambda: (lambda t: t if set(names) <= set(t) else None)(
        server.get("/data/plugin/histograms/tags").get("torch/train", {})))
    assert set(tags) == set(names)
    points = server.get("/data/plugin/histograms/histograms", run="torch/train", tag=names[0])
    assert [p[1] for p in points] == [e for e in history.epoch if e % 5 == 0]
    assert sum(bucket[2] for bucket in points[0][2]) == net[0].weight.numel()


def check_hparams_session_lists_the_epoch_metrics(server):
    def session():
        groups = server.post("/data/plugin/hparams/session_groups", GROUPS_BODY)["sessionGroups"]
        if groups and len(groups[0]["sessions"][0]["metricValues"]) >= 2:
            return groups
    groups = server.wait_for(session)
    assert [g["name"] for g in groups] == ["torch"]
    assert groups[0]["hparams"] == {"lr": 0.1, "hidden": 16.0, "optimizer": "sgd"}
    only = groups[0]["sessions"][0]
    assert only["status"] == "STATUS_SUCCESS"
    metrics = {(m["name"]["group"], m["name"]["tag"]) for m in only["metricValues"]}
    assert {("train", "epoch_loss"), ("validation", "epoch_loss")} <= metrics
