"""add_histogram on one 1M-element float32 array: tbwriter vs tensorboardX vs torch, default bins.

    python tools/bench.py histogram        # or: python tools/bench_histogram.py [n]

Each contender logs the same array through its own SummaryWriter, taking turns call by call so
that load from other processes hits all alike; figures are medians of per-call wall
(``time.perf_counter``) and CPU (``time.thread_time``) times, with ``np.histogram`` over the same 1,549 edges
and tbwriter's pure-numpy counting (used where its C loop could not be built) for scale.
"""
from __future__ import annotations

import functools
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from bench import writers


def interleaved(calls: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """(median wall, median CPU) seconds per call of each ``calls[name](i)``, taking turns call by call.

    Taking turns spreads the load of other processes over all contenders alike; the CPU time
    (this thread's) is the less noisy figure when the machine is busy.
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in calls}
    for i in range(-1, repeats):  # i = -1 warms up (tbwriter builds its cell table on first use)
        for name, call in calls.items():
            w0, c0 = time.perf_counter(), time.thread_time()
            call(i)
            if i >= 0:
                times[name].append((time.perf_counter() - w0, time.thread_time() - c0))
    return {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
            for name, t in times.items()}


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1_000_000
    values = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    from tbwriter.writing.summaries.buckets import KERNEL, TF_EDGES, count_with_numpy
    root = tempfile.mkdtemp(prefix="tbbench-hist-")
    try:
        opened = {name: cls(f"{root}/{name}") for name, cls in writers().items()}
        calls: dict[str, Callable[[int], object]] = {  # each call: w.add_histogram("h", values, i)
            name: functools.partial(w.add_histogram, "h", values) for name, w in opened.items()}
        calls["np.histogram"] = lambda i: np.histogram(values, TF_EDGES)
        calls["numpy fallback"] = lambda i: count_with_numpy(values)
        results = interleaved(calls, 30)
        tracemalloc.start()
        opened["tbwriter"].add_histogram("h", values, 0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        for w in opened.values():
            w.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nadd_histogram of {n:,} float32 values, bins='tensorflow' (median per call, calls interleaved)")
    print(f"  tbwriter counts with {'its C loop' if KERNEL else 'numpy (C loop not built)'}; "
          "'numpy fallback' is the counting alone, without the C loop")
    print(f"  {'':14s} {'wall ms':>8s} {'ratio':>7s} {'CPU ms':>8s} {'ratio':>7s}")
    ours_wall, ours_cpu = results["tbwriter"]
    for name, (wall, cpu) in results.items():
        print(f"  {name:14s} {wall * 1e3:8.2f} {wall / ours_wall:6.1f}x {cpu * 1e3:8.2f} {cpu / ours_cpu:6.1f}x")
    print(f"  tbwriter peak extra memory: {peak / values.nbytes:.2f}x the input ({values.nbytes / 1e6:.0f} MB)")


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    main(sys.argv[1:])
