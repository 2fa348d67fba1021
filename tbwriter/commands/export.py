"""Write the scalars of a logdir as CSV: long (run,tag,step,wall_time,value) or wide (a column per run/tag).

examples:
  tbwriter export runs                          # long CSV on stdout
  tbwriter export runs -o scalars.csv --tag '^loss'
  tbwriter export runs --run 'seed[01]$' --wide -o wide.csv
  tbwriter export runs | head

Every point is written (no sampling), floats with all their digits. In --wide mode rows are
steps, a cell is empty where a series has no point, and the last value wins at a repeated step.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("logdir", help="directory of runs (or one event file)")
    parser.add_argument("-o", "--output", default="-", metavar="FILE|-", help="where to write (default: - = stdout)")
    parser.add_argument("--run", dest="run_regex", metavar="REGEX",
                        help="only runs matching this regular expression (re.search)")
    parser.add_argument("--tag", metavar="REGEX", help="only tags matching this regular expression (re.search)")
    parser.add_argument("--wide", action="store_true", help="one column per run/tag, one row per step")


def run(args: argparse.Namespace) -> int:
    from tbwriter.commands.logdir import read_logdir
    from tbwriter.commands.progress import progress_bar
    from tbwriter.reader import read_scalars

    data = read_logdir(read_scalars, args.logdir, runs=args.run_regex, tags=args.tag)
    if not data:
        print(f"tbwriter export: no scalars under {args.logdir} match", file=sys.stderr)
        return 1
    out = sys.stdout if args.output == "-" else open(args.output, "w", newline="", encoding="utf-8")
    bar = progress_bar("writing")
    try:
        (write_wide if args.wide else write_long)(data, out, bar)
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
    return 0


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def write_long(data, out, progress=None) -> None:
    """``run,tag,step,wall_time,value``, series after series, points in file order."""
    out.write("run,tag,step,wall_time,value\n")
    for i, ((run, tag), s) in enumerate(data.items()):
        prefix = _csv_line([run, tag]) + ","
        out.writelines(f"{prefix}{step},{wall!r},{value!r}\n"
                       for step, wall, value in zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist()))
        if progress:
            progress(i + 1, len(data))


def write_wide(data, out, progress=None) -> None:
    """``step`` then one column per series named ``run/tag`` (just ``tag`` for the run ``.``).

    Should two series share that name (run ``a/b`` tag ``c``, run ``a`` tag ``b/c``), every
    column is named ``run|tag`` instead, so none is lost or mislabelled.
    """
    import numpy as np

    steps = np.unique(np.concatenate([s.step for s in data.values()]))
    columns = []
    for s in data.values():
        cells = np.full(len(steps), "", dtype=object)
        cells[np.searchsorted(steps, s.step)] = [repr(v) for v in s.value.tolist()]  # last write wins
        columns.append(cells)
    names = [tag if run == "." else f"{run}/{tag}" for run, tag in data]
    if len(set(names)) < len(names):
        names = [f"{run}|{tag}" for run, tag in data]
    out.write(_csv_line(["step", *names]) + "\n")
    for i, step in enumerate(steps.tolist()):
        out.write(f"{step}," + ",".join(col[i] for col in columns) + "\n")
        if progress and i % 4096 == 0:
            progress(i, len(steps))
