"""A seeded HuggingFace Trainer run of a tiny BERT (built from a config, nothing downloaded), for tests.

    python -m tests.support.hf_run ours LOG_DIR OUT_DIR     # tbwriter's callback; tensorboard and tensorboardX blocked
    python -m tests.support.hf_run theirs LOG_DIR OUT_DIR   # HuggingFace's own TensorBoardCallback (torch's writer)
    python -m tests.support.hf_run search LOG_DIR OUT_DIR   # tbwriter's callback in a two-trial optuna search

Trains 12 steps (a log every 2, an evaluation every 6), then calls ``evaluate()`` once more, and prints
a JSON line: how often the writer was flushed, whether tensorboard could be imported, and the metrics of
the last ``evaluate()``. ``search`` runs ``hyperparameter_search`` over learning_rate 1e-4 and 1e-3 instead
(trials ``trial_0``, ``trial_1``: sub-runs of LOG_DIR, no final ``evaluate()``) and prints the best run too.
From a test, ``finished(run_trainer("ours", root))`` runs one in its own process under ``root``.
"""
from __future__ import annotations

import importlib.abc
import json
import os
import pathlib
import subprocess
import sys

from tests.support import ROOT

BLOCKED = ("tensorboard", "tensorboardX")
SEARCHED_LEARNING_RATES = [1e-4, 1e-3]


def run_trainer(kind: str, root: pathlib.Path) -> subprocess.Popen:
    """This script as a process of ``kind`` logging into ``root/log``, with ``root/out`` as output_dir."""
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.Popen([sys.executable, "-m", "tests.support.hf_run", kind, str(root / "log"), str(root / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=root)


def finished(proc: subprocess.Popen) -> dict:
    """The JSON line a ``run_trainer`` process printed, once it ended well."""
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


class _Hiding(importlib.abc.MetaPathFinder):
    """Wraps a finder so that tensorboard and tensorboardX are not found, as if neither were installed."""

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            return None
        return self.finder.find_spec(fullname, path, target)

    def find_distributions(self, *args, **kwargs):  # importlib.metadata asks here whether a package is installed
        found = getattr(self.finder, "find_distributions", lambda *a, **k: ())(*args, **kwargs)
        return (d for d in found if (d.metadata["Name"] or "").lower() not in ("tensorboard", "tensorboardx"))

    def invalidate_caches(self):
        getattr(self.finder, "invalidate_caches", lambda: None)()


def main(kind: str, log_dir: str, out_dir: str) -> None:
    if kind in ("ours", "search"):
        sys.meta_path[:] = [_Hiding(f) for f in sys.meta_path]
    import torch
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    flushes = []
    if kind in ("ours", "search"):
        from tbwriter import SummaryWriter
        from tbwriter.integrations.transformers import TensorBoardCallback

        class CountingWriter(SummaryWriter):  # a real writer that counts its flush() calls
            def flush(self):
                flushes.append(1)
                super().flush()
        # a search needs the callback's own writers: one per trial
        callback = TensorBoardCallback(log_dir=log_dir) if kind == "search" else \
            TensorBoardCallback(tb_writer=CountingWriter(log_dir))
    else:
        from torch.utils.tensorboard import SummaryWriter as TorchWriter
        from transformers.integrations import TensorBoardCallback as HFCallback

        class TorchCountingWriter(TorchWriter):
            def flush(self):
                flushes.append(1)
                super().flush()
        callback = HFCallback(tb_writer=TorchCountingWriter(log_dir))

    def tiny_bert():
        torch.manual_seed(0)
        config = BertConfig(vocab_size=64, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=32, max_position_embeddings=16, num_labels=2)
        return BertForSequenceClassification(config)

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 64, (48, 8), generator=g)
    data = [{"input_ids": ids[i], "attention_mask": torch.ones(8, dtype=torch.long), "labels": int(ids[i, 0] % 2)}
            for i in range(len(ids))]
    args = TrainingArguments(output_dir=out_dir, max_steps=12, per_device_train_batch_size=4,
                             per_device_eval_batch_size=8, logging_steps=2, eval_strategy="steps", eval_steps=6,
                             save_strategy="no", report_to="none", seed=0, use_cpu=True, disable_tqdm=True,
                             dataloader_num_workers=0)
    result = {}
    if kind == "search":
        import optuna

        trainer = Trainer(model_init=tiny_bert, args=args, train_dataset=data[:40], eval_dataset=data[40:],
                          callbacks=[callback])
        best = trainer.hyperparameter_search(
            hp_space=lambda trial: {"learning_rate": trial.suggest_float("learning_rate", 1e-4, 1e-3)},
            n_trials=len(SEARCHED_LEARNING_RATES), direction="minimize", backend="optuna",
            hp_name=lambda trial: f"trial_{trial.number}",
            sampler=optuna.samplers.GridSampler({"learning_rate": SEARCHED_LEARNING_RATES}))
        result["best_run"] = {"run_id": best.run_id, "objective": best.objective,
                              "hyperparameters": best.hyperparameters}
    else:
        trainer = Trainer(model=tiny_bert(), args=args, train_dataset=data[:40], eval_dataset=data[40:],
                          callbacks=[callback])
        trainer.train()
        result["evaluate"] = trainer.evaluate()
    if kind in ("ours", "search"):
        callback.tb_writer.close()
    try:
        import tensorboard  # noqa: F401
        tensorboard_importable = True
    except ImportError:
        tensorboard_importable = False
    print(json.dumps({"flushes": len(flushes), "tensorboard_importable": tensorboard_importable, **result}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
