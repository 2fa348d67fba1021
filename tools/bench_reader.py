"""Reading scalars back: tbwriter.read_scalars vs TensorBoard's EventAccumulator (all points kept).

    python tools/bench.py reader
    python tools/bench_reader.py --points 1000000

Logs of about N scalars, written by tbwriter: ``per-tag`` (10 tags x N/10 steps, one
add_scalar each), ``train+val`` (8 tags every step, 2 validation tags every 97 steps),
``irregular`` (one tag every step, 3 more at random) and ``log_metrics`` (one event per
step holding all 10 tags).
EventAccumulator is timed on a tenth of the points (it needs ~26 µs a scalar) and compared by rate.
"""
from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# names of different lengths, as in real logs (records of one length then interleave with others)
TAGS = ["loss", "accuracy", "lr", "train/grad_norm", "val/loss_ema", "x", "epoch_time_seconds", "a/b/c",
        "metric_9", "zz_top"]


def write_log(directory: Path, points: int, style: str) -> None:
    from tbwriter import SummaryWriter

    with SummaryWriter(directory) as w:
        if style == "per-tag":
            for step in range(points // len(TAGS)):
                for i, tag in enumerate(TAGS):
                    w.add_scalar(tag, step * 0.001 + i, step)
        elif style == "train+val":  # 8 tags every step, 2 more every 97 steps: the pattern keeps breaking
            steps = round(points / (8 + 2 / 97))
            for step in range(steps):
                for i, tag in enumerate(TAGS[:8]):
                    w.add_scalar(tag, step * 0.001 + i, step)
                if step % 97 == 0:
                    w.log_metrics({"val/loss": 1.0, "val/accuracy": 0.5}, step)
        elif style == "irregular":  # loss every step, 3 more tags each with chance 0.3: no period at all
            rng = random.Random(0)
            done = step = 0
            while done < points:
                for i, tag in enumerate(TAGS[:4]):
                    if (i == 0 or rng.random() < 0.3) and done < points:
                        w.add_scalar(tag, step * 0.001 + i, step)
                        done += 1
                step += 1
        else:
            for step in range(points // len(TAGS)):
                w.log_metrics({tag: step * 0.001 + i for i, tag in enumerate(TAGS)}, step)


def time_ours(directory: Path, repeats: int) -> tuple[float, int]:
    from tbwriter import read_scalars

    times, count = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        data = read_scalars(directory)
        times.append(time.perf_counter() - t0)
        count = sum(len(s) for s in data.values())
    return statistics.median(times), count


def time_event_accumulator(directory: Path, repeats: int) -> tuple[float, int]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    times, count = [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        acc = EventAccumulator(str(directory), size_guidance={"scalars": 0})
        acc.Reload()
        count = sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])
        times.append(time.perf_counter() - t0)
    return statistics.median(times), count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="scalars per log (default: 1,000,000)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="tbbench-reader-"))
    warnings.simplefilter("ignore")
    try:
        print(f"reading {args.points:,} scalars written by tbwriter (medians; EventAccumulator on "
              f"{args.points // 10:,} points, compared by rate)")
        for style in ("per-tag", "train+val", "irregular", "log_metrics"):
            write_log(root / style / "big", args.points, style)
            write_log(root / style / "small", args.points // 10, style)
            ours, n = time_ours(root / style / "big", args.repeats)
            theirs, m = time_event_accumulator(root / style / "small", 3)
            assert abs(n - args.points) < 20 and abs(m - args.points // 10) < 20, (n, m)
            rate, peer = n / ours, m / theirs
            print(f"  {style:12s} tbwriter {rate / 1e6:6.2f} M scalars/s ({ours:.3f} s)   "
                  f"EventAccumulator {peer / 1e6:6.3f} M scalars/s   {rate / peer:6.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
