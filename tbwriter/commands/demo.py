"""Log a small synthetic training run (2 learning rates x 3 seeds) to see tbwriter at work.

examples:
  tbwriter demo                  # logs to runs/demo
  tbwriter demo /tmp/demo --epochs 10
  tensorboard --logdir runs/demo
"""
from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", nargs="?", default="runs/demo", help="where to write (default: runs/demo)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs per run (default: 30)")


def run(args: argparse.Namespace) -> int:
    from tbwriter.demo import run_demo

    runs = run_demo(args.logdir, args.epochs)
    print(f"logged {len(runs)} runs under {args.logdir}; view them with: tensorboard --logdir {args.logdir}",
          file=sys.stderr)
    return 0
