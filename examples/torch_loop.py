"""A PyTorch training loop with Keras-style callbacks: TensorBoard (weight histograms, an hparams session),
CSV, early stopping with best weights, a checkpoint of the best epoch.

    python examples/torch_loop.py logs/torch       # then: tensorboard --logdir logs/torch
"""
from __future__ import annotations

import os
import sys

import torch

from tbwriter.callbacks import (CallbackList, CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau,
                                TensorBoard)


def main(log_dir: str, epochs: int = 40, seed: int = 0):
    torch.manual_seed(seed)
    x = torch.randn(256, 4)
    y = (x[:, :1] * 2 - x[:, 1:2]).tanh() + 0.3 * torch.randn(256, 1)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    lr = 0.1
    hparams = {"lr": lr, "hidden": 16, "optimizer": "sgd"}
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    stop = EarlyStopping(patience=4, restore_best_weights=True)
    board = TensorBoard(log_dir, update_freq="batch", histogram_freq=5, hparams=hparams)
    checkpoint = ModelCheckpoint(os.path.join(log_dir, "best.pt"), save_best_only=True)
    cbs = CallbackList([ReduceLROnPlateau(patience=2, factor=0.5), board,
                        CSVLogger(os.path.join(log_dir, "training.csv")), stop, checkpoint],
                       add_history=True, model=net, optimizer=opt, epochs=epochs, steps=4)
    cbs.on_train_begin()
    for epoch in range(epochs):
        cbs.on_epoch_begin(epoch)
        net.train()
        for batch in range(4):
            xb, yb = x[batch * 48:(batch + 1) * 48], y[batch * 48:(batch + 1) * 48]
            loss = torch.nn.functional.mse_loss(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            cbs.on_train_batch_end(batch, {"loss": loss})  # tensors become floats once, for every callback
        net.eval()
        with torch.no_grad():
            logs = {"loss": torch.nn.functional.mse_loss(net(x[:192]), y[:192]),
                    "val_loss": torch.nn.functional.mse_loss(net(x[192:]), y[192:])}
        cbs.on_epoch_end(epoch, logs)
        if cbs.model.stop_training:
            break
    cbs.on_train_end()
    return net, stop, cbs


if __name__ == "__main__":
    net, stop, cbs = main(sys.argv[1] if len(sys.argv) > 1 else "logs/torch")
    print(f"stopped after {len(cbs.model.history.epoch)} epochs; weights of epoch {stop.best_epoch + 1} restored")
