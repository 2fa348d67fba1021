"""What multi-rank training costs our callbacks: the epoch-end sync on 2 ranks, and a batch hook on 2 ranks vs 1.

    python tools/bench.py distributed

Launches ``python -m torch.distributed.run --standalone --nproc_per_node=2`` (gloo, CPU) on this file; rank 0
reports. The epoch-end sync is ``on_epoch_end`` with ``sync="epoch"`` minus the same call with ``sync="none"``
(4 metrics, EarlyStopping). The batch hook is tools/bench_callbacks.py's (History, TensorBoard, CSVLogger,
EarlyStopping), timed here in one process and on each of 2 ranks running at once (2 ranks share the 2 cores).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH_ENDS, BATCHES, REPEATS = 2_000, 50_000, 5


def epoch_end_cost(sync: str) -> float:
    """Median µs per ``on_epoch_end`` of a CallbackList([EarlyStopping]) with 4 metrics."""
    from tbwriter import callbacks

    times = []
    for _ in range(REPEATS):
        cbs = callbacks.CallbackList([callbacks.EarlyStopping(patience=10**9)], sync=sync)
        cbs.on_train_begin()
        t0 = time.perf_counter()
        for epoch in range(EPOCH_ENDS):
            cbs.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 0.5, "acc": 0.9, "val_acc": 0.8})
        times.append((time.perf_counter() - t0) / EPOCH_ENDS)
    return statistics.median(times) * 1e6


def batch_hook_costs() -> dict[str, float]:
    """µs per batch hook: the bench_callbacks list as is, with a TerminateOnNaN, and with sync="batch"."""
    from bench_callbacks import per_hook

    from tbwriter import callbacks as ours

    def listed(d: str, *extra) -> list:
        return [ours.History(), ours.TensorBoard(d), ours.CSVLogger(os.path.join(d, "log.csv")),
                ours.EarlyStopping(), *extra]
    return {"default": per_hook(ours, listed, BATCHES, REPEATS),
            "TerminateOnNaN": per_hook(ours, lambda d: listed(d, ours.TerminateOnNaN()), BATCHES // 10, REPEATS),
            "sync_batch": per_hook(ours, listed, BATCHES // 10, REPEATS, sync="batch")}


def worker(out: str) -> None:
    """One rank of the launch: time everything, rank 0 writes the figures to ``out``."""
    from datetime import timedelta

    import torch.distributed as dist

    dist.init_process_group("gloo", timeout=timedelta(seconds=60))
    figures = {"epoch_synced": epoch_end_cost("epoch"), "epoch_unsynced": epoch_end_cost("none"),
               "batch": batch_hook_costs()}
    if dist.get_rank() == 0:
        with open(out, "w") as f:
            json.dump(figures, f)
    dist.barrier()
    dist.destroy_process_group()


def main(argv: list[str] | None = None) -> None:
    one_rank = batch_hook_costs()
    with tempfile.TemporaryDirectory(prefix="tbbench-") as d:
        out = os.path.join(d, "figures.json")
        env = dict(os.environ, OMP_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), HERE, os.environ.get("PYTHONPATH", "")]))
        subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                        os.path.abspath(__file__), "--worker", out], check=True, env=env, cwd=d,
                       stdout=subprocess.DEVNULL)
        with open(out) as f:
            two = json.load(f)
    sync = two["epoch_synced"] - two["epoch_unsynced"]
    print("Distributed: 2 ranks under torchrun (gloo, CPU) beside one process, µs")
    print(f"  epoch-end sync (mean of 4 metrics + stop flag)  {sync:9.1f} µs per epoch end  "
          f"(on_epoch_end {two['epoch_synced']:.1f} synced vs {two['epoch_unsynced']:.1f} with sync='none')")
    for name, label in (("default", "batch hook"), ("TerminateOnNaN", "batch hook + TerminateOnNaN (flag agreed)"),
                        ("sync_batch", 'batch hook, sync="batch"')):
        alone, ranked = one_rank[name], two["batch"][name]
        print(f"  {label:46s} 1 rank {alone:9.3f}   2 ranks {ranked:9.3f}   ({ranked / alone:5.1f}x)")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(HERE))
    sys.path.insert(0, HERE)
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2])
    else:
        main(sys.argv[1:])
