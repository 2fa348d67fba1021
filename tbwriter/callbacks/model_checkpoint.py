"""``ModelCheckpoint``: save the model every epoch, every N batches, or only when it improved.

    ModelCheckpoint("ckpt/epoch{epoch:02d}-{val_loss:.3f}.pt", save_best_only=True)   # torch: state_dict
    ModelCheckpoint("best.keras", monitor="val_accuracy", mode="max")                  # Keras: model.save
    ModelCheckpoint("w-{epoch}-{batch}.npy", save_freq=100)                             # every 100 batches

    ModelCheckpoint("s3://bucket/ckpt/epoch{epoch:02d}.pt")                           # any fsspec URL

The path is ``filepath.format(epoch=epoch + 1, **logs)`` (plus ``batch=batch + 1`` for batch saves).
What is saved depends on the model (see ``adapters``); any file name is accepted. A URL's checkpoint is saved
to a temporary local file, then put in one request (large ones in parts committed together): the object
appears whole, and replaces an earlier one at once.
"""
from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any

from tbwriter import storage
from tbwriter.callbacks import adapters
from tbwriter.callbacks.monitor import MonitorCallback
from tbwriter.writing import distributed


class ModelCheckpoint(MonitorCallback):
    """Saves the model to ``filepath``; see the module docstring for a call.

    Args:
        filepath: where to save; formatted with ``epoch`` (from 1), ``batch`` (from 1, batch saves) and the
            ``logs`` keys, e.g. ``"ckpt/{epoch:02d}-{val_loss:.3f}.pt"``. Any extension is accepted; missing
            folders are created.
        monitor: the ``logs`` key ``save_best_only`` compares.
        verbose: 1 prints every save and every skipped one.
        save_best_only: save only when ``monitor`` improved on the best so far.
        save_weights_only: Keras ``save_weights`` instead of ``save`` (torch always saves its ``state_dict``).
        mode: ``"min"``, ``"max"`` or ``"auto"`` (as for :class:`EarlyStopping`).
        save_freq: ``"epoch"``, or an int N to save every N batches counted across epochs (works with
            ``save_best_only``, where Keras raises a TypeError).
        initial_value_threshold: the value ``monitor`` must beat for the first save with ``save_best_only``.
        storage_options: for a URL ``filepath``, passed to fsspec's filesystem (credentials, endpoint...).

    Under several ranks (torchrun), every rank decides alike and only rank 0 writes the file.
    """

    def __init__(self, filepath: str | os.PathLike, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False, mode: str = "auto",
                 save_freq: str | int = "epoch", initial_value_threshold: float | None = None,
                 storage_options: dict[str, Any] | None = None) -> None:
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and (type(save_freq) is not int or save_freq < 1):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive int, got {save_freq!r}")
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.storage_options = storage_options
        self._batches_since_save = 0
        self._last_batch: int | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not isinstance(self.save_freq, int):  # "epoch"
            return
        # Batch indices restart every epoch; count batches across epochs as Keras does.
        last = self._last_batch
        self._batches_since_save += batch + 1 if last is None or batch <= last else batch - last
        self._last_batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _path(self, epoch: int, batch: int | None, logs: dict) -> str:
        extra = {} if batch is None or "batch" in logs else {"batch": batch + 1}
        try:
            return self.filepath.format(epoch=epoch + 1, **extra, **logs)
        except KeyError as e:
            raise KeyError(f'ModelCheckpoint: failed to format the filepath "{self.filepath}": '
                           f"no value for {e} in the logs") from None

    def _should_save(self, epoch: int, logs: dict, filepath: str) -> bool:
        if not self.save_best_only:
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        if not self.is_improvement(current, self.best):
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
            return False
        if self.verbose > 0:
            best = "None" if self.best is None else f"{self.best:.5f}"
            print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to {current:.5f}, "
                  f"saving model to {filepath}")
        self.best = current
        return True

    def _save(self, epoch: int, batch: int | None, logs: dict) -> None:
        filepath = self._path(epoch, batch, logs)
        # Every rank decides (alike, on the same logs); rank 0 writes. Under many ranks, CallbackList puts a
        # barrier after this hook, so no rank reads the file before it is complete.
        if not self._should_save(epoch, logs, filepath) or distributed.detect().rank != 0:
            return
        if storage.is_url(filepath):
            self._save_remote(filepath)
        else:
            folder = os.path.dirname(filepath)
            if folder:
                os.makedirs(folder, exist_ok=True)
            if os.path.isdir(filepath):
                raise IsADirectoryError(f"ModelCheckpoint: filepath {filepath!r} is an existing directory")
            adapters.save(self.model, filepath, self.save_weights_only, "ModelCheckpoint")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _save_remote(self, url: str) -> None:
        """Save to a local file of the same name (Keras picks the format by its extension), then put it whole."""
        from tbwriter.storage.transfer import upload

        with tempfile.TemporaryDirectory(prefix="tbwriter-checkpoint-") as folder:
            local = os.path.join(folder, url.rstrip("/").rsplit("/", 1)[-1])
            adapters.save(self.model, local, self.save_weights_only, "ModelCheckpoint")
            upload(local, url, self.storage_options)
