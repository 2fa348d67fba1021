"""Merge each finished run's event files into one, so that every reader (TensorBoard first) opens one file.

examples:
  tbwriter compact s3://bucket/runs                      # every finished run under it
  tbwriter compact s3://bucket/runs --run 'lr0\\.1'       # only runs matching the regular expression
  tbwriter compact runs/exp1 --force                     # a run without an end marker too
  tbwriter compact s3://bucket/runs --storage-option anon=false --storage-option endpoint_url=http://127.0.0.1:9000

A run in object storage holds one file per flush (a sealed segment): hundreds a day. Its files are merged in
name order, every record kept once, so every reader reads the same points before and after. A run is merged once
it is finished (its writer's close() left an end marker): a run without one is left as it is unless --force.
Runs holding damage are left as they are. One line per run says what was done, on stdout; skipped runs and why
on stderr.
"""
from __future__ import annotations

import argparse
import sys

from tbwriter.cli.arguments import add_storage_option


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs: a URL (s3://, gs://, az://...) or a local path")
    parser.add_argument("--run", dest="run_regex", metavar="REGEX",
                        help="only runs matching this regular expression (re.search)")
    parser.add_argument("--force", action="store_true",
                        help="merge runs that have no end marker too (their writer may still be adding files)")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.arguments import storage_options
    from tbwriter.cli.printable import shown
    from tbwriter.errors import ArgumentError, CommandError
    from tbwriter.storage.compact import compact

    try:
        report = compact(args.logdir, args.run_regex, force=args.force,
                         storage_options=storage_options(args.storage_options))
    except FileNotFoundError:
        raise CommandError(f"no such file or directory: {args.logdir}") from None
    except ArgumentError as e:
        raise CommandError(f"bad regular expression for --run {args.run_regex!r}: {e.reason}") from None
    for done in report.compacted:
        print(f"{shown(done.run)}: {done.replaced} files -> {shown(done.merged)}")
    for run_name, reason in report.skipped:
        print(f"tbwriter compact: skipped {shown(run_name)}: {shown(reason)}", file=sys.stderr)
    if not report.compacted and not report.skipped:
        raise CommandError(f"no event files (names containing 'tfevents') under {args.logdir}")
    return 0
