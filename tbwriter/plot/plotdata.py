"""The numbers behind the plots, NumPy only: smoothing, decimation, seed groups, histogram percentiles, and
the axes of a parallel-coordinates view.

    smooth(np.array([1.0, 0.0, 1.0, 0.0]), 0.6)     # TensorBoard's debiased EMA
    keep = decimate(steps, values, columns=800)      # indices that keep every pixel column's shape

Everything here is pure (arrays in, arrays out) so it is tested without matplotlib.
"""
from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

# TensorBoard's distribution view: percentiles at the normal distribution's sigma points (basis points of 10,000),
# drawn as bands 0-100, 7-93, 16-84, 31-69 around the median.
DIST_BASIS_POINTS = (0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000)


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average: ``smooth(np.array([1., 0., 1., 0.]), 0.6)``.

    Non-finite values pass through and do not advance the debiasing count; a series whose finite values are all
    equal is returned as is; a non-finite weight counts as 0 (docs/formats.md, "Smoothing as TensorBoard draws it").
    """
    values = np.asarray(values, dtype=np.float64)
    w = float(weight) if math.isfinite(weight) else 0.0
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"smooth: weight must be in [0, 1], got {weight!r}")
    finite = np.isfinite(values)
    kept = values[finite]
    out = values.copy()
    if kept.size == 0 or w == 0.0 or np.all(kept == kept[0]):
        return out
    # accumulate() does exactly the scalar recurrence `last = last*w + (1-w)*y`, in order, at C speed:
    # the results are bit-identical to the loop of docs/formats.md rather than a re-derived closed form.
    a = 1.0 - w
    ema = itertools.accumulate(kept.tolist(), lambda prev, y: prev * w + a * y, initial=0.0)
    last = np.fromiter(ema, np.float64, kept.size + 1)[1:]
    # C's pow() per count, as the loop's `w ** n` calls it: numpy's vectorised power may round the last bit
    # otherwise (0.8 ** 2 gives 0.64 there, 0.6400000000000001 here), and the loop is the reference.
    powers = np.fromiter(map(w.__pow__, range(1, kept.size + 1)), np.float64, kept.size)
    divisor = 1.0 if w == 1.0 else 1.0 - powers
    out[finite] = last / divisor
    return out


def decimate(x: np.ndarray, y: np.ndarray, columns: int) -> np.ndarray:
    """Indices of the points to draw so a line over ``columns`` pixel columns looks as if every point were drawn.

    ``x`` ascending, ``y`` finite. Per column keeps the first, last, lowest and highest point (so spikes survive);
    series with at most 4 points per column come back whole: ``x[keep], y[keep]``.
    """
    n = len(x)
    if n <= 4 * columns:
        return np.arange(n)
    column = _column_of(x, columns)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])  # x is sorted: each column is one run
    ends = np.r_[starts[1:], n] - 1
    lengths = ends - starts + 1
    keep = [starts, ends]
    for extreme in (np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)):
        hits = np.flatnonzero(y == np.repeat(extreme, lengths))
        keep.append(hits[np.r_[True, column[hits[1:]] != column[hits[:-1]]]])  # the first hit in each column
    return np.unique(np.concatenate(keep))


def envelope(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A band cut to one (x, lowest lo, highest hi) per pixel column: ``envelope(steps, mean - sd, mean + sd, 800)``."""
    if len(x) <= 2 * columns:
        return x, lo, hi
    column = _column_of(x, columns)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    return x[starts], np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)


def _column_of(x: np.ndarray, columns: int) -> np.ndarray:
    span = float(x[-1] - x[0])
    if not span > 0:
        return np.zeros(len(x), dtype=np.int64)
    return np.minimum(((x - x[0]) * (columns / span)).astype(np.int64), columns - 1)


def group_name(run: str, pattern: str | re.Pattern) -> str:
    """The group a run belongs to: ``group_name("lr0.5/seed1", r"seed\\d+") == "lr0.5"`` (separators tidied)."""
    name = re.sub(pattern, "", run)
    name = re.sub(r"([/_.\-])[/_.\-]+", r"\1", name).strip("/_.- ")
    return name or "all runs"


def aggregate(curves: Sequence[tuple[np.ndarray, np.ndarray]], band: str = "std"):
    """Mean and band of several runs' curves on the union of their x values.

    Each curve ``(x, y)`` is linearly interpolated inside its own x range only (never extrapolated), so a point's
    statistics are over the runs that reached it. ``band`` is ``"std"`` (mean ± population std, numpy's default) or
    ``"minmax"``. Returns ``(x, mean, lo, hi, count)``.
    """
    if band not in ("std", "minmax"):
        raise ValueError(f"aggregate: band must be 'std' or 'minmax', got {band!r}")
    curves = [_unique_sorted(x, y) for x, y in curves]
    grid = np.unique(np.concatenate([x for x, _ in curves]))
    stack = np.full((len(curves), len(grid)), np.nan)
    for row, (x, y) in zip(stack, curves, strict=True):
        start, stop = np.searchsorted(grid, x[0]), np.searchsorted(grid, x[-1], side="right")
        row[start:stop] = np.interp(grid[start:stop], x, y)
    count = np.sum(np.isfinite(stack), axis=0)
    mean = np.nanmean(stack, axis=0)
    if band == "std":
        spread = np.nanstd(stack, axis=0)
        return grid, mean, mean - spread, mean + spread, count
    return grid, mean, np.nanmin(stack, axis=0), np.nanmax(stack, axis=0), count


