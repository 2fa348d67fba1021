"""Show the hparams sessions of a logdir as one table, best first: TensorBoard's HPARAMS tab in a terminal.

examples:
  tbwriter hparams runs                                  # every session, by the first val loss/accuracy...
  tbwriter hparams runs --sort validation.epoch_accuracy # best first (higher is better for accuracies)
  tbwriter hparams runs --sort loss --order desc         # worst loss first
  tbwriter hparams runs --run 'lr0\\.' -o table.csv       # the table as CSV (all digits), written at once

A row per session (a run holding hparams): run, status, each hparam, and the last value of each metric
(a scalar tag of the session's run or of its sub-runs, named as TensorBoard names it: `tag`, or
`sub-run.tag`). The best row is marked with `*`. Loss/error-like metrics sort ascending, others
descending, hparams and run/status ascending; missing values go last. Without --sort the table is sorted by
the first validation metric (a name with "val") whose name says which way is better (loss, error, accuracy,
...), else the first such metric; a line on stderr says which.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import sys

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs (or one event file)")
    parser.add_argument("--sort", metavar="COLUMN", help="the column to sort by, best first (default: the first "
                                                         "validation metric whose name says which way is better, "
                                                         "else the first such metric)")
    parser.add_argument("--order", choices=("asc", "desc"), help="sort ascending or descending (default: from "
                                                                 "the column's name)")
    parser.add_argument("--run", dest="run_regex", metavar="REGEX",
                        help="only runs matching this regular expression (re.search)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the table as CSV to FILE instead")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.reading.sessions import read_hparams

    table = read_logdir(read_hparams, args.logdir, storage_options(args.storage_options), runs=args.run_regex)
    if not table.sessions:
        raise CommandError(f"no hparams sessions under {args.logdir}"
                           + (f" in runs matching {args.run_regex!r}" if args.run_regex else ""))
    header = ["run", "status", *table.hparam_names, *table.metric_names]
    rows = [[s.run, s.status, *(s.hparams.get(h) for h in table.hparam_names),
             *(s.metrics.get(m) for m in table.metric_names)] for s in table.sessions]
    column = args.sort or _default_sort(table.metric_names)
    best = False  # whether the first row is the best one (marked `*`): sorted best first by a metric it has
    if column is not None:
        if column not in header:
            raise CommandError(f"--sort {column!r}: no such column; columns: {', '.join(header)}")
        descending = (args.order or _direction(column, column in table.metric_names)) == "desc"
        rows = _sorted(rows, header.index(column), descending)
        best = column in table.metric_names and descending == (_direction(column, True) == "desc")
        order = f"{'descending' if descending else 'ascending'}{', best first' if best else ''}"
        note = f"sorted by {shown(column)}, {order}"
        best = best and not _missing(rows[0][header.index(column)])  # no best mark on a missing value or NaN
    else:
        note = "not sorted: no metric's name says which way is better (loss, accuracy, ...); --sort COLUMN sorts"
    if args.output:
        _write_csv(args.output, header, rows)
        print(f"tbwriter hparams: wrote {len(rows)} sessions to {shown(args.output)}", file=sys.stderr)
    else:
        _print_table(header, rows, best=best)
    print(f"tbwriter hparams: {note}", file=sys.stderr)
    if any(s.run == "." and not any(m in s.metrics for m in table.metric_names) for s in table.sessions):
        parent = _sweep_folder(args.logdir)
        print(f"tbwriter hparams: hint: {shown(args.logdir)} is a run folder: pass the folder above it to see its "
              f"metrics beside the other runs' (tbwriter hparams {shown(parent)})", file=sys.stderr)
    return 0


def _default_sort(metrics: list[str]) -> str | None:
    """The first metric whose name tells its direction, validation metrics first."""
    known = [m for m in metrics if _known_direction(m)]
    return next((m for m in known if "val" in m.lower()), known[0] if known else None)


def _known_direction(name: str) -> str | None:
    from tbwriter.callbacks.monitor import direction_from_name

    try:
        return direction_from_name(name.rsplit(".", 1)[-1].rsplit("/", 1)[-1], "hparams")
    except ValueError:
        return None


def _direction(column: str, is_metric: bool) -> str:
    if not is_metric:
        return "asc"
    return "asc" if _known_direction(column) == "min" else "desc"


def _sorted(rows: list[list], index: int, descending: bool) -> list[list]:
    """Rows by the cell at ``index``; missing and NaN cells last whichever the order."""
    present = [r for r in rows if not _missing(r[index])]
    present.sort(key=lambda r: (str(type(r[index])), r[index]), reverse=descending)
    return present + [r for r in rows if _missing(r[index])]


def _missing(cell) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def _sweep_folder(run: str) -> str:
    """The folder above the run ``run`` (a run folder or one of its event files; of a URL, the folder above it)."""
    from tbwriter import storage

    if not storage.is_url(run) and os.path.isfile(run):  # one of its event files (a URL's would take a request)
        run = os.path.dirname(os.path.abspath(run))
    return storage.parent(run)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return shown(str(value))


def _print_table(header: list[str], rows: list[list], best: bool) -> None:
    cells = [["", *map(shown, header)]] + [["*" if best and i == 0 else "", *map(_cell, r)] for i, r in enumerate(rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header) + 1)]
    numeric = [False] + [all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) or r[i] is None
                             for r in rows) for i in range(len(header))]
    bold = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None
    for n, r in enumerate(cells):
        line = "  ".join(c.rjust(w) if numeric[i] and n else c.ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        print(f"\033[1m{line.rstrip()}\033[0m" if bold and best and n == 1 else line.rstrip())


def _write_csv(path: str, header: list[str], rows: list[list]) -> None:
    """The table as CSV, floats with every digit, missing cells empty; the file appears whole or not at all."""
    from tbwriter.storage.atomicfile import atomic_output

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CommandError(f"-o {path}: no such directory {folder}")
    with atomic_output(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(["" if c is None else repr(c) if isinstance(c, float) else c for c in r] for r in rows)
