"""Histograms as TensorBoard v2 tensors: pure functions from values to ``Summary.Value`` bytes.

    rows, nonfinite = histogram_rows(np.random.randn(1000), "tensorflow", None)
    value_bytes = tensor_value("w", rows)       # rows: float64 [k, 3] of (left, right, count)

Why v2 tensors: a v1 ``HistogramProto`` is shown differently by TensorBoard's two loaders
(the Python one rounds edges to float32 and drops empty end buckets; the Rust one keeps
doubles and every bucket).  A DT_DOUBLE ``[k, 3]`` tensor with plugin ``histograms`` is
served unchanged, to the last bit, by both (checked against real servers in
tests/tensorboard/test_server_histograms.py), so that is what we write.
"""
from __future__ import annotations

import importlib
import math
import numbers
import operator
from collections.abc import Callable

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataClass, DataType
from tbwriter.writing.arrays import to_numpy
from tbwriter.writing.summaries.buckets import N_BUCKETS, TF_EDGES, count_tf_buckets
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

STRATEGIES = ("auto", "fd", "doane", "scott", "stone", "rice", "sturges", "sqrt")  # numpy's bin estimators
# The most rows a strategy gives when max_bins is None. Its count depends on the data: one outlier
# can ask for billions of bins (numpy builds every one), and TensorBoard redraws any histogram in
# about 30 bins anyway. Data that needs more are merged as max_bins merges (see bin_edges).
STRATEGY_MAX_BINS = 1000
_EXACT_INDEX = 2.0 ** 53  # bin indices up to here are exact in float64
_METADATA = metadata("histograms", data_class=DataClass.TENSOR)
_LEFTS = np.concatenate([[-math.inf], TF_EDGES])  # bucket i of count_tf_buckets is [_LEFTS[i], _RIGHTS[i])
_RIGHTS = np.concatenate([TF_EDGES, [math.inf]])


def tensor_value(tag: str, rows: np.ndarray) -> bytes:
    """A ``Summary.Value`` holding ``rows`` (float64 [k, 3]) as a DT_DOUBLE tensor with histogram metadata."""
    content = np.ascontiguousarray(rows, dtype="<f8").tobytes()
    return summary_value(tag, _METADATA, tensor=tensor_proto(DataType.DT_DOUBLE, (len(rows), 3), content))


def as_array(values: object) -> np.ndarray:
    """A real-valued numpy array from numpy/torch/nested-list ``values`` (torch is recognised by duck typing)."""
    try:
        array = to_numpy(values)
    except (ValueError, TypeError) as e:  # ragged nested lists
        raise ArgumentTypeError("values", "must be a numeric array, nested list or tensor; "
                                          f"got {type(values).__name__} ({e})") from None
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError("values", "must be real numbers (bool, int or float), "
                                          f"got {type(values).__name__} of dtype {array.dtype}")
    if array.size == 0:
        raise ArgumentError("values", f"is empty (shape {array.shape})")
    return array


def histogram_rows(values: object, bins: object, max_bins: object) -> tuple[np.ndarray, int]:
    """(rows, number of non-finite values left out) for ``add_histogram``; raises on bad input.

    ``bins``: "tensorflow" (TF's exponential edges; runs of empty buckets become one row
    and empty ends are dropped), an int (equal widths over [min, max]), a numpy strategy
    name (at most ``max_bins`` or ``STRATEGY_MAX_BINS`` rows), or a sequence of edges
    (values outside them get their own outer rows).
    """
    limit = max_bins_argument(max_bins)
    array = as_array(values)
    if isinstance(bins, str) and bins == "tensorflow":
        counts, nonfinite = count_tf_buckets(array)
        check_some_finite(array.size, nonfinite)
        rows = tf_rows(counts, lambda: _finite_range(array))
    else:
        as64 = array.reshape(-1).astype(np.float64, copy=False)  # numpy's rules, edges in float64
        finite = as64[np.isfinite(as64)]
        nonfinite = array.size - finite.size
        check_some_finite(array.size, nonfinite)
        edges = bin_edges(bins, finite, limit)
        rows = edge_rows(edges, np.histogram(finite, edges)[0], int(np.count_nonzero(finite < edges[0])),
                         int(np.count_nonzero(finite > edges[-1])), lambda: (finite.min(), finite.max()))
    return (rows if limit is None else merge_rows(rows, limit)), nonfinite


def check_some_finite(size: int, nonfinite: int) -> None:
    """The error of a histogram whose ``size`` values are all NaN or inf."""
    if nonfinite == size:
        raise ArgumentError("values", f"has no finite value ({size} NaN/inf)")


def _finite_range(array: np.ndarray) -> tuple[float, float]:
    flat = array.reshape(-1)
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    return finite.min(), finite.max()


