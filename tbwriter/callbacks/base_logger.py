"""``BaseLogger`` (Keras 2): epoch means of the per-batch metrics, for loops that only report batches.

    cbs = CallbackList([BaseLogger(), CSVLogger("log.csv")])
    for batch, ...:
        cbs.on_train_batch_end(batch, {"loss": loss, "size": len(x)})
    logs = {}
    cbs.on_epoch_end(epoch, logs)             # logs["loss"] is now the size-weighted mean over the epoch

Keys the epoch logs already have are left alone; ``stateful_metrics`` keep their last batch value.
"""
from __future__ import annotations

from collections.abc import Iterable

from tbwriter.callbacks.callback import Callback

_NOT_METRICS = ("size", "batch", "num_steps")


class BaseLogger(Callback):
    """Averages batch logs into epoch logs; see the module docstring for a call.

    Args:
        stateful_metrics: names of metrics that are already running values (e.g. a cumulative accuracy): their
            last batch value is kept instead of a mean. Batches are weighted by ``logs["size"]`` (default 1).
    """

    def __init__(self, stateful_metrics: Iterable[str] | None = None) -> None:
        super().__init__()
        self.stateful_metrics = set(stateful_metrics or ())
        self.seen = 0.0
        self.totals: dict[str, float] = {}

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.seen = 0.0
        self.totals = {}

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        size = logs.get("size", 1)
        self.seen += size
        totals = self.totals
        for key, value in logs.items():
            if key in _NOT_METRICS or isinstance(value, str):
                continue
            if key in self.stateful_metrics:
                totals[key] = value
            else:
                totals[key] = totals.get(key, 0.0) + value * size

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            return
        for key, total in self.totals.items():
            if key not in logs:
                logs[key] = total if key in self.stateful_metrics else total / self.seen
