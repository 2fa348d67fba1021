"""Figures from logs, as TensorBoard draws them but ready for a paper: the reader's output in, a Figure out.

    from tbwriter import read_scalars
    from tbwriter.plot.figures import plot_scalars
    fig = plot_scalars(read_scalars("runs/demo"), tags=["epoch/"], group=r"seed\\d+")
    fig.savefig("loss.png")

matplotlib is imported only when a figure is made (never by ``import tbwriter``) and only its non-GUI parts are used,
so this works over ssh and in notebooks alike. Points that cannot be drawn (NaN, inf, ≤ 0 on a log axis) are skipped
and reported with a :class:`PlotNote` warning.
"""
from __future__ import annotations

import dataclasses
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from tbwriter.errors import NothingToPlot, PlotNote
from tbwriter.extras import optional
from tbwriter.plot import plotdata

if TYPE_CHECKING:
    from matplotlib.figure import Figure

X_AXES = ("step", "relative", "wall")
KINDS = ("dist", "hist")
# Okabe-Ito colours without the yellow that vanishes on paper, in an order where neighbours differ in lightness too
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9")
DARK_PALETTE = ("#56B4E9", "#E69F00", "#2BD9A0", "#F28DC8", "#F0E442", "#FF7F3F", "#FFFFFF")
DASHES = ("-", "--", ":", "-.")
RAW_ALPHA = 0.3  # the unsmoothed line under the smoothed one, as TensorBoard shows it
RIDGES = 30  # per-step histograms drawn by --kind hist
# The largest figure drawn: 100 megapixels is 400 MB of RGBA in Agg (a 100x100-inch poster at 100 dpi, an A0 sheet
# at 250); beyond it matplotlib would run out of memory rather than fail cleanly.
MAX_PIXELS = 100_000_000




@dataclass(frozen=True)
class PlotSettings:
    """How a figure looks, shared by :func:`plot_scalars`, :func:`plot_histograms` and ``tbwriter plot``.

        paper = PlotSettings(size=(6, 3), dpi=300, style="seaborn-v0_8-paper")
        plot_scalars(read_scalars("runs"), paper, tags=["loss"]).savefig("loss.pdf")
        plot_scalars(read_scalars("runs"), paper, logy=True)      # keyword arguments override single settings

    Args:
        x: the x axis: ``"step"``, ``"relative"`` (time since each series began, in a readable unit) or ``"wall"``
            (dates, UTC).
        logx: a logarithmic x axis (not with ``x="wall"``).
        logy: a logarithmic y axis.
        xlim: ``(low, high)`` in the x axis' units (seconds since the epoch for ``x="wall"``); either may be None.
        ylim: ``(low, high)``; either may be None.
        cols: panels per row (default: up to 3).
        title: a title over the whole figure.
        size: ``(width, height)`` in inches (default: grown from the grid and the legend).
        dpi: dots per inch, 10 to 1200; the figure may have at most :data:`MAX_PIXELS` pixels.
        style: any matplotlib style name or ``.mplstyle`` file, applied over our defaults.
        dark: light lines on a dark background.
    """
    x: str = "step"
    logx: bool = False
    logy: bool = False
    xlim: tuple[float | None, float | None] | None = None
    ylim: tuple[float | None, float | None] | None = None
    cols: int | None = None
    title: str | None = None
    size: tuple[float, float] | None = None
    dpi: float = 100
    style: str | None = None
    dark: bool = False

    def checked(self, method: str) -> PlotSettings:
        """These settings, or a ValueError naming ``method`` and the setting at fault."""
        _check_choice(method, "x", self.x, X_AXES)
        if self.logx and self.x == "wall":
            raise ValueError(f"{method}: logx needs x='step' or x='relative', not dates")
        if self.cols is not None and not (isinstance(self.cols, int) and self.cols >= 1):
            raise ValueError(f"{method}: cols must be a positive integer, got {self.cols!r}")
        if not 10 <= self.dpi <= 1200:
            raise ValueError(f"{method}: dpi must be between 10 and 1200, got {self.dpi!r}")
        if self.size is not None and not all(0 < side < math.inf for side in self.size):
            raise ValueError(f"{method}: size must be (width, height) in inches, both positive, got {self.size!r}")
        if self.size is not None:
            _check_pixels(method, self.size, self.dpi)
        return self


