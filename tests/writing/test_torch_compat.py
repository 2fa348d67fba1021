"""Scripts written for torch's or tensorboardX's writer run unchanged: torch's add_hparams loop gives one session
per call, tensorboardX's spellings (logdir=, write_to_disk=False, display_name=, summary_description=, name=) work,
and whole-number float steps are taken while fractional ones are refused."""
import os

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.eventcheck import accumulated_scalars, accumulator, raw_events
from tests.support.tbserver import TensorBoardServer

torch = pytest.importorskip("torch")
tensorboardX = pytest.importorskip("tensorboardX")
STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
GROUPS_BODY = {"experimentName": "", "allowedStatuses": STATUSES, "colParams": [], "startIndex": 0,
               "sliceSize": 1000, "includeMetrics": True}


def torch_docstring_loop(writer):
    """torch's add_hparams docstring example, verbatim but for the writer."""
    with writer as w:
        for i in range(5):
            w.add_hparams({"lr": 0.1 * i, "bsize": i}, {"hparam/accuracy": 10 * i, "hparam/loss": 10 * i})


def described_scalars(writer):
    with writer as w:
        w.add_scalar("loss", 0.5, 1, display_name="Training loss", summary_description="mean of the batch")
        w.add_scalar("acc", 0.25, 2, display_name="Accuracy")


def named_session(writer):
    with writer as w:  # tensorboardX's name= (its third positional parameter; ours takes it by keyword)
        w.add_hparams({"lr": 0.5}, {"hparam/acc": 0.75}, name="trial")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("compat")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    torch_docstring_loop(TorchWriter(str(root / "hp_torch")))
    torch_docstring_loop(SummaryWriter(root / "hp_ours"))
    described_scalars(tensorboardX.SummaryWriter(logdir=str(root / "x_tbx")))
    described_scalars(SummaryWriter(logdir=root / "x_ours"))
    return root


def sessions(groups, prefix):
    """(hparams, metrics) of each session whose run lies under ``prefix``, sorted."""
    out = []
    for g in groups:
        for s in g["sessions"]:
            if s["name"].startswith(prefix):
                out.append((sorted(g["hparams"].items()), sorted((m["name"]["tag"], m["value"], m["trainingStep"])
                                                                 for m in s["metricValues"]), s["status"]))
    return sorted(out)


def test_docstring_loop_one_session_per_call_and_the_first_in_the_writers_own_run(logdir):
    runs = sorted(os.listdir(logdir / "hp_ours"))
    assert len([r for r in runs if r.startswith("events.")]) == 1 and len(runs) == 5
    own = accumulator(logdir / "hp_ours")
    assert "_hparams_/session_start_info" in own.Tags()["tensors"]
    assert accumulated_scalars(logdir / "hp_ours") == {"hparam/accuracy": [(0, 0.0)], "hparam/loss": [(0, 0.0)]}


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_server_shows_torchs_five_sessions_and_tensorboardx_texts(logdir, load_fast):
    with TensorBoardServer(logdir, load_fast=load_fast) as tb:
        def complete():
            groups = tb.post("/data/plugin/hparams/session_groups", GROUPS_BODY)["sessionGroups"]
            ours, theirs = sessions(groups, "hp_ours"), sessions(groups, "hp_torch")
            return (ours, theirs) if len(ours) == len(theirs) == 5 and all(len(s[1]) == 2 for s in ours + theirs) \
                else None
        ours, theirs = tb.wait_for(complete)
        assert ours == theirs
        assert [dict(hp)["bsize"] for hp, _, _ in ours] == [0, 1, 2, 3, 4]
        tags = tb.wait_for(lambda: (lambda t: t if {"x_ours", "x_tbx"} <= set(t) and len(t["x_ours"]) == 2
                                    else None)(tb.get("/data/plugin/scalars/tags")))
        assert tags["x_ours"] == tags["x_tbx"]
        if not load_fast:  # the Rust loader drops the display name and description of v1 scalars (of both writers)
            assert tags["x_ours"]["loss"] == {"displayName": "Training loss",
                                              "description": "<p>mean of the batch</p>"}
        for run, tag in (("x_ours", "loss"), ("x_ours", "acc")):
            assert [p[1:] for p in tb.scalars(run, tag)] == [p[1:] for p in tb.scalars(run.replace("ours", "tbx"), tag)]


