"""``TerminateOnNaN``: stop (or raise) as soon as a batch's ``loss`` is NaN or infinite.

    CallbackList([TerminateOnNaN()])                    # sets model.stop_training
    CallbackList([TerminateOnNaN(raise_error=True)])    # RuntimeError instead
"""
from __future__ import annotations

import math

from tbwriter.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Watches ``logs["loss"]`` after every batch; see the module docstring for a call.

    The check needs the value on the host: a loss that is a CUDA tensor is read once a batch, which waits
    for the GPU to finish the batch (the writer itself does not wait, see docs/writing.md). To keep the GPU
    ahead, put a Python float in ``logs`` when you have one anyway, or check every N batches.

    Args:
        raise_error: raise a RuntimeError instead of setting ``model.stop_training``.
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        if self.raise_error:
            raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                               "Terminating training immediately.")
        print(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
