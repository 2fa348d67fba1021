"""Multi-rank training scenarios, all in one launch (a launch costs seconds): run by tests/writing/test_distributed.py.

    python -m torch.distributed.run --standalone --nproc_per_node=2 tests/support/distributed_run.py OUT_DIR

Each rank logs its own, diverging metrics, runs the scenarios below on gloo with a 30 s timeout (a missed
collective fails in seconds, not 30 minutes) and writes what it saw to ``OUT_DIR/rank<r>.json``; the test
compares the ranks with each other and with one process fed the mean. The metric sequences and the
callback lists live here so that the test builds its reference from the very same ones.
"""
from __future__ import annotations

import json
import math
import os
import sys
from datetime import timedelta

# Local validation losses of rank 0 and rank 1: each rank alone would stop, and cut its learning rate, at
# other epochs than the other rank and than their mean.
VAL_LOSS = {0: [1.625, 1.375, 1.5, 1.25, 1.625, 0.5, 1.375, 0.875, 1.875, 2.0],
            1: [1.25, 1.25, 1.75, 0.75, 1.125, 1.5, 1.875, 2.0, 1.75, 1.875]}
EPOCHS = len(VAL_LOSS[0])
BATCHES = 4
LR = 0.1


def local_logs(rank: int, epoch: int) -> dict:
    """What rank ``rank`` measured at the end of ``epoch``."""
    return {"loss": VAL_LOSS[rank][epoch] + 0.25, "val_loss": VAL_LOSS[rank][epoch], "epoch_no": epoch}


def mean_logs(epoch: int) -> dict:
    """The mean over both ranks of :func:`local_logs`, as one process fed it would see it."""
    return {key: (a + b) / 2 if isinstance(a, float) else a
            for (key, a), b in zip(local_logs(0, epoch).items(), local_logs(1, epoch).values(), strict=True)}


def deciding_callbacks(module) -> list:
    """The callbacks whose decisions must agree, from ``module`` (ours, or Keras's for the cross-check)."""
    return [module.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_delta=0),
            module.EarlyStopping(monitor="val_loss", patience=2)]


def fit(cbs, optimizer, logs_at) -> dict:
    """A loop over :data:`EPOCHS` that stops on the flag; what it saw: epoch logs, learning rates, last epoch."""
    seen: dict = {"logs": [], "lr": []}
    cbs.on_train_begin()
    for epoch in range(EPOCHS):
        cbs.on_epoch_begin(epoch)
        logs = logs_at(epoch)
        cbs.on_epoch_end(epoch, logs)
        seen["logs"].append(logs)
        seen["lr"].append(optimizer.param_groups[0]["lr"])
        seen["last_epoch"] = epoch
        if cbs.model.stop_training:
            break
    cbs.on_train_end()
    return seen


