"""read_hparams gives the table TensorBoard's own hparams plugin serves (POST session_groups), in both
loader modes, for sweeps written by tbwriter, by torch and tensorboardX (a sub-run and an experiment
summary per add_hparams call), in Keras's layout (train/validation sub-runs), a logdir that is
itself the session, and the real Lightning and HuggingFace Trainers logging through tbwriter.integrations
(HF's hyperparameter search too): the same sessions, statuses, hparam values and types, metric columns and
last values."""
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from tbwriter import SummaryWriter, read_hparams
from tbwriter.callbacks import CallbackList, TensorBoard
from tests.support.eventcheck import accumulated_scalars
from tests.support.tbserver import TensorBoardServer

STATUSES = ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]
# a hparam's pandas dtypes by TensorBoard's data type: [when every session has it, when some lack it]
DTYPES = {"DATA_TYPE_BOOL": [{"bool"}, {"boolean"}], "DATA_TYPE_FLOAT64": [{"float64"}] * 2,
          "DATA_TYPE_STRING": [{"object", "str"}] * 2}  # pandas 3 stores strings as "str"
GROUPS_BODY = {"experimentName": "", "allowedStatuses": STATUSES, "colParams": [], "startIndex": 0,
               "sliceSize": 1000, "includeMetrics": True}


def tbwriter_sweep(root):
    """tbwriter sessions with training curves in the run, a failed one, one still running, and a
    Keras-layout run whose metrics live in its train/validation sub-runs."""
    for i, (lr, optimizer, bn) in enumerate([(0.1, "adam", True), (0.01, "sgd", False), (0.001, "adam", True)]):
        with SummaryWriter(root / f"trial{i}") as w:
            w.add_hparams({"lr": lr, "optimizer": optimizer, "batch_norm": bn, "layers": i + 2}, {})
            for step in range(5):
                w.add_scalar("loss", 1 / (step + 1 + i), step)
                w.add_scalar("val/accuracy", 0.5 + 0.1 * i - 0.01 * step, step)
            w.add_hparams({"lr": lr, "optimizer": optimizer, "batch_norm": bn, "layers": i + 2},
                          {"hparam/best": 0.9 - i / 10}, global_step=5)
    w = SummaryWriter(root / "failed")
    w.add_hparams({"lr": 1.0, "dropout": 0.5}, {"loss": float("nan")})
    w.end_hparams("FAILURE")
    w.close()
    running = SummaryWriter(root / "running")
    running.add_hparams({"lr": 0.5, "optimizer": "adamw"}, {})
    running.add_scalar("loss", 3.0, 0)
    running.flush()
    cbs = CallbackList([TensorBoard(str(root / "keras_run"), hparams={"units": 32, "activation": "relu"})])
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_end(epoch, {"loss": 1 / (epoch + 1), "accuracy": epoch / 3, "val_loss": 2 / (epoch + 1),
                                 "val_accuracy": epoch / 4})
    cbs.on_train_end()
    with SummaryWriter(root / "no_session") as w:  # scalars outside any session: not a metric of anything
        w.add_scalar("other", 1.0, 0)
    return running


def torch_sweep(root):
    """torch's add_hparams: a sub-run named by the time with an experiment summary, per call."""
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    for i in range(2):
        w = torch_tb.SummaryWriter(str(root / f"torch{i}"))
        for step in range(4):
            w.add_scalar("loss", 1 / (step + 1 + i), step)
        w.add_hparams({"lr": 0.1 * (i + 1), "opt": ["adam", "sgd"][i], "bn": bool(i)},
                      {"hparam/accuracy": 0.8 + i / 10, "hparam/loss": 0.2}, run_name="hp")
        w.close()
    tensorboardx = pytest.importorskip("tensorboardX")
    w = tensorboardx.SummaryWriter(str(root / "tbx"))
    w.add_scalar("loss", 0.75, 0)
    # the same metrics as torch's: TensorBoard shows the metrics of one experiment summary, whichever it loads first
    w.add_hparams({"lr": 0.3, "opt": "rmsprop", "bn": True}, {"hparam/accuracy": 0.7, "hparam/loss": 0.3}, name="hp")
    w.close()


