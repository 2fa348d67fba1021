"""Time tbwriter against its peers on the same work, in one run, and print ratios.

    python tools/bench.py            # everything
    python tools/bench.py writer     # one section: writer, import, or any tools/bench_<name>.py

Sections: ``writer`` (add_scalar and log_metrics vs tensorboardX and torch.utils.tensorboard),
``import`` (import time), and each ``tools/bench_<name>.py`` beside this file.
Figures are medians over repeats; the machine is noisy, so compare ratios within one run.
"""
from __future__ import annotations

import importlib
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def median_time(fn, repeats: int) -> float:
    """Median wall time in seconds of ``fn()`` over ``repeats`` runs, each in a fresh directory."""
    times = []
    for _ in range(repeats):
        d = tempfile.mkdtemp(prefix="tbbench-")
        try:
            t0 = time.perf_counter()
            fn(d)
            times.append(time.perf_counter() - t0)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return statistics.median(times)


def writers() -> dict[str, type]:
    """Name -> SummaryWriter class for tbwriter and whichever peers are installed."""
    found: dict[str, type] = {}
    import tbwriter
    found["tbwriter"] = tbwriter.SummaryWriter
    try:
        import tensorboardX
        found["tensorboardX"] = tensorboardX.SummaryWriter
    except ImportError:
        pass
    try:
        from torch.utils.tensorboard import SummaryWriter
        found["torch"] = SummaryWriter
    except ImportError:
        pass
    return found


def report(title: str, unit: str, results: dict[str, float], per: int) -> None:
    """Print per-call cost of each contender and how many times slower each peer is than tbwriter."""
    print(f"\n{title}")
    ours = results["tbwriter"] / per
    for name, total in results.items():
        cost = total / per
        ratio = "" if name == "tbwriter" else f"   {cost / ours:6.1f}x tbwriter"
        print(f"  {name:14s} {cost * 1e6:9.2f} {unit}{ratio}")


def bench_writer(repeats: int = 5) -> None:
    n, steps, tags = 100_000, 25_000, [f"metric/{i}" for i in range(8)]

    def add_scalar(cls):
        def run(d):
            w = cls(d)
            add = w.add_scalar
            for i in range(n):
                add("loss", 0.5, i)
            w.close()
        return run

    def per_tag(cls):
        def run(d):
            w = cls(d)
            add = w.add_scalar
            for step in range(steps):
                for tag in tags:
                    add(tag, 0.5, step)
            w.close()
        return run

    def log_metrics(d):
        import tbwriter
        w = tbwriter.SummaryWriter(d)
        values = dict.fromkeys(tags, 0.5)
        for step in range(steps):
            w.log_metrics(values, step)
        w.close()

    found = writers()
    report(f"add_scalar: {n:,} calls incl. close()", "µs/call",
           {name: median_time(add_scalar(cls), repeats if name == "tbwriter" else 1) for name, cls in found.items()}, n)
    results = {"tbwriter": median_time(log_metrics, repeats)}
    results.update({f"{name} per-tag": median_time(per_tag(cls), 1)
                    for name, cls in found.items() if name != "tbwriter"})
    results["tbwriter per-tag"] = median_time(per_tag(found["tbwriter"]), repeats)
    report(f"log_metrics: {steps:,} steps x {len(tags)} tags (peers: per-tag add_scalar)", "µs/scalar",
           results, steps * len(tags))


def bench_import(repeats: int = 7) -> None:
    print("\nimport time (fresh interpreter, minus `python -c pass`)")
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))

    def run(code):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        return time.perf_counter() - t0

    base = statistics.median(run("pass") for _ in range(repeats))
    for name, code in [("tbwriter", "import tbwriter"), ("tensorboardX", "import tensorboardX"),
                       ("torch", "import torch.utils.tensorboard")]:
        try:
            t = statistics.median(run(code) for _ in range(repeats if name == "tbwriter" else 3)) - base
        except subprocess.CalledProcessError:
            continue
        print(f"  {name:14s} {t * 1e3:8.1f} ms")
    heavy = subprocess.run([sys.executable, "-c", "import sys, tbwriter; print(sorted(m for m in "
                            "('torch','keras','matplotlib','tensorboard','tensorflow') if m in sys.modules))"],
                           env=env, capture_output=True, text=True).stdout.strip()
    print(f"  heavy modules imported by `import tbwriter`: {heavy}")


SECTIONS = {"writer": bench_writer, "import": bench_import}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    extra = {p.stem[len("bench_"):]: p.stem for p in sorted(HERE.glob("bench_*.py"))}
    chosen = argv or [*SECTIONS, *extra]
    for name in chosen:
        if name in SECTIONS:
            SECTIONS[name]()
        elif name in extra:
            print(f"\n== {extra[name]} ==")
            importlib.import_module(extra[name]).main([])
        else:
            sys.exit(f"bench: unknown section {name!r}; choose from {', '.join([*SECTIONS, *extra])}")


if __name__ == "__main__":
    main()
