"""Follow a logdir while it trains: print each new scalar once, as soon as it is flushed to disk.

examples:
  tbwriter tail runs                         # every new point of every run, until Ctrl-C
  tbwriter tail runs --tag '^val/' --run 'lr0\\.1'
  tbwriter tail runs --format csv > live.csv # run,tag,step,wall_time,value
  tbwriter tail runs --all                   # what is there already, then what comes
  tbwriter tail s3://bucket/runs             # object storage too (any fsspec URL)

Runs that start later are followed too. Ctrl-C ends it quietly.
"""
from __future__ import annotations

import argparse
import csv
import sys
import time

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError

FORMATS = ("text", "csv")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs (or one event file), a local path or a URL")
    parser.add_argument("--run", dest="run_regex", metavar="REGEX", help="only runs matching this regular "
                                                                         "expression (re.search)")
    parser.add_argument("--tag", metavar="REGEX", help="only tags matching this regular expression (re.search)")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default: aligned, for people) or csv (run,tag,step,wall_time,value)")
    parser.add_argument("--all", action="store_true", help="print the points already written first")
    parser.add_argument("--interval", type=float, default=0.5, metavar="SECONDS",
                        help="how often to look for new points (default 0.5)")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    import os
    import re
    import warnings

    from tbwriter import storage
    from tbwriter.format.record import DamagedRecordWarning
    from tbwriter.reading.filters import TagFilter
    from tbwriter.reading.follow import Follower

    for option, pattern in (("--run", args.run_regex), ("--tag", args.tag)):
        try:
            TagFilter(pattern)
        except re.error as e:
            raise CommandError(f"bad regular expression for {option} {pattern!r}: {e}") from None
    if not storage.is_url(args.logdir) and not os.path.exists(args.logdir):  # a URL: its first listing says
        raise CommandError(f"no such file or directory: {args.logdir}")
    if not 0.01 <= args.interval <= 60:
        raise CommandError(f"--interval {args.interval!r}: expected seconds between 0.01 and 60")
    follower = Follower(args.logdir, runs=args.run_regex, tags=args.tag,
                        storage_options=storage_options(args.storage_options))
    try:
        with warnings.catch_warnings(record=True) as notes:
            warnings.simplefilter("always", DamagedRecordWarning)
            first = follower.poll()
            printer = _Printer(args.format)  # the CSV header says: from here on, every new point is printed
            if args.all:
                printer.show(first)
            while True:
                for note in notes:
                    print(f"warning: damaged event file: {shown(str(note.message))}", file=sys.stderr)
                notes.clear()
                time.sleep(args.interval)
                printer.show(follower.poll())
    except KeyboardInterrupt:  # the way to stop it: end quietly
        return 0


class _Printer:
    """Prints points in the order they were logged (by wall time), flushing after each batch."""

    def __init__(self, format: str) -> None:
        self.csv = csv.writer(sys.stdout, lineterminator="\n") if format == "csv" else None
        if self.csv:
            self.csv.writerow(["run", "tag", "step", "wall_time", "value"])
            sys.stdout.flush()

    def show(self, data) -> None:
        points = [(wall, step, run, tag, value) for (run, tag), s in data.items()
                  for step, wall, value in zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist(), strict=True)]
        if not points:
            return
        points.sort(key=lambda p: p[0])
        if self.csv:
            self.csv.writerows([run, tag, step, repr(wall), repr(value)] for wall, step, run, tag, value in points)
        else:
            stamp = time.strftime
            for wall, step, run, tag, value in points:
                print(f"{stamp('%H:%M:%S', time.localtime(wall))}  {shown(run)}  {shown(tag)}  step {step}  "
                      f"{value:.6g}")
        sys.stdout.flush()
