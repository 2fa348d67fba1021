"""A seeded two-epoch Lightning ``Trainer.fit`` of a tiny regressor, for tests.

    trainer = fit(TensorBoardLogger(root, name="tiny"))                      # hparams HPARAMS
    fit(TensorBoardLogger(root, name="tiny"), hparams={"lr": 0.05, "hidden": 4, "act": "tanh"})

40 samples in batches of 4 (10 steps an epoch), train_loss logged every 3 steps, val_loss once an epoch;
``fail_at_step`` makes training_step raise FloatingPointError at that step.
"""
from __future__ import annotations

import torch
from lightning.pytorch import LightningModule, Trainer, seed_everything

HPARAMS = {"lr": 0.1, "hidden": 8, "act": "tanh"}


class Tiny(LightningModule):
    def __init__(self, lr: float = 0.1, hidden: int = 8, act: str = "tanh", fail_at_step: int | None = None):
        super().__init__()
        self.save_hyperparameters(ignore=["fail_at_step"])
        self.net = torch.nn.Sequential(torch.nn.Linear(4, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
        self.example_input_array = torch.zeros(2, 4)
        self.fail_at_step = fail_at_step

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        if self.global_step == self.fail_at_step:
            raise FloatingPointError("loss is NaN")
        loss = torch.nn.functional.mse_loss(self(batch[0]), batch[1])
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", torch.nn.functional.mse_loss(self(batch[0]), batch[1]))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader(seed: int):
    g = torch.Generator().manual_seed(seed)
    data = torch.utils.data.TensorDataset(torch.randn(40, 4, generator=g), torch.randn(40, 1, generator=g))
    return torch.utils.data.DataLoader(data, batch_size=4)


def fit(logger, fail_at_step: int | None = None, hparams: dict | None = None) -> Trainer:
    """The Trainer after fitting ``Tiny(**hparams)`` (default HPARAMS), logging through ``logger``."""
    seed_everything(0, verbose=False)
    trainer = Trainer(max_epochs=2, logger=logger, log_every_n_steps=3, accelerator="cpu", devices=1,
                      enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(Tiny(**(HPARAMS if hparams is None else hparams), fail_at_step=fail_at_step), loader(1), loader(2))
    return trainer
