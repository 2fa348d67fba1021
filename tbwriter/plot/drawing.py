"""The matplotlib side of the figures: panels, lines, bands, distributions, legends, themes, points left out.

matplotlib is imported only when a figure is made (never by ``import tbwriter``), and only its non-GUI parts.
"""
from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tbwriter.errors import NothingToPlot, PlotNote
from tbwriter.extras import optional
from tbwriter.plot import plotdata

if TYPE_CHECKING:
    pass
from tbwriter.plot.settings import PlotSettings, check_pixels, few_names

# Okabe-Ito colours without the yellow that vanishes on paper, in an order where neighbours differ in lightness too
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9")


DARK_PALETTE = ("#56B4E9", "#E69F00", "#2BD9A0", "#F28DC8", "#F0E442", "#FF7F3F", "#FFFFFF")


DASHES = ("-", "--", ":", "-.")


RAW_ALPHA = 0.3  # the unsmoothed line under the smoothed one, as TensorBoard shows it


RIDGES = 30  # per-step histograms drawn by --kind hist


def grid_columns(panels: int, cols: int | None) -> int:
    """Columns of the panel grid: ``cols`` if given, else up to 3."""
    return max(1, min(panels, cols or 3))


class XScale:
    """Turns a series' steps or wall times into x values, in one unit for a whole panel."""

    def __init__(self, mode: str, wall_times: Sequence[np.ndarray]):
        self.mode, self.divisor, self.label = mode, 1.0, "step"
        if mode == "relative":
            span = max((float(w.max() - w.min()) for w in wall_times if len(w)), default=0.0)
            self.divisor, unit = plotdata.relative_unit(span)
            self.label = f"time since start ({unit})"
        elif mode == "wall":
            self.label = ""  # the date formatter's offset ("2024-May-01 UTC") says it, where a label would collide

    def of(self, series: Any) -> np.ndarray:
        if self.mode == "step":
            return np.asarray(series.step, dtype=np.float64)
        wall = np.asarray(series.wall_time, dtype=np.float64)
        if self.mode == "relative":
            return (wall - wall.min()) / self.divisor if len(wall) else wall
        return wall

    def display(self, x: np.ndarray) -> np.ndarray:
        """x as matplotlib should get it: dates for wall time (seconds since the epoch until here)."""
        return (x * 1e6).astype("datetime64[us]") if self.mode == "wall" else x


def finite_points(x: np.ndarray, y: np.ndarray, logx: bool, logy: bool,
           skipped: Skipped) -> tuple[np.ndarray, np.ndarray]:
    """Drawable points sorted by x; what was dropped is counted by reason."""
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(y) & np.isfinite(x)
    skipped.add("non-finite", int(np.count_nonzero(~keep)))
    for on, values, reason in ((logx, x, "x ≤ 0 on the log x axis"), (logy, y, "value ≤ 0 on the log y axis")):
        if on:
            bad = keep & ~(values > 0)
            skipped.add(reason, int(np.count_nonzero(bad)))
            keep &= ~bad
    x, y = x[keep], y[keep]
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def _binning(x: np.ndarray, logx: bool) -> np.ndarray:
    """x as the axis spaces it, so decimation columns are as wide as pixel columns."""
    return np.log10(x) if logx else x


def draw_line(ax, show, x: np.ndarray, y: np.ndarray, smoothing: float, look: dict, columns: int,
               logx: bool) -> None:
    """A run's curve: the raw series faint, the smoothed one over it; ``show`` maps x to what matplotlib gets."""
    bins = _binning(x, logx)
    if smoothing > 0:
        keep = plotdata.decimate(bins, y, columns)
        raw, = ax.plot(show(x[keep]), y[keep], color=look["color"], linestyle=look["linestyle"],
                       linewidth=0.8, alpha=RAW_ALPHA, zorder=1.9)  # under every smoothed line
        raw.set_rasterized(len(x) > 4 * columns)  # a decimated raw line is dense: an image in PDF/SVG keeps it small
        y = plotdata.smooth(y, smoothing)
    keep = plotdata.decimate(bins, y, columns)
    ax.plot(show(x[keep]), y[keep], linewidth=1.6, **look)