def _check_pixels(method: str, size: tuple[float, float], dpi: float) -> None:
    """Refuses a figure over :data:`MAX_PIXELS` before matplotlib allocates it (and runs out of memory)."""
    width, height = (round(side * dpi) for side in size)
    if width * height > MAX_PIXELS:
        raise ValueError(f"{method}: a {size[0]:g}x{size[1]:g}-inch figure at {dpi:g} dpi would be "
                         f"{width:,}x{height:,} pixels, over the limit of {MAX_PIXELS // 10**6} megapixels; "
                         "lower the dpi or the size")


def _settings(method: str, settings: PlotSettings | None, options: dict[str, Any]) -> PlotSettings:
    """``settings`` (default: :class:`PlotSettings`'s defaults) with single ``options`` overriding it, checked."""
    known = {f.name for f in fields(PlotSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"{method}: unexpected keyword argument {unknown[0]!r}; the appearance settings are "
                        f"{', '.join(sorted(known))}")
    return dataclasses.replace(settings or PlotSettings(), **options).checked(method)


def plot_scalars(data: Mapping[tuple[str, str], Any], settings: PlotSettings | None = None, *,
                 tags: Sequence[str] | None = None, runs: str | None = None, smoothing: float = 0.6,
                 group: str | None = None, band: str = "std", **options: Any) -> Figure:
    """One panel per tag, one colour per run: ``plot_scalars(read_scalars("runs"), tags=["loss"], smoothing=0.8)``.

    Args:
        data: ``(run, tag) -> series`` as :func:`tbwriter.read_scalars` returns.
        settings: how the figure looks (:class:`PlotSettings`).
        tags: regular expressions searched in tag names (default: every tag); each must match some tag.
        runs: a regular expression searched in run names (default: every run).
        smoothing: TensorBoard's smoothing weight in [0, 1]; 0 draws the raw series only, a non-finite weight
            counts as 0 as in TensorBoard.
        group: a regular expression removed from run names: runs left with the same name are drawn as their mean
            with a band (needs ``x="step"`` or ``"relative"``).
        band: a group's band: ``"std"`` (± one population standard deviation) or ``"minmax"``.
        **options: single :class:`PlotSettings` fields (``logy=True``, ``x="wall"``), overriding ``settings``.

    Raises:
        NothingToPlot: nothing matches, or nothing selected is drawable.
        ValueError: a bad setting or argument, named with ``plot_scalars``.
    """
    look = _settings("plot_scalars", settings, options)
    x, logx, logy = look.x, look.logx, look.logy
    smoothing = smoothing if math.isfinite(smoothing) else 0.0  # as TensorBoard treats a non-finite weight
    if not 0 <= smoothing <= 1:
        raise ValueError(f"plot_scalars: smoothing must be in [0, 1], got {smoothing!r}")
    _check_choice("plot_scalars", "band", band, ("std", "minmax"))
    if group is not None and x == "wall":
        raise ValueError("plot_scalars: group needs x='step' or x='relative' (runs of a group ran at different times)")
    panels = _select("plot_scalars", "scalar", data, tags, runs)
    names = sorted({run for series in panels.values() for run in series})
    pattern = _regex("plot_scalars", "group", group) if group is not None else None
    groups = {run: plotdata.group_name(run, pattern) for run in names} if pattern is not None else {}
    keys = sorted(set(groups.values())) if group is not None else names
    labels = keys if group is None else [f"{k} ({sum(g == k for g in groups.values())} runs)" for k in keys]
    with _theme(look.style, look.dark):
        fig, axes = _figure("plot_scalars", len(panels), look, labels)
        looks = _looks(keys)
        skipped, drawn = _Skipped(), 0
        for ax, (tag, series) in zip(axes, panels.items(), strict=True):
            ax.set_title(_literal(tag))
            skipped.tag = tag
            scale = _XScale(x, [s.wall_time for s in series.values()])
            curves = {run: _clean(scale.of(s), s.value, logx, logy, skipped) for run, s in series.items()}
            columns = _columns(fig, ax)
            curves = {run: curve for run, curve in curves.items() if len(curve[0])}
            if group is None:
                for run, (cx, cy) in curves.items():
                    _draw_line(ax, scale.display, cx, cy, smoothing, looks[run], columns, logx)
            else:
                for key in keys:
                    members = [curve for run, curve in curves.items() if groups[run] == key]
                    if members:
                        _draw_band(ax, scale.display, members, smoothing, band, looks[key], columns, logx)
            _finish_axes(ax, scale, look)
            drawn += _mark_if_empty(ax, bool(curves))
        _label_bottom_row(axes, _cols_of(len(panels), look.cols))
        _check_drawn("plot_scalars", drawn, skipped)
        band_key = {"std": "mean ± 1 std", "minmax": "mean, band from min to max"}[band] if group is not None else None
        _legend(fig, [looks[k] for k in keys], labels, band_key)
    skipped.report()
    return fig


def plot_histograms(hist: Mapping[tuple[str, str], Any], settings: PlotSettings | None = None, *,
                    tags: Sequence[str] | None = None, runs: str | None = None, kind: str = "dist",
                    **options: Any) -> Figure:
    """One panel per (run, tag) histogram series: ``plot_histograms(read_histograms("runs"), kind="dist")``.

    Args:
        hist: ``(run, tag) -> series`` as :func:`tbwriter.read_histograms` returns.
        settings: how the figure looks (:class:`PlotSettings`).
        tags: regular expressions searched in tag names (default: every tag); each must match some tag.
        runs: a regular expression searched in run names (default: every run).
        kind: ``"dist"``, TensorBoard's distribution view: the median and bands between the
            0/7/16/31/50/69/84/93/100th percentiles over ``x``; or ``"hist"``, the histograms of up to 30 evenly
            spaced steps stacked, latest in front (``x`` must be ``"step"``; no log axes there).
        **options: single :class:`PlotSettings` fields, overriding ``settings``.

    Raises:
        NothingToPlot: nothing matches, or nothing selected is drawable.
        ValueError: a bad setting or argument, named with ``plot_histograms``.
    """
    look = _settings("plot_histograms", settings, options)
    x, logx, logy = look.x, look.logx, look.logy
    _check_choice("plot_histograms", "kind", kind, KINDS)
    if kind == "hist" and (x != "step" or logx or logy):
        raise ValueError("plot_histograms: kind='hist' stacks histograms by step: it takes neither "
                         f"x={x!r} nor logx/logy")
    panels = _select("plot_histograms", "histogram", hist, tags, runs)
    names = sorted({run for series in panels.values() for run in series})
    cells = [(tag, run, s) for tag, series in panels.items() for run, s in series.items()]
    with _theme(look.style, look.dark):
        fig, axes = _figure("plot_histograms", len(cells), look, names)
        looks = _looks(names)
        skipped, drawn = _Skipped(), 0
        for ax, (tag, run, s) in zip(axes, cells, strict=True):
            ax.set_title(f"{_literal(tag)}\n{_literal(run)}", fontsize="medium")
            skipped.tag = tag
            if kind == "dist":
                scale = _XScale(x, [s.wall_time])
                drew = _draw_distribution(ax, scale.display, scale.of(s), s.buckets, looks[run], _columns(fig, ax),
                                          logx, logy, skipped)
                _finish_axes(ax, scale, look)
            else:
                drew = _draw_ridges(ax, s.step, s.buckets, looks[run], skipped)
                _finish_axes(ax, None, look)
            drawn += _mark_if_empty(ax, drew)
        _check_drawn("plot_histograms", drawn, skipped)
        _label_bottom_row(axes, _cols_of(len(cells), look.cols))
        _legend(fig, [looks[n] for n in names], names,
                "median; bands from the 31st-69th out to the 0-100th percentile" if kind == "dist" else None)
    skipped.report()
    return fig


def _cols_of(panels: int, cols: int | None) -> int:
    """Columns of the panel grid: ``cols`` if given, else up to 3."""
    return max(1, min(panels, cols or 3))


def _check_choice(method: str, name: str, value: Any, choices: Iterable[str]) -> None:
    if value not in choices:
        raise ValueError(f"{method}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def _select(method: str, what: str, data: Mapping, tags: Sequence[str] | None, runs: str | None) -> dict:
    """tag -> {run: series} for the series whose tag matches any of ``tags`` and whose run matches ``runs``."""
    if isinstance(tags, str):
        tags = [tags]
    available = sorted({tag for _, tag in data})
    if not available:
        raise NothingToPlot(f"{method}: there are no {what} series to plot")
    patterns = [_regex(method, "tags", t) for t in (tags or [""])]
    for pattern in patterns:
        if not any(pattern.search(t) for t in available):
            raise NothingToPlot(f"{method}: no {what} tag matches {pattern.pattern!r}; {what} tags: "
                                f"{_few(available)}")
    run_pattern = _regex(method, "runs", runs or "")
    panels: dict[str, dict[str, Any]] = {}
    for (run, tag), series in sorted(data.items()):
        if any(p.search(tag) for p in patterns) and run_pattern.search(run) and len(series.step):
            panels.setdefault(tag, {})[run] = series
    if not panels:
        all_runs = sorted({run for run, _ in data})
        raise NothingToPlot(f"{method}: no {what} series has both a tag matching {[p.pattern for p in patterns]} "
                            f"and a run matching {run_pattern.pattern!r}; runs: {_few(all_runs)}")
    return panels


def _regex(method: str, name: str, pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"{method}: {name} {pattern!r} is not a regular expression: {e}") from None


def _few(names: list[str], limit: int = 12) -> str:
    more = f" … ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


class _XScale:
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


def _clean(x: np.ndarray, y: np.ndarray, logx: bool, logy: bool,
           skipped: _Skipped) -> tuple[np.ndarray, np.ndarray]:
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


def _draw_line(ax, show, x: np.ndarray, y: np.ndarray, smoothing: float, look: dict, columns: int,
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


def _draw_band(ax, show, members: list, smoothing: float, band: str, look: dict, columns: int, logx: bool) -> None:
    """A group's mean line over its band; each member is smoothed first, as it would be drawn alone."""
    curves = [(cx, plotdata.smooth(cy, smoothing) if smoothing > 0 else cy) for cx, cy in members]
    grid, mean, lo, hi, _ = plotdata.aggregate(curves, band)
    bins = _binning(grid, logx)
    bx, blo, bhi = plotdata.envelope(bins, lo, hi, columns)
    bx = 10 ** bx if logx else bx
    ax.fill_between(show(bx), blo, bhi, color=look["color"], alpha=0.22, linewidth=0)
    keep = plotdata.decimate(bins, mean, columns)
    ax.plot(show(grid[keep]), mean[keep], linewidth=1.6, **look)


def _draw_distribution(ax, show, x: np.ndarray, buckets: Sequence[np.ndarray], look: dict, columns: int,
                       logx: bool, logy: bool, skipped: _Skipped) -> bool:
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


def _clean_rows(x: np.ndarray, bands: np.ndarray, logx: bool, logy: bool, skipped: _Skipped):
    """Drops steps whose bands cannot be drawn (empty histograms, ≤ 0 on log axes), counting them."""
    keep = np.all(np.isfinite(bands), axis=1) & np.isfinite(x)
    skipped.add("empty or non-finite histograms", int(np.count_nonzero(~keep)))
    for on, bad, reason in ((logx, ~(x > 0), "x ≤ 0 on the log x axis"),
                            (logy, ~np.all(bands > 0, axis=1), "value ≤ 0 on the log y axis")):
        if on:
            skipped.add(reason, int(np.count_nonzero(keep & bad)))
            keep &= ~bad
    return x[keep], bands[keep]


def _draw_ridges(ax, steps: np.ndarray, buckets: Sequence[np.ndarray], look: dict, skipped: _Skipped) -> bool:
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


def _mark_if_empty(ax, drew: bool) -> int:
    """Says so in a panel with nothing drawable, rather than leaving it blank; 1 if the panel has data."""
    if not drew:
        ax.text(0.5, 0.5, "no drawable points", transform=ax.transAxes, ha="center", va="center", color="gray")
    return int(drew)


def _check_drawn(method: str, drawn: int, skipped: _Skipped) -> None:
    if not drawn:
        reasons = ", ".join(f"{sum(by_tag.values()):,} {reason}" for reason, by_tag in skipped.by_reason.items())
        reasons = reasons or "no points"
        raise NothingToPlot(f"{method}: nothing to draw: every selected point was skipped ({reasons})")


def _columns(fig, ax) -> int:
    """How many pixel columns the panel spans at the figure's dpi (before layout: a close estimate)."""
    return max(50, int(ax.get_position().width * fig.get_figwidth() * fig.dpi))


def _finish_axes(ax, scale: _XScale | None, look: PlotSettings) -> None:
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


def _label_bottom_row(axes: list, cols: int) -> None:
    """Keep the x label only on each column's lowest panel: the others repeat it and crowd the grid."""
    for i, ax in enumerate(axes):
        if i + cols < len(axes):
            ax.set_xlabel("")


def _figure(method: str, panels: int, look: PlotSettings, labels: list[str]):
    """A figure with one axes per panel, row by row, room below for the legend of ``labels``, and the title.

    Without ``look.size``, the figure grows with the grid and the legend (and widens for long run names), so the
    legend never has to squeeze the panels. A figure over :data:`MAX_PIXELS` is refused before any memory is taken.
    """
    from matplotlib.figure import Figure

    size, title = look.size, look.title
    cols = _cols_of(panels, look.cols)
    rows = math.ceil(panels / cols)
    if size is None:
        width = min(4.2 * cols, 14.0)
        if len(labels) > 4:
            width = max(width, min(2 * _legend_entry_width(labels), 14.0))
        legend_rows = math.ceil(len(labels) / _legend_columns(width, labels))
        size = (width, 3.0 * rows + 0.5 + 0.25 * legend_rows + (0.4 if title else 0.0))  # + a legend title
    _check_pixels(method, size, look.dpi)
    fig = Figure(figsize=size, dpi=look.dpi, layout="constrained")
    grid = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in grid[panels:]:
        ax.remove()
    if title:
        fig.suptitle(title, fontsize="x-large")
    return fig, list(grid[:panels])


def _looks(keys: list[str]) -> dict[str, dict]:
    """One colour (and, past the palette, a dash pattern) per run, the same in every panel."""
    import matplotlib as mpl

    colours = mpl.rcParams["axes.prop_cycle"].by_key().get("color", list(PALETTE))
    return {key: {"color": colours[i % len(colours)], "linestyle": DASHES[(i // len(colours)) % len(DASHES)]}
            for i, key in enumerate(keys)}


def _literal(name: str) -> str:
    """A run, tag or hparam name as matplotlib should draw it: as written. matplotlib reads text between two ``$``
    as mathtext (a tag ``payoff $$`` fails the whole figure, a run ``lr$LR_bs$BS`` is drawn as math). ``\\$`` is
    its literal dollar; escaping, rather than turning mathtext off, keeps the log axes' tick labels (``10^{-2}``)."""
    return name.replace("$", r"\$")


def _legend(fig, looks: list[dict], labels: list[str], title: str | None = None) -> None:
    """One legend for the whole figure, below the panels, so it never covers a curve."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linewidth=2.0, **look) for look in looks]
    fig.legend(handles, [_literal(label) for label in labels], loc="outside lower center",
               ncols=_legend_columns(fig.get_figwidth(), labels),
               frameon=False, title=title, title_fontsize="small")


def _legend_entry_width(labels: list[str]) -> float:
    """Inches one legend entry takes: the line sample and the longest label at ~10 pt."""
    return 0.75 + 0.08 * max(len(label) for label in labels)


def _legend_columns(width: float, labels: list[str]) -> int:
    return max(1, min(len(labels), int(width // _legend_entry_width(labels))))


def _theme(style: str | None, dark: bool):
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


class _Skipped:
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
            warnings.warn(PlotNote(f"skipped {n:,} point{'s' if n != 1 else ''} ({reason}) in {_few(list(by_tag))}"),
                          stacklevel=3)


def plot_hparams(table: Any, settings: PlotSettings | None = None, *, metric: str, runs: str | None = None,
                 **options: Any) -> Figure:
    """TensorBoard's parallel-coordinates view of a sweep: ``plot_hparams(read_hparams("runs"), metric="val/acc")``.

    One vertical axis per hparam (numbers on a linear scale, or a log scale when they are all positive
    and span 100x or more; strings and bools as their sorted categories) and a last one for the
    metric; one line per session, coloured by its metric value.

    Args:
        table: what :func:`tbwriter.read_hparams` returns.
        settings: how the figure looks (:class:`PlotSettings`; its title, size, dpi, style and dark apply).
        metric: a metric column of the table (``table.metric_names``), e.g. ``"validation.epoch_accuracy"``.
        runs: a regular expression searched in session names (default: every session).
        **options: single :class:`PlotSettings` fields, overriding ``settings``.

    Sessions without a value of the metric are left out, with a :class:`PlotNote`; a hparam a session
    lacks breaks its line at that axis.
    """
    look = _settings("plot_hparams", settings, options)
    if metric not in table.metric_names:
        raise NothingToPlot(f"plot_hparams: no metric {metric!r}; metrics: {_few(list(table.metric_names))}")
    pattern = _regex("plot_hparams", "runs", runs or "")
    chosen = [s for s in table.sessions if pattern.search(s.run)]
    sessions = [s for s in chosen if math.isfinite(s.metrics.get(metric, math.nan))]
    if len(chosen) > len(sessions):
        warnings.warn(PlotNote(f"left out {len(chosen) - len(sessions)} of {len(chosen)} sessions without a "
                               f"finite {metric}"), stacklevel=2)
    if not sessions:
        raise NothingToPlot(f"plot_hparams: no session{' matching ' + repr(runs) if runs else ''} has a value of "
                            f"{metric!r}")
    names = [h for h in table.hparam_names if any(h in s.hparams for s in sessions)]
    axes = [plotdata.parallel_axis(name, [s.hparams.get(name) for s in sessions]) for name in names]
    axes.append(plotdata.parallel_axis(metric, [s.metrics[metric] for s in sessions]))
    values = np.array([s.metrics[metric] for s in sessions])
    with _theme(look.style, look.dark):
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
        from matplotlib.figure import Figure

        fig = Figure(figsize=look.size or (max(6.0, 1.6 * len(axes) + 1.5), 4.5), dpi=look.dpi, layout="constrained")
        ax = fig.subplots()
        colours = colormaps["viridis"]
        scale = Normalize(values.min(), values.max() if values.max() > values.min() else values.min() + 1)
        x = np.arange(len(axes))
        for i in np.argsort(values, kind="stable"):  # the best-coloured lines on top
            ax.plot(x, [a.positions[i] for a in axes], color=colours(scale(values[i])), linewidth=1.4, alpha=0.85)
        for n, a in enumerate(axes):
            ax.axvline(n, color=ax.xaxis.label.get_color(), linewidth=0.8, alpha=0.6)
            for position, label in zip(a.tick_positions, a.tick_labels, strict=True):
                ax.text(n, position, f" {_literal(label)}", fontsize="small", va="center", ha="left", zorder=3,
                        bbox={"facecolor": ax.get_facecolor(), "edgecolor": "none", "alpha": 0.75, "pad": 1})
        ax.set_xticks(x, [_literal(a.title) for a in axes])
        ax.set_xlim(-0.1, len(axes) - 0.5)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        fig.colorbar(ScalarMappable(norm=scale, cmap=colours), ax=ax, label=_literal(metric), shrink=0.9)
        ax.set_title(look.title or f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}, coloured by "
                     f"{_literal(metric)}")
    return fig