def max_bins_argument(max_bins: object) -> int | None:
    """``max_bins`` checked: None or an int >= 1."""
    if max_bins is None:
        return None
    if isinstance(max_bins, bool) or not isinstance(max_bins, numbers.Integral):
        raise ArgumentTypeError("max_bins", f"must be an int or None, got {type(max_bins).__name__}")
    if max_bins < 1:
        raise ArgumentError("max_bins", f"must be >= 1, got {max_bins}")
    return int(max_bins)


def bin_edges(bins: object, finite: np.ndarray, max_bins: int | None) -> np.ndarray:
    """numpy's edges for an int or strategy name, already merged to ``max_bins`` (a strategy's to
    ``STRATEGY_MAX_BINS`` at most); an explicit sequence is checked and used as is.

    For an int only the min and max of ``finite`` count: ``np.array([lo, hi])`` gives the same edges."""
    if isinstance(bins, str):
        if bins not in STRATEGIES:
            raise ArgumentError("bins", f"must be 'tensorflow', one of {', '.join(STRATEGIES)}, an int "
                                        f"or a sequence of edges; got {bins!r}")
        return _numpy_edges(finite, bins, max_bins or STRATEGY_MAX_BINS)
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ArgumentError("bins", f"must be >= 1, got {bins}")
        return _numpy_edges(finite, operator.index(bins), max_bins)
    edges = _float_vector(bins, "bins", "must be 'tensorflow', a strategy name, an int or a 1-D sequence of edges")
    if edges.size < 2 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise ArgumentError("bins", f"bin edges must be at least 2 finite, strictly increasing numbers; "
                                    f"got {bins!r:.80}", sentence=True)
    return edges


def _numpy_edges(finite: np.ndarray, bins: int | str, max_bins: int | None) -> np.ndarray:
    """numpy's equal-width edges for ``bins`` (a count or a strategy), without ever making more than ``max_bins``.

    The count comes first (a strategy's from numpy's own estimator); when it is over ``max_bins`` the
    edges are only those of every ``ceil(count / max_bins)``-th bin, so the rows are exactly those
    ``merge_rows`` makes of numpy's full histogram, which is never built. Data whose range overflows
    float64 (-1e308 to 1e308) is binned at half scale, exact for a power of two, and scaled back.
    """
    with np.errstate(over="ignore"):
        scale = 1.0 if np.isfinite(finite.max() - finite.min()) else 0.5
    data = finite if scale == 1.0 else finite * scale
    count = bins if isinstance(bins, int) else _strategy_count(data, bins)
    if not count >= 1:  # NaN: the estimator's statistics (the standard deviation) overflow float64
        raise ArgumentError("bins", f"cannot make bins={bins!r} over [{finite.min()}, {finite.max()}]: numpy's "
                                    f"'{bins}' estimator overflows float64 on these values; use another strategy, "
                                    "an int or 'tensorflow'", sentence=True)
    if max_bins is None or count <= max_bins:
        edges = np.histogram_bin_edges(data, int(count))  # exactly the edges numpy makes for the strategy
    else:
        edges = _merged_edges(data.min(), data.max(), count, max_bins)
    return edges / scale


def _strategy_count(data: np.ndarray, strategy: str) -> float:
    """How many bins ``np.histogram_bin_edges(data, strategy)`` would make (inf or NaN where numpy fails)."""
    first, last = data.min(), data.max()
    if first == last:  # numpy widens an empty range to one unit
        first, last = first - 0.5, last + 0.5
    with np.errstate(all="ignore"):
        width = _numpy_estimators()[strategy](data, (first, last))
        return float(np.ceil((last - first) / width)) if width else 1.0


def _numpy_estimators() -> dict:
    """numpy's bin-width estimators by strategy name: the only way to get its count without its edges."""
    try:
        module = importlib.import_module("numpy.lib._histograms_impl")  # numpy 2
    except ImportError:
        module = importlib.import_module("numpy.lib.histograms")  # numpy 1
    return module._hist_bin_selectors


