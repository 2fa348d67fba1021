"""Launch tools/rank_exit.py many times, alternating variants, and count the launches that did not exit 0.

    python tools/rank_exit_stress.py                           # 50 with our callbacks, 50 --plain, alternating
    python tools/rank_exit_stress.py -n 20 -- "" "--plain" "--plain --no-optimizer" "--sync batch --writer"

Each variant is a string of tools/rank_exit.py options ("" for the defaults), after ``--``. For each variant
it prints the launches, those that failed, those that died of ``terminate called without an active
exception``, and those in which a rank's destroyed process group was still alive at exit (the condition for
that abort; see tools/rank_exit.py). The output of a failed launch is kept under ``--keep`` (default: a
temporary folder).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ABORT = "terminate called without an active exception"


def launch(variant: str, out: str) -> tuple[int, str]:
    """One 2-rank launch of rank_exit.py with ``variant``'s options: (exit status, both ranks' output)."""
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")]))
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
                           os.path.join(HERE, "rank_exit.py"), out, *variant.split()],
                          env=env, cwd=out, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--launches", type=int, default=50, help="launches of each variant")
    parser.add_argument("--keep", default=None, help="folder for the output of failed launches")
    parser.add_argument("variants", nargs="*", default=["", "--plain"])
    args = parser.parse_args(argv)
    keep = args.keep or tempfile.mkdtemp(prefix="rank-exit-")
    counts = {variant: {"launches": 0, "failed": 0, "aborted": 0, "group alive at exit": 0}
              for variant in args.variants}
    for i in range(args.launches):
        for number, variant in enumerate(args.variants):
            out = tempfile.mkdtemp(prefix="launch-")
            status, output = launch(variant, out)
            seen = counts[variant]
            seen["launches"] += 1
            seen["failed"] += status != 0
            seen["aborted"] += ABORT in output
            seen["group alive at exit"] += "group freed=False" in output
            if status != 0:
                with open(os.path.join(keep, f"failed-{i}-{number}.txt"), "w") as f:
                    f.write(f"variant {variant!r} exit status {status}\n{output}")
            shutil.rmtree(out)
            print(f"launch {i + 1} {variant or '(callbacks)'}: exit status {status}", flush=True)
    for variant, seen in counts.items():
        print(f"{variant or '(callbacks)':30s} " + ", ".join(f"{key} {value}" for key, value in seen.items()))
    print(f"failed launches' output: {keep}")


if __name__ == "__main__":
    main(sys.argv[1:])
