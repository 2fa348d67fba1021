"""Keras's training callbacks for any loop: plain Python, NumPy, PyTorch, or Keras's own ``fit``.

    from tbwriter.callbacks import CallbackList, CSVLogger, EarlyStopping, TensorBoard
    cbs = CallbackList([TensorBoard("logs"), CSVLogger("logs/log.csv"), EarlyStopping(patience=3)])
    cbs.on_train_begin()
    for epoch in range(100):
        logs = {"loss": 1 / (epoch + 1), "val_loss": abs(epoch - 10) + 1.0}
        cbs.on_epoch_end(epoch, logs)
        if cbs.model.stop_training:
            break
    cbs.on_train_end()
"""
from __future__ import annotations

from tbwriter.callbacks.adapters import LoopModel
from tbwriter.callbacks.base_logger import BaseLogger
from tbwriter.callbacks.callback import Callback
from tbwriter.callbacks.callback_list import CallbackList
from tbwriter.callbacks.csv_logger import CSVLogger
from tbwriter.callbacks.early_stopping import EarlyStopping
from tbwriter.callbacks.history import History
from tbwriter.callbacks.lambda_callback import LambdaCallback
from tbwriter.callbacks.learning_rate_scheduler import LearningRateScheduler
from tbwriter.callbacks.model_checkpoint import ModelCheckpoint
from tbwriter.callbacks.progbar_logger import ProgbarLogger
from tbwriter.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from tbwriter.callbacks.tensorboard import TensorBoard
from tbwriter.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BaseLogger", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "LoopModel", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau",
           "TensorBoard", "TerminateOnNaN"]
