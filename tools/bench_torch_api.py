"""torch's other SummaryWriter methods: tbwriter vs tensorboardX and torch.utils.tensorboard on the same input.

    python tools/bench.py torch_api

Each figure is one call, with creating the writer and ``close()``, median of repeats, each in a
fresh directory. torch and tensorboardX need moviepy for add_video (and write nothing without it).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import warnings

import numpy as np
from bench import median_time, report, writers


def _row(title: str, call, found: dict, repeats: int = 5, peer_repeats: int = 3) -> None:
    def run(cls):
        def go(d):
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch prints on clipping; jit warns when tracing
                w = cls(d)
                call(w)
                w.close()
        return go
    results = {name: median_time(run(cls), repeats if name == "tbwriter" else peer_repeats)
               for name, cls in found.items()}
    report(title, "ms", results, 1000)  # per=1000: report's µs of a thousandth are ms of the whole


def main(argv: list[str]) -> None:
    import torch

    rng = np.random.default_rng(0)
    found = writers()
    labels, predictions = rng.random(1_000_000) < 0.3, rng.random(1_000_000).astype(np.float32)
    _row("add_pr_curve: 1M predictions, 127 thresholds", lambda w: w.add_pr_curve("pr", labels, predictions, 0),
         found)

    points = torch.from_numpy(rng.normal(size=(10_000, 128)).astype(np.float32))
    classes = [f"class {i % 10}" for i in range(10_000)]
    sprites = torch.from_numpy(rng.random((10_000, 1, 28, 28)).astype(np.float32))
    _row("add_embedding: 10,000 x 128 with labels and 28x28 sprites",
         lambda w: w.add_embedding(points, metadata=classes, label_img=sprites, global_step=0), found, 3, 1)

    sound = torch.from_numpy(np.sin(np.arange(441_000) / 9.0).astype(np.float32))[None]
    audio_peers = {n: c for n, c in found.items() if n != "tensorboardX" or importlib.util.find_spec("soundfile")}
    _row("add_audio: 10 s at 44.1 kHz, mono", lambda w: w.add_audio("sound", sound, 0, sample_rate=44_100),
         audio_peers)
    if len(audio_peers) < len(found):
        print("  tensorboardX: n/a (its add_audio needs soundfile)")

    clip = rng.random((1, 16, 3, 64, 64)).astype(np.float32)
    video_peers = found if importlib.util.find_spec("moviepy") else {"tbwriter": found["tbwriter"]}
    _row("add_video: 16 frames 64x64 RGB (noise)", lambda w: w.add_video("clip", clip, 0), video_peers)
    if len(video_peers) < len(found):
        print("  torch, tensorboardX: n/a (they need moviepy and write nothing without it)")

    model = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))
    batch = torch.zeros(8, 1, 28, 28)
    _row("add_graph: a small CNN (2 conv, 1 linear)", lambda w: w.add_graph(model, batch), found)


if __name__ == "__main__":
    main([])
