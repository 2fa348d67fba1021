"""A plain NumPy training loop with Keras-style callbacks: TensorBoard, CSV, early stopping.

    python examples/numpy_loop.py logs/numpy      # then: tensorboard --logdir logs/numpy
"""
from __future__ import annotations

import os
import sys

import numpy as np

from tbwriter.callbacks import CallbackList, CSVLogger, EarlyStopping, LoopModel, ReduceLROnPlateau, TensorBoard


def main(log_dir: str, epochs: int = 50, seed: int = 0) -> CallbackList:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 3))
    y = x @ np.array([1.5, -2.0, 0.5]) + rng.normal(scale=0.5, size=256)
    x_train, y_train, x_val, y_val = x[:192], y[:192], x[192:], y[192:]
    w = np.zeros(3)
    optimizer = type("SGD", (), {"learning_rate": 0.05})()  # any object with a learning_rate works

    def restore(saved):  # EarlyStopping(restore_best_weights=True) hands back what get_weights returned
        w[:] = saved
    model = LoopModel(get_weights=w.copy, set_weights=restore)
    cbs = CallbackList([ReduceLROnPlateau(patience=2, factor=0.5), TensorBoard(log_dir, update_freq=4),
                        CSVLogger(os.path.join(log_dir, "training.csv")),
                        EarlyStopping(patience=5, min_delta=1e-4, restore_best_weights=True)],
                       add_history=True, model=model, optimizer=optimizer, epochs=epochs, steps=6)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        for batch in range(6):
            xb, yb = x_train[batch * 32:(batch + 1) * 32], y_train[batch * 32:(batch + 1) * 32]
            error = xb @ w - yb
            w -= optimizer.learning_rate * 2 * xb.T @ error / len(xb)
            cbs.on_train_batch_end(batch, {"loss": float(np.mean(error ** 2))})
        logs = {"loss": float(np.mean((x_train @ w - y_train) ** 2)),
                "val_loss": float(np.mean((x_val @ w - y_val) ** 2))}
        cbs.on_epoch_end(epoch, logs)
        if cbs.model.stop_training:
            break
    cbs.on_train_end()
    return cbs


if __name__ == "__main__":
    history = main(sys.argv[1] if len(sys.argv) > 1 else "logs/numpy").model.history
    print(f"{len(history.epoch)} epochs, best val_loss {min(history.history['val_loss']):.4f}")
