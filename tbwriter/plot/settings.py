"""How a figure looks (:class:`PlotSettings`) and the checks every plot function makes of its arguments.

    paper = PlotSettings(size=(6, 3), dpi=300, style="seaborn-v0_8-paper")
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


X_AXES = ("step", "relative", "wall")


KINDS = ("dist", "hist")


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
        check_choice(method, "x", self.x, X_AXES)
        if self.logx and self.x == "wall":
            raise ValueError(f"{method}: logx needs x='step' or x='relative', not dates")
        if self.cols is not None and not (isinstance(self.cols, int) and self.cols >= 1):
            raise ValueError(f"{method}: cols must be a positive integer, got {self.cols!r}")
        if not 10 <= self.dpi <= 1200:
            raise ValueError(f"{method}: dpi must be between 10 and 1200, got {self.dpi!r}")
        if self.size is not None and not all(0 < side < math.inf for side in self.size):
            raise ValueError(f"{method}: size must be (width, height) in inches, both positive, got {self.size!r}")
        if self.size is not None:
            check_pixels(method, self.size, self.dpi)
        return self


def check_pixels(method: str, size: tuple[float, float], dpi: float) -> None:
    """Refuses a figure over :data:`MAX_PIXELS` before matplotlib allocates it (and runs out of memory)."""
    width, height = (round(side * dpi) for side in size)
    if width * height > MAX_PIXELS:
        raise ValueError(f"{method}: a {size[0]:g}x{size[1]:g}-inch figure at {dpi:g} dpi would be "
                         f"{width:,}x{height:,} pixels, over the limit of {MAX_PIXELS // 10**6} megapixels; "
                         "lower the dpi or the size")


def merged_settings(method: str, settings: PlotSettings | None, options: dict[str, Any]) -> PlotSettings:
    """``settings`` (default: :class:`PlotSettings`'s defaults) with single ``options`` overriding it, checked."""
    known = {f.name for f in fields(PlotSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise TypeError(f"{method}: unexpected keyword argument {unknown[0]!r}; the appearance settings are "
                        f"{', '.join(sorted(known))}")
    return dataclasses.replace(settings or PlotSettings(), **options).checked(method)


def check_choice(method: str, name: str, value: Any, choices: Iterable[str]) -> None:
    if value not in choices:
        raise ValueError(f"{method}: {name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def compiled(method: str, name: str, pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError(f"{method}: {name} {pattern!r} is not a regular expression: {e}") from None


def few_names(names: list[str], limit: int = 12) -> str:
    more = f" … ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
