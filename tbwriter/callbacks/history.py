"""``History``: every epoch's logs, as ``history.history[key] == [value per epoch]``.

    cbs = CallbackList([History()])           # or CallbackList(add_history=True)
    ...
    cbs.model.history.history["loss"]
"""
from __future__ import annotations

from typing import Any

from tbwriter.callbacks.callback import Callback


class History(Callback):
    """Records epoch logs; see the module docstring for a call. Takes no arguments.

    After training, ``history.epoch`` lists the epochs seen and ``history.history[key]`` the value of ``key``
    at each of them; ``model.history`` is this callback, as in Keras.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if model is not None:
            model.history = self

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
