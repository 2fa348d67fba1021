"""Per-batch cost of a CallbackList: tbwriter's vs Keras's, on the same hooks, in one run.

    python tools/bench.py callbacks

Ours: History + TensorBoard(update_freq="epoch") + CSVLogger + EarlyStopping; Keras's: History + CSVLogger +
EarlyStopping (its TensorBoard needs TensorFlow). Each batch is on_train_batch_begin + on_train_batch_end with
a ``{"loss": float}`` log; the figure is µs per hook call, median of repeats, training begun as in a fit.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time

BATCHES, REPEATS = 100_000, 5


def per_hook(module, callbacks, batches: int, repeats: int, **options) -> float:
    """Median µs per batch hook of ``module.CallbackList(callbacks, **options)`` after on_train_begin."""
    times = []
    for _ in range(repeats):
        d = tempfile.mkdtemp(prefix="tbbench-")
        try:
            cbs = module.CallbackList(callbacks(d), model=None if module.__name__.startswith("tbwriter")
                                      else _KerasStandIn(), **options)
            cbs.on_train_begin()
            cbs.on_epoch_begin(0)
            begin, end, logs = cbs.on_train_batch_begin, cbs.on_train_batch_end, {"loss": 0.5}
            t0 = time.perf_counter()
            for batch in range(batches):
                begin(batch, logs)
                end(batch, logs)
            times.append((time.perf_counter() - t0) / (2 * batches))
            cbs.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.5})
            cbs.on_train_end()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return statistics.median(times) * 1e6


class _KerasStandIn:
    stop_training = False


def main(argv: list[str] | None = None) -> None:
    from tbwriter import callbacks as ours
    results = {"tbwriter": per_hook(ours, lambda d: [
        ours.History(), ours.TensorBoard(d), ours.CSVLogger(os.path.join(d, "log.csv")),
        ours.EarlyStopping()], BATCHES, REPEATS)}
    try:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras
        results["keras"] = per_hook(keras.callbacks, lambda d: [
            keras.callbacks.History(), keras.callbacks.CSVLogger(os.path.join(d, "log.csv")),
            keras.callbacks.EarlyStopping()], BATCHES // 10, REPEATS)
    except ImportError:
        pass
    print("CallbackList batch hook (on_train_batch_begin/end), µs per call")
    for name, cost in results.items():
        ratio = "" if name == "tbwriter" else f"   {cost / results['tbwriter']:6.1f}x tbwriter"
        print(f"  {name:14s} {cost:9.3f} µs{ratio}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main(sys.argv[1:])
