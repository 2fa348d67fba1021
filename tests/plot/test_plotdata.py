"""The plotter's numbers: smoothing against docs/formats.md's reference values, decimation, groups, percentiles.

Oracles: the reference values in docs/formats.md, TensorBoard's distribution compressor, numpy's mean/std/histogram.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tbwriter.plot import plotdata

# -- smoothing ------------------------------------------------------------------------------------------------------

def test_smoothing_matches_formats_reference_values():
    # docs/formats.md, "Smoothing as TensorBoard draws it": exact values, so compared exactly
    assert plotdata.smooth(np.array([1.0, 0.0, 1.0, 0.0]), 0.6).tolist() == [1.0, 0.375, 0.6938775510204082, 0.375]
    out = plotdata.smooth(np.array([1.0, math.nan, 3.0]), 0.5)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == 2.3333333333333335


def test_smoothing_edge_rules():
    flat = np.array([2.0, math.inf, 2.0, 2.0])
    assert np.array_equal(plotdata.smooth(flat, 0.9), flat)           # all finite values equal: left as is
    y = np.array([3.0, 1.0, 4.0])
    assert plotdata.smooth(y, math.nan).tolist() == y.tolist()        # non-finite weight counts as 0
    assert plotdata.smooth(y, 0.0).tolist() == y.tolist()
    with pytest.raises(ValueError, match="smooth: weight must be in"):
        plotdata.smooth(y, 1.5)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 1e6), st.just(math.nan), st.just(math.inf)), min_size=1, max_size=40),
       st.floats(0, 0.999))
@example([0.0, 1.0], 0.8)  # numpy's vectorised power gives 0.8**2 = 0.64, the loop's pow() 0.6400000000000001
def test_smoothing_is_formats_loop(values, w):
    """Bit for bit the loop docs/formats.md spells out, written here plainly as the spec reads."""
    y = np.array(values)
    finite = [v for v in values if math.isfinite(v)]
    if finite and all(v == finite[0] for v in finite):
        expected = values
    else:
        last, n, expected = 0.0, 0, []
        for v in values:
            if math.isfinite(v):
                last = last * w + (1 - w) * v
                n += 1
                expected.append(last / (1 - w ** n) if w != 1 else last)
            else:
                expected.append(v)
    got = plotdata.smooth(y, w)
    assert np.array_equal(got, np.array(expected, dtype=np.float64), equal_nan=True)


# -- decimation -----------------------------------------------------------------------------------------------------

def test_decimation_keeps_every_columns_min_max_and_ends():
    rng = np.random.default_rng(1)
    x = np.arange(100_000, dtype=np.float64)
    y = rng.normal(size=x.size)
    y[31_337] = 50.0   # a spike and a dip the decimated line must still show
    y[77_001] = -40.0
    columns = 300
    keep = plotdata.decimate(x, y, columns)
    assert len(keep) <= 4 * columns
    assert keep[0] == 0 and keep[-1] == x.size - 1 and np.all(np.diff(keep) > 0)
    assert 31_337 in keep and 77_001 in keep
    # every pixel column keeps exactly its extremes (numpy, column by column)
    column = np.minimum((x * columns / x[-1]).astype(int), columns - 1)
    for c in (0, 17, 150, columns - 1):
        inside = np.flatnonzero(column == c)
        kept = np.intersect1d(keep, inside)
        assert y[kept].max() == y[inside].max() and y[kept].min() == y[inside].min()


def test_short_series_are_not_decimated():
    x = np.arange(10.0)
    assert plotdata.decimate(x, x, 5).tolist() == list(range(10))


def test_envelope_keeps_band_extremes():
    x = np.arange(10_000.0)
    lo, hi = -np.ones_like(x), np.ones_like(x)
    lo[5000], hi[123] = -9.0, 7.0
    bx, blo, bhi = plotdata.envelope(x, lo, hi, 100)
    assert len(bx) == 100 and blo.min() == -9.0 and bhi.max() == 7.0


# -- groups ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("run, expected", [("lr0.5/seed1", "lr0.5"), ("seed3_lr0.1", "lr0.1"),
                                           ("a_seed2_b", "a_b"), ("seed0", "all runs")])
def test_group_name_strips_the_pattern(run, expected):
    assert plotdata.group_name(run, r"seed\d+") == expected


def test_group_mean_and_std_match_numpy_on_shared_steps():
    rng = np.random.default_rng(2)
    steps = np.arange(0, 500, 5, dtype=np.float64)
    ys = rng.normal(size=(4, steps.size))
    x, mean, lo, hi, count = plotdata.aggregate([(steps, y) for y in ys])
    assert np.array_equal(x, steps) and np.all(count == 4)
    np.testing.assert_allclose(mean, ys.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(hi - mean, ys.std(axis=0), rtol=1e-9)
    np.testing.assert_allclose(mean - lo, ys.std(axis=0), rtol=1e-9)
    _, _, lo, hi, _ = plotdata.aggregate([(steps, y) for y in ys], band="minmax")
    assert np.array_equal(lo, ys.min(axis=0)) and np.array_equal(hi, ys.max(axis=0))


def test_group_aligns_different_steps_without_extrapolating():
    a = (np.array([0.0, 10.0, 20.0]), np.array([0.0, 10.0, 20.0]))
    b = (np.array([5.0, 15.0]), np.array([1.0, 1.0]))       # logged at other steps, and stopped early
    c = (np.array([20.0, 10.0, 10.0]), np.array([5.0, 9.0, 3.0]))  # unsorted, step 10 twice: the last one wins
    x, mean, lo, hi, count = plotdata.aggregate([a, b, c])
    assert x.tolist() == [0, 5, 10, 15, 20]
    assert count.tolist() == [1, 2, 3, 3, 2]
    assert mean.tolist() == [0.0, np.mean([5.0, 1.0]), np.mean([10.0, 1.0, 3.0]), np.mean([15.0, 1.0, 4.0]),
                             np.mean([20.0, 5.0])]
    np.testing.assert_allclose(hi - mean, [0.0, np.std([5.0, 1.0]), np.std([10.0, 1.0, 3.0]), np.std([15.0, 1.0, 4.0]),
                                           np.std([20.0, 5.0])])


# -- histograms -----------------------------------------------------------------------------------------------------

def test_percentiles_match_tensorboards_distribution_compressor():
    compressor = pytest.importorskip("tensorboard.plugins.distribution.compressor")
    rng = np.random.default_rng(3)
    for _ in range(300):
        k = int(rng.integers(1, 12))
        edges = np.sort(rng.normal(scale=3, size=k + 1))
        counts = rng.integers(0, 5, size=k).astype(np.float64)
        counts[0], counts[-1] = counts[0] or 1, counts[-1] or 3  # as loaders give them: no empty outer buckets
        buckets = np.c_[edges[:-1], edges[1:], counts]
        expected = [value for _, value in compressor.compress_histogram(buckets)]
        np.testing.assert_allclose(plotdata.percentiles(buckets), expected, rtol=1e-12, atol=1e-12)
    assert [bp for bp, _ in compressor.compress_histogram(buckets)] == list(plotdata.DIST_BASIS_POINTS)


def test_percentiles_of_empty_histogram_are_nan():
    assert np.isnan(plotdata.percentiles(np.zeros((0, 3)))).all()


def test_rebin_matches_numpy_histogram_on_bucket_edges():
    rng = np.random.default_rng(4)
    values = rng.normal(size=5000)
    counts, edges = np.histogram(values, bins=40)
    buckets = np.c_[edges[:-1], edges[1:], counts]
    coarse = edges[::4]
    np.testing.assert_allclose(plotdata.rebin(buckets, coarse), np.histogram(values, bins=coarse)[0])
    assert plotdata.rebin(np.array([[2.0, 2.0, 7.0]]), np.array([0.0, 1.0, 2.0, 3.0])).tolist() == [0.0, 7.0, 0.0]


def test_relative_unit_is_readable():
    assert plotdata.relative_unit(30.0) == (1.0, "seconds")
    assert plotdata.relative_unit(3 * 3600.0) == (3600.0, "hours")
    assert plotdata.relative_unit(10 * 86400.0) == (86400.0, "days")
