"""``ProgbarLogger``: Keras's progress bar, in any loop.

    cbs = CallbackList([...], add_progbar=True, epochs=10, steps=len(loader), verbose=1)

``verbose=1``: a live bar per epoch (``12/50 [=====>.......] - 3s 61ms/step - loss: 0.4312``);
``verbose=2``: one line per epoch. Values print as ``.4f``, or ``.4e`` when at most 1e-3 in size.
Without ``steps`` the bar counts up and learns the epoch length at its end.
"""
from __future__ import annotations

import sys
import time

from tbwriter.callbacks.callback import Callback


def _number(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.4f}" if abs(value) > 1e-3 else f"{value:.4e}"
    return str(value)


def _per_step(seconds: float) -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """Prints progress to stdout; see the module docstring for a call."""

    def __init__(self, width: int = 20, interval: float = 0.05) -> None:
        super().__init__()
        self.width, self.interval = width, interval
        self.verbose, self.epochs, self.target = 1, 1, None
        self.seen = 0
        self._start = self._last = 0.0
        self._shown = 0

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs") or 1
        self.target = params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.seen, self._shown = 0, 0
        self._start = self._last = time.time()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.seen = batch + 1
        now = time.time()
        if self.verbose == 1 and now - self._last >= self.interval:
            self._last = now
            self._show(logs or {}, final=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.target is None:
            self.target = self.seen
        if self.verbose:
            self.seen = self.target or self.seen
            self._show(logs or {}, final=True)

    def _show(self, logs: dict, final: bool) -> None:
        elapsed = time.time() - self._start
        target = self.target
        if target:
            digits = len(str(target))
            done = self.width if final else min(int(self.width * self.seen / target), self.width)
            filled = "=" * done if done == self.width else "=" * done + ">" + "." * (self.width - done - 1)
            count = f"{self.seen:{digits}d}/{target}"
            bar = f"{count} [{filled}]"
        else:
            bar = count = f"{self.seen:7d}/Unknown"
        timing = f"{elapsed:.0f}s {_per_step(elapsed / self.seen if self.seen else 0)}"
        metrics = "".join(f" - {k}: {_number(v)}" for k, v in logs.items() if k not in ("size", "batch"))
        if self.verbose == 2:
            if final:
                print(f"{count} - {timing}{metrics}")
            return
        line = f"{bar} - {timing}{metrics}"
        pad = " " * max(self._shown - len(line), 0)
        self._shown = len(line)
        sys.stdout.write(f"\r{line}{pad}" + ("\n" if final else ""))
        sys.stdout.flush()
