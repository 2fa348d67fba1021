"""Logging to s3:// with a flush after every step: bytes uploaded per byte stored, requests and time per flush.

    python tools/bench.py remote
    python tools/bench_remote.py --steps 300 3000 --peer-steps 300

Every writer logs to the same moto S3 server on 127.0.0.1 (in this process, so every request body is
counted): tbwriter (sealed segments), torch.utils.tensorboard and tensorboardX (which both re-upload the
whole file on each flush).  Peers get ``--peer-steps`` (their cost grows with the square of the steps).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tbwriter from this checkout, and tests.support.stores


def peers() -> dict:
    """Name -> SummaryWriter class, for tbwriter and whichever peers are installed."""
    import tbwriter

    found: dict[str, type] = {"tbwriter": tbwriter.SummaryWriter}
    try:
        from torch.utils.tensorboard import SummaryWriter
        found["torch"] = SummaryWriter
    except ImportError:
        pass
    try:
        import tensorboardX
        found["tensorboardX"] = tensorboardX.SummaryWriter
    except ImportError:
        pass
    return found


def run(s3, cls, url: str, steps: int) -> dict:
    """Log ``steps`` scalars to ``url``, flushing after each; what it cost on the server."""
    s3.reset()
    w = cls(url)
    flush_times = []
    for step in range(steps):
        w.add_scalar("loss", 1 / (step + 1), step)
        t0 = time.perf_counter()
        w.flush()
        flush_times.append(time.perf_counter() - t0)
    w.close()
    bucket, prefix = url[len("s3://"):].split("/", 1)
    return {"sent": s3.body_bytes(), "stored": s3.stored_bytes(bucket, prefix), "requests": s3.count(),
            "puts": s3.count("PUT"), "flush": statistics.median(flush_times)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--peer-steps", type=int, nargs="+", default=[300, 3000])
    args = parser.parse_args(argv)
    from tests.support.stores import S3Server, environment

    with S3Server() as s3, environment(s3.env):
        s3.make_bucket("bench")
        print(f"{'writer':14s} {'steps':>6s} {'sent':>12s} {'stored':>10s} {'sent/stored':>12s} "
              f"{'requests/flush':>15s} {'ms/flush':>9s}")
        for steps in sorted(set(args.steps) | set(args.peer_steps)):
            for name, cls in peers().items():
                if steps not in (args.steps if name == "tbwriter" else args.peer_steps):
                    continue
                r = run(s3, cls, f"s3://bench/{name}-{steps}-{os.getpid()}", steps)
                print(f"{name:14s} {steps:6d} {r['sent']:12,d} {r['stored']:10,d} {r['sent'] / r['stored']:11.2f}x "
                      f"{r['requests'] / steps:15.2f} {r['flush'] * 1e3:9.2f}", flush=True)


if __name__ == "__main__":
    main()
