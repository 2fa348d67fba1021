"""The monitor logic shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau.

    class MyCallback(MonitorCallback):
        def on_epoch_end(self, epoch, logs=None):
            value = self.monitor_value(logs, "My callback")
            if value is not None and self.is_improvement(value, self.best):
                self.best = value

Direction (``mode``): "min", "max", or "auto" — the compiled Keras metric's own direction when the model
has one, else the name: loss/error-like → min, accuracy/auc/precision/recall/f1/iou-like → max.
Improvement is strict and uses ``abs(min_delta)``: ``value < best - min_delta`` (min) or
``value > best + min_delta`` (max), compared in float32 as Keras does; no best yet always counts.
"""
from __future__ import annotations

import math
import re
import struct
import warnings

from tbwriter.callbacks.callback import Callback
from tbwriter.callbacks.checks import optional_real, real_number

_MIN_WORDS = re.compile(r"loss|error|mse|mae|mape|msle|rmse|crossentropy|hinge|divergence|perplexity|distance|"
                        r"cosh|poisson|nll|(?:^|_)[wc]er(?:$|_)")
_MAX_WORDS = re.compile(r"acc|auc|precision|recall|f1|fbeta|f_beta|iou|dice|r2|psnr|ssim|bleu|rouge|"
                        r"top_\d|hits|ndcg|score|(?:^|_)map(?:$|_)")


def float32(value: float) -> float:
    """``value`` rounded to float32, the precision Keras compares in (its backend tensors' default dtype)."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:  # beyond float32's range: a float32 tensor holds inf
        return math.copysign(math.inf, value)


def direction_from_name(monitor: str, who: str) -> str:
    """"min" or "max" for a metric name, or ValueError asking for ``mode=``."""
    name = monitor.removeprefix("val_").lower()
    if _MIN_WORDS.search(name):
        return "min"
    if _MAX_WORDS.search(name):
        return "max"
    raise ValueError(f"{who}(monitor={monitor!r}): cannot tell whether {monitor!r} should go down or up; "
                     "pass mode='min' or mode='max'")


def _keras_direction(model: object, name: str) -> str | None:
    """The direction a compiled Keras metric declares for itself (``_direction`` "up"/"down")."""
    found = None
    for group in getattr(model, "metrics", None) or ():
        for metric in getattr(group, "metrics", None) or (group,):
            if getattr(metric, "name", None) == name and hasattr(metric, "_direction"):
                found = "max" if metric._direction == "up" else "min"
    return found


class MonitorCallback(Callback):
    """Base of the callbacks that watch one metric; see the module docstring for a call."""

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"{type(self).__name__} mode {mode!r} is unknown, falling back to 'auto'", stacklevel=3)
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = optional_real(baseline, type(self).__name__, "baseline")
        self.min_delta = abs(real_number(min_delta, type(self).__name__, "min_delta"))
        self._direction: str | None = None if mode == "auto" else mode

    def direction(self) -> str:
        """"min" or "max", resolved once (after the model is known, for Keras metrics)."""
        if self._direction is None:
            name = self.monitor.removeprefix("val_")
            self._direction = ("min" if name == "loss" else _keras_direction(self.model, name)
                               or direction_from_name(self.monitor, type(self).__name__))
        return self._direction

    def is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        # Keras's arithmetic: shift in Python floats, compare in float32; so every tie breaks alike.
        if self.direction() == "min":
            return float32(value + self.min_delta) < float32(reference)
        return float32(value - self.min_delta) > float32(reference)

    def monitor_value(self, logs: dict | None, what: str) -> float | None:
        """``logs[monitor]``, or None with a warning that lists the keys there are."""
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{what} conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs or {})}", stacklevel=3)
        return value