def draw_band(ax, show, members: list, smoothing: float, band: str, look: dict, columns: int, logx: bool) -> None:
    """A group's mean line over its band; each member is smoothed first, as it would be drawn alone."""
    curves = [(cx, plotdata.smooth(cy, smoothing) if smoothing > 0 else cy) for cx, cy in members]
    grid, mean, lo, hi, _ = plotdata.aggregate(curves, band)
    bins = _binning(grid, logx)
    bx, blo, bhi = plotdata.envelope(bins, lo, hi, columns)
    bx = 10 ** bx if logx else bx
    ax.fill_between(show(bx), blo, bhi, color=look["color"], alpha=0.22, linewidth=0)
    keep = plotdata.decimate(bins, mean, columns)
    ax.plot(show(grid[keep]), mean[keep], linewidth=1.6, **look)


def draw_distribution(ax, show, x: np.ndarray, buckets: Sequence[np.ndarray], look: dict, columns: int,
                       logx: bool, logy: bool, skipped: Skipped) -> bool:
    """TensorBoard's distribution chart: nested percentile bands, darker towards the median."""
    order = np.argsort(x, kind="stable")
    if len(order) > 2 * columns:  # more steps than pixels: an even sample of them, as TensorBoard's reservoir does
        order = order[np.linspace(0, len(order) - 1, 2 * columns).round().astype(np.int64)]
        warnings.warn(PlotNote(f"histograms: drew {len(order)} of {len(x)} steps, evenly spaced"),
                      stacklevel=3)  # the caller of plot_histograms
    bands = np.array([plotdata.percentiles(buckets[i]) for i in order]).reshape(-1, len(plotdata.DIST_BASIS_POINTS))
    x = x[order]
    x, bands = _clean_rows(x, bands, logx, logy, skipped)
    if not len(x):
        return False
    for outer in range(4):  # 0-100, 7-93, 16-84, 31-69
        ax.fill_between(show(x), bands[:, outer], bands[:, -1 - outer], color=look["color"], alpha=0.16,
                        linewidth=0)
    ax.plot(show(x), bands[:, 4], color=look["color"], linewidth=1.4)
    return True


def _clean_rows(x: np.ndarray, bands: np.ndarray, logx: bool, logy: bool, skipped: Skipped):
    """Drops steps whose bands cannot be drawn (empty histograms, ≤ 0 on log axes), counting them."""
    keep = np.all(np.isfinite(bands), axis=1) & np.isfinite(x)
    skipped.add("empty or non-finite histograms", int(np.count_nonzero(~keep)))
    for on, bad, reason in ((logx, ~(x > 0), "x ≤ 0 on the log x axis"),
                            (logy, ~np.all(bands > 0, axis=1), "value ≤ 0 on the log y axis")):
        if on:
            skipped.add(reason, int(np.count_nonzero(keep & bad)))
            keep &= ~bad
    return x[keep], bands[keep]


