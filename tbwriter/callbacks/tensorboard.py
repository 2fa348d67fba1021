"""``TensorBoard``: Keras's TensorBoard layout from any loop, without TensorFlow.

    cbs = CallbackList([TensorBoard("logs/run1", update_freq=50)], model=model, optimizer=opt)

Writes, like Keras: run ``<log_dir>/train`` with ``epoch_<key>`` for every non-``val_`` key and
``epoch_learning_rate`` when the optimizer's rate is readable; run ``<log_dir>/validation`` with
``epoch_<key>`` for every ``val_<key>``; step = epoch. (``logs["learning_rate"]``, when a callback put it
there, is preferred over the optimizer's current rate.) ``update_freq=N`` (or "batch" = 1) adds
``batch_<key>`` to ``train`` every N batches at the global batch count; ``write_steps_per_second``
adds ``epoch_steps_per_second`` (and ``batch_steps_per_second``). Evaluation results at test end go to
``validation/evaluation_<key>_vs_iterations``. With ``update_freq="epoch"`` the batch hook only counts.

``histogram_freq=N``: every N epochs, a histogram ``<weight name>/histogram`` of every weight in ``train``
(Keras weight paths such as ``dense/kernel``, torch ``named_parameters`` such as ``0.weight``).
``hparams={"lr": 0.1, ...}`` (ours, not Keras's): the run ``<log_dir>`` holds an hparams session, started at
train begin and ended SUCCESS at train end, so TensorBoard's HParams tab lists the ``train``/``validation``
``epoch_*`` metrics beside the hyperparameters.
"""
from __future__ import annotations

import os
import time
import warnings
from typing import Any

from tbwriter.callbacks import adapters
from tbwriter.callbacks.callback import Callback
from tbwriter.callbacks.checks import count
from tbwriter.errors import WriterWarning


def _numbers(logs: dict, prefix: str, strip: int = 0) -> dict:
    """``{prefix + key[strip:]: value}`` for the values that are numbers (strings and arrays are CSV's job)."""
    return {prefix + k[strip:]: v for k, v in logs.items()
            if isinstance(v, (int, float)) or getattr(v, "ndim", None) == 0}


class TensorBoard(Callback):
    """Writes training logs in Keras's TensorBoard layout; see the module docstring for a call.

    Args:
        log_dir: the directory holding the runs ``train`` and ``validation`` (and the hparams session).
        histogram_freq: every how many epochs to write a histogram of every weight; 0 for never.
        write_graph: accepted for Keras's signature; no graph is written (there is no TensorFlow graph).
        write_images: accepted; True warns that weight images are not written.
        write_steps_per_second: also write ``epoch_steps_per_second`` (and ``batch_steps_per_second``).
        update_freq: ``"epoch"``, ``"batch"`` (= 1) or N: write ``batch_<key>`` every N batches, at the global
            batch count. Epoch scalars are written every epoch either way (Keras skips some).
        profile_batch: must be 0: profiling needs TensorFlow's profiler.
        embeddings_freq: must be 0: embeddings need TensorFlow's projector.
        embeddings_metadata: accepted for Keras's signature; unused.
        hparams: not in Keras: hyperparameters written as an hparams session in ``log_dir``, started at train
            begin and ended SUCCESS at train end.

    Raises:
        ValueError: a bad ``update_freq``, a non-zero ``profile_batch`` or ``embeddings_freq``.
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False,
                 update_freq: str | int = "epoch", profile_batch: int = 0, embeddings_freq: int = 0,
                 embeddings_metadata: object = None, hparams: dict | None = None) -> None:
        super().__init__()
        if update_freq not in ("epoch", "batch") and (type(update_freq) is not int or update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int, "
                             f"got {update_freq!r}")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = count(histogram_freq, "TensorBoard", "histogram_freq")
        if profile_batch or embeddings_freq:
            raise ValueError(f"TensorBoard: profile_batch={profile_batch!r} and embeddings_freq={embeddings_freq!r} "
                             "need TensorFlow's profiler and projector; pass 0")
        if write_images:
            warnings.warn("TensorBoard(write_images=True): weight images are not written", stacklevel=2)
        self.write_graph = write_graph  # True by default in Keras, so accepted; the graph is not written
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq: Any = 1 if update_freq == "batch" else update_freq  # "epoch" or an int
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self.hparams = hparams
        self._writers: dict = {}
        self._global_batch = 0
        self._epoch_batches = 0
        self._epoch_start = self._batch_start = 0.0

    def _writer(self, run: str):
        writer = self._writers.get(run)
        if writer is None:
            from tbwriter.writing.writer import SummaryWriter
            writer = self._writers[run] = SummaryWriter(os.path.join(self.log_dir, run))
        return writer

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._global_batch = 0
        if self.hparams is not None:
            self._writer("").add_hparams(self.hparams, {})

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_batches = 0
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._global_batch += 1
        self._epoch_batches += 1
        every = self.update_freq  # "epoch" or a number of batches
        if not isinstance(every, int) or self._global_batch % every:
            return
        values = _numbers(logs or {}, "batch_")
        if self.write_steps_per_second and self._batch_start:
            values["batch_steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start, 1e-9)
        self._writer("train").log_metrics(values, self._global_batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = _numbers({k: v for k, v in logs.items() if not k.startswith("val_")}, "epoch_")
        optimizer = self.optimizer
        # A learning_rate in the logs is the rate the epoch ran with (ReduceLROnPlateau may have cut it since).
        if "epoch_learning_rate" not in train and optimizer is not None and adapters.has_lr(optimizer):
            train["epoch_learning_rate"] = adapters.get_lr(optimizer)
        if self.write_steps_per_second:
            train["epoch_steps_per_second"] = self._epoch_batches / max(time.perf_counter() - self._epoch_start,
                                                                        1e-9)
        if train:
            self._writer("train").log_metrics(train, epoch)
        val = _numbers({k: v for k, v in logs.items() if k.startswith("val_")}, "epoch_", strip=4)
        if val:
            self._writer("validation").log_metrics(val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        for writer in self._writers.values():
            writer.flush()  # once an epoch: a watching TensorBoard sees it, a crash keeps it

    def _log_weights(self, epoch: int) -> None:
        writer, written = self._writer("train"), 0
        for name, values in adapters.named_weights(self.model):
            try:
                writer.add_histogram(f"{name}/histogram", values, epoch)
            except ValueError as e:  # no finite value (NaN weights): the run goes on, TerminateOnNaN decides
                warnings.warn(f"TensorBoard(histogram_freq={self.histogram_freq}): epoch {epoch}: no histogram of "
                              f"weight {name!r}: {e}", WriterWarning, stacklevel=3)
            written += 1
        if not written:
            warnings.warn(f"TensorBoard(histogram_freq={self.histogram_freq}): {type(self.model).__name__} has no "
                          "named weights (give a Keras model or a torch module as model=)", stacklevel=3)

    def on_test_end(self, logs: dict | None = None) -> None:
        iterations = getattr(self.optimizer, "iterations", None)
        step = self._global_batch if iterations is None else int(adapters.number(iterations))
        values = {f"evaluation_{k}_vs_iterations": v for k, v in _numbers(logs or {}, "").items()}
        if values:
            self._writer("validation").log_metrics(values, step)

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self._writers.values():
            writer.close()  # also ends the hparams session as SUCCESS
        self._writers = {}  # another fit starts new files (and a new session)
