"""Reading a sweep back from s3:// with 20 ms added to every request: one request after another vs many at once.

    python tools/bench.py remote_read
    python tools/bench_remote_read.py --runs 20 --segments 10 --large-runs 100 --large-segments 100 --tb-runs 1
    python tools/bench_remote_read.py --store moto

The store is a fake S3 in a child process on 127.0.0.1 that waits ``--delay`` seconds before answering each
request, requests side by side (slow as a distant store's, not put in a line):

- ``s3rver`` (the default; from npm, ``./dev bench`` installs it): the delay is a timer on Node's event loop, and
  the server spends about 1 ms of CPU a request;
- ``moto`` (the tests' S3): the delay is a sleep in each request's own thread, and the server spends about 2.4 ms
  of CPU a request under one interpreter lock.

A real store spends its CPU elsewhere; here the server shares the machine's cores with the reader, so the
concurrent figures are bounded by both processes' CPU (on two cores, moto's more than s3rver's). Rows:

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
import shutil
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tbwriter from this checkout, and tests.support.stores

MOTO = textwrap.dedent("""
    import json, sys
    from tests.support.stores import S3Server
    with S3Server() as s3:
        s3.make_bucket("bench")
        print(json.dumps(s3.env), flush=True)
        for line in sys.stdin:             # "<seconds>": the delay from now on
            s3.delay = float(line)
            print("ok", flush=True)
""")
# Each prints the environment that points s3fs and TensorBoard at it, then answers "ok" to each delay it is given.
# s3rver makes the continuation tokens of long listings with DES, which OpenSSL 3 keeps in its legacy provider.
STORES = {"s3rver": ["node", "--openssl-legacy-provider", str(ROOT / "tools" / "s3rver_delayed.js")],
          "moto": [sys.executable, "-c", MOTO]}


class Server:
    """The child process serving S3 (``store``: a key of :data:`STORES`) on 127.0.0.1, its environment, and its
    delay."""

    def __init__(self, store: str = "s3rver") -> None:
        if store == "s3rver" and not (shutil.which("node") and (ROOT / "node_modules" / "s3rver").is_dir()):
            raise SystemExit("bench_remote_read: s3rver is not in ./node_modules (./dev bench installs it with npm; "
                             "needs node), or run with --store moto")
        self.command = STORES[store]

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
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


def repeated(fn, repeats: int) -> tuple[list[float], Any]:
    """The seconds of each of ``repeats`` calls of ``fn`` (after one untimed: its client made, its connections
    open), and the last call's result."""
    fn()
    seconds = []
    for _ in range(repeats):
        took, out = timed(fn)
        seconds.append(took)
    return seconds, out


def spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):8.2f} s (median of {len(seconds)}: {min(seconds):.2f}-{max(seconds):.2f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--segments", type=int, default=10)
    parser.add_argument("--large-runs", type=int, default=100)
    parser.add_argument("--large-segments", type=int, default=100)
    parser.add_argument("--tb-runs", type=int, default=1, help="runs of the large sweep TensorBoard loads (0: none)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds added to every request")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads of the small sweep, each way")
    parser.add_argument("--store", choices=sorted(STORES), default="s3rver", help="the fake S3 serving the sweep")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    from tbwriter import read_scalars
    from tbwriter.storage import fetch as fetching

    with Server(args.store) as server:
        put_sweep("small", args.runs, args.segments)
        server.delay(args.delay)
        objects = args.runs * args.segments
        print(f"read_scalars, {args.runs} runs x {args.segments} segments ({objects} objects), "
              f"{args.delay * 1e3:g} ms per request, {args.store}:")
        defaults = fetching.CONCURRENCY, fetching.WINDOW_BYTES
        fetching.CONCURRENCY, fetching.WINDOW_BYTES = 1, 1
        sequential, data = repeated(lambda: read_scalars("s3://bench/small"), args.repeats)
        fetching.CONCURRENCY, fetching.WINDOW_BYTES = defaults
        concurrent, again = repeated(lambda: read_scalars("s3://bench/small"), args.repeats)
        points = sum(len(s) for s in data.values())
        assert points == sum(len(s) for s in again.values()) == objects * 100
        ratio = statistics.median(sequential) / statistics.median(concurrent)
        print(f"  one request after another {spread(sequential)}")
        print(f"  {fetching.CONCURRENCY} at once{'':15s} {spread(concurrent)}   {ratio:5.1f}x faster")

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
