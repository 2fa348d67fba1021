"""``ReduceLROnPlateau``: cut the learning rate when the monitored metric stalls; Keras 3's arithmetic.

    cbs = CallbackList([ReduceLROnPlateau(factor=0.5, patience=2, min_lr=1e-5)], optimizer=torch_optimizer)

Every torch param group gets the new rate. ``logs["learning_rate"]`` is the rate the epoch ran with.
"""
from __future__ import annotations

from tbwriter.callbacks import adapters
from tbwriter.callbacks.checks import count, real_number
from tbwriter.callbacks.monitor import MonitorCallback, float32


class ReduceLROnPlateau(MonitorCallback):
    """Multiplies the learning rate by ``factor`` after ``patience`` flat epochs; see the module docstring.

    Args:
        monitor: the ``logs`` key to watch.
        factor: the multiplier, below 1.0.
        patience: epochs without improvement before a cut.
        verbose: 1 prints every cut.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (as for :class:`EarlyStopping`).
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs after a cut during which no new cut happens.
        min_lr: the rate is never cut below this.

    The optimizer is the one given to :class:`CallbackList` (every torch param group gets the new rate).
    Keras's ``**kwargs`` (for arguments it no longer uses) are not taken: a misspelt argument is a TypeError.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        if real_number(factor, "ReduceLROnPlateau", "factor") >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got factor={factor}")
        self.factor = factor
        self.min_lr = real_number(min_lr, "ReduceLROnPlateau", "min_lr")
        self.patience = count(patience, "ReduceLROnPlateau", "patience")
        self.verbose = verbose
        self.cooldown = count(cooldown, "ReduceLROnPlateau", "cooldown")
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = {} if logs is None else logs
        logs["learning_rate"] = adapters.get_lr(self.optimizer, "ReduceLROnPlateau")
        current = self.monitor_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch: int) -> bool:
        old_lr = adapters.get_lr(self.optimizer, "ReduceLROnPlateau")
        # Keras compares `old_lr > np.float32(min_lr)`, which NumPy 2 does in float32: an lr that rounds to
        # float32(min_lr) is not cut again.
        if not float32(old_lr) > float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        adapters.set_lr(self.optimizer, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