def root_session(root):
    """The logdir is the session's own run."""
    with SummaryWriter(root) as w:
        w.add_hparams({"lr": 0.2, "flag": False}, {"hparam/accuracy": 0.6})
        w.add_scalar("loss", 0.4, 1)
    with SummaryWriter(root / "eval") as w:
        w.add_scalar("loss", 0.5, 1)


def lightning_fits(root) -> dict[str, float]:
    """Lightning's Trainer through our TensorBoardLogger (tests/support/lightning_run.py): two fits with other
    hparams (tiny/version_0, tiny/version_1) and one that raises (tiny/crashed). Returns each fit's last
    val_loss as the Trainer has it."""
    pytest.importorskip("lightning")
    from tests.support.lightning_run import fit

    from tbwriter.integrations.lightning import TensorBoardLogger

    trainers = {"tiny/version_0": fit(TensorBoardLogger(root, name="tiny")),
                "tiny/version_1": fit(TensorBoardLogger(root, name="tiny"),
                                      hparams={"lr": 0.05, "hidden": 4, "act": "tanh"})}
    with pytest.raises(FloatingPointError):
        fit(TensorBoardLogger(root, name="tiny", version="crashed"), fail_at_step=5)
    return {run: float(trainer.callback_metrics["val_loss"]) for run, trainer in trainers.items()}


def huggingface_runs(root) -> dict[str, dict]:
    """HuggingFace's Trainer through our TensorBoardCallback (tests/support/hf_run.py, a process each, both at once):
    a training run with a final evaluate() (trainer/log) and a two-trial optuna search, each trial a
    sub-run (search/log/trial_0, trial_1). Returns what each process printed."""
    pytest.importorskip("transformers")
    pytest.importorskip("optuna")
    from tests.support.hf_run import finished, run_trainer

    procs = {kind: run_trainer(kind, root / name) for kind, name in (("ours", "trainer"), ("search", "search"))}
    return {kind: finished(proc) for kind, proc in procs.items()}


LAYOUTS = {"tbwriter+keras": tbwriter_sweep, "torch+tensorboardX": torch_sweep, "root": root_session}
FRAMEWORKS = {"lightning": "lightning_logs", "huggingface": "huggingface_logs"}  # layout: its fixture


@pytest.fixture(scope="module")
def lightning_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("lightning")
    return root, lightning_fits(root)


@pytest.fixture(scope="module")
def huggingface_logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("huggingface")
    return root, huggingface_runs(root)


@pytest.fixture(scope="module", params=[*LAYOUTS, *(pytest.param(name, marks=pytest.mark.slow) for name in FRAMEWORKS)])
def logdir(request, tmp_path_factory):
    if request.param in FRAMEWORKS:  # built once for this module's other tests too
        yield request.getfixturevalue(FRAMEWORKS[request.param])[0]
        return
    root = tmp_path_factory.mktemp(request.param.replace("+", "_"))
    keep = LAYOUTS[request.param](root)
    yield root
    if keep is not None:
        keep.close()


def data_type(value) -> str:
    """TensorBoard's data type of a hparam value as served (JSON)."""
    if isinstance(value, bool):
        return "DATA_TYPE_BOOL"
    return "DATA_TYPE_STRING" if isinstance(value, str) else "DATA_TYPE_FLOAT64"


def served_columns(tb):
    """The HPARAMS tab's columns: ``{hparam: its data type, "DATA_TYPE_BOOL"...}``, ``{(group, tag): metric title}``."""
    experiment = tb.post("/data/plugin/hparams/experiment", {"experimentName": "", "includeMetrics": True})
    hparams = {h["name"]: h.get("type", "DATA_TYPE_UNSET") for h in experiment.get("hparamInfos", [])}
    metrics = {(m["name"].get("group", ""), m["name"]["tag"]): m.get("displayName") or
               (m["name"]["tag"] if m["name"].get("group", "") in ("", ".") else
                f"{m['name']['group']}.{m['name']['tag']}") for m in experiment.get("metricInfos", [])}
    return hparams, metrics


