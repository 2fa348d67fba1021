"""Write the scalars of a logdir as CSV: long (run,tag,step,wall_time,value) or wide (a column per run/tag).

examples:
  tbwriter export runs                          # long CSV on stdout
  tbwriter export runs -o scalars.csv --tag '^loss'
  tbwriter export runs --run 'seed[01]$' --wide -o wide.csv
  tbwriter export runs | head

Every point is written (no sampling), floats with all their digits. In --wide mode rows are
steps, a cell is empty where a series has no point, and the last value wins at a repeated step.
-o FILE appears complete or not at all: an interrupted or failed export leaves no partial file.
-o follows a symlink to its target and writes straight into a FIFO or a device (-o >(gzip > x.gz)), as > does.
"""
from __future__ import annotations

import argparse
import re
import warnings

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import few
from tbwriter.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs (or one event file)")
    parser.add_argument("-o", "--output", default="-", metavar="FILE|-", help="where to write (default: - = stdout)")
    parser.add_argument("--run", dest="run_regex", metavar="REGEX",
                        help="only runs matching this regular expression (re.search)")
    parser.add_argument("--tag", metavar="REGEX", help="only tags matching this regular expression (re.search)")
    parser.add_argument("--wide", action="store_true", help="one column per run/tag, one row per step")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.cli.progress import progress_bar
    from tbwriter.reading.reader import read_scalars
    from tbwriter.tables.export import export_csv

    data = read_logdir(read_scalars, args.logdir, storage_options(args.storage_options), runs=args.run_regex,
                       tags=args.tag)
    if not data:
        raise CommandError(_nothing_matched(args))
    bar = progress_bar("writing")
    try:
        export_csv(data, args.output, wide=args.wide, progress=bar)
    finally:
        bar.close()
    return 0


def _nothing_matched(args: argparse.Namespace) -> str:
    """The error when no scalar matches, with what there is instead: the runs, or the chosen runs' scalar tags."""
    from tbwriter.format.record import DamagedRecordWarning
    from tbwriter.reading.reader import summarize

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedRecordWarning)  # the first read reported it
        found = summarize(args.logdir)
    runs = sorted({run for run, _ in found})
    chosen = {run for run in runs if re.search(args.run_regex or "", run)}
    if runs and not chosen:
        return f"no run under {args.logdir} matches --run {args.run_regex!r}; runs: {few(runs)}"
    tags = sorted({tag for (run, tag), summary in found.items() if run in chosen and summary.kind == "scalar"})
    asked = f" match --tag {args.tag!r}" if args.tag else ""
    runs_said = f" (in runs matching --run {args.run_regex!r})" if args.run_regex else ""
    return f"no scalars under {args.logdir}{asked}; scalar tags there{runs_said}: {few(tags) or 'none'}"
