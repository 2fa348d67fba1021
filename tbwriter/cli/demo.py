"""Log a small synthetic training run (2 learning rates x 3 seeds) and render it, to see tbwriter at work.

examples:
  tbwriter demo                  # logs to runs/demo, draws runs/demo/demo.png and writes runs/demo/report.html
  tbwriter demo /tmp/demo --epochs 10 --no-figure
  tensorboard --logdir runs/demo

LOGDIR must be new or empty: the demo never adds to earlier runs, whose curves would then hold every epoch twice.
"""
from __future__ import annotations

import argparse
import os
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", nargs="?", default="runs/demo",
                        help="where to write, a new or empty directory (default: runs/demo)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per run (default: 30)")
    parser.add_argument("--no-figure", dest="figure", action="store_false",
                        help="only log; do not draw LOGDIR/demo.png (drawing needs matplotlib) nor write "
                             "LOGDIR/report.html")


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.demo_training import run_demo

    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    if args.figure:  # said before logging, or the demo could not be run again into the same directory
        from tbwriter.extras import optional

        with optional("drawing demo.png (--no-figure skips it)"):
            import matplotlib  # noqa: F401
    runs = run_demo(args.logdir, args.epochs)
    print(f"logged {len(runs)} runs under {args.logdir}; view them with: tensorboard --logdir {args.logdir}",
          file=sys.stderr)
    if args.figure:
        from tbwriter import read_scalars
        from tbwriter.plot import plot_scalars

        figure = os.path.join(args.logdir, "demo.png")
        plot_scalars(read_scalars(args.logdir), tags=["epoch/"], group=r"seed\d+", cols=2,
                     title="demo: mean ± std over 3 seeds per learning rate").savefig(figure)
        print(f"drew {figure}", file=sys.stderr)
        from tbwriter.views import write_report

        report = os.path.join(args.logdir, "report.html")
        write_report(args.logdir, report, group=r"seed\d+", title="tbwriter demo")
        print(f"wrote {report}: open it in a browser", file=sys.stderr)
    return 0
