"""``CallbackList``: drives a list of callbacks from any training loop.

    cbs = CallbackList([EarlyStopping(patience=2), CSVLogger("log.csv")], model=net, optimizer=opt,
                       epochs=20, steps=len(loader))
    cbs.on_train_begin()
    for epoch in range(20):
        cbs.on_epoch_begin(epoch)
        ...                                   # cbs.on_train_batch_end(batch, {"loss": loss}) if you like
        logs = {"loss": train_loss, "val_loss": val_loss}
        cbs.on_epoch_end(epoch, logs)         # one dict, seen and extended by every callback in order
        if cbs.model.stop_training:
            break
    cbs.on_train_end()

``model`` may be a Keras model, a torch module, any object, or None (a :class:`LoopModel` stands in);
``cbs.model.stop_training`` is the stop flag in every case. ``optimizer`` (torch, Keras or any object with
``learning_rate``) is what the learning-rate callbacks read and set; without it, ``model.optimizer`` is used.
``**params`` (``epochs``, ``steps``, ``verbose``) reach every callback's ``set_params``.

Under many ranks (torchrun, SLURM; see :mod:`tbwriter.writing.distributed`) every rank runs the same list and they
take the same decisions: with ``sync="epoch"`` (the default) the numbers in the epoch-end and evaluation-end
logs are replaced by their mean over the ranks before any callback sees them, and ``model.stop_training`` is
true on every rank if it is on any, after each epoch end (and after each batch end when a TerminateOnNaN
decides there). ``sync="batch"`` also averages every batch's logs (a collective per batch). ``sync="none"``
does no collective at all: for logs that are already global, or a list that only one rank runs. CSVLogger,
TensorBoard and ProgbarLogger run on rank 0 only; ModelCheckpoint saves on rank 0, and a barrier after it
keeps every rank from reading the file before it is complete.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tbwriter.callbacks.adapters import LoopModel
from tbwriter.callbacks.base_logger import BaseLogger
from tbwriter.callbacks.callback import Callback, is_default
from tbwriter.callbacks.csv_logger import CSVLogger
from tbwriter.callbacks.history import History
from tbwriter.callbacks.model_checkpoint import ModelCheckpoint
from tbwriter.callbacks.progbar_logger import ProgbarLogger
from tbwriter.callbacks.tensorboard import TensorBoard
from tbwriter.callbacks.terminate_on_nan import TerminateOnNaN
from tbwriter.writing import distributed

_INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                  "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end",
                  "on_batch_begin", "on_batch_end")
_RUN_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
              "on_predict_end")
_SYNCS = ("epoch", "batch", "none")
_BATCH_ENDS = ("on_train_batch_end", "on_test_batch_end", "on_batch_end")
_TRAIN_BATCH_ENDS = ("on_train_batch_end", "on_batch_end")
# They only write files or print: on one rank is enough, and on more would write each file twice.
_RANK_ZERO_ONLY = (CSVLogger, TensorBoard, ProgbarLogger)


def _flatten(callbacks: object) -> list:
    if callbacks is None:
        return []
    if isinstance(callbacks, (list, tuple)):
        return [cb for item in callbacks for cb in _flatten(item)]
    return [callbacks]


def _pythonify(logs: dict | None) -> dict:
    """The same dict, its numpy/torch scalars turned into Python numbers (cheap when they already are)."""
    if logs is None:
        return {}
    for key, value in logs.items():
        if type(value) is not float and type(value) is not int and getattr(value, "ndim", 1) == 0:
            logs[key] = value.item()
    return logs


def _runs(name: str, callbacks: Iterable) -> list:
    """The bound ``name`` hooks worth calling: a default hook (one that only forwards to a default) is skipped."""
    legacy = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}.get(name)
    return [getattr(cb, name) for cb in callbacks
            if not (is_default(getattr(cb, name)) and (legacy is None or is_default(getattr(cb, legacy))))]


def _fence_checkpoints(runs: list, hook: str) -> list:
    """``runs`` with a barrier after each ModelCheckpoint that saves in ``hook``: rank 0 gets there once its
    file is complete, so the callbacks after it, on any rank, may read the checkpoint."""
    def fence(index: int, logs: dict) -> None:
        distributed.barrier(f"CallbackList.{hook}")

    fenced = []
    for run in runs:
        fenced.append(run)
        owner = getattr(run, "__self__", None)
        if isinstance(owner, ModelCheckpoint) and (owner.save_freq == "epoch") == (hook == "on_epoch_end"):
            fenced.append(fence)
    return fenced


def _indexed_hook(name: str):
    def hook(self, index: int, logs: dict | None = None) -> None:
        logs = _pythonify(logs)
        for run in self._hooks[name]:
            run(index, logs)
    hook.__name__ = name
    return hook


def _run_hook(name: str):
    def hook(self, logs: dict | None = None) -> None:
        if name == "on_train_begin":
            self.model.stop_training = False
            self._bind()  # callbacks appended since construction take part too
        logs = _pythonify(logs)
        for run in self._hooks[name]:
            run(logs)
    hook.__name__ = name
    return hook


class CallbackList(Callback):
    """Calls every callback's hook once, in order; see the module docstring for a loop.

    Args (Keras's, plus ``optimizer`` and ``sync``):
        callbacks: a callback or a (nested) list of them; ours, Keras's own, or any object with the hooks.
        add_history: append a :class:`History` unless one is listed (``cbs.model.history`` then holds it).
        add_progbar: append a :class:`ProgbarLogger` unless one is listed.
        model: what the callbacks act on: a Keras model, a torch module, a :class:`LoopModel`, any object, or
            None (a bare ``LoopModel()``). It gets a ``stop_training`` flag if it has none.
        optimizer: what the learning-rate callbacks read and set: a torch optimizer, a Keras optimizer, or any
            object with a ``learning_rate`` attribute (default: ``model.optimizer``).
        sync: under more than one rank, which logs are averaged over the ranks: ``"epoch"`` (default:
            epoch-end and evaluation-end logs), ``"batch"`` (every batch's logs too) or ``"none"``
            (logs already global). One process ignores it.
        **params: handed to every callback's ``set_params`` (``epochs``, ``steps``, ``verbose``, as Keras's
            ``fit`` hands them).

    Unlike Keras's, it passes every hook the very ``logs`` dict it is given (numpy and torch scalars in it
    become Python numbers), so the caller sees what the callbacks added.
    """

    def __init__(self, callbacks: object = None, add_history: bool = False, add_progbar: bool = False,
                 model: object = None, optimizer: object = None, *, sync: str = "epoch", **params: Any) -> None:
        super().__init__()
        if sync not in _SYNCS:
            raise ValueError(f"CallbackList: sync must be one of {', '.join(map(repr, _SYNCS))}, got {sync!r}")
        self.sync = sync
        self.callbacks = _flatten(callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(LoopModel() if model is None else model)
        if optimizer is not None:
            self.set_optimizer(optimizer)
        self.set_params(params)
        self._bind()

    def _bind(self) -> None:
        me = distributed.detect()  # again at train begin: the process group may have started since
        here = [cb for cb in self.callbacks if me.rank == 0 or not isinstance(cb, _RANK_ZERO_ONLY)]
        self._hooks = {name: _runs(name, here) for name in (*_INDEXED_HOOKS, *_RUN_HOOKS)}
        if me.world_size == 1 or self.sync == "none":
            return
        # The collectives are steps in the hook lists: a hook that needs none costs what it costs alone.
        for name in ("on_epoch_end", "on_test_end", *(_BATCH_ENDS if self.sync == "batch" else ())):
            # BaseLogger makes epoch logs out of this rank's batch logs: its keys are averaged too.
            first = [cb.on_epoch_end for cb in here if isinstance(cb, BaseLogger)] if name == "on_epoch_end" else []
            self._hooks[name] = [*first, self._averager(name), *(run for run in self._hooks[name] if run not in first)]
        for name in ("on_epoch_end", *_TRAIN_BATCH_ENDS):
            self._hooks[name] = _fence_checkpoints(self._hooks[name], name)
        # A stop must hold on every rank before the loop goes on to its next batch or epoch.
        at_batches = self.sync == "batch" or any(isinstance(cb, TerminateOnNaN) for cb in here)
        for name in ("on_epoch_end", *(_TRAIN_BATCH_ENDS if at_batches else ())):
            self._hooks[name].append(self._agreement(name))

    @staticmethod
    def _averager(hook: str) -> Callable[..., None]:
        """A step of ``hook``: the numbers in its logs become their means over the ranks (ints stay ints if whole)."""
        def average(*args: Any) -> None:  # (index, logs) or (logs)
            logs = args[-1]
            numbers = {key: value for key, value in logs.items() if type(value) is float or type(value) is int}
            for key, mean in distributed.mean_over_ranks(numbers, f"CallbackList.{hook}").items():
                logs[key] = int(mean) if type(logs[key]) is int and mean.is_integer() else mean
        return average

    def _agreement(self, hook: str) -> Callable[[int, dict], None]:
        """A last step of ``hook``: ``model.stop_training`` becomes true on every rank if it is on any."""
        def agree(index: int, logs: dict) -> None:
            model = self.model
            model.stop_training = distributed.any_rank(bool(model.stop_training), f"CallbackList.{hook}")
        return agree

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if getattr(model, "stop_training", None) is None:
            model.stop_training = False  # torch modules and plain objects get the flag Keras models have
        for callback in self.callbacks:
            callback.set_model(model)

    def set_optimizer(self, optimizer: Any) -> None:
        super().set_optimizer(optimizer)
        for callback in self.callbacks:
            if hasattr(callback, "set_optimizer"):
                callback.set_optimizer(optimizer)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            params.setdefault("verbose", 1)
            for callback in self.callbacks:
                callback.set_params(params)

    on_epoch_begin = _indexed_hook("on_epoch_begin")
    on_epoch_end = _indexed_hook("on_epoch_end")
    on_train_batch_begin = _indexed_hook("on_train_batch_begin")
    on_train_batch_end = _indexed_hook("on_train_batch_end")
    on_test_batch_begin = _indexed_hook("on_test_batch_begin")
    on_test_batch_end = _indexed_hook("on_test_batch_end")
    on_predict_batch_begin = _indexed_hook("on_predict_batch_begin")
    on_predict_batch_end = _indexed_hook("on_predict_batch_end")
    on_batch_begin = _indexed_hook("on_batch_begin")
    on_batch_end = _indexed_hook("on_batch_end")
    on_train_begin = _run_hook("on_train_begin")
    on_train_end = _run_hook("on_train_end")
    on_test_begin = _run_hook("on_test_begin")
    on_test_end = _run_hook("on_test_end")
    on_predict_begin = _run_hook("on_predict_begin")
    on_predict_end = _run_hook("on_predict_end")
