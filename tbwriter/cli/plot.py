"""Draw logs as a figure: PNG, SVG or PDF, chosen by the output's extension (or --format).

examples:
  tbwriter plot runs/demo -o curves.png --tag epoch/                  # a panel per tag, a colour per run
  tbwriter plot runs/demo -o seeds.pdf --tag val --group 'seed\\d+'    # mean ± std over seeds
  tbwriter plot runs/demo -o wall.svg --tag loss --x wall --logy --smoothing 0.9
  tbwriter plot runs/torch -o weights.png --kind dist --tag weight    # histograms, as TensorBoard's distributions
  tbwriter plot runs/sweep -o sweep.png --kind hparams --metric val/accuracy   # parallel coordinates of a sweep

  tbwriter plot runs/demo -o - --format svg --tag loss > loss.svg

Scalars are drawn unless --kind is given; a selection that only matches histogram tags draws their distributions.
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError

FORMATS = ("png", "svg", "pdf")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="logdirs or event files (several: runs are "
                                                                  "prefixed with their PATH)")
    parser.add_argument("-o", "--output", required=True, metavar="FILE|-",
                        help="the figure: .png, .svg or .pdf; - (stdout), a FIFO or /dev/fd/N with --format")
    parser.add_argument("--format", choices=FORMATS, help="the figure's format (default: from FILE's extension)")
    what = parser.add_argument_group("what to draw")
    what.add_argument("--tag", action="append", metavar="REGEX",
                      help="tags to draw, searched in tag names; repeatable (default: all scalar tags)")
    what.add_argument("--run", dest="runs", metavar="REGEX", help="runs to draw, searched in run names (default: all)")
    what.add_argument("--kind", choices=("dist", "hist", "hparams"),
                      help="draw histogram tags: dist = TensorBoard's distributions over steps, hist = stacked "
                           "histograms; or hparams = the sweep's sessions in parallel coordinates (with --metric)")
    what.add_argument("--metric", metavar="COLUMN", help="with --kind hparams: the metric that colours the lines, "
                                                         "as `tbwriter hparams` names it (e.g. validation.epoch_loss)")
    what.add_argument("--group", metavar="REGEX", help="remove REGEX from run names and draw runs left with the same "
                                                       "name as one mean line with a band, e.g. 'seed\\d+'")
    what.add_argument("--band", choices=("std", "minmax"), default="std",
                      help="a group's band: mean ± std (default) or min to max")
    what.add_argument("--smoothing", default="0.6", metavar="W",
                      help="TensorBoard's smoothing weight in [0, 1] (default 0.6; 0 = raw only)")
    look = parser.add_argument_group("axes and looks")
    look.add_argument("--x", choices=("step", "relative", "wall"), default="step",
                      help="x axis: step (default), relative (time since start) or wall (dates, UTC)")
    look.add_argument("--logx", action="store_true", help="logarithmic x axis")
    look.add_argument("--logy", action="store_true", help="logarithmic y axis")
    look.add_argument("--xlim", metavar="LO,HI", help="x range in the axis' units (either may be empty; "
                                                      "dates for --x wall, e.g. 2024-05-01T12:00,)")
    look.add_argument("--ylim", metavar="LO,HI", help="y range (either may be empty; write --ylim=-1,1 when LO is "
                                                      "negative)")
    look.add_argument("--cols", type=int, metavar="N", help="panels per row (default: up to 3)")
    look.add_argument("--title", help="a title over the whole figure")
    look.add_argument("--dpi", default="100", help="dots per inch, 10 to 1200 (default 100); the figure may have "
                                                  "at most 100 megapixels")
    look.add_argument("--size", metavar="WxH", help="figure size in inches, e.g. 10x6 (default: from the grid)")
    look.add_argument("--style", help="any matplotlib style name, e.g. seaborn-v0_8-paper, ggplot")
    look.add_argument("--dark", action="store_true", help="light lines on a dark background")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter import plot
    from tbwriter.cli import arguments
    from tbwriter.storage.atomicfile import atomic_output

    extension = args.format or os.path.splitext(args.output)[1].lower().lstrip(".")
    if extension not in FORMATS:
        raise CommandError(f"-o {args.output}: the extension must be one of .png, .svg, .pdf (or give --format)")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        raise CommandError(f"-o {args.output}: no such directory {folder}")
    if args.group is not None and args.kind:
        raise CommandError("--group draws scalars; it does not combine with --kind")
    smoothing = arguments.number("--smoothing", args.smoothing, 0, 1)
    settings = plot.PlotSettings(
        x=args.x, logx=args.logx, logy=args.logy, cols=args.cols, title=args.title,
        dpi=arguments.number("--dpi", args.dpi, 10, 1200), size=arguments.size("--size", args.size),
        style=args.style, dark=args.dark, xlim=arguments.limits("--xlim", args.xlim, dates=args.x == "wall"),
        ylim=arguments.limits("--ylim", args.ylim))
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        if args.kind == "hparams":
            fig = _hparams_figure(plot, args, settings)
        elif args.kind:
            fig = plot.plot_histograms(_read_paths("read_histograms", args), settings, tags=args.tag, runs=args.runs,
                                       kind=args.kind)
        else:
            fig = _scalars_or_distributions(plot, args, settings, smoothing)
        with atomic_output(args.output, "wb") as f:  # never a half-drawn figure under the final name
            fig.savefig(f, format=extension)
    for note in notes:
        print(f"tbwriter plot: note: {shown(str(note.message))}", file=sys.stderr)
    panels = len(fig.axes)
    print(f"tbwriter plot: wrote {shown(args.output)} ({panels} panel{'s' if panels > 1 else ''})", file=sys.stderr)
    return 0


def _scalars_or_distributions(plot, args: argparse.Namespace, settings, smoothing: float):
    """Scalars; if the selection matches none, the histograms it matches, as distributions."""
    try:
        return plot.plot_scalars(_read_paths("read_scalars", args), settings, tags=args.tag, runs=args.runs,
                                 smoothing=smoothing, group=args.group, band=args.band)
    except plot.NothingToPlot as scalar_error:
        if args.group is not None:
            raise
        histograms = _read_paths("read_histograms", args)
        try:
            return plot.plot_histograms(histograms, settings, tags=args.tag, runs=args.runs, kind="dist")
        except plot.NothingToPlot:
            raise scalar_error from None


def _hparams_figure(plot, args: argparse.Namespace, settings):
    """The parallel-coordinates view of the sessions under the one path given."""
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.reading.sessions import read_hparams

    if len(args.paths) > 1:
        raise CommandError("--kind hparams draws one logdir's sessions: give one PATH")
    table = read_logdir(read_hparams, args.paths[0], storage_options(args.storage_options))
    if not table.sessions:
        raise CommandError(f"no hparams sessions under {args.paths[0]}")
    if args.metric is None:
        raise CommandError(f"--kind hparams needs --metric; metrics: {', '.join(table.metric_names) or 'none'}")
    return plot.plot_hparams(table, settings, metric=args.metric, runs=args.runs)


def _read_paths(function: str, args: argparse.Namespace) -> dict:
    """:func:`_read` of the command's PATHs, with its ``--storage-option`` values."""
    return _read(function, args.paths, storage_options(args.storage_options))


def _read(function: str, paths: list[str], options: dict | None = None) -> dict:
    """Every series under ``paths``, by (run, tag), read with fsspec's ``options`` where a path is a URL.

    With several paths, runs are named ``<path>/<run>`` to keep them apart; with one, a run that is the path itself
    (TensorBoard's ``"."``) is named after its directory, which reads better in a legend.
    """
    import tbwriter
    from tbwriter import storage
    from tbwriter.cli.logdir import read_logdir

    read = getattr(tbwriter, function)
    merged = {}
    for path in paths:
        where = storage.absolute(path)
        for (run, tag), series in read_logdir(read, path, options).items():
            if len(paths) > 1:
                run = storage.join(path, run)
            elif run == ".":
                run = os.path.basename(where)
            merged[(run, tag)] = series
    return merged
