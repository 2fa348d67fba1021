"""The browser views on a sweep: `tbwriter report` (time, size, drawing in headless Chromium) and `tbwriter serve`
against TensorBoard's two loaders (time from start until a client has fetched every run's every scalar tag).

    python tools/bench.py view                      # 1,000 runs x 5 tags x 2,000 steps (10M points)
    python tools/bench_view.py --runs 200 --steps 5000

Targets (issue 20): the report written in <= 5 s, <= 25 MB, drawn <= 2 s after load; serve >= 5x sooner than
`tensorboard --load_fast=true` and >= 100x sooner than `--load_fast=false`; serve's peak memory <= 2x the bytes of
the points it serves (8 bytes each for step, wall time and value: 24 a point).
TensorBoard runs with its default sampling (1,000 points per series kept); serve hands out every point.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tbwriter from this checkout, and tests.support
TAGS = 5


def write_sweep(logdir: str, runs: int, steps: int) -> None:
    """``runs`` runs of TAGS noisy float32 curves, ``steps`` steps each."""
    from tbwriter import SummaryWriter

    rng = np.random.default_rng(0)
    tags = [f"metric/{i}" for i in range(TAGS)]
    for run in range(runs):
        curves = (np.exp(-np.arange(steps) / steps)[:, None] + 0.05 * rng.normal(size=(steps, TAGS))).astype(np.float32)
        with SummaryWriter(os.path.join(logdir, f"lr{run % 10}", f"seed{run // 10}")) as w:
            for step, row in enumerate(curves.tolist()):
                w.log_metrics(dict(zip(tags, row, strict=True)), step=step)


def tbwriter(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tbwriter", *args], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            **kwargs)


def bench_report(logdir: str, out: str) -> None:
    t0 = time.perf_counter()
    tbwriter("report", logdir, "-o", out, stderr=subprocess.DEVNULL).wait()
    seconds = time.perf_counter() - t0
    print(f"  report: written in {seconds:.2f} s (fresh process), {os.path.getsize(out) / 1e6:.1f} MB")
    try:
        from tests.support.browser import chromium, open_page
    except ImportError:
        return
    try:
        driver = chromium()
    except BaseException as e:  # pytest's skip outside pytest: no browser here
        print(f"  report: not drawn ({str(e).splitlines()[0]})")
        return
    try:
        open_page(driver, pathlib.Path(out).as_uri())
        drawn = driver.execute_script("return window.tbwriterView.firstDrawn()") / 1000
        loaded = driver.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000
        redraw = driver.execute_script("""const s = document.getElementById('smoothing'), t0 = performance.now();
            s.value = 0.9; s.dispatchEvent(new Event('input')); return performance.now() - t0""")
        lines = driver.execute_script("return window.tbwriterView.drawn('metric/0').length")
        print(f"  report in headless Chromium: loaded {loaded:.2f} s after opening, first chart drawn {drawn:.2f} s; "
              f"smoothing slider redraw of the charts in view ({lines} lines each) {redraw / 1000:.2f} s")
    finally:
        driver.quit()


def peak_rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) * 1024  # type: ignore[union-attr]


def bench_serve(logdir: str, runs: int, steps: int) -> float:
    from tests.support.viewnumbers import decoded

    t0 = time.perf_counter()
    proc = tbwriter("serve", logdir, "--port", "0", stderr=subprocess.PIPE, text=True)
    try:
        url = re.search(r"(http://\S+/)", proc.stderr.readline()).group(1)  # type: ignore[union-attr]
        with urllib.request.urlopen(url + "api/scalars?after=0", timeout=600) as answer:
            series = json.load(answer)["series"]
        seconds = time.perf_counter() - t0
        points = sum(len(decoded(s["value"])) for s in series)
        assert len(series) == runs * TAGS and points == runs * TAGS * steps, (len(series), points)
        rss = peak_rss(proc.pid)
    finally:
        proc.terminate()
        proc.wait()
    print(f"  serve: every point of {len(series):,} series ({points:,} points) fetched {seconds:.2f} s after start; "
          f"peak memory {rss / 1e6:.0f} MB = {rss / (points * 24):.2f}x the points as float64 (step, wall, value)")
    return seconds


def bench_tensorboard(logdir: str, runs: int, steps: int, load_fast: bool) -> float:
    from tests.support.tbserver import TensorBoardServer

    t0 = time.perf_counter()
    expected = min(steps, 1000)  # TensorBoard's default reservoir per series
    with TensorBoardServer(logdir, load_fast=load_fast, samples=1000, timeout=3600) as tb:
        names = [f"lr{r % 10}/seed{r // 10}" for r in range(runs)]
        tb.wait_for(lambda: len(tb.get("/data/plugin/scalars/tags")) == runs)
        for run in names:
            for i in range(TAGS):
                tb.scalars_when(run, f"metric/{i}", expected)
        seconds = time.perf_counter() - t0
    print(f"  tensorboard --load_fast={str(load_fast).lower()}: every series fetched ({expected} points each, its "
          f"sample) {seconds:.2f} s after start")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--tensorboard", choices=("both", "fast", "none"), default="both",
                        help="TensorBoard's loaders to time: both (default), fast (leave out the Python loader, which "
                             "takes minutes), none")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tbbench-view-") as d:
        logdir = os.path.join(d, "sweep")
        write_sweep(logdir, args.runs, args.steps)
        print(f"views on a sweep of {args.runs:,} runs x {TAGS} tags x {args.steps:,} steps "
              f"({args.runs * TAGS * args.steps:,} points)")
        bench_report(logdir, os.path.join(d, "report.html"))
        ours = bench_serve(logdir, args.runs, args.steps)
        for load_fast in {"both": (True, False), "fast": (True,), "none": ()}[args.tensorboard]:
            theirs = bench_tensorboard(logdir, args.runs, args.steps, load_fast)
            print(f"    serve is {theirs / ours:.1f}x sooner")


if __name__ == "__main__":
    main()
