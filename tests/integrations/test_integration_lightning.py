"""Lightning's Trainer logging through tbwriter's TensorBoardLogger, judged against Lightning's own logger.

The same seeded two-epoch ``Trainer.fit`` runs with Lightning's TensorBoardLogger (torch's writer) and with
ours, both with ``log_graph=True``: TensorBoard's EventAccumulator must see the same scalars (tags, steps,
values), the same graph ops and the same hparams; a real tensorboard server's HPARAMS tab lists our session
with ``hp_metric`` and the Trainer's status. A second fit gets ``version_1``; a failed fit ends FAILURE.
"""
from __future__ import annotations

import pytest

pytest.importorskip("lightning")
import yaml  # noqa: E402
from lightning.pytorch.loggers import TensorBoardLogger as LightningLogger  # noqa: E402

from tbwriter.integrations.lightning import TensorBoardLogger  # noqa: E402
from tests.support.eventcheck import accumulated_scalars, accumulator, hparams_session  # noqa: E402
from tests.support.lightning_run import HPARAMS, fit  # noqa: E402
from tests.support.tbserver import TensorBoardServer  # noqa: E402


def graph_ops(run_dir) -> list[str]:
    return sorted(node.op for node in accumulator(run_dir).Graph().node)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    root = tmp_path_factory.mktemp("lightning")
    fit(LightningLogger(root / "theirs", name="tiny", log_graph=True))
    fit(TensorBoardLogger(root / "ours", name="tiny", log_graph=True))
    second = TensorBoardLogger(root / "ours", name="tiny")
    fit(second)
    with pytest.raises(FloatingPointError):
        fit(TensorBoardLogger(root / "ours", name="tiny", version="crashed"), fail_at_step=5)
    return root, second


@pytest.mark.slow
def test_same_scalars_graph_and_hparams_as_lightnings_logger(logs):
    root, _ = logs
    theirs, ours = root / "theirs/tiny/version_0", root / "ours/tiny/version_0"
    ours_scalars = accumulated_scalars(ours)
    assert ours_scalars == accumulated_scalars(theirs)
    assert set(ours_scalars) == {"train_loss", "val_loss", "epoch", "hp_metric"}
    assert [step for step, _ in ours_scalars["train_loss"]] == [2, 5, 8, 11, 14, 17]
    assert [step for step, _ in ours_scalars["val_loss"]] == [9, 19]
    assert ours_scalars["hp_metric"] == [(0, -1.0)]

    assert graph_ops(ours) == graph_ops(theirs) and "aten::linear" in graph_ops(ours)

    # Lightning's marks its session SUCCESS when it starts; ours ends with the Trainer's status.
    hparams = {"lr": 0.1, "hidden": 8.0, "act": "tanh"}
    assert hparams_session(ours) == (hparams, "STATUS_SUCCESS")
    assert hparams_session(theirs) == (hparams, "STATUS_SUCCESS")
    for run in (ours, theirs):
        assert yaml.safe_load((run / "hparams.yaml").read_text()) == HPARAMS


@pytest.mark.slow
def test_a_second_fit_gets_the_next_version_and_a_failed_fit_ends_failure(logs):
    root, second = logs
    assert second.version == 1 and second.log_dir == str(root / "ours/tiny/version_1")
    assert hparams_session(second.log_dir) == ({"lr": 0.1, "hidden": 8.0, "act": "tanh"}, "STATUS_SUCCESS")
    assert accumulator(second.log_dir).Tags()["graph"] is False  # log_graph defaults to False
    crashed = root / "ours/tiny/crashed"
    assert hparams_session(crashed)[1] == "STATUS_FAILURE"
    assert [step for step, _ in accumulated_scalars(crashed)["train_loss"]] == [2]


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_tensorboards_hparams_tab_lists_the_sessions(logs, load_fast):
    root, _ = logs
    body = {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
            "STATUS_RUNNING"], "colParams": [], "startIndex": 0, "sliceSize": 100, "includeMetrics": True}
    with TensorBoardServer(root / "ours", load_fast=load_fast) as tb:
        def sessions():
            groups = tb.post("/data/plugin/hparams/session_groups", body)["sessionGroups"]
            found = {g["name"]: g for g in groups}
            if set(found) == {"tiny/version_0", "tiny/version_1", "tiny/crashed"} and all(
                    len(g["sessions"][0]["metricValues"]) >= 3 for g in groups):
                return found
        groups = tb.wait_for(sessions)
    version_0 = groups["tiny/version_0"]
    assert version_0["hparams"] == {"lr": 0.1, "hidden": 8.0, "act": "tanh"}
    session = version_0["sessions"][0]
    metrics = {m["name"]["tag"]: m["value"] for m in session["metricValues"]}
    assert metrics["hp_metric"] == -1.0 and {"train_loss", "val_loss"} <= set(metrics)
    assert session["status"] == "STATUS_SUCCESS"
    assert groups["tiny/crashed"]["sessions"][0]["status"] == "STATUS_FAILURE"


def test_only_rank_zero_writes(tmp_path, monkeypatch):
    from lightning.pytorch.utilities.rank_zero import rank_zero_only

    monkeypatch.setattr(rank_zero_only, "rank", 1)  # what Lightning sets in every process but the first
    logger = TensorBoardLogger(tmp_path)
    logger.log_hyperparams(HPARAMS)
    logger.log_metrics({"loss": 0.5}, step=0)
    logger.save()
    logger.finalize("success")
    assert list(tmp_path.iterdir()) == []


def test_hparams_without_a_metric_still_make_a_session(tmp_path):
    logger = TensorBoardLogger(tmp_path, default_hp_metric=False)
    logger.log_hyperparams({"lr": 0.1, "layers": [4, 4]}, step=0)   # Lightning's writes nothing here
    logger.log_hyperparams({"lr": 0.1, "layers": [4, 4]}, metrics=0.75, step=3)  # one number: hp_metric
    logger.finalize("failed")
    assert hparams_session(logger.log_dir) == ({"lr": 0.1, "layers": "[4, 4]"}, "STATUS_FAILURE")
    assert accumulated_scalars(logger.log_dir) == {"hp_metric": [(3, 0.75)]}
