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

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tbwriter.errors import NothingToPlot
from tbwriter.plot import plotdata

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from tbwriter.plot.drawing import (
    Skipped,
    XScale,
    add_legend,
    check_drawn,
    draw_band,
    draw_distribution,
    draw_line,
    draw_ridges,
    finish_axes,
    finite_points,
    grid_columns,
    label_bottom_row,
    line_looks,
    literal,
    mark_if_empty,
    panel_figure,
    pixel_columns,
    theme,
)
from tbwriter.plot.settings import KINDS, PlotSettings, check_choice, compiled, few_names, merged_settings


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
    look = merged_settings("plot_scalars", settings, options)
    x, logx, logy = look.x, look.logx, look.logy
    smoothing = smoothing if math.isfinite(smoothing) else 0.0  # as TensorBoard treats a non-finite weight
    if not 0 <= smoothing <= 1:
        raise ValueError(f"plot_scalars: smoothing must be in [0, 1], got {smoothing!r}")
    check_choice("plot_scalars", "band", band, ("std", "minmax"))
    if group is not None and x == "wall":
        raise ValueError("plot_scalars: group needs x='step' or x='relative' (runs of a group ran at different times)")
    panels = _select("plot_scalars", "scalar", data, tags, runs)
    names = sorted({run for series in panels.values() for run in series})
    pattern = compiled("plot_scalars", "group", group) if group is not None else None
    groups = {run: plotdata.group_name(run, pattern) for run in names} if pattern is not None else {}
    keys = sorted(set(groups.values())) if group is not None else names
    labels = keys if group is None else [f"{k} ({sum(g == k for g in groups.values())} runs)" for k in keys]
    with theme(look.style, look.dark):
        fig, axes = panel_figure("plot_scalars", len(panels), look, labels)
        looks = line_looks(keys)
        skipped, drawn = Skipped(), 0
        for ax, (tag, series) in zip(axes, panels.items(), strict=True):
            ax.set_title(literal(tag))
            skipped.tag = tag
            scale = XScale(x, [s.wall_time for s in series.values()])
            curves = {run: finite_points(scale.of(s), s.value, logx, logy, skipped) for run, s in series.items()}
            columns = pixel_columns(fig, ax)
            curves = {run: curve for run, curve in curves.items() if len(curve[0])}
            if group is None:
                for run, (cx, cy) in curves.items():
                    draw_line(ax, scale.display, cx, cy, smoothing, looks[run], columns, logx)
            else:
                for key in keys:
                    members = [curve for run, curve in curves.items() if groups[run] == key]
                    if members:
                        draw_band(ax, scale.display, members, smoothing, band, looks[key], columns, logx)
            finish_axes(ax, scale, look)
            drawn += mark_if_empty(ax, bool(curves))
        label_bottom_row(axes, grid_columns(len(panels), look.cols))
        check_drawn("plot_scalars", drawn, skipped)
        band_key = {"std": "mean ± 1 std", "minmax": "mean, band from min to max"}[band] if group is not None else None
        add_legend(fig, [looks[k] for k in keys], labels, band_key)
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
    look = merged_settings("plot_histograms", settings, options)
    x, logx, logy = look.x, look.logx, look.logy
    check_choice("plot_histograms", "kind", kind, KINDS)
    if kind == "hist" and (x != "step" or logx or logy):
        raise ValueError("plot_histograms: kind='hist' stacks histograms by step: it takes neither "
                         f"x={x!r} nor logx/logy")
    panels = _select("plot_histograms", "histogram", hist, tags, runs)
    names = sorted({run for series in panels.values() for run in series})
    cells = [(tag, run, s) for tag, series in panels.items() for run, s in series.items()]
    with theme(look.style, look.dark):
        fig, axes = panel_figure("plot_histograms", len(cells), look, names)
        looks = line_looks(names)
        skipped, drawn = Skipped(), 0
        for ax, (tag, run, s) in zip(axes, cells, strict=True):
            ax.set_title(f"{literal(tag)}\n{literal(run)}", fontsize="medium")
            skipped.tag = tag
            if kind == "dist":
                scale = XScale(x, [s.wall_time])
                drew = draw_distribution(ax, scale.display, scale.of(s), s.buckets, looks[run], pixel_columns(fig, ax),
                                          logx, logy, skipped)
                finish_axes(ax, scale, look)
            else:
                drew = draw_ridges(ax, s.step, s.buckets, looks[run], skipped)
                finish_axes(ax, None, look)
            drawn += mark_if_empty(ax, drew)
        check_drawn("plot_histograms", drawn, skipped)
        label_bottom_row(axes, grid_columns(len(cells), look.cols))
        add_legend(fig, [looks[n] for n in names], names,
                "median; bands from the 31st-69th out to the 0-100th percentile" if kind == "dist" else None)
    skipped.report()
    return fig


def _select(method: str, what: str, data: Mapping, tags: Sequence[str] | None, runs: str | None) -> dict:
    """tag -> {run: series} for the series whose tag matches any of ``tags`` and whose run matches ``runs``."""
    if isinstance(tags, str):
        tags = [tags]
    available = sorted({tag for _, tag in data})
    if not available:
        raise NothingToPlot(f"{method}: there are no {what} series to plot")
    patterns = [compiled(method, "tags", t) for t in (tags or [""])]
    for pattern in patterns:
        if not any(pattern.search(t) for t in available):
            raise NothingToPlot(f"{method}: no {what} tag matches {pattern.pattern!r}; {what} tags: "
                                f"{few_names(available)}")
    run_pattern = compiled(method, "runs", runs or "")
    panels: dict[str, dict[str, Any]] = {}
    for (run, tag), series in sorted(data.items()):
        if any(p.search(tag) for p in patterns) and run_pattern.search(run) and len(series.step):
            panels.setdefault(tag, {})[run] = series
    if not panels:
        all_runs = sorted({run for run, _ in data})
        raise NothingToPlot(f"{method}: no {what} series has both a tag matching {[p.pattern for p in patterns]} "
                            f"and a run matching {run_pattern.pattern!r}; runs: {few_names(all_runs)}")
    return panels
