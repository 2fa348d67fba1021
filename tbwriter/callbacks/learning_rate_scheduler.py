"""``LearningRateScheduler``: set the learning rate from ``schedule(epoch, lr)`` at every epoch begin.

    LearningRateScheduler(lambda epoch, lr: lr * 0.9 if epoch >= 5 else lr)
    LearningRateScheduler(lambda epoch: 0.1 / (1 + epoch))      # a schedule of the epoch alone

Any finite real number is accepted from the schedule (ints, numpy and torch scalars too).
``logs["learning_rate"]`` holds the rate at epoch end.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

from tbwriter.callbacks import adapters
from tbwriter.callbacks.callback import Callback
from tbwriter.callbacks.checks import real_number


def _takes_lr(schedule: Callable) -> bool:
    """Whether ``schedule`` accepts ``(epoch, lr)``; decided from its signature, not by catching its errors."""
    try:
        inspect.signature(schedule).bind(0, 0.1)
    except TypeError:
        return False
    except ValueError:  # no signature to read (some builtins): assume the two-argument form
        return True
    return True


class LearningRateScheduler(Callback):
    """Applies a per-epoch schedule to the optimizer; see the module docstring for a call.

    Args:
        schedule: ``schedule(epoch, lr) -> new lr`` or ``schedule(epoch) -> new lr`` (read from its signature),
            epoch counted from 0; called at every epoch begin. Its result must be a finite real number.
        verbose: 1 prints the rate set at each epoch.

    The optimizer is the one given to :class:`CallbackList` (every torch param group gets the new rate).
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got {type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose
        self._takes_lr = _takes_lr(schedule)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        who = "LearningRateScheduler"
        if self._takes_lr:
            lr = self.schedule(epoch, adapters.get_lr(self.optimizer, who))
        else:
            lr = self.schedule(epoch)
        lr = real_number(lr, who, f"schedule({epoch}) result")
        adapters.set_lr(self.optimizer, lr, who)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = adapters.get_lr(self.optimizer, "LearningRateScheduler")