def _merged_edges(first: float, last: float, count: float, max_bins: int) -> np.ndarray:
    """Every ``ceil(count / max_bins)``-th edge (and the last) of ``np.linspace(first, last, count + 1)``, the
    same doubles, computed without the others; equal widths instead for a count beyond exact indices."""
    if first == last:
        first, last = first - 0.5, last + 0.5
    if count > _EXACT_INDEX:
        return np.linspace(first, last, max_bins + 1)
    n = int(count)
    group = -(-n // max_bins)
    index = np.append(np.arange(0, n, group), n).astype(np.float64)
    delta = last - first
    step = delta / n
    edges = index / n * delta if step == 0 else index * step  # np.linspace's arithmetic, step by step
    edges += first
    edges[-1] = last
    return edges


def edge_rows(edges: np.ndarray, counts: np.ndarray, below: int, above: int,
              finite_range: Callable[[], tuple[float, float]]) -> np.ndarray:
    """Rows of np.histogram's ``counts`` over ``edges`` (the last bin closed), plus outer rows [min, e0) and
    (e_last, max] for the ``below`` and ``above`` values outside them; ``finite_range()`` gives (min, max)."""
    rows = [np.column_stack([edges[:-1], edges[1:], counts])]
    if below or above:
        lo, hi = finite_range()
        if below:
            rows.insert(0, np.array([[lo, edges[0], below]]))
        if above:
            rows.append(np.array([[edges[-1], hi, above]]))
    return np.concatenate(rows).astype(np.float64)


def tf_rows(counts: np.ndarray, finite_range: Callable[[], tuple[float, float]]) -> np.ndarray:
    """Rows of the non-empty TF buckets; each run of empty buckets between them becomes one empty row.

    The outer buckets' infinite edges become the data's min and max, from ``finite_range()``.
    """
    full = counts > 0
    first, last = np.flatnonzero(full)[[0, -1]]
    kept = full.copy()
    kept[first + 1:last + 1] |= full[first:last]  # the first bucket of each empty run stands for the run
    starts = np.flatnonzero(kept[first:last + 1]) + first
    lefts, rights = _LEFTS[starts], _RIGHTS[np.append(starts[1:] - 1, last)]
    if first == 0 or last == N_BUCKETS - 1:
        lo, hi = finite_range()
        if first == 0:
            lefts[0] = lo
        if last == N_BUCKETS - 1:
            rights[-1] = hi
    return np.column_stack([lefts, rights, counts[starts]]).astype(np.float64)


def merge_rows(rows: np.ndarray, max_bins: int) -> np.ndarray:
    """Merge runs of ``ceil(k / max_bins)`` neighbouring rows so that at most ``max_bins`` remain."""
    group = -(-len(rows) // max_bins)
    if group <= 1:
        return rows
    starts = np.arange(0, len(rows), group)
    ends = np.minimum(starts + group, len(rows)) - 1
    return np.column_stack([rows[starts, 0], rows[ends, 1], np.add.reduceat(rows[:, 2], starts)])


def raw_rows(lo: float, hi: float, num: float, bucket_limits: object, bucket_counts: object) -> np.ndarray:
    """Rows for ``add_histogram_raw`` (torch's v1 layout: right edges and counts), read as TensorBoard reads it.

    Empty buckets at both ends are dropped, the first row starts at ``lo`` (torch's ``min``) and
    the last ends at ``hi`` (``max``), exactly as TensorBoard's Python loader converts a ``HistogramProto``.
    """
    limits, counts = (_float_vector(v, name, "must be a 1-D sequence of numbers") for v, name in
                      ((bucket_limits, "bucket_limits"), (bucket_counts, "bucket_counts")))
    if limits.size != counts.size or limits.size == 0:
        raise ArgumentError("bucket_limits and bucket_counts", "must be non-empty and of equal length, "
                                                               f"got {limits.size} and {counts.size}")
    if (counts < 0).any() or not np.isfinite(counts).all():
        raise ArgumentError("bucket_counts", "must be finite and >= 0")
    if np.isnan(limits).any() or (np.diff(limits) < 0).any():
        raise ArgumentError("bucket_limits", "must be non-decreasing numbers")
    if counts.sum() != num:
        raise ArgumentError("num", f"({num}) must equal sum(bucket_counts) ({counts.sum()})")
    full = np.flatnonzero(counts)
    if full.size == 0:
        raise ArgumentError("bucket_counts", "are all zero")
    first, last = full[0], full[-1]
    inner = limits[first:last]
    rows = np.column_stack([np.append(lo, inner), np.append(inner, hi), counts[first:last + 1]])
    if not (math.isfinite(lo) and math.isfinite(hi)) or (rows[:, 0] > rows[:, 1]).any():
        raise ArgumentError("min", f"min ({lo}) and max ({hi}) must be finite and enclose the non-empty "
                                   f"buckets' edges {inner.tolist()!r:.80}", sentence=True)
    return rows.astype(np.float64)


def _float_vector(values: object, name: str, requirement: str) -> np.ndarray:
    """``values`` as a 1-D float64 array, or an ArgumentTypeError naming ``name``, its ``requirement`` and what
    was received."""
    try:
        vector = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        vector = None
    if vector is None or vector.ndim != 1 or isinstance(values, (str, bytes)):
        raise ArgumentTypeError(name, f"{requirement}, got {type(values).__name__} {values!r:.80}")
    return vector
