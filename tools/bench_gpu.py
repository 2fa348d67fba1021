"""Logging from CUDA training: step time with each writer against the unlogged loop, and histograms of CUDA tensors.

    python tools/bench.py gpu           # or: python tools/bench_gpu.py

Loops: bf16 MLPs (width 1024 x 4 layers and 4096 x 8, batch 256, as in the notes on GPU costs), each
logging its CUDA loss every step, then its loss and 8 CUDA metrics; ms per step and the ratio to the same
loop without logging, median of 3 runs whose order rotates. ``on-device floor``: the losses kept on the
GPU and copied 100 at a time, the least any writer can cost. Histograms: ``add_histogram`` of 1M, 10M and
50M CUDA float32 values with the default bins, timed from an idle GPU to the end of a
``torch.cuda.synchronize()`` after the call, against the floor (min, max, sum, sum of squares and
``torch.histc`` on the GPU, then one copy back). On a machine without CUDA it says so and exits 0.
"""
from __future__ import annotations

import functools
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from bench import writers

STEPS, WARMUP, RUNS = 300, 30, 3
LOOPS = ((1024, 4), (4096, 8))
HISTOGRAM_SIZES = (1_000_000, 10_000_000, 50_000_000)


def main(argv: list[str]) -> None:
    try:
        import torch
    except ImportError:
        print("gpu: torch is not installed; nothing measured")
        return
    if not torch.cuda.is_available():
        print(f"gpu: no CUDA device here (torch {torch.__version__}); nothing measured")
        return
    print(f"gpu: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    root = tempfile.mkdtemp(prefix="tbbench-gpu-")
    try:
        for width, layers in LOOPS:
            for metrics in (0, 8):
                _bench_loop(torch, root, width, layers, metrics)
        for n in HISTOGRAM_SIZES:
            _bench_histogram(torch, root, n)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _model(torch: Any, width: int, layers: int) -> tuple[Any, Any, Any]:
    torch.manual_seed(0)
    blocks = []
    for _ in range(layers):
        blocks += [torch.nn.Linear(width, width), torch.nn.ReLU()]
    model = torch.nn.Sequential(*blocks).cuda().to(torch.bfloat16)
    data = torch.randn(256, width, device="cuda", dtype=torch.bfloat16)
    return model, data, torch.optim.SGD(model.parameters(), lr=1e-4)


def _bench_loop(torch: Any, root: str, width: int, layers: int, metrics: int) -> None:
    model, data, optimizer = _model(torch, width, layers)
    loggers: dict[str, Callable[[str], Any]] = {"no logging": lambda d: None}
    for name, cls in writers().items():
        loggers[name] = functools.partial(_writer_logger, cls, metrics)
    loggers["on-device floor"] = lambda d: _floor_logger(torch, metrics)
    times: dict[str, list[float]] = {name: [] for name in loggers}
    for run in range(RUNS):
        names = list(loggers)
        for name in names[run % len(names):] + names[:run % len(names)]:  # each run in another order
            log = loggers[name](tempfile.mkdtemp(dir=root))
            times[name].append(_time_steps(torch, model, data, optimizer, log))
    base = statistics.median(times["no logging"])
    what = "its loss" if not metrics else f"its loss and {metrics} metrics"
    print(f"\nbf16 MLP {width} x {layers}, batch 256, logging {what} every step (ms per step, median of {RUNS})")
    for name, runs in times.items():
        step = statistics.median(runs)
        print(f"  {name:16s} {step * 1e3:8.3f} ms {step / base:6.2f}x")


def _time_steps(torch: Any, model: Any, data: Any, optimizer: Any, log: Any) -> float:
    """Seconds per step over ``STEPS`` steps after ``WARMUP``, the GPU idle at the start and at the end."""
    total = 0.0
    for step in range(WARMUP + STEPS):
        if step == WARMUP:
            torch.cuda.synchronize()
            total = time.perf_counter()
        loss = model(data).float().square().mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if log is not None:
            log(loss, step)
    if log is not None:
        log(None, -1)  # close: whatever the writer still holds is written inside the timing
    torch.cuda.synchronize()
    return (time.perf_counter() - total) / STEPS


def _writer_logger(cls: type, metrics: int, log_dir: str) -> Callable[[Any, int], None]:
    writer = cls(log_dir)

    def log(loss: Any, step: int) -> None:
        if loss is None:
            writer.close()
            return
        writer.add_scalar("loss", loss, step)
        writer.add_scalar("lr", 1e-4, step)  # a plain float between the CUDA values
        for i in range(metrics):
            writer.add_scalar(f"metric/{i}", loss * (i + 1), step)
    return log


def _floor_logger(torch: Any, metrics: int) -> Callable[[Any, int], None]:
    """Keeps the values on the GPU and copies 100 steps' worth at once: what no writer can beat."""
    kept: list[Any] = []

    def log(loss: Any, step: int) -> None:
        if loss is not None:
            kept.append(loss.detach())
            kept.extend(loss.detach() * (i + 1) for i in range(metrics))
        if kept and (loss is None or len(kept) >= 100 * (metrics + 1)):
            torch.stack(kept).cpu()
            kept.clear()
    return log


def _bench_histogram(torch: Any, root: str, n: int) -> None:
    values = torch.randn(n, device="cuda")

    def floor(i: int) -> None:
        lo, hi = torch.aminmax(values)
        torch.stack([lo, hi, values.sum(), values.square().sum()]).cpu()
        torch.histc(values, 1550).cpu()

    calls: dict[str, Callable[[int], object]] = {}
    opened = {name: cls(f"{root}/hist-{name}-{n}") for name, cls in writers().items()}
    for name, w in opened.items():
        calls[name] = functools.partial(w.add_histogram, "h", values)
    calls["on-device floor"] = floor
    times: dict[str, list[float]] = {name: [] for name in calls}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(-1, 5):  # -1 warms up
            for name, call in calls.items():
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                call(i)
                torch.cuda.synchronize()
                if i >= 0:
                    times[name].append(time.perf_counter() - t0)
    for w in opened.values():
        w.close()
    ours = statistics.median(times["tbwriter"])
    print(f"\nadd_histogram of {n:,} CUDA float32 values, default bins (ms per call, idle GPU to synchronize, "
          "median of 5)")
    for name, runs in times.items():
        t = statistics.median(runs)
        print(f"  {name:16s} {t * 1e3:8.2f} ms {t / ours:6.1f}x tbwriter")


if __name__ == "__main__":
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
    main(sys.argv[1:])
