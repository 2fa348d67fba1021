"""A real tensorboard server, in both loader modes, shows the hparams sessions we wrote: every column of
runs with different hparam keys, exact values, metrics beside the training curves, and each status."""
import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.tbserver import TensorBoardServer

STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
GROUPS_BODY = {"experimentName": "", "allowedStatuses": STATUSES, "colParams": [], "startIndex": 0,
               "sliceSize": 1000, "includeMetrics": True}
# run -> (hparams as TensorBoard shows them, metrics as TensorBoard shows them, status)
EXPECTED = {
    "ok": ({"lr": 0.1, "batch_norm": True, "optimizer": "adam"},
           {"loss": 0.0625, "hparam/accuracy": 0.75}, "STATUS_SUCCESS"),
    "crashed": ({"lr": 0.01, "layers": 3.0, "batch_norm": False, "dropout": 0.25},
                {"loss": 0.5}, "STATUS_FAILURE"),
    "gave_up": ({"optimizer": "sgd", "momentum": 0.875}, {"hparam/accuracy": 0.5}, "STATUS_FAILURE"),
    "training": ({"optimizer": "adamw", "warmup": 1000.0}, {"loss": 2.0}, "STATUS_UNKNOWN"),
    "torch_layout/trial": ({"seed": 7.0, "label": "x y/z ü"}, {"hparam/accuracy": 0.25}, "STATUS_SUCCESS"),
    # Written with TensorBoard's own protos: RUNNING, then SUCCESS. Both loaders keep the first end
    # status of a run, which is why tbwriter writes none until the session really ends.
    "tensorboard_running_then_success": ({"lr": 0.5}, {}, "STATUS_RUNNING"),
}


class Boom(Exception):
    pass


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("hparams")
    with SummaryWriter(root / "ok") as w:
        w.add_hparams({"lr": 0.1, "batch_norm": True, "optimizer": "adam"}, {},
                      hparam_domain_discrete={"optimizer": ["adam", "sgd"], "batch_norm": [True, False]})
        for step in range(4):
            w.add_scalar("loss", 1 / 2 ** (step + 1), step)
        w.add_hparams({"lr": 0.1, "batch_norm": True, "optimizer": "adam"}, {"hparam/accuracy": 0.75}, global_step=4)
    with pytest.raises(Boom):  # training raises inside the with block: FAILURE
        with SummaryWriter(root / "crashed") as w:
            w.add_hparams({"lr": np.float32(0.01), "layers": np.int64(3), "batch_norm": np.bool_(False),
                           "dropout": 0.25}, {"loss": 0.5})
            raise Boom
    w = SummaryWriter(root / "gave_up")
    w.add_hparams({"optimizer": "sgd", "momentum": 0.875}, {"hparam/accuracy": 0.5}, global_step=3)
    w.end_hparams("FAILURE")
    w.close()  # a session ends once: close() does not turn it into SUCCESS
    still_training = SummaryWriter(root / "training")
    still_training.add_hparams({"optimizer": "adamw", "warmup": 1000}, {"loss": 2.0})
    still_training.flush()
    with SummaryWriter(root / "torch_layout") as w:
        w.add_hparams({"seed": 7, "label": "x y/z ü"}, {"hparam/accuracy": 0.25}, run_name="trial")
    write_running_then_success(root / "tensorboard_running_then_success")
    yield root
    still_training.close()


def write_running_then_success(run_dir):
    """A start and two end infos, built with TensorBoard's own protos and event writer."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
    start = plugin_data_pb2.HParamsPluginData()
    start.session_start_info.hparams["lr"].number_value = 0.5
    infos = [("_hparams_/session_start_info", start)]
    for status in (api_pb2.STATUS_RUNNING, api_pb2.STATUS_SUCCESS):
        end = plugin_data_pb2.HParamsPluginData()
        end.session_end_info.status = status
        infos.append(("_hparams_/session_end_info", end))
    writer = EventFileWriter(str(run_dir))
    for tag, data in infos:
        meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name="hparams", content=data.SerializeToString()))
        value = summary_pb2.Summary.Value(tag=tag, metadata=meta)
        writer.add_event(event_pb2.Event(wall_time=1.7e9, summary=summary_pb2.Summary(value=[value])))
    writer.close()


@pytest.fixture(scope="module", params=[False, True], ids=["python-loader", "rust-loader"])
def server(request, logdir):
    with TensorBoardServer(logdir, load_fast=request.param) as tb:
        yield tb


def session_groups(server):
    def complete():
        groups = server.post("/data/plugin/hparams/session_groups", GROUPS_BODY)["sessionGroups"]
        names = {g["name"] for g in groups}
        # The Rust loader loads progressively: wait until every session and its metrics are in.
        if names == set(EXPECTED) and all(len(g["sessions"][0]["metricValues"]) >= len(EXPECTED[g["name"]][1])
                                          for g in groups):
            return {g["name"]: g for g in groups}
    return server.wait_for(complete)


def check_every_hparam_of_every_run_is_a_column(server):
    session_groups(server)
    experiment = server.post("/data/plugin/hparams/experiment", {"experimentName": "", "includeMetrics": True})
    infos = {i["name"]: i for i in experiment["hparamInfos"]}
    assert set(infos) == {k for hp, _, _ in EXPECTED.values() for k in hp}
    assert infos["batch_norm"]["type"] == "DATA_TYPE_BOOL"
    assert sorted(infos["batch_norm"]["domainDiscrete"]) == [False, True]
    assert infos["optimizer"]["type"] == "DATA_TYPE_STRING"
    assert sorted(infos["optimizer"]["domainDiscrete"]) == ["adam", "adamw", "sgd"]
    assert infos["lr"]["type"] == infos["layers"]["type"] == "DATA_TYPE_FLOAT64"
    assert infos["lr"]["domainInterval"] == {"minValue": pytest.approx(0.01), "maxValue": 0.5}
    metrics = {(m["name"]["group"], m["name"]["tag"]) for m in experiment["metricInfos"]}
    assert metrics == {("", "loss"), ("", "hparam/accuracy")}


def check_values_metrics_and_status_of_each_session(server):
    groups = session_groups(server)
    for run, (hparams, metrics, status) in EXPECTED.items():
        group = groups[run]
        assert len(group["sessions"]) == 1
        session = group["sessions"][0]
        assert session["name"] == run
        # np.float32(0.01) arrives as the float64 nearest to the float32 value.
        assert group["hparams"] == {k: float(np.float32(v)) if k == "lr" and run == "crashed" else v
                                    for k, v in hparams.items()}
        assert {m["name"]["tag"]: m["value"] for m in session["metricValues"]} == metrics, run
        assert session["status"] == status, run


def check_metrics_and_training_curves_share_the_run(server):
    points = server.scalars_when("ok", "loss", 4)
    assert [(p[1], p[2]) for p in points] == [(s, 1 / 2 ** (s + 1)) for s in range(4)]
    last = session_groups(server)["ok"]["sessions"][0]["metricValues"]
    assert {m["name"]["tag"]: m["trainingStep"] for m in last} == {"loss": 3, "hparam/accuracy": 4}


def test_hparams_sessions_served_exactly(server):
    # One test per loader mode, so that pytest-xdist starts each server once.
    check_every_hparam_of_every_run_is_a_column(server)
    check_values_metrics_and_status_of_each_session(server)
    check_metrics_and_training_curves_share_the_run(server)
