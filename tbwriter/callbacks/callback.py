"""``Callback``: the base class, Keras 3's hook protocol with no-op hooks.

    class PrintLoss(Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(epoch, logs["loss"])

A callback reaches the model through ``self.model`` and the optimizer through ``self.optimizer``
(the one given to :class:`CallbackList`, else ``self.model.optimizer`` as in Keras).
"""
from __future__ import annotations

from typing import Any


def default(hook):
    """Mark a hook as a no-op so CallbackList (and Keras's own, which reads the same mark) can skip it."""
    hook._is_default = True
    return hook


def is_default(hook) -> bool:
    return getattr(hook, "_is_default", False)


class Callback:
    """Base class: override the hooks you need; see the module docstring for a call.

    Every hook takes ``logs``, a dict of metric name -> value (or None); batch hooks also take the batch index
    within the epoch, epoch hooks the epoch index (from 0). :class:`CallbackList` calls them, as Keras's ``fit``
    does.
    """

    def __init__(self) -> None:
        self.params: dict = {}
        self._model: Any = None  # duck-typed: a Keras model, a torch module, a LoopModel
        self._optimizer: Any = None

    def set_params(self, params: dict) -> None:
        """Called by :class:`CallbackList` with its ``**params`` (``epochs``, ``steps``, ``verbose``)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Called by :class:`CallbackList` with the model the callbacks act on."""
        self._model = model

    def set_optimizer(self, optimizer: Any) -> None:
        """Called by :class:`CallbackList` with the optimizer the learning-rate callbacks read and set."""
        self._optimizer = optimizer

    @property
    def model(self) -> Any:
        """The model given to :class:`CallbackList` (a :class:`LoopModel` when none was)."""
        return self._model

    @property
    def optimizer(self) -> Any:
        """The optimizer given to :class:`CallbackList`, else ``self.model.optimizer`` as in Keras."""
        if self._optimizer is not None:
            return self._optimizer
        return getattr(self._model, "optimizer", None)

    @default
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias: the default ``on_train_batch_begin`` forwards here."""

    @default
    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Legacy alias: the default ``on_train_batch_end`` forwards here."""

    @default
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    @default
    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    @default
    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    @default
    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    @default
    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    @default
    def on_test_begin(self, logs: dict | None = None) -> None:
        pass

    @default
    def on_test_end(self, logs: dict | None = None) -> None:
        pass

    @default
    def on_predict_begin(self, logs: dict | None = None) -> None:
        pass

    @default
    def on_predict_end(self, logs: dict | None = None) -> None:
        pass
