"""``EarlyStopping``: stop when the monitored metric has stopped improving; Keras 3's decisions.

    stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    cbs = CallbackList([stop], model=torch_module)
    ...                                     # after each epoch: if cbs.model.stop_training: break
    cbs.on_train_end()                      # the module holds the best epoch's tensors again

Weights are restored at train end whenever they were stored, also when training ran to the end.
"""
from __future__ import annotations

from tbwriter.callbacks import adapters
from tbwriter.callbacks.checks import count, optional_real
from tbwriter.callbacks.monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Sets ``model.stop_training`` after ``patience`` epochs without improvement; see the module docstring.

    The monitored value is compared on the host: one that is a CUDA tensor is read at each epoch's end, which
    waits for the GPU then (once an epoch; logging it with a SummaryWriter does not wait).

    Args:
        monitor: the ``logs`` key to watch (a missing key warns and the epoch is skipped).
        min_delta: the smallest change that counts as an improvement (its absolute value is used).
        patience: epochs without improvement before stopping.
        verbose: 1 prints when training stops and when weights are restored.
        mode: ``"min"``, ``"max"`` or ``"auto"``; ``"auto"`` uses a compiled Keras metric's direction, else the
            name (loss/error-like -> min, accuracy/auc/f1-like -> max) and asks for ``mode=`` when the name says
            neither (Keras assumes max).
        baseline: a value the metric must beat; until it does, patience keeps running down.
        restore_best_weights: at train end, put back the weights of the best epoch (a deep copy of a torch
            ``state_dict``, Keras ``get_weights``, or ``LoopModel(get_weights=...)``).
        start_from_epoch: epochs to wait before watching at all (warm-up).

    Raises:
        TypeError, ValueError: a non-int ``patience``/``start_from_epoch``, a non-finite ``min_delta``/``baseline``
            (Keras accepts them and fails later).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = count(patience, "EarlyStopping", "patience")
        self.verbose = verbose
        self.baseline = optional_real(baseline, "EarlyStopping", "baseline")
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = count(start_from_epoch, "EarlyStopping", "start_from_epoch")
        self.on_train_begin()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights: object = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self.monitor_value(logs, "Early stopping")
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = adapters.get_weights(self.model, "EarlyStopping")
            self.best_epoch = epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = adapters.get_weights(self.model, "EarlyStopping")
            # A baseline not yet beaten keeps the patience running down.
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            adapters.set_weights(self.model, self.best_weights)
