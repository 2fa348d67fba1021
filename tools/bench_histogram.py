"""add_histogram on one 1M-element float32 array: tbwriter vs tensorboardX vs torch, default bins.

    python tools/bench.py histogram        # or: python tools/bench_histogram.py [n]

Each contender logs the same array through its own SummaryWriter; figures are medians of
per-call times (``time.perf_counter``), with ``np.histogram`` over the same 1,549 edges for scale.
"""
from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc

import numpy as np

from bench import writers


def per_call(fn, repeats: int) -> float:
    """Median seconds of ``fn(i)`` over ``repeats`` calls, after one warm-up call."""
    fn(-1)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv else 1_000_000
    values = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    results = {}
    for name, cls in writers().items():
        d = tempfile.mkdtemp(prefix="tbbench-hist-")
        try:
            w = cls(d)
            results[name] = per_call(lambda i: w.add_histogram("h", values, i), 60 if name == "tbwriter" else 12)
            w.close()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    from tbwriter.summaries.buckets import TF_EDGES
    results["np.histogram"] = per_call(lambda i: np.histogram(values, TF_EDGES), 12)
    print(f"\nadd_histogram of {n:,} float32 values, bins='tensorflow' (median per call)")
    ours = results["tbwriter"]
    for name, t in results.items():
        ratio = "" if name == "tbwriter" else f"   {t / ours:6.1f}x tbwriter"
        print(f"  {name:14s} {t * 1e3:8.2f} ms{ratio}")
    import tbwriter
    d = tempfile.mkdtemp(prefix="tbbench-hist-")
    try:
        with tbwriter.SummaryWriter(d) as w:
            tracemalloc.start()
            w.add_histogram("h", values, 0)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print(f"  tbwriter peak extra memory: {peak / values.nbytes:.2f}x the input ({values.nbytes / 1e6:.0f} MB)")


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    main(sys.argv[1:])