def draw_ridges(ax, steps: np.ndarray, buckets: Sequence[np.ndarray], look: dict, skipped: Skipped) -> bool:
    """Per-step histograms stacked like TensorBoard's offset view: earliest at the back (top), latest in front.

    Each is scaled to its own peak, so late, wide histograms stay as readable as early, narrow ones.
    """
    order = [i for i in np.argsort(steps, kind="stable")
             if np.isfinite(buckets[i]).all() and buckets[i][:, 2].sum() > 0]
    skipped.add("empty or non-finite histograms", len(steps) - len(order))
    if not order:
        return False
    if len(order) > RIDGES:
        warnings.warn(PlotNote(f"histograms: drew {RIDGES} of {len(order)} steps, evenly spaced"),
                      stacklevel=3)  # the caller of plot_histograms
        order = [order[int(round(j))] for j in np.linspace(0, len(order) - 1, RIDGES)]
    lo = min(float(buckets[i][0, 0]) for i in order)
    hi = max(float(buckets[i][-1, 1]) for i in order)
    edges = np.linspace(lo, hi if hi > lo else lo + 1, 61)
    counts = np.array([plotdata.rebin(buckets[i], edges) for i in order])
    height = 2.5 * counts / counts.max(axis=1, keepdims=True)  # a peak rises over the 2.5 ridges behind it
    centres = (edges[:-1] + edges[1:]) / 2
    for depth, h in enumerate(height):
        fade = 0.35 + 0.65 * depth / max(1, len(order) - 1)
        # the ridge hides what is behind it, as in TensorBoard
        ax.fill_between(centres, -depth, h - depth, color=ax.get_facecolor(), linewidth=0, zorder=depth)
        ax.plot(centres, h - depth, color=look["color"], alpha=fade, linewidth=1.0, zorder=depth)
    ticks = np.unique(np.linspace(0, len(order) - 1, min(len(order), 6)).round().astype(int))
    ax.set_yticks(-ticks, [f"{int(steps[order[t]]):,}" for t in ticks])
    ax.set_ylabel("step")
    ax.set_xlabel("value")
    return True


def mark_if_empty(ax, drew: bool) -> int:
    """Says so in a panel with nothing drawable, rather than leaving it blank; 1 if the panel has data."""
    if not drew:
        ax.text(0.5, 0.5, "no drawable points", transform=ax.transAxes, ha="center", va="center", color="gray")
    return int(drew)


def check_drawn(method: str, drawn: int, skipped: Skipped) -> None:
    if not drawn:
        reasons = ", ".join(f"{sum(by_tag.values()):,} {reason}" for reason, by_tag in skipped.by_reason.items())
        reasons = reasons or "no points"
        raise NothingToPlot(f"{method}: nothing to draw: every selected point was skipped ({reasons})")


def pixel_columns(fig, ax) -> int:
    """How many pixel columns the panel spans at the figure's dpi (before layout: a close estimate)."""
    return max(50, int(ax.get_position().width * fig.get_figwidth() * fig.dpi))


def finish_axes(ax, scale: XScale | None, look: PlotSettings) -> None:
    """Scales, x labels and ticks, and limits; ``scale`` None for a panel whose x axis is not time or steps."""
    logx, logy = look.logx and scale is not None, look.logy and scale is not None
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    if scale is not None:
        ax.set_xlabel(scale.label)
        if scale.mode == "wall":
            import matplotlib.dates as mdates
            locator = mdates.AutoDateLocator(maxticks=6)
            ax.xaxis.set_major_locator(locator)
            offsets = ["", "%Y", "%Y-%b", "%Y-%b-%d", "%Y-%b-%d", "%Y-%b-%d %H:%M"]
            ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(
                locator, offset_formats=[f"{f} UTC".strip() for f in offsets]))
        elif scale.mode == "step" and not logx:
            from matplotlib.ticker import EngFormatter, MaxNLocator
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    if look.xlim is not None:
        ax.set_xlim(*(scale.display(np.array([v]))[0] if scale and v is not None and scale.mode == "wall" else v
                      for v in look.xlim))
    if look.ylim is not None:
        ax.set_ylim(*look.ylim)


def label_bottom_row(axes: list, cols: int) -> None:
    """Keep the x label only on each column's lowest panel: the others repeat it and crowd the grid."""
    for i, ax in enumerate(axes):
        if i + cols < len(axes):
            ax.set_xlabel("")


def panel_figure(method: str, panels: int, look: PlotSettings, labels: list[str]):
    """A figure with one axes per panel, row by row, room below for the legend of ``labels``, and the title.

    Without ``look.size``, the figure grows with the grid and the legend (and widens for long run names), so the
    legend never has to squeeze the panels. A figure over :data:`MAX_PIXELS` is refused before any memory is taken.
    """
    from matplotlib.figure import Figure

    size, title = look.size, look.title
    cols = grid_columns(panels, look.cols)
    rows = math.ceil(panels / cols)
    if size is None:
        width = min(4.2 * cols, 14.0)
        if len(labels) > 4:
            width = max(width, min(2 * _legend_entry_width(labels), 14.0))
        legend_rows = math.ceil(len(labels) / _legend_columns(width, labels))
        size = (width, 3.0 * rows + 0.5 + 0.25 * legend_rows + (0.4 if title else 0.0))  # + a legend title
    check_pixels(method, size, look.dpi)
    fig = Figure(figsize=size, dpi=look.dpi, layout="constrained")
    grid = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in grid[panels:]:
        ax.remove()
    if title:
        fig.suptitle(title, fontsize="x-large")
    return fig, list(grid[:panels])