def _unique_sorted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted by x; for a repeated x the last value written wins (as TensorBoard's Rust loader keeps it)."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    last = np.r_[x[1:] != x[:-1], True]
    return x[last], y[last]


def percentiles(buckets: np.ndarray, basis_points: Sequence[int] = DIST_BASIS_POINTS) -> np.ndarray:
    """Values at the given percentiles (in basis points of 10,000) of a histogram with rows ``(left, right, count)``.

    Counts are spread evenly inside each bucket, as TensorBoard's distribution compressor does:
    ``percentiles(np.array([[0, 1, 5], [1, 2, 5]]), [5000]) -> [1.0]``. An empty histogram gives NaNs.
    """
    buckets = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    targets = np.asarray(basis_points, dtype=np.float64)
    total = buckets[:, 2].sum() if len(buckets) else 0.0
    if not total > 0:
        return np.full(len(targets), np.nan)
    lowest, highest, right = buckets[0, 0], buckets[-1, 1], buckets[:, 1]
    cum = np.cumsum(buckets[:, 2] * 10000.0 / total)
    # the bucket where the cumulative share first exceeds the target: it has a non-zero count
    i = np.searchsorted(cum, targets, side="right")
    beyond = (i >= len(cum)) | (targets >= 10000)  # the top percentile is the outer edge, whatever the rounding
    i = np.minimum(i, len(cum) - 1)
    prev = np.where(i > 0, cum[i - 1], 0.0)
    left = np.where(prev > 0, np.maximum(right[i - 1], lowest), lowest)
    rhs = np.minimum(right[i], highest)
    with np.errstate(divide="ignore", invalid="ignore"):  # only in the `beyond` lanes, replaced below
        out = left + (rhs - left) * (targets - prev) / (cum[i] - prev)
    return np.where(beyond, highest, out)


def rebin(buckets: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of a ``(left, right, count)`` histogram re-spread over common ``edges`` (evenly within each bucket).

    ``rebin(np.array([[0, 2, 4]]), np.array([0, 1, 2])) -> [2, 2]``; a zero-width bucket lands where its value is.
    """
    buckets = np.asarray(buckets, dtype=np.float64).reshape(-1, 3)
    left, right, count = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    width = right - left
    share = np.where(width > 0, (edges[:, None] - left) / np.where(width > 0, width, 1.0),
                     (edges[:, None] >= left).astype(np.float64))
    below = np.clip(share, 0.0, 1.0) @ count  # how much of the histogram lies left of each edge
    counts = np.diff(below)
    counts[0] += below[0]  # anything at or beyond the outer edges belongs to the outer bins
    counts[-1] += count.sum() - below[-1]
    return counts


def relative_unit(span_seconds: float) -> tuple[float, str]:
    """A readable unit for elapsed time: ``relative_unit(7200.0) == (60.0, "minutes")``."""
    for seconds, name, limit in ((1.0, "seconds", 120), (60.0, "minutes", 120), (3600.0, "hours", 48)):
        if span_seconds < limit * seconds:
            return seconds, name
    return 86400.0, "days"


class ParallelAxis(NamedTuple):
    """One vertical axis of a parallel-coordinates view: each session's height in [0, 1] (NaN where it has
    no value) and the labelled ticks."""
    title: str
    positions: list[float]
    tick_positions: list[float]
    tick_labels: list[str]


def parallel_axis(name: str, values: Sequence[object], ticks: int = 5) -> ParallelAxis:
    """The axis of one hparam or metric: ``parallel_axis("lr", [0.1, 0.001, None])``.

    Numbers go on a linear scale, or a log scale (title ``"name (log)"``) when all are positive and
    span 100x or more; strings and bools are ordered categories, spread evenly (False before True).
    """
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        numbers = np.array([math.nan if v is None else float(v) for v in values])  # type: ignore[arg-type]
        finite = numbers[np.isfinite(numbers)]
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
        log = lo > 0 and hi / lo >= 100
        scaled, (lo_s, hi_s) = (np.log10(numbers), (math.log10(lo), math.log10(hi))) if log else (numbers, (lo, hi))
        if hi_s > lo_s:
            positions = (scaled - lo_s) / (hi_s - lo_s)
            distinct = np.unique(finite)
            # few distinct values (layers, batch sizes): label each; else evenly spaced ticks
            tick_values = (np.log10(distinct) if log else distinct) if len(distinct) <= ticks else \
                np.linspace(lo_s, hi_s, ticks)
            tick_positions = ((tick_values - lo_s) / (hi_s - lo_s)).tolist()
            labels = [f"{10 ** t if log else t:.3g}" for t in tick_values]
        else:
            positions = np.where(np.isfinite(numbers), 0.5, np.nan)
            tick_positions, labels = [0.5], [f"{lo:.3g}"]
        return ParallelAxis(f"{name} (log)" if log else name, positions.tolist(), tick_positions, labels)
    categories = sorted(set(present), key=lambda v: (type(v).__name__, v))
    spacing = {c: (i / (len(categories) - 1) if len(categories) > 1 else 0.5) for i, c in enumerate(categories)}
    return ParallelAxis(name, [math.nan if v is None else spacing[v] for v in values], list(spacing.values()),
                        [str(c) for c in categories])
