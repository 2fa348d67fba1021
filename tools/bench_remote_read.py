"""Reading a sweep back from s3:// with 20 ms added to every request: one request after another vs many at once.

    python tools/bench.py remote_read
    python tools/bench_remote_read.py --runs 20 --segments 10 --large-runs 100 --large-segments 100 --tb-runs 1

moto's S3 server runs in a child process (so that it does not share this one's interpreter lock) and sleeps
``--delay`` seconds before answering each request, in that request's own thread: requests are slow as a
distant store's, and not put in a line. Rows:

- ``read_scalars`` of ``--runs`` x ``--segments`` sealed segments (100 points each), one request at a time
  (``tbwriter.storage.fetch.CONCURRENCY = 1``, one object a window) and at once (the defaults);
- objects/s and peak memory (growth of the maximum resident set) reading ``--large-runs`` x ``--large-segments``;
- TensorBoard's loader (EventAccumulator, its own S3 code) over ``--tb-runs`` runs of the large sweep, before and
  after ``compact``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tbwriter from this checkout, and tests.support.stores

SERVER = textwrap.dedent("""
    import json, sys
    from tests.support.stores import S3Server
    with S3Server() as s3:
        s3.make_bucket("bench")
        print(json.dumps(s3.env), flush=True)
        for line in sys.stdin:             # "<seconds>": the delay from now on
            s3.delay = float(line)
            print("ok", flush=True)
""")


class Server:
    """The child process serving S3 on 127.0.0.1, its environment, and its delay."""

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert self.proc.stdout is not None
        self.env = json.loads(self.proc.stdout.readline())
        os.environ.update(self.env)
        return self

    def delay(self, seconds: float) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{seconds}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "ok\n"

    def __exit__(self, *exc) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def segments(count: int, points: int = 100) -> list[tuple[str, bytes]]:
    """``(name, content)`` of a run's ``count`` sealed segments of ``points`` scalars each, as the writer makes
    them (written once to memory://, then put under many runs)."""
    import uuid

    import fsspec

    from tbwriter import SummaryWriter

    url = f"memory://bench-{uuid.uuid4().hex}/run"
    with SummaryWriter(url) as w:
        for step in range(count * points):
            w.add_scalar("loss", 1 / (step + 1), step)
            if (step + 1) % points == 0:
                w.flush()
    fs = fsspec.filesystem("memory")
    path = url.removeprefix("memory:/")
    return [(p.rsplit("/", 1)[-1], fs.cat_file(p)) for p in sorted(fs.ls(path, detail=False))]


def put_sweep(prefix: str, runs: int, count: int) -> None:
    """``runs`` runs of ``count`` segments each under ``s3://bench/<prefix>``, put many at once, each closed."""
    from tbwriter import storage
    from tbwriter.storage.manifest import end_marker_name

    made = segments(count)
    fs, _ = storage.filesystem("s3://bench")
    objects = {}
    for r in range(runs):
        for name, content in made:
            objects[f"bench/{prefix}/run{r:03d}/{name}"] = content
        objects[f"bench/{prefix}/run{r:03d}/{end_marker_name()}"] = json.dumps({"last": made[-1][0]}).encode()
    fs.pipe(objects, batch_size=64)


def timed(fn) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--large-runs", type=int, default=100)
    parser.add_argument("--large-segments", type=int, default=100)
    parser.add_argument("--tb-runs", type=int, default=1, help="runs of the large sweep TensorBoard loads (0: none)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added to every request")
    args = parser.parse_args(argv)
    from tbwriter import read_scalars
    from tbwriter.storage import fetch as fetching

    with Server() as server:
        put_sweep("small", args.runs, args.segments)
        server.delay(args.delay)
        objects = args.runs * args.segments
        print(f"read_scalars, {args.runs} runs x {args.segments} segments ({objects} objects), "
              f"{args.delay * 1e3:g} ms per request:")
        defaults = fetching.CONCURRENCY, fetching.WINDOW_BYTES
        fetching.CONCURRENCY, fetching.WINDOW_BYTES = 1, 1
        read_scalars("s3://bench/small")  # each way once untimed: its client made, its connections open
        sequential, data = timed(lambda: read_scalars("s3://bench/small"))
        fetching.CONCURRENCY, fetching.WINDOW_BYTES = defaults
        read_scalars("s3://bench/small")
        concurrent, again = timed(lambda: read_scalars("s3://bench/small"))
        points = sum(len(s) for s in data.values())
        assert points == sum(len(s) for s in again.values()) == objects * 100
        print(f"  one request after another {sequential:8.2f} s")
        print(f"  {fetching.CONCURRENCY} at once{'':15s} {concurrent:8.2f} s   {sequential / concurrent:5.1f}x faster")

        if args.large_runs:
            server.delay(0)
            put_sweep("large", args.large_runs, args.large_segments)
            server.delay(args.delay)
            many = args.large_runs * args.large_segments
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            seconds, data = timed(lambda: read_scalars("s3://bench/large"))
            grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
            assert sum(len(s) for s in data.values()) == many * 100
            print(f"read_scalars, {args.large_runs} runs x {args.large_segments} segments ({many} objects): "
                  f"{seconds:.1f} s, {many / seconds:,.0f} objects/s, peak resident memory grew {grown / 1024:.0f} MiB "
                  f"(result {sum(s.step.nbytes * 3 for s in data.values()) / 2**20:.0f} MiB; window "
                  f"{fetching.WINDOW_BYTES >> 20} MiB, two at most)")
            if args.tb_runs:
                tensorboard_before_after(args.tb_runs, args.large_segments)


def tensorboard_before_after(runs: int, count: int) -> None:
    from tensorboard.backend.event_processing import event_accumulator

    from tbwriter.storage.compact import compact

    def load() -> int:
        points = 0
        for r in range(runs):
            acc = event_accumulator.EventAccumulator(f"s3://bench/large/run{r:03d}", size_guidance={"scalars": 0})
            acc.Reload()
            points += len(acc.Scalars("loss"))
        return points

    before, points = timed(load)
    report = compact("s3://bench/large", runs=f"^run0*({'|'.join(str(r) for r in range(runs))})$")
    assert len(report.compacted) == runs, report.skipped
    after, again = timed(load)
    assert points == again == runs * count * 100
    print(f"TensorBoard's loader, {runs} run(s) of {count} segments: {before:.1f} s before compact, {after:.2f} s "
          f"after ({before / after:.0f}x faster); a {runs * count}-object share of the large sweep")


if __name__ == "__main__":
    main()
