"""Write one HTML file that shows logs in any browser, offline: charts, distributions, images, text, hparams.

examples:
  tbwriter report runs/demo -o report.html                        # every run and tag
  tbwriter report runs/sweep -o sweep.html --group 'seed\\d+'      # seeds as a mean line with a band
  tbwriter report runs/a runs/b -o both.html --tag '^val/' --title "a vs b"
  tbwriter report s3://bucket/runs -o report.html --max-bytes 5000000

The file holds the page and the data, nothing else: mail it, commit it or put it on any static host. Opening it
fetches nothing. Scalars are kept exactly while the file stays under --max-bytes; past that the largest series
keep the first, last, lowest and highest point of each of 2,000 columns, and the page says which.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="logdirs or event files, local or URLs (several: "
                                                                  "runs are prefixed with their PATH)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE|-", help="the HTML file to write (- for stdout)")
    parser.add_argument("--tag", metavar="REGEX", help="tags to show, searched in tag names (default: all)")
    parser.add_argument("--run", dest="runs", metavar="REGEX", help="runs to show, searched in run names "
                                                                     "(default: all)")
    parser.add_argument("--group", metavar="REGEX", help="remove REGEX from run names and draw runs left with the "
                                                         "same name as one mean line with a band, e.g. 'seed\\d+' "
                                                         "(the page can change it)")
    parser.add_argument("--title", help="the page's title (default: the paths)")
    parser.add_argument("--max-bytes", default="25000000", metavar="N",
                        help="the most the file may take (default 25000000); the scalars are downsampled to fit")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.views import data, report

    try:
        max_bytes = int(args.max_bytes)
    except ValueError:
        raise CommandError(f"--max-bytes must be a whole number of bytes, got {args.max_bytes!r}") from None
    if max_bytes < 100_000:
        raise CommandError(f"--max-bytes must be at least 100000 (the page itself takes about 40000), got {max_bytes}")
    folder = os.path.dirname(os.path.abspath(args.output))
    if args.output != "-" and not os.path.isdir(folder):
        raise CommandError(f"-o {args.output}: no such directory {folder}")
    if args.group is not None:
        report.check_regex("--group", args.group)

    def read(reader, path, **filters):
        # progress on stderr, damage as warning lines
        return read_logdir(reader, path, storage_options(args.storage_options), **filters)

    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        logs = data.read_logs(args.paths, tags=args.tag, runs=args.runs, read=read)
    for note in notes:
        print(f"tbwriter report: note: {shown(str(note.message))}", file=sys.stderr)
    if not any((logs.scalars, logs.histograms, logs.images, logs.texts, logs.hparams)):
        raise CommandError("nothing to show: no scalars, histograms, images, text or hparams"
                           + (" match --tag/--run" if args.tag or args.runs else ""))
    title = args.title if args.title is not None else " ".join(args.paths)
    try:
        page = report.report_html(logs, title=title, group=args.group, max_bytes=max_bytes)
    except ValueError as e:
        raise CommandError(str(e).replace("max_bytes:", "--max-bytes:", 1)) from None
    size = report.write_page(args.output, page)
    print(f"tbwriter report: wrote {shown(args.output)} ({size:,} bytes); open it in a browser", file=sys.stderr)
    return 0
