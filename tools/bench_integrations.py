"""Logging cost per step of tbwriter's framework integrations beside the frameworks' own, in one run.

    python tools/bench.py integrations

For each framework the same seeded run is made once with its own TensorBoard integration (torch's writer)
and once with ours, logging every step; the figure is the time spent inside the integration's methods
(Lightning: the logger's ``log_metrics`` and ``save``, which the Trainer calls at every log; HuggingFace: the
callback's ``on_log``; Accelerate: the tracker's ``log``), summed over the run and divided by its steps.
Lightning: ``fit`` of 3,000 steps of a tiny model; HuggingFace: ``train`` of 400 steps; Accelerate: a loop of
3,000 steps. Medians of repeats; both contenders of a row alternate within one process.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

REPEATS = 3


class Clock:
    """Sums the time spent in the methods it wraps on one object."""

    def __init__(self):
        self.total = 0.0

    def wrap(self, obj, *names: str) -> None:
        for name in names:
            method = getattr(obj, name)

            def timed(*args, _method=method, **kwargs):
                t0 = time.perf_counter()
                try:
                    return _method(*args, **kwargs)
                finally:
                    self.total += time.perf_counter() - t0
            setattr(obj, name, timed)


def median_per_step(run, contenders: dict, steps: int) -> dict[str, float]:
    """µs per step of each contender: ``run(make, directory) -> Clock``, alternating, median of REPEATS."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(REPEATS):
        for name, make in contenders.items():
            d = tempfile.mkdtemp(prefix="tbbench-")
            try:
                times[name].append(run(make, d).total / steps * 1e6)
            finally:
                shutil.rmtree(d, ignore_errors=True)
    return {name: statistics.median(t) for name, t in times.items()}


def lightning_row(steps: int = 3000) -> dict[str, float]:
    import torch
    from lightning.pytorch import LightningModule, Trainer, seed_everything
    from lightning.pytorch.loggers import TensorBoardLogger as Theirs

    from tbwriter.integrations.lightning import TensorBoardLogger as Ours

    class Tiny(LightningModule):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            loss = torch.nn.functional.mse_loss(self.net(batch[0]), batch[1])
            self.log("train_loss", loss)
            self.log("lr", 0.01)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01)

    data = torch.utils.data.TensorDataset(torch.randn(steps, 4), torch.randn(steps, 1))

    def run(make, d):
        seed_everything(0, verbose=False)
        logger, clock = make(d), Clock()
        clock.wrap(logger, "log_metrics", "save")
        trainer = Trainer(max_steps=steps, logger=logger, log_every_n_steps=1, accelerator="cpu", devices=1,
                          enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(Tiny(), torch.utils.data.DataLoader(data, batch_size=1))
        return clock

    return median_per_step(run, {"tbwriter": Ours, "lightning": Theirs}, steps)


def transformers_row(steps: int = 400) -> dict[str, float]:
    import torch
    from transformers import Trainer, TrainingArguments
    from transformers.integrations import TensorBoardCallback as Theirs

    from tbwriter.integrations.transformers import TensorBoardCallback as Ours

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.net = torch.nn.Linear(4, 1)

        def forward(self, x, labels):
            return {"loss": torch.nn.functional.mse_loss(self.net(x), labels)}

    data = [{"x": torch.randn(4), "labels": torch.randn(1)} for _ in range(steps)]

    def run(make, d):
        torch.manual_seed(0)
        callback, clock = make(d), Clock()
        clock.wrap(callback, "on_log")
        args = TrainingArguments(output_dir=d, max_steps=steps, per_device_train_batch_size=1, logging_steps=1,
                                 save_strategy="no", report_to="none", use_cpu=True, disable_tqdm=True,
                                 log_level="error")
        Trainer(model=Tiny(), args=args, train_dataset=data, callbacks=[callback]).train()
        return clock

    def ours(d):
        return Ours(log_dir=os.path.join(d, "run"))

    def theirs(d):
        os.environ["TENSORBOARD_LOGGING_DIR"] = os.path.join(d, "run")  # HF's only way to choose the directory
        return Theirs()

    try:
        return median_per_step(run, {"tbwriter": ours, "transformers": theirs}, steps)
    finally:
        os.environ.pop("TENSORBOARD_LOGGING_DIR", None)


def accelerate_row(steps: int = 3000) -> dict[str, float]:
    from accelerate import Accelerator
    from accelerate.tracking import TensorBoardTracker as Theirs

    from tbwriter.integrations.accelerate import TensorBoardTracker as Ours

    def run(make, d):
        tracker, clock = make("run", d), Clock()
        accelerator = Accelerator(log_with=tracker)
        accelerator.init_trackers("run", config={"lr": 0.01})
        clock.wrap(tracker, "log")
        for step in range(steps):
            accelerator.log({"loss": 1 / (step + 1), "lr": 0.01, "epoch": step // 100}, step=step)
        accelerator.end_training()
        return clock

    return median_per_step(run, {"tbwriter": Ours, "accelerate": Theirs}, steps)


def main(argv: list[str] | None = None) -> None:
    warnings.filterwarnings("ignore")
    import logging
    logging.disable(logging.WARNING)  # the frameworks' start-up notes
    print("framework integrations: µs per logged step inside the integration (logging every step)")
    for name, row in (("lightning", lightning_row), ("transformers", transformers_row),
                      ("accelerate", accelerate_row)):
        try:
            results = row()
        except ImportError as e:
            print(f"  {name}: skipped ({e})")
            continue
        ours = results["tbwriter"]
        peer = next(k for k in results if k != "tbwriter")
        print(f"  {name:13s} tbwriter {ours:8.1f} µs   {peer} own {results[peer]:8.1f} µs "
              f"({results[peer] / ours:5.1f}x tbwriter)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1:])
