"""A small synthetic training run, logged the way a user would: ``run_demo("runs/demo")``.

Trains a logistic-regression classifier with NumPy on made-up data, for two learning
rates and three seeds, and logs its hparams, losses, accuracies and a histogram of the weights to
``<logdir>/lr<lr>/seed<k>``.
"""
from __future__ import annotations

import os

import numpy as np

from tbwriter import SummaryWriter

LEARNING_RATES = (0.5, 0.05)
SEEDS = (0, 1, 2)


def make_data(rng: np.random.Generator, n: int = 2000, features: int = 20):
    """Two noisy Gaussian classes; returns (x_train, y_train, x_val, y_val)."""
    w_true = rng.normal(size=features)
    x = rng.normal(size=(n, features))
    y = (x @ w_true + rng.normal(scale=2.0, size=n) > 0).astype(np.float64)
    split = n * 4 // 5
    return x[:split], y[:split], x[split:], y[split:]


def loss_and_accuracy(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    p = 1 / (1 + np.exp(-(x @ w)))
    eps = 1e-12
    loss = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))
    return float(loss), float(np.mean((p > 0.5) == y))


def train_one(logdir: str, lr: float, seed: int, epochs: int = 30, batch: int = 64) -> None:
    """Train one run and log it to ``logdir``."""
    rng = np.random.default_rng(seed)
    x, y, xv, yv = make_data(np.random.default_rng(1234))
    w = rng.normal(scale=0.1, size=x.shape[1])
    step = 0
    with SummaryWriter(logdir) as writer:
        writer.add_hparams({"lr": lr, "seed": seed}, {})  # a session per run: `tbwriter hparams` shows the sweep
        for epoch in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch):
                idx = order[start:start + batch]
                p = 1 / (1 + np.exp(-(x[idx] @ w)))
                w -= lr * x[idx].T @ (p - y[idx]) / len(idx)
                step += 1
                if step % 5 == 0:
                    writer.add_scalar("batch/loss", loss_and_accuracy(w, x[idx], y[idx])[0], step)
            loss, acc = loss_and_accuracy(w, x, y)
            val_loss, val_acc = loss_and_accuracy(w, xv, yv)
            writer.log_metrics({"epoch/loss": loss, "epoch/accuracy": acc,
                                "epoch/val_loss": val_loss, "epoch/val_accuracy": val_acc}, step=epoch)
            writer.add_histogram("weights", w, epoch)


def run_demo(logdir: str = "runs/demo", epochs: int = 30) -> list[str]:
    """Log every (learning rate, seed) run under ``logdir``: ``run_demo("runs/demo", epochs=5)``.

    Args:
        logdir: where the runs ``lr<rate>/seed<n>`` are written.
        epochs: epochs of each run.

    Returns:
        The run directories, in the order they were written.

    Raises:
        FileExistsError: ``logdir`` exists and holds anything. A demo logged into an earlier one would add a second
            session to each run, with every epoch twice (and garbled ``--x relative`` plots).
    """
    if os.path.isdir(logdir) and os.listdir(logdir):
        raise FileExistsError(f"{logdir} already holds files: the demo writes into a new or empty directory; give "
                              f"another one, or delete this one first")
    runs = []
    for lr in LEARNING_RATES:
        for seed in SEEDS:
            run = os.path.join(logdir, f"lr{lr}", f"seed{seed}")
            train_one(run, lr, seed, epochs)
            runs.append(run)
    return runs