def served_table(tb):
    """{session: (status, hparams, {metric column: value})} as the HPARAMS tab shows them."""
    def groups():
        return tb.post("/data/plugin/hparams/session_groups", GROUPS_BODY)["sessionGroups"]

    def stable():  # the Rust loader loads progressively: wait until two reads agree and hold sessions
        first = groups()
        return first if first and first == groups() else None

    found = tb.wait_for(stable)
    _, columns = served_columns(tb)
    table = {}
    for group in found:
        for session in group["sessions"]:
            metrics = {columns[(m["name"].get("group", ""), m["name"]["tag"])]: float(m["value"])  # "NaN" is a str
                       for m in session.get("metricValues", [])}
            table[session["name"]] = (session["status"].removeprefix("STATUS_"), group["hparams"], metrics)
    return table


@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_read_hparams_equals_tensorboard(logdir, load_fast):
    ours = read_hparams(logdir)
    mine = {s.run: (s.status, s.hparams, s.metrics) for s in ours.sessions}
    with TensorBoardServer(logdir, load_fast=load_fast) as tb:
        served = served_table(tb)
        hparam_types, metric_columns = served_columns(tb)
    assert mine.keys() == served.keys()
    for run in served:
        assert mine[run][:2] == served[run][:2], run
        assert mine[run][2] == pytest.approx(served[run][2], nan_ok=True), run
    # the DataFrame: TensorBoard's columns, each hparam of the type TensorBoard gives it, the served values
    df = ours.to_pandas().set_index("run")
    assert set(df.columns) == {"status", *hparam_types, *metric_columns.values()}
    for name, declared in hparam_types.items():
        kinds = {data_type(h[name]) for _, h, _ in served.values() if name in h}
        # torch writes a bool as a number, tensorboardX as a bool: such mixed values make an object column
        allowed = DTYPES[declared][int(df[name].isna().any())] if kinds == {declared} else {"object"}
        assert str(df[name].dtype) in allowed, (name, declared, kinds)
    for run, (status, hparams, metrics) in served.items():
        row = df.loc[run]
        assert row["status"] == status, run
        assert {name: row[name] for name in hparam_types if not pd.isna(row[name])} == hparams, run
        assert {name: row[name] for name in metric_columns.values()} == pytest.approx(
            {name: metrics.get(name, np.nan) for name in metric_columns.values()}, nan_ok=True), run


@pytest.mark.slow
def test_lightning_sessions_keep_hparam_types_and_the_last_logged_metrics(lightning_logs):
    root, last_val_loss = lightning_logs
    df = read_hparams(root).to_pandas().set_index("run")
    assert df["status"].to_dict() == {"tiny/crashed": "FAILURE", "tiny/version_0": "SUCCESS",
                                      "tiny/version_1": "SUCCESS"}
    # save_hyperparameters' values: numbers float64, the str stays str
    assert df["lr"].dtype == np.float64 and df["lr"].to_dict() == {"tiny/crashed": 0.1, "tiny/version_0": 0.1,
                                                                   "tiny/version_1": 0.05}
    assert df.loc["tiny/version_1", "hidden"] == 4.0 and set(df["act"]) == {"tanh"}
    for run, val_loss in last_val_loss.items():  # the fit's last validation, as its Trainer holds it
        assert df.loc[run, "val_loss"] == pytest.approx(val_loss, rel=1e-6), run
    assert df.loc["tiny/version_0", "epoch"] == 1.0 and (df["hp_metric"] == -1.0).all()
    assert np.isnan(df.loc["tiny/crashed", "val_loss"])  # it raised before its first validation
    (step, train_loss), = accumulated_scalars(root / "tiny/crashed")["train_loss"]  # TensorBoard's loader
    assert step == 2 and df.loc["tiny/crashed", "train_loss"] == train_loss


