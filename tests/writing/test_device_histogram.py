"""Histograms counted on the device give exactly the host path's rows: CPU tensors through the device code.

The device path is torch ops only, so it runs on CPU tensors as on CUDA ones; tests/writing/test_gpu.py
repeats the comparison on CUDA where there is one.
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tbwriter.writing.summaries import buckets, device_histogram, histogram

torch = pytest.importorskip("torch")

FLOATS = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64}
INTS = {"int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "int32": torch.int32, "int64": torch.int64}
E32 = buckets.TF_EDGES.astype(np.float32)
# Values where the host path's decisions lie: TF's edges (as float64, and their float32 neighbours), 0, -0,
# subnormals, the ends of float16/float32/float64 and 1e20 (beyond it: the outer TF buckets).
SPECIAL = [float(v) for v in np.concatenate([
    buckets.TF_EDGES[::97], E32[::89], np.nextafter(E32[::89], np.float32(np.inf)),
    np.nextafter(E32[::89], np.float32(-np.inf)),
    [0.0, -0.0, 5e-324, 1e-45, -1e-45, 6e-8, 65504.0, -65504.0, 3.4028235e38, -3.4028235e38, 1.7e308,
     -1.7e308, 1e20, -1e20, 2e20, math.nan, math.inf, -math.inf]])]


def host_and_device(values, bins, max_bins=None):
    """(host result, device result), each rows and non-finite count, or the exception's type and text."""
    results = []
    for rows_of in (histogram.histogram_rows, device_histogram.device_histogram_rows):
        try:
            results.append(rows_of(values, bins, max_bins))
        except (TypeError, ValueError) as e:
            results.append((type(e), str(e)))
    return results


def assert_same(values, bins, max_bins=None):
    host, device = host_and_device(values, bins, max_bins)
    if isinstance(host[0], type):
        assert device == host
        return
    assert isinstance(device[0], np.ndarray), device
    assert device[1] == host[1]
    np.testing.assert_array_equal(device[0], host[0])  # edges, counts, min and max: to the last bit


def tensor_of(values: list, dtype) -> "torch.Tensor":
    """``values`` as a tensor of ``dtype``: floats rounded as torch rounds them, ints clipped to the range."""
    if dtype.is_floating_point:
        return torch.tensor(values, dtype=torch.float64).to(dtype)
    info = torch.iinfo(dtype)
    whole = [min(max(int(v), info.min), info.max) if math.isfinite(v) else 0 for v in values]
    return torch.tensor(whole, dtype=dtype)


values_lists = st.lists(st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                                  st.floats(-1e3, 1e3), st.integers(-300, 300).map(float)),
                        min_size=1, max_size=60)
bins_choices = st.one_of(st.just("tensorflow"), st.integers(1, 40), st.sampled_from(["fd", "auto", "sturges"]),
                         st.lists(st.floats(-1e6, 1e6, width=32), min_size=2, max_size=8, unique=True).map(sorted))


@settings(max_examples=400, deadline=None)
@given(values=values_lists, dtype=st.sampled_from([*FLOATS.values(), *INTS.values(), torch.bool]),
       bins=bins_choices, max_bins=st.one_of(st.none(), st.integers(1, 9)), ties=st.booleans())
def test_device_rows_equal_host_rows(values, dtype, bins, max_bins, ties):
    t = tensor_of(values, dtype) if dtype is not torch.bool else torch.tensor([v > 0 for v in values])
    if ties and not isinstance(bins, str) and not isinstance(bins, int):
        # Edges on the data's own values: ties with an edge, and the last (closed) edge hit exactly.
        finite = sorted({float(v) for v in t.double().tolist() if math.isfinite(v)})
        bins = finite if len(finite) >= 2 else bins
    assert_same(t, bins, max_bins)


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS])
def test_every_tf_edge_and_its_neighbours(dtype):
    with np.errstate(over="ignore"):
        values = np.concatenate([buckets.TF_EDGES, np.nextafter(buckets.TF_EDGES, np.inf),
                                 np.nextafter(buckets.TF_EDGES, -np.inf), E32.astype(np.float64),
                                 np.nextafter(E32, np.float32(np.inf)).astype(np.float64),
                                 np.nextafter(E32, np.float32(-np.inf)).astype(np.float64)])
    assert_same(tensor_of(values.tolist(), (FLOATS | INTS)[dtype]), "tensorflow")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bins", ["tensorflow", 17, [-1e30, -2.5, 0.0, 1e-3, 7.0], [0.1, 0.2, 0.30000000000000004]])
def test_wide_ranges_nan_and_inf(dtype, bins):
    rng = np.random.default_rng(3)
    values = rng.standard_normal(5000) * 10.0 ** rng.integers(-40, 40, 5000)
    values[::50], values[1::70], values[2::90] = math.nan, math.inf, -math.inf
    assert_same(tensor_of(values.tolist(), FLOATS[dtype]), bins)


def test_counted_in_chunks_as_in_one(monkeypatch):
    monkeypatch.setattr(device_histogram, "_CHUNK", 7)
    values = torch.tensor([3e20, -5.0, math.nan, 0.0, -0.0, 1e-13, 2.0, 2.0, -4e21, math.inf, 1.5] * 5)
    for bins in ("tensorflow", 5, [-5.0, 0.0, 2.0]):
        assert_same(values, bins)


@pytest.mark.parametrize("values, bins", [
    (torch.tensor([math.nan, math.inf]), "tensorflow"),  # no finite value
    (torch.tensor([math.nan, -math.inf]), 4),
    (torch.tensor([]), "tensorflow"),  # empty
    (torch.tensor([1.0, 2.0]), 0),  # bins < 1
    (torch.tensor([1.0, 2.0]), "bogus"),
    (torch.tensor([1.0, 2.0]), [2.0, 1.0]),  # edges not increasing
    (torch.tensor([1.0 + 2j]), "tensorflow"),  # complex
])
def test_refused_as_the_host_path_refuses(values, bins):
    host, device = host_and_device(values, bins)
    assert isinstance(host[0], type) and device == host


def test_max_bins_refused_as_the_host_path_refuses():
    assert_same(torch.tensor([1.0, 2.0]), "tensorflow", 0)
    assert_same(torch.tensor([1.0, 2.0]), "tensorflow", 2.5)


def test_float32_compare_edges_round_up():
    # The reason float32 compares are exact: v >= e exactly when v >= ceil32(e), for every float32 v near e.
    up, last = device_histogram._comparable(buckets.TF_EDGES, torch.float32)
    assert (up.astype(np.float64) >= buckets.TF_EDGES).all()
    assert (np.nextafter(up, np.float32(-np.inf)).astype(np.float64) < buckets.TF_EDGES).all()
    assert math.isnan(last)  # 1e20 (rounded from 1.1^k products) is no float32: no value equals it
