"""Reading back what training wrote: histogram-heavy logs, tables, sweeps, hparams and a live tail, beside
TensorBoard's EventAccumulator and tbparse in the same run.

    python tools/bench.py readback
    python tools/bench_readback.py --scale 0.1     # a tenth of every size, for a quick look

Rows:
- ``histograms``: read_scalars of a log whose bytes are mostly weight histograms (25,000 steps x 8 scalars,
  3 histograms every 5 steps), repeated in one process and once in a fresh one (whose memory is all new);
  peers on a tenth of it, compared by rate.
- ``to_pandas``: read_scalars(...).to_pandas() of 2M points: the table's cost against the read's.
- ``sweep``: 1,000 runs x 10,000 scalars with hparams: read_scalars, read_hparams (the HPARAMS table) and
  read_all (every kind, the table included, in one pass).
- ``tail``: ``tbwriter tail`` against a writer in another process: flush-to-print latency, and the CPU it
  takes while idle on the sweep's 1,000 runs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TAGS = ["loss", "accuracy", "lr", "train/grad_norm", "val/loss_ema", "x", "epoch_time_seconds", "a/b/c"]


def median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def write_histogram_log(directory: Path, steps: int) -> None:
    import numpy as np

    from tbwriter import SummaryWriter

    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 1, 2000).astype(np.float32) for _ in range(3)]
    with SummaryWriter(directory) as w:
        for step in range(steps):
            for i, tag in enumerate(TAGS):
                w.add_scalar(tag, step * 0.001 + i, step)
            if step % 5 == 0:
                for i, values in enumerate(weights):
                    w.add_histogram(f"layer{i}/weights", values * (1 + step / steps), step)


def write_sweep(root: Path, runs: int, steps: int) -> None:
    from tbwriter import SummaryWriter

    for r in range(runs):
        hparams = {"lr": 10 ** -(1 + r % 4), "optimizer": ["adam", "sgd"][r % 2], "batch_norm": r % 3 == 0,
                   "seed": r}
        with SummaryWriter(root / f"trial{r:04d}") as w:
            w.add_hparams(hparams, {})
            for step in range(steps):
                w.log_metrics({"loss": 1 / (step + 1), "accuracy": step / steps, "lr": 0.1, "val/loss": 0.5,
                               "val/accuracy": 0.5 + r / runs / 2, "grad_norm": 1.0, "x": 0.0, "y": 1.0,
                               "epoch": float(step), "time": 0.1}, step)


def event_accumulator_rate(directory: Path) -> float:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def read():
        acc = EventAccumulator(str(directory), size_guidance={"scalars": 0, "histograms": 0})
        acc.Reload()
        return sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])

    count = read()
    return count / median(read, 1)


def tbparse_rate(directory: Path) -> float:
    from tbparse import SummaryReader

    def read():
        return len(SummaryReader(str(directory), event_types={"scalars"}).scalars)

    count = read()
    return count / median(read, 1)


def peers(directory: Path) -> str:
    rates = []
    for name, fn in (("EventAccumulator", event_accumulator_rate), ("tbparse", tbparse_rate)):
        try:
            rates.append(f"{name} {fn(directory) / 1e6:.3f} M/s")
        except ImportError:
            rates.append(f"{name} not installed")
    return ", ".join(rates)


def bench_histograms(root: Path, scale: float, repeats: int) -> None:
    from tbwriter import read_scalars

    steps = int(25_000 * scale)
    write_histogram_log(root / "hist", steps)
    write_histogram_log(root / "hist_small", steps // 10)
    size = sum(f.stat().st_size for f in (root / "hist").iterdir())
    first = statistics.median(first_read(root / "hist") for _ in range(repeats))
    n = sum(len(s) for s in read_scalars(root / "hist").values())
    t = median(lambda: read_scalars(root / "hist"), repeats)
    print(f"  histograms  read_scalars {n / t / 1e6:6.2f} M scalars/s ({n:,} scalars in {size / 1e6:.0f} MB, "
          f"{t:.3f} s; the first read in a fresh process {first:.3f} s)   peers on a tenth: "
          f"{peers(root / 'hist_small')}")


FIRST_READ = """
import sys, time
import tbwriter.reading.reader
t0 = time.perf_counter()
tbwriter.reading.reader.read_scalars(sys.argv[1])
print(time.perf_counter() - t0)
"""


def first_read(directory: Path) -> float:
    """Seconds of one read_scalars in a fresh process (imports done first): no memory of an earlier read."""
    out = subprocess.run([sys.executable, "-c", FIRST_READ, str(directory)], capture_output=True, text=True,
                         check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return float(out.stdout)


def bench_to_pandas(root: Path, scale: float, repeats: int) -> None:
    from tbwriter import SummaryWriter, read_scalars

    steps = int(200_000 * scale)
    with SummaryWriter(root / "table") as w:
        for step in range(steps):
            w.log_metrics({f"metric/{i}": step * 0.5 + i for i in range(10)}, step)
    data = read_scalars(root / "table")
    read = median(lambda: read_scalars(root / "table"), repeats)
    table = median(data.to_pandas, repeats)
    n = sum(len(s) for s in data.values())
    small = root / "table_small"
    with SummaryWriter(small) as w:
        for step in range(steps // 10):
            w.log_metrics({f"metric/{i}": step * 0.5 + i for i in range(10)}, step)
    try:
        from tbparse import SummaryReader
        count = len(SummaryReader(str(small)).scalars)
        peer = f"tbparse to a DataFrame {count / median(lambda: SummaryReader(str(small)).scalars, 1) / 1e6:.3f} M/s"
    except ImportError:
        peer = "tbparse not installed"
    print(f"  to_pandas   {n:,} points: read {read:.3f} s, to_pandas {table:.3f} s ({table / read:.2f}x the read)"
          f"   {peer}")


def bench_sweep(root: Path, scale: float, repeats: int) -> Path:
    from tbwriter import read_all, read_hparams, read_scalars

    runs, steps = max(10, int(1000 * scale)), 1000
    write_sweep(root / "sweep", runs, steps)
    n = sum(len(s) for s in read_scalars(root / "sweep").values())
    t = median(lambda: read_scalars(root / "sweep"), repeats)
    h = median(lambda: read_hparams(root / "sweep"), repeats)
    a = median(lambda: read_all(root / "sweep"), repeats)
    write_sweep(root / "sweep_small", max(2, runs // 100), steps)
    print(f"  sweep       {runs:,} runs, {n:,} scalars: read_scalars {n / t / 1e6:6.2f} M scalars/s ({t:.2f} s), "
          f"read_hparams {h:.2f} s, read_all {a:.2f} s   peers on a hundredth: {peers(root / 'sweep_small')}")
    return root / "sweep"


TAIL_WRITER = """
import sys, time
from tbwriter import SummaryWriter
w = SummaryWriter(sys.argv[1], flush_secs=3600)
for line in sys.stdin:
    step = int(line)
    w.add_scalar("loss", 0.5, step)
    w.flush()
    print(repr(time.time()), flush=True)
