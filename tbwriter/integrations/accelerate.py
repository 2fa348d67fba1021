"""``TensorBoardTracker``: an Accelerate loop logs through tbwriter.

    from accelerate import Accelerator
    from tbwriter.integrations.accelerate import TensorBoardTracker

    accelerator = Accelerator(log_with=TensorBoardTracker("run1", "runs/accel"))
    accelerator.init_trackers("run1", config={"lr": 0.01, "epochs": 3})  # the run's hparams session
    accelerator.log({"loss": 0.5, "phase": "warmup"}, step=0)           # numbers: scalars; strings: text
    accelerator.end_training()                                          # ends the session SUCCESS, closes

Accelerate's own tracker does the same with torch's writer, but puts the hparams session in a sub-run
named by the time (torch's layout), flushes after every ``log``, and writes ``hparams.yml`` into another
time-named folder. Ours keeps the session in the run, beside its curves, and ``hparams.yml`` in the run
directory. Only the main process logs (``main_process_only``, as every Accelerate tracker).
"""
from __future__ import annotations

import os
from typing import Any

from tbwriter.extras import optional
from tbwriter.writing.writer import SummaryWriter

with optional("tbwriter.integrations.accelerate"):
    import yaml  # a dependency of accelerate
    from accelerate.tracking import GeneralTracker, on_main_process
    from accelerate.utils import listify


class TensorBoardTracker(GeneralTracker):
    """An Accelerate tracker writing with tbwriter's ``SummaryWriter``; see the module docstring for a call.

    Args:
        run_name: the run's name; it logs into ``<logging_dir>/<run_name>``.
        logging_dir: the folder of the runs (TensorBoard's ``--logdir``).
        **kwargs: passed to ``SummaryWriter`` (``flush_secs``, ``filename_suffix``, ...).
    """

    name = "tensorboard"
    requires_logging_directory = True

    def __init__(self, run_name: str, logging_dir: str | os.PathLike, **kwargs: Any):
        super().__init__()
        self.run_name = run_name
        self.logging_dir = os.path.join(os.fspath(logging_dir), run_name)
        self.init_kwargs = kwargs
        self.writer: SummaryWriter | None = None

    @on_main_process
    def start(self) -> None:
        self.writer = SummaryWriter(self.logging_dir, **self.init_kwargs)

    @property
    def tracker(self) -> SummaryWriter | None:
        """The ``SummaryWriter`` (None on other processes than the main one, and before ``start``)."""
        return self.writer

    @on_main_process
    def store_init_configuration(self, values: dict) -> None:
        """Start the run's hparams session with ``values`` (None becomes "None") and save them to hparams.yml."""
        assert self.writer is not None, "TensorBoardTracker: init_trackers() starts the tracker"
        self.writer.add_hparams({k: "None" if v is None else v for k, v in values.items()}, {})
        with open(os.path.join(self.logging_dir, "hparams.yml"), "w", encoding="utf-8") as f:
            yaml.safe_dump(values, f)

    @on_main_process
    def log(self, values: dict, step: int | None = None, **kwargs: Any) -> None:
        """Numbers (and tensors) as scalars, strings as text, dicts of numbers as ``add_scalars`` sub-runs.

        ``kwargs`` (such as ``walltime``) go to those calls.
        """
        assert self.writer is not None, "TensorBoardTracker: init_trackers() starts the tracker"
        values = listify(values)
        for tag, value in values.items():  # all checked first: a refused call writes nothing
            if not isinstance(value, (int, float, str, dict)):
                raise TypeError(f"TensorBoardTracker.log: {tag!r} must be a number, str or dict of numbers, "
                                f"got {type(value).__name__} {value!r:.80}")
        for tag, value in values.items():
            if isinstance(value, str):
                self.writer.add_text(tag, value, step, **kwargs)
            elif isinstance(value, dict):
                self.writer.add_scalars(tag, value, step, **kwargs)
            else:
                self.writer.add_scalar(tag, value, step, **kwargs)

    @on_main_process
    def log_images(self, values: dict, step: int | None = None, **kwargs: Any) -> None:
        """Each value, a batch of images (NCHW unless ``dataformats=`` says otherwise), with ``add_images``."""
        assert self.writer is not None, "TensorBoardTracker: init_trackers() starts the tracker"
        for tag, images in values.items():
            self.writer.add_images(tag, images, step, **kwargs)

    @on_main_process
    def finish(self) -> None:
        """End the hparams session as SUCCESS and close the writer (``accelerator.end_training()``)."""
        if self.writer is not None:
            self.writer.close()
