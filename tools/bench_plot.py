"""`tbwriter plot` end to end on big logs: 20 series x 50,000 points to PNG and to PDF.

    python tools/bench.py plot

Times a fresh `python -m tbwriter plot` process (start-up, imports, reading, drawing, saving), median of repeats,
and prints the PDF's size. Targets: PNG in <= 3 s, PDF under 1 MB. No peer is timed: TensorBoard has no
offline plotter, and the scripts people use instead (tbparse + pandas + matplotlib) have no fixed command to compare.
"""
from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS, TAGS, POINTS = 4, 5, 50_000


def write_logs(logdir: str) -> None:
    """RUNS x TAGS noisy decaying curves with occasional spikes, POINTS steps each."""
    sys.path.insert(0, str(ROOT))
    from tbwriter import SummaryWriter

    rng = np.random.default_rng(0)
    steps = np.arange(POINTS)
    tags = [f"metric/{i}" for i in range(TAGS)]
    for run in range(RUNS):
        curves = np.exp(-steps / (10_000 * (run + 1)))[:, None] + 0.05 * rng.normal(size=(POINTS, TAGS))
        curves[rng.integers(0, POINTS, size=20)] += 1.0
        with SummaryWriter(os.path.join(logdir, f"run{run}")) as w:
            for step, row in zip(steps.tolist(), curves.tolist(), strict=True):
                w.log_metrics(dict(zip(tags, row, strict=True)), step=step)


def time_command(argv: list[str], repeats: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "tbwriter", "plot", *argv], check=True, env=env,
                       stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None, repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory(prefix="tbbench-plot-") as d:
        logdir = os.path.join(d, "logs")
        write_logs(logdir)
        print(f"tbwriter plot, {RUNS * TAGS} series x {POINTS:,} points ({RUNS} runs x {TAGS} tags), fresh process, "
              f"median of {repeats}; no peer (nothing else plots event files offline from one command)")
        for extension in ("png", "pdf"):
            out = os.path.join(d, f"figure.{extension}")
            seconds = time_command([logdir, "-o", out], repeats)
            size = os.path.getsize(out)
            print(f"  {extension.upper()}: {seconds:6.2f} s   {size / 1e6:6.3f} MB")
        read = statistics.median(_timed(lambda: _read(logdir)) for _ in range(repeats))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        imports = statistics.median(_timed(lambda: subprocess.run(
            [sys.executable, "-c", "import tbwriter.cli.main, matplotlib.figure"], check=True, env=env))
            for _ in range(repeats))
        print(f"  of which: process start + imports {imports:.2f} s, read_scalars {read:.2f} s")


def _read(logdir: str) -> None:
    from tbwriter import read_scalars
    read_scalars(logdir)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0

if __name__ == "__main__":
    main(sys.argv[1:])
