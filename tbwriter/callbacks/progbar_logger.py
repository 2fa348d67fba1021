"""``ProgbarLogger``: Keras's progress bar, in any loop.

    cbs = CallbackList([...], add_progbar=True, epochs=10, steps=len(loader), verbose=1)

``verbose=1``: Keras 3's live bar per epoch (``12/50 ━━━━━━━━━━━━━━━━━━━━ 3s 61ms/step - loss: 0.4312``);
``verbose=2``: one line per epoch. Values print as ``.4f``, or ``.4e`` when at most 1e-3 in size.
Without ``steps`` the bar counts up and learns the epoch length at its end.
"""
from __future__ import annotations

import sys
import time

from tbwriter.callbacks.callback import Callback

_BOLD, _RESET, _GREEN, _GREY, _LINE = "\x1b[1m", "\x1b[0m", "\33[32m", "\33[37m", "\u2501"


def _eta(seconds: float) -> str:
    if seconds > 3600:
        return f"{seconds // 3600:.0f}:{(seconds % 3600) // 60:02.0f}:{seconds % 60:02.0f}"
    if seconds > 60:
        return f"{seconds // 60:.0f}:{seconds % 60:02.0f}"
    return f"{seconds:.0f}s"


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
    """Prints progress to stdout; see the module docstring for a call.

    Args:
        width: characters of the bar.
        interval: the fewest seconds between two redraws of the live bar.

    ``verbose`` (1: live bar, 2: a line per epoch, 0: silent), ``epochs`` and ``steps`` (batches per epoch) come
    from :class:`CallbackList`'s ``**params``, as Keras's ``fit`` passes them. Keras's ``count_mode`` is not
    taken: the bar always counts steps.
    """

    def __init__(self, width: int = 20, interval: float = 0.05) -> None:
        super().__init__()
        self.width, self.interval = width, interval
        self.verbose, self.epochs = 1, 1
        self.target: int | None = None
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
        self._start, self._last = time.time(), 0.0  # the first batch is shown at once, as Keras does
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
        now = time.time()
        elapsed, seen, target = now - self._start, self.seen, self.target
        per_step = elapsed / seen if seen else 0
        metrics = "".join(f" - {k}: {_number(v)}" for k, v in logs.items() if k not in ("size", "batch"))
        count = f"{seen:{len(str(target))}d}/{target}" if target else f"{seen:7d}/Unknown"
        if self.verbose == 2:
            if final:
                print(f"{count} - {elapsed:.0f}s - {_per_step(per_step)}{metrics}")
            return
        # Keras 3's live bar: bold count, green done part, grey rest, bold ETA (elapsed time once done).
        bar, hidden = f"{_BOLD}{count}{_RESET} ", 8
        if target:
            done = int(self.width * seen / target)
            if done > 0:
                bar, hidden = bar + f"{_GREEN}{_LINE * done}{_RESET}", hidden + 9
            bar, hidden = bar + f"{_GREY}{_LINE * (self.width - done)}{_RESET}", hidden + 9
        when = f"{elapsed:.0f}s" if final or not target else _eta(per_step * (target - seen))
        info = f" {_BOLD}{when}{_RESET} {_per_step(per_step)}{metrics}"
        width = len(bar) + len(info) - hidden - 8
        message = "\b" * self._shown + "\r" + bar + info + " " * max(self._shown - width, 0)
        self._shown = width
        sys.stdout.write(message + ("\n" if final else ""))
        sys.stdout.flush()
