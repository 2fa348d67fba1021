"""HuggingFace's Trainer logging through tbwriter's TensorBoardCallback, judged against HF's own callback.

The same seeded run of a tiny BERT (tests/support/hf_run.py) runs twice, each in its own process: once with
HuggingFace's TensorBoardCallback over torch's writer, once with ours in a process where tensorboard and
tensorboardX cannot be imported. TensorBoard's EventAccumulator must see the same scalar tags at the same
steps; ours also holds the hparams session HF's lacks and the final evaluate() in the same run.
"""
from __future__ import annotations

import glob

import pytest

pytest.importorskip("transformers")
from tests.support.eventcheck import accumulated_scalars, accumulator, hparams_session  # noqa: E402
from tests.support.hf_run import finished, run_trainer  # noqa: E402


def steps_by_tag(run_dirs) -> dict[str, list[int]]:
    steps: dict[str, list[int]] = {}
    for run in run_dirs:
        for tag, points in accumulated_scalars(run).items():
            steps.setdefault(tag, []).extend(step for step, _ in points)
    return {tag: sorted(s) for tag, s in steps.items()}


@pytest.mark.slow
def test_same_tags_and_steps_as_huggingfaces_callback_without_tensorboard(tmp_path):
    procs = {kind: run_trainer(kind, tmp_path / kind) for kind in ("theirs", "ours")}  # both at once
    results = {kind: finished(proc) for kind, proc in procs.items()}
    assert results["ours"]["tensorboard_importable"] is False
    assert results["theirs"]["tensorboard_importable"] is True

    # HF's callback closed its writer at train end; the later evaluate() opened another under output_dir/runs.
    theirs_runs = [tmp_path / "theirs/log", *glob.glob(str(tmp_path / "theirs/out/runs/*"))]
    assert len(theirs_runs) == 2
    theirs = steps_by_tag(theirs_runs)
    ours = steps_by_tag([tmp_path / "ours/log"])  # one run holds everything
    assert ours == theirs
    assert ours["train/loss"] == [2, 4, 6, 8, 10, 12]
    assert ours["eval/loss"] == [6, 12, 12]  # two evaluations in training, one after it
    assert not glob.glob(str(tmp_path / "ours/out/runs/*"))

    # Ours flushed once (train end); HF's after every log.
    assert results["ours"]["flushes"] == 1 < results["theirs"]["flushes"]

    session = hparams_session(tmp_path / "ours/log")
    assert session is not None and hparams_session(tmp_path / "theirs/log") is None
    hparams, status = session
    assert status == "STATUS_SUCCESS"
    assert hparams["learning_rate"] == 5e-05 and hparams["max_steps"] == 12 and hparams["seed"] == 0
    assert hparams["train_batch_size"] == 4 and hparams["report_to"] == "[]"

    ours_text = accumulator(tmp_path / "ours/log").Tags()["tensors"]
    theirs_text = accumulator(tmp_path / "theirs/log").Tags()["tensors"]
    assert {"args", "model_config"} <= set(ours_text)
    assert {"args/text_summary", "model_config/text_summary"} <= set(theirs_text)  # torch appends /text_summary


def test_only_world_process_zero_writes(tmp_path):
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from tbwriter.integrations.transformers import TensorBoardCallback

    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to="none", use_cpu=True)
    callback = TensorBoardCallback(log_dir=tmp_path / "log")
    state = TrainerState(is_world_process_zero=False)
    callback.on_train_begin(args, state, TrainerControl())
    callback.on_log(args, state, TrainerControl(), logs={"loss": 0.5})
    callback.on_train_end(args, state, TrainerControl())
    assert not (tmp_path / "log").exists() and callback.tb_writer is None


def test_refuses_a_writer_that_is_not_ours():
    from tbwriter.integrations.transformers import TensorBoardCallback

    with pytest.raises(TypeError, match="TensorBoardCallback: tb_writer must be a tbwriter SummaryWriter"):
        TensorBoardCallback(tb_writer="runs/x")


def test_each_trial_of_a_hyperparameter_search_is_a_sub_run(tmp_path):
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from tbwriter.integrations.transformers import TensorBoardCallback

    callback = TensorBoardCallback(log_dir=tmp_path / "search")
    for trial, lr in (("trial_a", 0.1), ("trial_b", 0.01)):
        args = TrainingArguments(output_dir=str(tmp_path / "out"), learning_rate=lr, report_to="none", use_cpu=True)
        state = TrainerState(is_world_process_zero=True, is_hyper_param_search=True, trial_name=trial, global_step=3)
        callback.on_train_begin(args, state, TrainerControl())
        callback.on_log(args, state, TrainerControl(), logs={"loss": lr * 2, "eval_loss": lr})
        callback.on_train_end(args, state, TrainerControl())
    callback.tb_writer.close()
    for trial, lr in (("trial_a", 0.1), ("trial_b", 0.01)):
        run = tmp_path / "search" / trial
        assert hparams_session(run)[0]["learning_rate"] == pytest.approx(lr)
        assert hparams_session(run)[1] == "STATUS_SUCCESS"
        assert accumulated_scalars(run) == {"train/loss": [(3, pytest.approx(lr * 2))],
                                            "eval/loss": [(3, pytest.approx(lr))]}