w.close()
"""


def bench_tail(root: Path, sweep: Path, interval: float) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    live = root / "live"
    (live / "run").mkdir(parents=True)
    tail = subprocess.Popen([sys.executable, "-m", "tbwriter", "tail", str(live), "--format", "csv", "--interval",
                             str(interval)], stdout=subprocess.PIPE, env=env)
    writer = subprocess.Popen([sys.executable, "-c", TAIL_WRITER, str(live / "run")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    latencies = []
    assert tail.stdout and writer.stdin and writer.stdout  # all three are pipes
    try:
        tail.stdout.readline()  # the header: the first look is done
        for step in range(10):
            writer.stdin.write(f"{step}\n")
            writer.stdin.flush()
            flushed = float(writer.stdout.readline())
            tail.stdout.readline()
            latencies.append(time.time() - flushed)
            time.sleep(0.3)
    finally:
        writer.stdin.close()
        writer.wait()
        tail.terminate()
        tail.wait()
    idle = subprocess.Popen([sys.executable, "-m", "tbwriter", "tail", str(sweep), "--interval", str(interval),
                             "--format", "csv"], stdout=subprocess.PIPE, env=env)
    assert idle.stdout
    idle.stdout.readline()  # the header: start-up and the first read of everything are done
    time.sleep(2 * interval)
    with open(f"/proc/{idle.pid}/stat") as f:
        start_ticks = sum(int(v) for v in f.read().split()[13:15])
    seconds = 10
    time.sleep(seconds)
    with open(f"/proc/{idle.pid}/stat") as f:
        end_ticks = sum(int(v) for v in f.read().split()[13:15])
    idle.terminate()
    idle.wait()
    cpu = (end_ticks - start_ticks) / os.sysconf("SC_CLK_TCK") / seconds
    runs = len(list(sweep.iterdir()))
    print(f"  tail        flush to print: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
          f"(--interval {interval}); idle on {runs:,} runs: {cpu * 100:.1f}% of a core")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size by this (default 1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.5, help="tail's poll interval (default 0.5 s)")
    parser.add_argument("--sections", nargs="+", choices=("histograms", "to_pandas", "sweep"),
                        default=["histograms", "to_pandas", "sweep"], help="rows to time (tail runs with sweep)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="tbbench-readback-"))
    warnings.simplefilter("ignore")
    try:
        print("reading back (medians; peers in the same run)")
        if "histograms" in args.sections:
            bench_histograms(root, args.scale, args.repeats)
        if "to_pandas" in args.sections:
            bench_to_pandas(root, args.scale, args.repeats)
        if "sweep" in args.sections:
            bench_tail(root, bench_sweep(root, args.scale, args.repeats), args.interval)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
