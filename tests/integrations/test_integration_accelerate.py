"""An Accelerate loop logging through tbwriter's TensorBoardTracker, judged against Accelerate's own tracker.

The same seeded loop runs with ``Accelerator(log_with="tensorboard")`` (torch's writer) and with
``Accelerator(log_with=TensorBoardTracker(...))``; TensorBoard's EventAccumulator must see the same scalars
(tags, steps and values, sub-runs of dict values included) and the same hparams.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

pytest.importorskip("accelerate")
from tests.support.eventcheck import accumulated_scalars, accumulator, hparams_session  # noqa: E402

CONFIG = {"lr": 0.05, "epochs": 2, "optimizer": "sgd", "nesterov": False, "scheduler": None}


def train(accelerator, project: str) -> None:
    import torch

    accelerator.init_trackers(project, config=CONFIG)
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"])
    model, opt = accelerator.prepare(model, opt)
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    for step in range(10):
        loss = torch.nn.functional.mse_loss(model(x), y)
        accelerator.backward(loss)
        opt.step()
        opt.zero_grad()
        accelerator.log({"loss": loss.detach(), "lr": CONFIG["lr"], "epoch": step // 5,
                         "phase": "warmup" if step < 3 else "main",
                         "split": {"train": loss.item(), "val": loss.item() * 2}}, step=step)
    images = np.random.default_rng(0).random((2, 3, 8, 8))
    accelerator.get_tracker("tensorboard").log_images({"samples": images}, step=9)
    accelerator.end_training()


def runs(root) -> dict[str, str]:
    """Relative run name -> directory, for every directory under root holding event files."""
    found = {os.path.relpath(os.path.dirname(p), root) for p in glob.glob(f"{root}/**/*tfevents*", recursive=True)}
    return {name: os.path.join(root, name) for name in sorted(found)}


@pytest.mark.slow
def test_same_scalars_and_hparams_as_accelerates_tracker(tmp_path):
    from accelerate import Accelerator

    from tbwriter.integrations.accelerate import TensorBoardTracker

    train(Accelerator(log_with="tensorboard", project_dir=str(tmp_path / "theirs")), "proj")
    tracker = TensorBoardTracker("proj", tmp_path / "ours")
    train(Accelerator(log_with=tracker), "ignored_for_custom_trackers")

    theirs, ours = runs(tmp_path / "theirs"), runs(tmp_path / "ours")
    # torch puts the hparams session in a sub-run named by the time; we put it in the run itself.
    (theirs_hparams_run,) = [name for name in theirs if hparams_session(theirs[name])]
    assert set(ours) == {"proj", "proj/split_train", "proj/split_val"}
    assert set(theirs) - {theirs_hparams_run} == set(ours)
    for name in ours:
        assert accumulated_scalars(ours[name]) == accumulated_scalars(theirs[name]), name
    assert [s for s, _ in accumulated_scalars(ours["proj"])["loss"]] == list(range(10))

    expected_hparams = {**CONFIG, "epochs": 2.0, "scheduler": "None"}
    assert hparams_session(ours["proj"]) == (expected_hparams, "STATUS_SUCCESS")
    del expected_hparams["scheduler"]  # torch's writer drops hparams that are None
    assert hparams_session(theirs[theirs_hparams_run])[0] == expected_hparams
    with open(tmp_path / "ours/proj/hparams.yml", encoding="utf-8") as f:
        assert yaml.safe_load(f) == CONFIG

    ours_tags, theirs_tags = accumulator(ours["proj"]).Tags(), accumulator(theirs["proj"]).Tags()
    assert "phase" in ours_tags["tensors"]  # torch's writer names it phase/text_summary
    # one card with a slider over the two images; torch's writer tiles them into one v1 image
    assert "samples" in ours_tags["tensors"] and theirs_tags["images"] == ["samples"]
    assert tracker.tracker is tracker.writer


def test_a_refused_log_writes_nothing(tmp_path):
    from accelerate import Accelerator

    from tbwriter.integrations.accelerate import TensorBoardTracker

    accelerator = Accelerator(log_with=TensorBoardTracker("run", tmp_path))
    accelerator.init_trackers("run")
    with pytest.raises(TypeError, match=r"TensorBoardTracker.log: 'weights' must be a number, str or dict"):
        accelerator.log({"loss": 0.5, "weights": [0.1, 0.2]}, step=1)
    accelerator.log({"loss": 0.25}, step=2)
    accelerator.end_training()
    assert accumulated_scalars(tmp_path / "run") == {"loss": [(2, 0.25)]}
    assert hparams_session(tmp_path / "run") is None  # no config, no session


TWO_PROCESSES = """
import sys
from accelerate import Accelerator
from tbwriter.integrations.accelerate import TensorBoardTracker

accelerator = Accelerator(cpu=True, log_with=TensorBoardTracker("run", sys.argv[1]))
accelerator.init_trackers("run", config={"lr": 0.1})
for step in range(3):
    accelerator.log({"process": accelerator.process_index}, step=step)
accelerator.end_training()
print(f"process {accelerator.process_index} of {accelerator.num_processes}")
"""


@pytest.mark.slow
def test_only_the_main_process_logs(tmp_path, root):
    script = tmp_path / "two_processes.py"
    script.write_text(TWO_PROCESSES)
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           str(script), str(tmp_path / "logs")], env={**os.environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    # the ranks share one stdout pipe, so their lines may interleave: match them, not whole lines
    assert sorted(re.findall(r"process (\d) of 2", done.stdout)) == ["0", "1"], done.stdout
    assert len(glob.glob(str(tmp_path / "logs/run/*tfevents*"))) == 1
    assert accumulated_scalars(tmp_path / "logs/run") == {"process": [(0, 0.0), (1, 0.0), (2, 0.0)]}
