"""Keras's own ``fit`` with tbwriter's callbacks (no TensorFlow needed; KERAS_BACKEND=torch or jax).

    KERAS_BACKEND=torch python examples/keras_fit.py logs/keras
"""
from __future__ import annotations

import os
import sys

import numpy as np

from tbwriter.callbacks import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TensorBoard


def main(log_dir: str, epochs: int = 30, seed: int = 0):
    import keras
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(160, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-1.0], [0.5]]) + 0.3 * rng.normal(size=(160, 1))).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    stop = EarlyStopping(patience=3, restore_best_weights=True)
    ckpt_dir = os.path.join(log_dir, "checkpoints")
    history = model.fit(x, y, validation_split=0.25, epochs=epochs, batch_size=40, verbose=0, callbacks=[
        ReduceLROnPlateau(patience=1, factor=0.5), TensorBoard(log_dir, update_freq=2, histogram_freq=2),
        CSVLogger(os.path.join(log_dir, "training.csv")), stop,
        ModelCheckpoint(os.path.join(ckpt_dir, "best.keras"), save_best_only=True)])
    return model, history, stop, ckpt_dir


if __name__ == "__main__":
    os.environ.setdefault("KERAS_BACKEND", "torch")
    _, history, stop, _ = main(sys.argv[1] if len(sys.argv) > 1 else "logs/keras")
    print(f"{len(history.epoch)} epochs; best epoch {stop.best_epoch + 1}")
