"""Two ranks that finish cleanly must exit 0 (issue 25): one short training run, with our callbacks or without.

    python -m torch.distributed.run --standalone --nproc_per_node=2 tools/rank_exit.py OUT_DIR [options]
    python tools/rank_exit_stress.py          # launches this many times, alternating variants, counts aborts

Each rank trains a linear model for up to 8 epochs on its own losses, with EarlyStopping, ReduceLROnPlateau,
CSVLogger and ModelCheckpoint(save_best_only) in a ``CallbackList`` (``sync="epoch"``), gathers the decisions
with ``all_gather_object``, destroys the process group and prints ``OK <rank>``. ``--plain`` takes the same
decisions without tbwriter, by hand, with the very collectives ``CallbackList`` issues at each epoch end: an
int64 MAX all_reduce (key digest), a float64 SUM all_reduce (the means), a barrier (after the checkpoint
hook) and a float64 MAX all_reduce (the stop flag).

At exit, after every other exit handler, each rank prints ``exit <rank>: group freed=<bool>``: whether the
default process group destroyed by ``destroy_process_group()`` has really been freed, its gloo threads
joined, before the interpreter finalizes. A group still alive then keeps worker threads that may ask for
the GIL during finalization, when CPython 3.11 ends them with ``pthread_exit`` inside a C++ destructor:
``terminate called without an active exception``, one launch in a few. The group is kept alive by
``torch.distributed.nn.functional``, whose defaults capture ``group.WORLD`` when it is first imported after
``init_process_group``, which the first optimizer does (through ``torch._dynamo``).

Options (for bisecting):
    --plain          no tbwriter: the same collectives by hand
    --sync batch     CallbackList(sync="batch") instead of "epoch"
    --callbacks L    a comma-separated subset of es,rlr,csv,ckpt,tb (default es,rlr,csv,ckpt)
    --writer         a SummaryWriter around the loop that logs every epoch (as the README example does)
    --no-optimizer   no model or optimizer (so torch._dynamo is never imported)
    --import-first   import torch.distributed.nn before init_process_group (the workaround without tbwriter)
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
import weakref
from datetime import timedelta
from typing import Any

# Rank r's own losses: the ranks alone would decide differently, their mean stops at epoch 5 after two cuts.
LOSSES = {0: [2.0, 1.6, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5], 1: [2.0, 1.7, 1.8, 1.85, 1.9, 1.95, 2.0, 2.1]}
EPOCHS, LR, PATIENCE_STOP, PATIENCE_CUT, FACTOR = 8, 0.1, 2, 1, 0.5


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--plain", action="store_true")
    parser.add_argument("--sync", default="epoch", choices=("epoch", "batch"))
    parser.add_argument("--callbacks", default="es,rlr,csv,ckpt")
    parser.add_argument("--writer", action="store_true")
    parser.add_argument("--no-optimizer", action="store_true")
    parser.add_argument("--import-first", action="store_true")
    return parser.parse_args(argv)


def report_at_exit(rank: int, group: Any) -> None:
    """Print at exit whether ``group`` is freed; registered first, so it runs after every other exit handler."""
    alive = weakref.ref(group)

    def report() -> None:  # one write: the ranks share the output, and print() writes the newline apart
        sys.stdout.write(f"exit {rank}: group freed={alive() is None}\n")
        sys.stdout.flush()
    atexit.register(report)


def with_callbacks(args: argparse.Namespace, rank: int, model: Any, optimizer: Any) -> list:
    """The loop with our CallbackList; the learning rate after each epoch."""
    from tbwriter import SummaryWriter
    from tbwriter.callbacks import (
        CallbackList,
        CSVLogger,
        EarlyStopping,
        ModelCheckpoint,
        ReduceLROnPlateau,
        TensorBoard,
    )

    made = {"es": lambda: EarlyStopping(monitor="val_loss", patience=PATIENCE_STOP),
            "rlr": lambda: ReduceLROnPlateau(monitor="val_loss", patience=PATIENCE_CUT, factor=FACTOR),
            "csv": lambda: CSVLogger(os.path.join(args.out, "log.csv")),
            "ckpt": lambda: ModelCheckpoint(os.path.join(args.out, "best.pt"), monitor="val_loss",
                                            save_best_only=True),
            "tb": lambda: TensorBoard(os.path.join(args.out, "tb"))}
    cbs = CallbackList([made[name]() for name in args.callbacks.split(",") if name], model=model,
                       optimizer=optimizer, sync=args.sync)
    writer = SummaryWriter(os.path.join(args.out, "writer")) if args.writer else None
    learning_rates = []
    cbs.on_train_begin()
    for epoch in range(EPOCHS):
        cbs.on_epoch_begin(epoch)
        cbs.on_train_batch_end(0, {"loss": LOSSES[rank][epoch]})
        logs = {"loss": LOSSES[rank][epoch], "val_loss": LOSSES[rank][epoch]}
        cbs.on_epoch_end(epoch, logs)
        if writer is not None:
            writer.log_metrics(logs, step=epoch)
        learning_rates.append(optimizer.param_groups[0]["lr"] if optimizer is not None else None)
        if cbs.model.stop_training:
            break
    cbs.on_train_end()
    if writer is not None:
        writer.close()
    return learning_rates


def by_hand(args: argparse.Namespace, rank: int, model: Any, optimizer: Any) -> list:
    """The same decisions as :func:`with_callbacks` (default callbacks), with the same collectives, no tbwriter."""
    import torch
    import torch.distributed as dist

    best_stop = best_cut = best_saved = float("inf")
    wait_stop = wait_cut = 0
    learning_rates = []
    for epoch in range(EPOCHS):
        digest = 12345  # our key digest: equal on every rank here
        extremes = torch.tensor([digest, -digest], dtype=torch.int64)
        dist.all_reduce(extremes, op=dist.ReduceOp.MAX)
        packed = torch.tensor([LOSSES[rank][epoch]] * 2, dtype=torch.float64)
        dist.all_reduce(packed)
        val_loss = (packed / dist.get_world_size()).tolist()[1]
        wait_stop, best_stop = (0, val_loss) if val_loss < best_stop else (wait_stop + 1, best_stop)
        stop = wait_stop >= PATIENCE_STOP
        wait_cut, best_cut = (0, val_loss) if val_loss < best_cut else (wait_cut + 1, best_cut)
        if wait_cut >= PATIENCE_CUT and optimizer is not None:
            wait_cut = 0
            for group in optimizer.param_groups:
                group["lr"] *= FACTOR
        if rank == 0:
            with open(os.path.join(args.out, "log.csv"), "a") as f:
                f.write(f"{epoch},{val_loss}\n")
        if val_loss < best_saved:
            best_saved = val_loss
            if rank == 0 and model is not None:
                torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))
        dist.barrier()
        flag = torch.tensor([1.0 if stop else 0.0], dtype=torch.float64)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        learning_rates.append(optimizer.param_groups[0]["lr"] if optimizer is not None else None)
        if flag.item():
            break
    return learning_rates


def main(argv: list[str]) -> None:
    args = parse(argv)
    import torch
    import torch.distributed as dist

    if args.import_first:
        import torch.distributed.nn  # noqa: F401  (its defaults capture group.WORLD while it is still None)
    dist.init_process_group("gloo", timeout=timedelta(seconds=30))
    rank = dist.get_rank()
    report_at_exit(rank, dist.group.WORLD)
    os.makedirs(args.out, exist_ok=True)
    model = optimizer = None
    if not args.no_optimizer:
        torch.manual_seed(0)
        model = torch.nn.Linear(2, 1)
        optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    learning_rates = (by_hand if args.plain else with_callbacks)(args, rank, model, optimizer)
    every: list = [None] * dist.get_world_size()
    dist.all_gather_object(every, learning_rates)
    if rank == 0:
        with open(os.path.join(args.out, "decisions.json"), "w") as f:
            json.dump(every, f)
    dist.destroy_process_group()
    print("OK", rank, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