def test_hparams_name_is_tensorboardx_run_name(tmp_path):
    named_session(tensorboardX.SummaryWriter(logdir=str(tmp_path / "tbx")))
    named_session(SummaryWriter(logdir=tmp_path / "ours"))
    for run in ("tbx", "ours"):
        assert accumulated_scalars(tmp_path / run / "trial") == {"hparam/acc": [(0, 0.75)]}
        assert "_hparams_/session_start_info" in {v.tag for e in raw_events(tmp_path / run / "trial")
                                                  if e.HasField("summary") for v in e.summary.value}


def test_same_hparams_again_log_into_their_session_and_run_name_conflicts_still_raise(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0})
        w.add_hparams({"lr": 0.2}, {"m": 2.0})
        w.add_hparams({"lr": 0.2}, {"m": 3.0}, global_step=1)
        w.add_hparams({"lr": 0.1}, {"m": 4.0}, global_step=1)
        w.add_hparams({"lr": 0.3}, {}, run_name="fixed")
        with pytest.raises(ValueError, match="add_hparams: run .*fixed.* already holds a session"):
            w.add_hparams({"lr": 0.4}, {}, run_name="fixed")
        with pytest.raises(TypeError, match="give run_name or name"):
            w.add_hparams({"lr": 0.4}, {}, run_name="a", name="b")
    subs = [d for d in os.listdir(tmp_path) if os.path.isdir(tmp_path / d) and d != "fixed"]
    assert len(subs) == 1
    assert accumulated_scalars(tmp_path) == {"m": [(0, 1.0), (1, 4.0)]}
    assert accumulated_scalars(tmp_path / subs[0]) == {"m": [(0, 2.0), (1, 3.0)]}
    assert [v.tag for e in raw_events(tmp_path / "fixed") if e.HasField("summary") for v in e.summary.value] == \
        ["_hparams_/session_start_info", "_hparams_/session_end_info"]  # the refused call wrote nothing


def test_write_to_disk_false_checks_calls_and_creates_nothing(tmp_path):
    run = tmp_path / "dry" / "run"
    with SummaryWriter(logdir=run, write_to_disk=False) as w:
        w.add_scalar("loss", 1.0, 1)
        w.add_scalars("split", {"a": 1.0}, 1)
        w.add_hparams({"lr": 0.1}, {"m": 1.0})
        w.add_histogram("h", np.arange(10.0), 1)
        w.file_writer.add_summary(b"", 1)
        with pytest.raises(TypeError, match="add_scalar"):
            w.add_scalar("loss", "high", 2)
        assert w.get_logdir() == str(run)
    assert not (tmp_path / "dry").exists()
    with pytest.raises(TypeError, match="give log_dir or logdir"):
        SummaryWriter(tmp_path / "a", logdir=tmp_path / "b")


@pytest.mark.parametrize("step", [1.0, np.float32(3), np.float64(4.0), torch.tensor(5.0), np.int16(6)])
def test_whole_number_float_steps_are_taken(tmp_path, step):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("s", 1.0, step)
        w.log_metrics({"m": 1.0}, step)
        w.add_text("t", "x", step)
        w.add_histogram("h", [1.0, 2.0], step)
        w.add_scalar("d", 1.0, step, display_name="D")
    steps = {e.step for e in raw_events(tmp_path)[1:]}
    assert steps == {int(step)}


@pytest.mark.parametrize("call", [
    lambda w: w.add_scalar("loss", 1.0, 1.5),
    lambda w: w.add_scalar("loss", 1.0, np.float32(2.5)),
    lambda w: w.log_metrics({"loss": 1.0}, step=torch.tensor(0.5)),
    lambda w: w.add_scalar("loss", 1.0, float("nan")),
    lambda w: w.add_text("loss", "x", 1.25),
])
def test_fractional_steps_are_refused_naming_the_call(tmp_path, call):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match=r"\(tag='loss'\): global_step must be an integer or a whole-number float"):
            call(w)
    assert len(raw_events(tmp_path)) == 1


def test_display_name_must_be_text(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match=r"add_scalar\(tag='x'\): display_name must be a str, got int"):
            w.add_scalar("x", 1.0, 0, display_name=3)
    assert len(raw_events(tmp_path)) == 1
