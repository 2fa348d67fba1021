"""TensorBoard's parallel-coordinates view of a sweep, as a figure.

    from tbwriter import read_hparams
    from tbwriter.plot import plot_hparams
    plot_hparams(read_hparams("runs"), metric="val/acc").savefig("sweep.png")
"""
from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from tbwriter.errors import NothingToPlot, PlotNote
from tbwriter.plot import plotdata

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from tbwriter.plot.drawing import literal, theme
from tbwriter.plot.settings import PlotSettings, compiled, few_names, merged_settings


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
    look = merged_settings("plot_hparams", settings, options)
    if metric not in table.metric_names:
        raise NothingToPlot(f"plot_hparams: no metric {metric!r}; metrics: {few_names(list(table.metric_names))}")
    pattern = compiled("plot_hparams", "runs", runs or "")
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
    with theme(look.style, look.dark):
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
                ax.text(n, position, f" {literal(label)}", fontsize="small", va="center", ha="left", zorder=3,
                        bbox={"facecolor": ax.get_facecolor(), "edgecolor": "none", "alpha": 0.75, "pad": 1})
        ax.set_xticks(x, [literal(a.title) for a in axes])
        ax.set_xlim(-0.1, len(axes) - 0.5)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([])
        ax.grid(False)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        fig.colorbar(ScalarMappable(norm=scale, cmap=colours), ax=ax, label=literal(metric), shrink=0.9)
        ax.set_title(look.title or f"{len(sessions)} session{'s' if len(sessions) != 1 else ''}, coloured by "
                     f"{literal(metric)}")
    return fig
