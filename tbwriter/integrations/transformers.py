"""``TensorBoardCallback``: HuggingFace's ``Trainer`` logs through tbwriter.

    from transformers import Trainer
    from tbwriter.integrations.transformers import TensorBoardCallback

    trainer = Trainer(model, args, train_dataset=ds, callbacks=[TensorBoardCallback(log_dir="runs/bert")])
    trainer.train()
    trainer.evaluate()           # logs into the same run

Writes what HuggingFace's own ``TensorBoardCallback`` writes, at the same steps: every number of a log
under ``train/<key>``, ``eval/<key>`` or ``test/<key>`` at ``state.global_step``, strings as text, and the
training arguments (``args``) and model config (``model_config``) as JSON text at train begin. It adds an
hparams session of the training arguments (``args.to_sanitized_dict()``), ended SUCCESS at train end.
Unlike HuggingFace's, it needs neither tensorboard nor tensorboardX, does not flush after every log (the
writer flushes on its own clock and at train end), and keeps its writer open after train end.
Only the world process zero writes.
"""
from __future__ import annotations

import os
import socket
import warnings
from datetime import datetime
from typing import Any

from tbwriter.extras import optional
from tbwriter.writing.writer import SummaryWriter

with optional("tbwriter.integrations.transformers"):
    from transformers import TrainerCallback
    from transformers.integrations.integration_utils import rewrite_logs


class TensorBoardCallback(TrainerCallback):
    """A ``TrainerCallback`` writing HuggingFace's TensorBoard tags with tbwriter; see the module docstring.

    Args:
        tb_writer: a tbwriter ``SummaryWriter`` to log into; by default the callback opens its own.
        log_dir: the run directory of its own writer. Default: ``$TENSORBOARD_LOGGING_DIR`` if set, else
            ``args.logging_dir`` where the TrainingArguments have one (transformers 4), else
            ``<output_dir>/runs/<date>_<host>`` as HuggingFace's. In a hyperparameter search each trial
            logs into ``<that directory>/<trial name>``, so one logdir compares the trials.
    """

    def __init__(self, tb_writer: SummaryWriter | None = None, log_dir: str | os.PathLike | None = None):
        if tb_writer is not None and not isinstance(tb_writer, SummaryWriter):
            raise TypeError(f"TensorBoardCallback: tb_writer must be a tbwriter SummaryWriter or None, "
                            f"got {type(tb_writer).__name__}")
        self.tb_writer = tb_writer
        self._own_writer = tb_writer is None
        env_dir = os.getenv("TENSORBOARD_LOGGING_DIR")
        chosen = log_dir if log_dir is not None else env_dir
        self._base_dir = None if chosen is None else os.path.expanduser(os.fspath(chosen))

    def _writer(self, args: Any, state: Any) -> SummaryWriter:
        """The writer of this run (of this trial, in a hyperparameter search), opened on first use."""
        if not self._own_writer:
            assert self.tb_writer is not None
            return self.tb_writer
        if self._base_dir is None:
            stamp = f"{datetime.now().strftime('%b%d_%H-%M-%S')}_{socket.gethostname()}"
            self._base_dir = getattr(args, "logging_dir", None) or os.path.join(args.output_dir, "runs", stamp)
        log_dir = self._base_dir
        if getattr(state, "is_hyper_param_search", False) and state.trial_name is not None:
            log_dir = os.path.join(log_dir, state.trial_name)
        if self.tb_writer is not None and self.tb_writer.get_logdir() != log_dir:
            self.tb_writer.close()  # the previous trial's run
            self.tb_writer = None
        if self.tb_writer is None:
            self.tb_writer = SummaryWriter(log_dir)
        return self.tb_writer

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        writer = self._writer(args, state)
        writer.add_text("args", args.to_json_string())
        config = getattr(kwargs.get("model"), "config", None)
        if config is not None:
            writer.add_text("model_config", config.to_json_string())
        writer.add_hparams(args.to_sanitized_dict(), {})

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        writer = self._writer(args, state)  # also when evaluate() runs without train()
        step = state.global_step
        for tag, value in rewrite_logs(logs or {}).items():
            if isinstance(value, (int, float)):
                writer.add_scalar(tag, value, step)
            elif isinstance(value, str):
                writer.add_text(tag, value, step)
            else:  # as HuggingFace's: a bad value must not stop training
                warnings.warn(f"TensorBoardCallback: dropped {tag!r}: a {type(value).__name__} is neither a "
                              f"number nor a str", stacklevel=2)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.tb_writer is not None and state.is_world_process_zero:
            self.tb_writer.end_hparams("SUCCESS")
            self.tb_writer.flush()  # the writer stays open: a later evaluate() logs into the same run
