"""List the runs and tags of a logdir: kind, point count, step range, and damaged files.

examples:
  tbwriter ls runs
  tbwriter ls runs/exp1/events.out.tfevents.1700000000.host.123.0
"""
from __future__ import annotations

import argparse

from tbwriter.cli.arguments import add_storage_option, storage_options


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs (or one event file)")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.cli.printable import shown
    from tbwriter.reading.reader import summarize

    data = read_logdir(summarize, args.logdir, storage_options(args.storage_options))
    rows = [("RUN", "TAG", "KIND", "POINTS", "STEPS")]
    rows += [(shown(run), shown(tag), t.kind, str(t.count), f"{t.first_step}..{t.last_step}")
             for (run, tag), t in data.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        cells = enumerate(zip(r, widths, strict=True))
        print("  ".join(cell.rjust(w) if i == 3 else cell.ljust(w) for i, (cell, w) in cells).rstrip())
    if data.damaged:
        print(f"\ndamaged files ({len(data.damaged)}): read up to the damage")
        for error in data.damaged:
            print(f"  {shown(str(error))}")
    return 0