@pytest.mark.slow
def test_huggingface_sessions_hold_the_training_arguments_and_eval_metrics(huggingface_logs):
    from tests.support.hf_run import SEARCHED_LEARNING_RATES

    root, printed = huggingface_logs
    df = read_hparams(root).to_pandas().set_index("run")
    trials = ["search/log/trial_0", "search/log/trial_1"]
    assert sorted(df.index) == [*trials, "trainer/log"] and set(df["status"]) == {"SUCCESS"}
    assert df["learning_rate"].dtype == np.float64 and df.loc["trainer/log", "learning_rate"] == 5e-05
    assert sorted(df.loc[trials, "learning_rate"]) == SEARCHED_LEARNING_RATES
    assert df.loc["trainer/log", "max_steps"] == 12.0 and df["use_cpu"].dtype == bool
    assert {"eval/loss", "eval/runtime", "train/loss", "train/learning_rate"} <= set(df.columns)
    # the last eval/loss is the final evaluate()'s; the search's best trial has the lowest
    assert df.loc["trainer/log", "eval/loss"] == pytest.approx(printed["ours"]["evaluate"]["eval_loss"], rel=1e-6)
    best = printed["search"]["best_run"]
    assert df.loc[trials, "eval/loss"].idxmin() == f"search/log/trial_{best['run_id']}"
    assert df.loc[f"search/log/trial_{best['run_id']}", "eval/loss"] == pytest.approx(best["objective"], rel=1e-6)
    assert df.loc[f"search/log/trial_{best['run_id']}", "learning_rate"] == best["hyperparameters"]["learning_rate"]


def test_table_types_and_columns(tmp_path):
    running = tbwriter_sweep(tmp_path)
    df = read_hparams(tmp_path).to_pandas().set_index("run")
    running.close()
    assert df.loc["trial1", "status"] == "SUCCESS" and df.loc["failed", "status"] == "FAILURE"
    assert df.loc["running", "status"] == "UNKNOWN"
    assert df["batch_norm"].dtype == "boolean" and df.loc["trial1", "batch_norm"] is np.False_
    assert df["lr"].dtype == np.float64 and df.loc["trial2", "layers"] == 4.0
    assert df["optimizer"].dropna().to_dict() == {"trial0": "adam", "trial1": "sgd", "trial2": "adam",
                                                  "running": "adamw"}
    assert df.loc["trial0", "val/accuracy"] == pytest.approx(0.46)
    assert df.loc["keras_run", "validation.epoch_accuracy"] == pytest.approx(0.5)
    assert df.loc["keras_run", "train.epoch_loss"] == pytest.approx(1 / 3)
    assert "no_session" not in df.index and "other" not in df.columns


def test_one_kind_of_hparams_stays_bool(tmp_path):
    for i in range(2):
        with SummaryWriter(tmp_path / str(i)) as w:
            w.add_hparams({"bn": bool(i)}, {"acc": i / 2})
    df = read_hparams(tmp_path).to_pandas()
    assert df["bn"].dtype == bool and df["bn"].tolist() == [False, True]


def test_experiments_with_different_metrics_give_every_column(tmp_path):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    for i, metric in enumerate(["hparam/a", "hparam/b"]):
        with torch_tb.SummaryWriter(str(tmp_path / str(i))) as w:
            w.add_hparams({"lr": float(i)}, {metric: 0.5 + i}, run_name="hp")
    df = read_hparams(tmp_path).to_pandas().set_index("run")
    assert df.loc["0/hp", "hparam/a"] == 0.5 and df.loc["1/hp", "hparam/b"] == 1.5
    assert np.isnan(df.loc["0/hp", "hparam/b"]) and np.isnan(df.loc["1/hp", "hparam/a"])


def test_no_sessions_is_an_empty_table(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 1.0, 0)
    table = read_hparams(tmp_path)
    assert len(table) == 0 and list(table.to_pandas().columns) == ["run", "status"]
    shutil.rmtree(tmp_path)
    with pytest.raises(FileNotFoundError, match=os.path.basename(tmp_path)):
        read_hparams(tmp_path)


def test_damage_is_reported_once_with_its_offset(tmp_path):
    from tbwriter.format.record import DamagedRecordWarning

    with SummaryWriter(tmp_path / "a") as w:
        w.add_hparams({"lr": 0.1}, {})
        for step in range(3):
            w.add_scalar("loss", float(step), step)
    (name,) = (tmp_path / "a").iterdir()
    data = bytearray(name.read_bytes())
    data[-3] ^= 0xFF  # the data CRC of the last record: the session's end
    name.write_bytes(bytes(data))
    with pytest.warns(DamagedRecordWarning) as caught:
        table = read_hparams(tmp_path)
    assert len(caught) == 1 and "data checksum mismatch at byte offset" in str(caught[0].message)
    assert len(table.damaged) == 1
    assert table.sessions[0].status == "UNKNOWN" and table.sessions[0].metrics == {"loss": 2.0}