def line_looks(keys: list[str]) -> dict[str, dict]:
    """One colour (and, past the palette, a dash pattern) per run, the same in every panel."""
    import matplotlib as mpl

    colours = mpl.rcParams["axes.prop_cycle"].by_key().get("color", list(PALETTE))
    return {key: {"color": colours[i % len(colours)], "linestyle": DASHES[(i // len(colours)) % len(DASHES)]}
            for i, key in enumerate(keys)}


def literal(name: str) -> str:
    """A run, tag or hparam name as matplotlib should draw it: as written. matplotlib reads text between two ``$``
    as mathtext (a tag ``payoff $$`` fails the whole figure, a run ``lr$LR_bs$BS`` is drawn as math). ``\\$`` is
    its literal dollar; escaping, rather than turning mathtext off, keeps the log axes' tick labels (``10^{-2}``)."""
    return name.replace("$", r"\$")


def add_legend(fig, looks: list[dict], labels: list[str], title: str | None = None) -> None:
    """One legend for the whole figure, below the panels, so it never covers a curve."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linewidth=2.0, **look) for look in looks]
    fig.legend(handles, [literal(label) for label in labels], loc="outside lower center",
               ncols=_legend_columns(fig.get_figwidth(), labels),
               frameon=False, title=title, title_fontsize="small")


def _legend_entry_width(labels: list[str]) -> float:
    """Inches one legend entry takes: the line sample and the longest label at ~10 pt."""
    return 0.75 + 0.08 * max(len(label) for label in labels)


def _legend_columns(width: float, labels: list[str]) -> int:
    return max(1, min(len(labels), int(width // _legend_entry_width(labels))))


def theme(style: str | None, dark: bool):
    """matplotlib's style context for a figure: our readable defaults, then --dark, then the user's --style.
    Every plot function enters it before its first use of matplotlib."""
    with optional("tbwriter.plot"):
        import matplotlib.style
        from cycler import cycler

    base = {"axes.prop_cycle": cycler(color=list(PALETTE)), "axes.grid": True, "grid.alpha": 0.3,
            "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": "medium",
            "legend.fontsize": "medium", "savefig.dpi": "figure", "path.simplify": True}
    styles: list = [base]
    if dark:
        styles += ["dark_background", {"axes.prop_cycle": cycler(color=list(DARK_PALETTE)), "grid.alpha": 0.25}]
    if style:
        if style not in matplotlib.style.available and not style.endswith(".mplstyle"):
            raise ValueError(f"style {style!r} is not a matplotlib style; choose from "
                             f"{', '.join(sorted(s for s in matplotlib.style.available if not s.startswith('_')))}")
        styles.append(style)
    return matplotlib.style.context(styles)


class Skipped:
    """Points left out of a figure, by reason and tag (``tag`` is the panel being drawn), for one note per reason."""

    def __init__(self) -> None:
        self.tag = ""
        self.by_reason: dict[str, Counter] = {}

    def add(self, reason: str, n: int) -> None:
        if n:
            self.by_reason.setdefault(reason, Counter())[self.tag] += n

    def report(self) -> None:
        """One :class:`PlotNote` per reason; called by the plot functions, so the warning points at their caller."""
        for reason, by_tag in self.by_reason.items():
            n = sum(by_tag.values())
            points = f"{n:,} point{'s' if n != 1 else ''}"
            warnings.warn(PlotNote(f"skipped {points} ({reason}) in {few_names(list(by_tag))}"), stacklevel=3)
