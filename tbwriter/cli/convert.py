"""Turn CSV logs (Keras CSVLogger, Lightning metrics.csv, any CSV) into event files, a tag per numeric column.

examples:
  tbwriter convert training.log --logdir runs              # Keras CSVLogger -> runs/training/
  tbwriter convert lightning_logs/version_0/metrics.csv --logdir runs --run lightning
  tbwriter convert a.csv b.csv --logdir runs               # runs/a/, runs/b/
  tbwriter convert log.tsv --logdir runs --step-column iter --wall-time-column time
  tbwriter convert training.log --logdir runs --overwrite  # again, after training.log grew: replaces the run
  tbwriter convert training.log --logdir s3://bucket/runs --storage-option endpoint_url=http://127.0.0.1:9000

The step is --step-column, else a column named step, else epoch, else the row number.
Wall times come from wall_time/time/timestamp (epoch seconds or ISO 8601) when present.
Empty, NA and non-numeric cells are skipped and counted; a fractional or negative step is an error naming its row.

All or nothing: every CSV is read and checked first, and the runs appear only once every file is written.
A run that already holds event files is refused (converting a CSV twice would repeat every point) unless
--overwrite replaces its files or --append adds one beside them.
"""
from __future__ import annotations

import argparse
import sys

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("csv", nargs="+", metavar="CSV", help="CSV file(s) to convert")
    parser.add_argument("--logdir", required=True, metavar="DIR", help="where runs are written")
    parser.add_argument("--run", dest="run_name", metavar="NAME",
                        help="run name, a relative path inside --logdir (default: each CSV's file name without "
                             "extension)")
    parser.add_argument("--step-column", metavar="COL", help="column holding the step")
    parser.add_argument("--wall-time-column", metavar="COL", help="column holding wall times")
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--overwrite", dest="if_exists", action="store_const", const="overwrite", default="fail",
                       help="replace the event files a run already holds (default: refuse such a run)")
    again.add_argument("--append", dest="if_exists", action="store_const", const="append",
                       help="add a file beside the event files a run already holds")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.progress import progress_bar
    from tbwriter.tables.convert import convert_csvs

    if args.run_name and len(args.csv) > 1:
        raise CommandError("--run names one run: give one CSV with it, or leave it out")
    bar = progress_bar("converting")
    try:
        reports = convert_csvs(args.csv, args.logdir, args.run_name, args.step_column, args.wall_time_column,
                               args.if_exists, bar, storage_options(args.storage_options))
    finally:
        bar.close()
    for report in reports:
        print(shown(report.summary()), file=sys.stderr)
    return 0