def main(out: str) -> None:
    import torch
    import torch.distributed as dist

    from tbwriter import SummaryWriter, callbacks
    from tbwriter.callbacks import Callback, CallbackList

    dist.init_process_group("gloo", timeout=timedelta(seconds=30))
    rank = dist.get_rank()
    result: dict = {"rank": rank, "world_size": dist.get_world_size()}

    def model_and_optimizer():
        model = torch.nn.Linear(1, 1, bias=False)
        return model, torch.optim.SGD(model.parameters(), lr=LR)

    class Recorder(Callback):
        """Keeps the logs its hooks saw."""

        def __init__(self) -> None:
            super().__init__()
            self.test_logs: list[dict] = []
            self.batch_logs: list[dict] = []

        def on_test_end(self, logs=None):
            self.test_logs.append(dict(logs))

        def on_train_batch_end(self, batch, logs=None):
            self.batch_logs.append(dict(logs))

    # -- synced: the whole list, default sync; the checkpoint is read back by every rank after each epoch.
    model, optimizer = model_and_optimizer()
    folder = os.path.join(out, "synced")
    checkpoint = os.path.join(folder, "best.pt")
    recorder = Recorder()
    cbs = CallbackList([*deciding_callbacks(callbacks), recorder,
                        callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True),
                        callbacks.CSVLogger(os.path.join(folder, "log.csv")),
                        callbacks.TensorBoard(os.path.join(folder, "tb")), callbacks.TerminateOnNaN()],
                       model=model, optimizer=optimizer)
    read_back = []

    def synced_logs(epoch):
        with torch.no_grad():
            model.weight.fill_(epoch)  # the checkpoint of an epoch holds its number
        for batch in range(BATCHES):
            cbs.on_train_batch_end(batch, {"loss": 1.0 + rank})
        cbs.on_test_begin()
        cbs.on_test_end({"loss": VAL_LOSS[rank][epoch]})
        return local_logs(rank, epoch)

    class ReadBack(Callback):
        def on_epoch_end(self, epoch, logs=None):
            read_back.append(float(torch.load(checkpoint)["weight"].item()))

    cbs.callbacks.append(ReadBack())  # after ModelCheckpoint: what any rank reads once the epoch ended
    result["synced"] = fit(cbs, optimizer, synced_logs)
    result["synced"].update(test_logs=recorder.test_logs, batch_logs=recorder.batch_logs, read_back=read_back)

    # -- naive: the same callbacks on each rank's own metrics (sync="none", no collective on the way).
    model, optimizer = model_and_optimizer()
    cbs = CallbackList(deciding_callbacks(callbacks), model=model, optimizer=optimizer, sync="none")
    result["naive"] = fit(cbs, optimizer, lambda epoch: local_logs(rank, epoch))

    # -- a stop flag set on one rank only, before the epoch end.
    cbs = CallbackList([], model=torch.nn.Linear(1, 1))

    def user_stop(epoch):
        if rank == 1 and epoch == 2:
            cbs.model.stop_training = True
        return local_logs(rank, epoch)

    result["user_stop"] = fit(cbs, torch.optim.SGD(cbs.model.parameters(), lr=LR), user_stop)["last_epoch"]

    # -- a NaN loss on rank 1 only, at one batch: both ranks stop after that batch (default and batch sync).
    for sync in ("epoch", "batch"):
        recorder = Recorder()
        cbs = CallbackList([callbacks.TerminateOnNaN(), recorder], sync=sync)
        cbs.on_train_begin()
        stopped = None
        for batch in range(BATCHES):
            cbs.on_train_batch_end(batch, {"loss": math.nan if rank == 1 and batch == 2 else 1.0 + rank})
            if cbs.model.stop_training:
                stopped = batch
                break
        result[f"nan_{sync}"] = {"stopped": stopped, "batch_logs": recorder.batch_logs}

    # -- a batch-level checkpoint is complete when any rank reads it after the batch end.
    model = torch.nn.Linear(1, 1, bias=False)
    batch_checkpoint = os.path.join(out, "batch", "last.pt")
    cbs = CallbackList([callbacks.ModelCheckpoint(batch_checkpoint, save_freq=2)], model=model)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    result["batch_read_back"] = []
    for batch in range(BATCHES):
        with torch.no_grad():
            model.weight.fill_(batch)
        cbs.on_train_batch_end(batch, {"loss": 1.0})
        if batch % 2 == 1:  # saved at this batch
            result["batch_read_back"].append(float(torch.load(batch_checkpoint)["weight"].item()))

    # -- BaseLogger's epoch means of this rank's batches are averaged over the ranks too.
    cbs = CallbackList([callbacks.BaseLogger()])
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    for batch in range(BATCHES):
        cbs.on_train_batch_end(batch, {"loss": float(rank + batch)})
    result["base_logger"] = {}
    cbs.on_epoch_end(0, result["base_logger"])

    # -- ranks that log different keys: a ValueError on every rank, not a hang.
    cbs = CallbackList([])
    try:
        cbs.on_epoch_end(0, {"val_loss": 1.0, **({"extra": 1.0} if rank == 1 else {})})
        result["mismatch"] = None
    except ValueError as e:
        result["mismatch"] = str(e)

    # -- writers: one run written by rank 0, a folder only rank 1 would write, and one run per rank.
    with SummaryWriter(os.path.join(out, "plain")) as w:
        for step in range(5):
            w.add_scalar("value", float(rank), step)
        w.add_scalars("pair", {"a": float(rank)}, 0)
        w.add_histogram("h", [float(rank)] * 3, 0)
        try:
            w.add_scalar("value", "not a number", 0)
        except TypeError as e:
            result["refused"] = str(e)
    SummaryWriter(os.path.join(out, f"only_rank{rank}")).close()
    with SummaryWriter(os.path.join(out, "each"), ranks="each") as w:
        w.add_scalar("value", float(rank), 0)
        w.add_scalars("pair", {"a": float(rank)}, 0)
        result["each_logdir"] = w.get_logdir()

    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
