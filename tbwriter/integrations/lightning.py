"""``TensorBoardLogger``: Lightning's ``Trainer`` logs through tbwriter.

    import lightning as L
    from tbwriter.integrations.lightning import TensorBoardLogger

    trainer = L.Trainer(max_epochs=2, logger=TensorBoardLogger("runs", name="mnist", log_graph=True))
    trainer.fit(model)        # runs/mnist/version_0: curves, graph, hparams session, hparams.yaml

Lightning's own ``TensorBoardLogger`` with tbwriter's ``SummaryWriter`` as its ``experiment``: the same
constructor, ``version_N`` directories, ``hparams.yaml``, ``prefix``, ``sub_dir`` and rank-zero-only
logging are Lightning's own code. What changes: ``log_hyperparams`` starts the run's hparams session
(TensorBoard's HPARAMS tab lists it, with ``hp_metric`` and every logged scalar as metrics) and ``finalize``
ends it with the Trainer's status (SUCCESS, or FAILURE when training raised or was interrupted); Lightning's
own marks the session SUCCESS as soon as it starts. ``log_graph=True`` works without the tensorboard
package. Lightning's constructor still insists that tensorboard or tensorboardX be installed (the
``lightning`` extra brings tensorboard). Local paths only.
"""
from __future__ import annotations

import os
from argparse import Namespace
from typing import Any, cast

from tbwriter.extras import optional
from tbwriter.writing.writer import SummaryWriter

with optional("tbwriter.integrations.lightning"):
    from lightning.fabric.loggers.logger import rank_zero_experiment
    from lightning.fabric.utilities.logger import _convert_params, _flatten_dict
    from lightning.pytorch.loggers import TensorBoardLogger as LightningTensorBoardLogger
    from lightning.pytorch.utilities.rank_zero import rank_zero_only


_STATUS = {"success": "SUCCESS", "failed": "FAILURE"}  # Trainer's finalize(status) -> session end status


class TensorBoardLogger(LightningTensorBoardLogger):
    """Lightning's ``TensorBoardLogger`` writing with tbwriter; see the module docstring for a call.

    Args:
        save_dir: the folder of the experiments (TensorBoard's ``--logdir``).
        name: the experiment's folder under ``save_dir``; "" for none.
        version: an int gives ``version_<int>``, a str that folder name; None takes the next free ``version_N``.
        log_graph: write the model's graph (from ``model.example_input_array``) at fit start.
        default_hp_metric: log ``hp_metric = -1`` with the hparams, a placeholder metric to overwrite later.
        prefix: put before every metric name (joined with "-").
        sub_dir: a folder under the version folder to log into.
        **kwargs: passed to tbwriter's ``SummaryWriter`` (``flush_secs``, ``filename_suffix``, ...).
    """

    def __init__(self, save_dir: Any, name: str | None = "lightning_logs", version: int | str | None = None,
                 log_graph: bool = False, default_hp_metric: bool = True, prefix: str = "",
                 sub_dir: Any = None, **kwargs: Any):
        super().__init__(save_dir, name=name, version=version, log_graph=log_graph,
                         default_hp_metric=default_hp_metric, prefix=prefix, sub_dir=sub_dir, **kwargs)
        # Lightning's turns it off without the tensorboard package; ours needs none
        self._log_graph = log_graph  # type: ignore[assignment]
        self._session_started = False
        self._hparams_file_written = False

    @property
    @rank_zero_experiment
    def experiment(self) -> SummaryWriter:
        """The tbwriter ``SummaryWriter`` of this run, opened on first use (a dummy on other ranks)."""
        if self._experiment is None:
            if self.root_dir:
                self._fs.makedirs(self.root_dir, exist_ok=True)
            # Lightning types _experiment as torch's writer; Lightning's own methods only call what ours has
            self._experiment = SummaryWriter(log_dir=self.log_dir, **self._kwargs)  # type: ignore[assignment]
        return cast(SummaryWriter, self._experiment)

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, metrics: Any = None,
                        step: int | None = None) -> None:
        """Keep ``params`` for hparams.yaml, start the run's hparams session and log ``metrics`` at ``step``.

        ``metrics``: a dict, or one number for ``hp_metric``; None logs ``hp_metric = -1`` when
        ``default_hp_metric``. A run holds one session: later calls add metrics (and keys to hparams.yaml).
        """
        params = _convert_params(params)
        self.hparams.update(params)  # what save() writes to hparams.yaml
        if metrics is None:
            metrics = {"hp_metric": -1} if self._default_hp_metric else {}
        elif not isinstance(metrics, dict):
            metrics = {"hp_metric": metrics}
        flat = self._sanitize_params(_flatten_dict(params))
        if flat and not self._session_started:
            # a 1-d tensor is no scalar either: as text, like Lightning's other non-scalars
            self.experiment.add_hparams({k: str(v) if getattr(v, "ndim", 0) else v for k, v in flat.items()}, {})
            self._session_started = True
        if metrics:
            self.log_metrics(metrics, step)

    @rank_zero_only
    def save(self) -> None:
        """Lightning's save: flush, and write hparams.yaml if the run's folder has none.

        The Trainer calls it at every log; once hparams.yaml is written, the filesystem is not asked again
        (Lightning's asks twice a call: 0.2 ms per logged step, more than the rest of the logging).
        """
        if self._hparams_file_written:
            self.experiment.flush()
            return
        super().save()
        self._hparams_file_written = self._fs.isfile(os.path.join(self.log_dir, self.NAME_HPARAMS_FILE))

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """End the hparams session with the Trainer's status, then Lightning's finalize (flush, close, hparams.yaml)."""
        if self._experiment is not None:
            self.experiment.end_hparams(_STATUS.get(status, "FAILURE"))
        super().finalize(status)
