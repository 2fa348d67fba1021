"""add_histogram / add_histogram_raw: exact counts against numpy, bytes against protobuf, files against TensorBoard."""
import math
import os
import re
import subprocess
import sys
import tracemalloc
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tbwriter import SummaryWriter
from tbwriter._proto import event_pb2
from tbwriter.format import encode
from tbwriter.writing.summaries import buckets, histogram
from tests.support import docpages
from tests.support.eventcheck import accumulator
from tests.support.histcheck import ORACLE_EDGES, check_tf_rows, oracle_counts, rows_in, rows_of

torch: Any  # the module, or None without torch
try:
    import torch
except ImportError:  # only the tests that need torch skip: the numpy ones still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch (pip install -e '.[test]' installs it)")


@needs_torch
def test_tf_edges_are_the_ones_torch_uses(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    theirs = TorchWriter(str(tmp_path))
    theirs.close()
    assert len(buckets.TF_EDGES) == 1549 and buckets.N_BUCKETS == 1550
    np.testing.assert_array_equal(buckets.TF_EDGES, np.array(theirs.default_bins, dtype=np.float64))
    np.testing.assert_array_equal(buckets.TF_EDGES, ORACLE_EDGES[1:-1])


# Every exact-count test runs against both ways of counting: the C loop (built by `pip install -e .` or
# `python setup.py build_ext --inplace`) and the numpy fallback used where no compiler was at hand.
NOT_BUILT = ("C kernel tbwriter/writing/summaries/_buckets.c not built: pip install -e . or "
             "python setup.py build_ext --inplace")
COUNTERS = [pytest.param(buckets.count_with_numpy, id="numpy"),
            pytest.param(buckets.count_with_kernel, id="kernel",
                         marks=pytest.mark.skipif(buckets.KERNEL is None, reason=NOT_BUILT))]


@pytest.fixture(params=COUNTERS)
def count(request, monkeypatch):
    """One way of counting, also used by histogram_rows during the test."""
    if request.param is buckets.count_with_numpy:
        monkeypatch.setattr(buckets, "KERNEL", None)
    return request.param


RNG = np.random.default_rng(7)
WIDE = RNG.standard_normal(50_000) * 10.0 ** RNG.integers(-14, 24, 50_000)  # crosses every edge region
ON_EDGES = np.concatenate([buckets.TF_EDGES, np.nextafter(buckets.TF_EDGES, np.inf),
                           np.nextafter(buckets.TF_EDGES, -np.inf),
                           [0.0, -0.0, 5e-324, -5e-324, 1e-40, -1e-40, 1e20, -1e20, 1e25, -3e30, 1e300, -1e308]])


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int8", "uint8", "int16", "int32", "int64",
                                   "uint64", "bool"])
@pytest.mark.parametrize("data", ["wide", "on_edges", "normal"])
def test_counts_exactly_as_numpy(count, dtype, data):
    source = {"wide": WIDE, "on_edges": ON_EDGES, "normal": RNG.standard_normal((200, 300))}[data]
    if dtype == "bool":
        values = source > 0
    elif dtype[0] in "iu":
        info = np.iinfo(dtype)
        values = np.clip(np.nan_to_num(source), max(info.min, -2**62), min(info.max, 2**62)).astype(dtype)
    else:
        with np.errstate(over="ignore"):
            values = source.astype(dtype)
    counts, nonfinite = count(values)
    np.testing.assert_array_equal(counts, oracle_counts(values))
    assert nonfinite == np.count_nonzero(~np.isfinite(values.astype(np.float64)))
    if nonfinite < values.size:
        check_tf_rows(histogram.histogram_rows(values, "tensorflow", None)[0], values)


def test_float32_values_next_to_every_edge(count):
    # For float32 input the relevant values are the float32 neighbours of each float64 edge.
    e32 = buckets.TF_EDGES.astype(np.float32)
    values = np.concatenate([e32, np.nextafter(e32, np.float32(np.inf)), np.nextafter(e32, np.float32(-np.inf)),
                             np.array([3.4028235e38, -3.4028235e38, 1e-45, -1e-45, -0.0], np.float32)])
    np.testing.assert_array_equal(count(values)[0], oracle_counts(values))


def test_value_on_an_edge_goes_right_and_minus_zero_is_zero(count):
    e = buckets.TF_EDGES
    rows = histogram.histogram_rows([e[800], -0.0, 0.0], "tensorflow", None)[0]
    assert rows.tolist() == [[0.0, e[775], 2.0], [e[775], e[800], 0.0], [e[800], e[801], 1.0]]


def test_values_beyond_1e20_are_counted_with_min_and_max_as_outer_edges(count):
    values = np.array([-1e30, 5.0, 2e20, 1e38], np.float32)
    rows = histogram.histogram_rows(values, "tensorflow", None)[0]
    assert rows[:, 2].sum() == 4
    assert rows[0].tolist() == [float(np.float32(-1e30)), buckets.TF_EDGES[0], 1.0]
    assert rows[-1].tolist() == [buckets.TF_EDGES[-1], float(np.float32(1e38)), 2.0]


@pytest.mark.parametrize("make", [
    lambda: torch.randn(300, 7),
    lambda: torch.randn(300, 7).to(torch.bfloat16),
    lambda: torch.randn(300, 7).to(torch.float16),
    lambda: torch.randn(300, 7, dtype=torch.float64).t(),  # not contiguous
    lambda: torch.randn(50, requires_grad=True) * 3,
    lambda: torch.randint(-1000, 1000, (500,)),
    lambda: torch.rand(100) > 0.3,
], ids=["float32", "bfloat16", "float16", "float64-transposed", "requires-grad", "int64", "bool"])
@needs_torch
def test_torch_tensors(make):
    t = make()
    expected = t.detach().double().numpy()  # exact upcast of every torch dtype here
    check_tf_rows(histogram.histogram_rows(t, "tensorflow", None)[0], expected)


@pytest.mark.parametrize("values", [[[1, 2], [3, 4.5]], [0.25], 3.0, [[True, False], [True, True]], np.float32(2.5)])
def test_nested_lists_and_scalars(values):
    check_tf_rows(histogram.histogram_rows(values, "tensorflow", None)[0], values)


@pytest.mark.parametrize("bins", [1, 10, 64, "auto", "fd", "sturges", "sqrt", "doane", "scott", "stone", "rice"])
def test_int_bins_and_numpy_strategies_match_numpy(bins):
    values = np.concatenate([RNG.standard_normal(5000), [np.nan, np.inf]]).astype(np.float32)
    rows, nonfinite = histogram.histogram_rows(values, bins, None)
    finite = values[np.isfinite(values)].astype(np.float64)  # we take edges in float64 whatever the input
    counts, edges = np.histogram(finite, bins)
    assert nonfinite == 2
    np.testing.assert_array_equal(rows, np.column_stack([edges[:-1], edges[1:], counts]))


def test_explicit_edges_with_outer_rows():
    values = [-5.0, 0.0, 0.5, 1.0, 2.0, 9.0, 9.5]
    rows = histogram.histogram_rows(values, [0, 1, 2], None)[0]
    # numpy: [0, 1) and [1, 2] (last closed); values outside the edges get their own rows.
    assert rows.tolist() == [[-5.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 2.0], [2.0, 9.5, 2.0]]
    assert np.histogram(values, [0, 1, 2])[0].tolist() == [2, 2]


@pytest.mark.parametrize("bins, max_bins", [("tensorflow", 5), ("tensorflow", 1), (100, 7), (10, 4), (10, 10), (3, 50)])
def test_max_bins_merges_neighbours(bins, max_bins):
    values = RNG.standard_normal(2000)
    full = histogram.histogram_rows(values, bins, None)[0]
    merged = histogram.histogram_rows(values, bins, max_bins)[0]
    assert len(merged) <= max_bins and merged[:, 2].sum() == 2000
    assert merged[0, 0] == full[0, 0] and merged[-1, 1] == full[-1, 1]
    group = -(-len(full) // max_bins)
    for i, row in enumerate(merged):
        part = full[i * group:(i + 1) * group]
        assert row.tolist() == [part[0, 0], part[-1, 1], part[:, 2].sum()]


def test_counting_uses_little_memory(count):
    values = RNG.standard_normal(1_000_000).astype(np.float32)
    histogram.histogram_rows(values[:10], "tensorflow", None)  # build the cell table first
    tracemalloc.start()
    try:
        histogram.histogram_rows(values, "tensorflow", None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 2 * values.nbytes


def numpy_rows_merged(values: np.ndarray, bins, max_bins: int) -> np.ndarray:
    """What add_histogram gave before it stopped building every bin: numpy's full histogram, merged."""
    counts, edges = np.histogram(values, bins)
    return histogram.merge_rows(np.column_stack([edges[:-1], edges[1:], counts]), max_bins)


OUTLIER_SETS = {"one_outlier": np.append(RNG.standard_normal(20_000), 400.0),  # fd asks for ~4,000 bins
                "tiny_spread_far_outlier": np.append(RNG.standard_normal(3000) * 1e-3, -3.0)}  # ~16,000


@pytest.mark.parametrize("bins", ["fd", "auto", "doane", "rice", "sqrt", "sturges", 5000])
@pytest.mark.parametrize("max_bins", [30, 7, None])
@pytest.mark.parametrize("data", OUTLIER_SETS)
def test_many_bins_are_merged_exactly_as_before_without_being_built(bins, max_bins, data):
    values = OUTLIER_SETS[data]
    rows = histogram.histogram_rows(values, bins, max_bins)[0]
    if isinstance(bins, int) and max_bins is None:
        limit = bins  # a count the caller chose is kept whatever it is
    else:
        limit = max_bins or histogram.STRATEGY_MAX_BINS
    np.testing.assert_array_equal(rows, numpy_rows_merged(values, bins, limit))
    assert len(rows) <= limit and rows[:, 2].sum() == values.size


# The README's call, on weights with one outlier: it built every bin numpy's estimator asks for (1.5 GB at
# 1e4, 12.8 GiB asked at 1e8) before merging them. Run in a child whose address space is capped at 1 GiB.
BOUNDED_HISTOGRAM = """
import resource, sys, tracemalloc
import numpy as np
from tbwriter.writing.summaries import histogram
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
values = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
values[0] = float(sys.argv[1])
tracemalloc.start()
rows = histogram.histogram_rows(values, sys.argv[2], None if sys.argv[3] == "None" else int(sys.argv[3]))[0]
print(len(rows), int(rows[:, 2].sum()), tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize("outlier", ["1e4", "1e8", "-1e30"])
@pytest.mark.parametrize("bins, max_bins", [("fd", "30"), ("fd", "None"), ("auto", "None")])
def test_strategy_with_an_outlier_uses_bounded_memory(outlier, bins, max_bins, root):
    proc = subprocess.run([sys.executable, "-c", BOUNDED_HISTOGRAM, outlier, bins, max_bins], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(root), OPENBLAS_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows, total, peak = map(int, proc.stdout.split())
    assert rows <= (30 if max_bins == "30" else histogram.STRATEGY_MAX_BINS) and total == 100_000
    assert peak < 20 * 2**20  # the values take 0.4 MB, their float64 copies 0.8 MB each


def test_a_count_no_machine_could_build_gives_equal_widths():
    values = np.append(RNG.standard_normal(1000) * 1e-300, 1e300)  # fd asks for about 1e600 bins
    rows = histogram.histogram_rows(values, "fd", 30)[0]
    np.testing.assert_array_equal(rows[:, :2], np.column_stack([(e := np.linspace(values.min(), 1e300, 31))[:-1],
                                                                e[1:]]))
    assert rows[:, 2].sum() == values.size


HUGE_RANGE = np.append(RNG.standard_normal(1000), [-1e308, 1.7e308])  # max - min overflows float64


@pytest.mark.filterwarnings("ignore:The number of bins estimated may be suboptimal")  # numpy's, for stone
@pytest.mark.parametrize("bins", ["fd", "auto", "doane", "stone", "rice", "sqrt", "sturges", 3])
def test_values_whose_range_overflows_are_binned_at_half_scale(bins):
    rows = histogram.histogram_rows(HUGE_RANGE, bins, None)[0]
    halved = histogram.histogram_rows(HUGE_RANGE / 2, bins, None)[0]
    np.testing.assert_array_equal(rows, halved * [2, 2, 1])  # exact: scaling by 2 changes no bit but the exponent
    assert rows[0, 0] == -1e308 and rows[-1, 1] == 1.7e308 and rows[:, 2].sum() == HUGE_RANGE.size


# -- bytes ------------------------------------------------------------------------------------
def reference_value(tag: str, rows: np.ndarray) -> bytes:
    summary = event_pb2.Summary()
    v = summary.value.add(tag=tag)
    v.metadata.plugin_data.plugin_name = "histograms"
    v.metadata.data_class = event_pb2.DATA_CLASS_TENSOR
    v.tensor.dtype = event_pb2.DT_DOUBLE
    for n in rows.shape:
        v.tensor.tensor_shape.dim.add(size=n)
    v.tensor.tensor_content = rows.astype("<f8").tobytes()
    return summary.SerializeToString()


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=30),
       hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.just(3)), elements=st.floats(allow_nan=False)),
       st.floats(0, 2e9), st.integers(0, 2**63 - 1))
def test_tensor_value_bytes_match_protobuf(tag, rows, wall, step):
    assert histogram.tensor_value(tag, rows) == reference_value(tag, rows)
    event = event_pb2.Event(wall_time=wall, step=step)
    event.summary.ParseFromString(reference_value(tag, rows))
    assert encode.summary_event(wall, step, histogram.tensor_value(tag, rows)) == event.SerializeToString()


# float64 values on either side of float32's rounding boundaries, and the ends of float32's range.
F32_LIMITS = [3.4028234663852886e38, 3.4028235677973366e38, 3.4028235677973366e38 * (1 - 2**-26),
              1.401298464324817e-45, 7.006492321624085e-46, 7.006492321624087e-46, 1.1754942106924411e-38]
SPECIALS = np.concatenate([ON_EDGES, F32_LIMITS, np.negative(F32_LIMITS), [np.nan, np.inf, -np.inf]])
ROUTES = ["float32", "float64", "float16", "longdouble", ">f4", ">f8", "bool", "int8", "uint8", "int16",
          "uint16", "int32", "uint32", "int64", "uint64"]


@st.composite
def arrays_of_every_route(draw):
    """Arrays of every dtype (each exact in float32 or not), often holding edges, their neighbours and
    non-finite values, sometimes not contiguous."""
    dtype = np.dtype(draw(st.sampled_from(ROUTES)))
    elements = hnp.from_dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):
            elements |= st.sampled_from(list(SPECIALS.astype(dtype)))
    values = draw(hnp.arrays(dtype, st.integers(1, 300), elements=elements))
    return values[::2] if draw(st.booleans()) else values


@settings(max_examples=300, deadline=None)
@given(arrays_of_every_route())
def test_kernel_and_numpy_fallback_agree_bit_for_bit(values):
    if buckets.KERNEL is None:
        pytest.skip(NOT_BUILT)
    counts, nonfinite = buckets.count_with_kernel(values)
    fallback_counts, fallback_nonfinite = buckets.count_with_numpy(values)
    assert counts.dtype == fallback_counts.dtype == np.int64
    np.testing.assert_array_equal(counts, fallback_counts)
    np.testing.assert_array_equal(counts, oracle_counts(values))
    assert nonfinite == fallback_nonfinite == np.count_nonzero(~np.isfinite(values.astype(np.float64)))


def test_kernel_refuses_buffers_it_cannot_read():
    if buckets.KERNEL is None:
        pytest.skip(NOT_BUILT)
    table, counts = buckets._cell_table(rounded=False), np.zeros(buckets.N_BUCKETS, np.int64)
    good = np.ones(10, np.float32)
    for values, table_, counts_, error in [
            (good.astype(np.int32), table, counts, TypeError),
            (good.astype(">f4"), table, counts, TypeError),
            (np.ones(20, np.float32)[::2], table, counts, ValueError),  # numpy: "not C-contiguous"
            (good, table[:100], counts, ValueError),
            (good, table, counts[:-1], ValueError),
            (good, table, counts.astype(np.int32), TypeError),
            (good, table, bytes(counts), BufferError)]:
        with pytest.raises(error):
            buckets.KERNEL.count(values, table_, buckets.TF_EDGES, counts_)
    assert not counts.any()


# -- through the writer and TensorBoard's loaders ------------------------------------------------
@needs_torch
def test_writer_round_trip_through_event_accumulator(tmp_path):
    from tensorboard.util import tensor_util
    values = RNG.standard_normal(1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("weights", values, 3, walltime=1.7e9)
        w.add_histogram("weights", torch.tensor(values * 2), 4)
        w.add_histogram("ints", list(range(100)), 0, bins=10)
    acc = accumulator(tmp_path)
    assert set(acc.Tags()["tensors"]) == {"weights", "ints"}
    assert acc.SummaryMetadata("weights").plugin_data.plugin_name == "histograms"
    events = acc.Tensors("weights")
    assert [(e.step, e.wall_time) for e in events][:1] == [(3, 1.7e9)] and events[1].step == 4
    check_tf_rows(tensor_util.make_ndarray(events[0].tensor_proto), values)
    check_tf_rows(tensor_util.make_ndarray(events[1].tensor_proto), values * 2)
    ints = tensor_util.make_ndarray(acc.Tensors("ints")[0].tensor_proto)
    assert ints[:, 2].tolist() == [10.0] * 10


def test_non_finite_values_left_out_with_one_warning(tmp_path):
    values = np.array([1.0, np.nan, np.inf, -np.inf, 2.0, np.nan], np.float32)
    with SummaryWriter(tmp_path) as w:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            w.add_histogram("noisy", values, 1)
        assert len(caught) == 1 and "noisy" in str(caught[0].message) and "4 non-finite" in str(caught[0].message)
        (rows,) = rows_of(w, "noisy")
    check_tf_rows(rows, values)
    with SummaryWriter(tmp_path / "strict") as w:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(RuntimeWarning, match="noisy"):
                w.add_histogram("noisy", values, 1)
        assert rows_of(w, "noisy") == []


BAD = [
    (dict(values=[]), ValueError, "empty"),
    (dict(values=np.zeros((3, 0))), ValueError, "empty"),
    (dict(values=[np.nan, np.inf]), ValueError, "no finite value"),
    (dict(values=["a", "b"]), TypeError, "real numbers"),
    (dict(values=[1 + 2j]), TypeError, "real numbers"),
    (dict(values={"a": 1}), TypeError, "real numbers"),
    (dict(values=[[1, 2], [3]]), TypeError, "numeric array"),
    (dict(values=None), TypeError, "real numbers"),
    (dict(values=[1.0], bins="magic"), ValueError, "bins must be"),
    (dict(values=[1.0], bins=0), ValueError, "bins must be >= 1"),
    (dict(values=[1.0], bins=[1.0]), ValueError, "at least 2"),
    (dict(values=[1.0], bins=[2.0, 1.0]), ValueError, "strictly increasing"),
    (dict(values=[1.0], bins=[[0, 1]]), TypeError, "1-D sequence"),
    (dict(values=[1.0], bins=None), TypeError, "bins must be"),
    (dict(values=[-1e308, 1.0, 1e308], bins="scott"), ValueError,
     "cannot make bins='scott' over [-1e+308, 1e+308]: numpy's 'scott' estimator overflows float64"),
    (dict(values=[1.0], max_bins=0), ValueError, "max_bins"),
    (dict(values=[1.0], max_bins=2.5), TypeError, "max_bins"),
    (dict(values=[1.0], global_step=1.5), TypeError, "global_step"),
    (dict(values=[1.0], walltime=math.nan), ValueError, "walltime"),
]
if torch is not None:
    BAD.append((dict(values=torch.full((4,), float("nan"))), ValueError, "no finite value"))


@pytest.mark.parametrize("kwargs, error, message", BAD, ids=[f"{b[0]}"[:60] for b in BAD])
def test_refused_calls_write_nothing_and_writer_stays_usable(tmp_path, kwargs, error, message):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=re.escape(message)) as info:
            w.add_histogram("bad/tag", **kwargs)
        assert "add_histogram" in str(info.value)
        if "global_step" not in kwargs and "walltime" not in kwargs:
            assert "bad/tag" in str(info.value)
        w.add_histogram("good", [1.0, 2.0], 1)
        assert rows_of(w, "bad/tag") == [] and len(rows_of(w, "good")) == 1


def test_bad_tag_is_refused(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="add_histogram: tag must be a str"):
            w.add_histogram(3, [1.0])
        with pytest.raises(TypeError, match="add_histogram_raw: tag must be a str"):
            w.add_histogram_raw(None, 0, 1, 1, 1, 1, [1], [1])


# -- add_histogram_raw ---------------------------------------------------------------------------
RAW_CASES = [
    dict(min=0.5, max=3.5, num=6, sum=12.0, sum_squares=28.5, bucket_limits=[1, 2, 4], bucket_counts=[1, 2, 3]),
    # TensorFlow's own layout: empty end buckets and DBL_MAX as the last limit.
    dict(min=-3.3, max=7.123456789, num=6, sum=1.0, sum_squares=2.0,
         bucket_limits=[-1.0, 0.0, 0.30000000000000004, 1.0, 5.0, 1.7976931348623157e308],
         bucket_counts=[0, 2, 0, 1, 0, 3]),
    # tensorboardX's documented example: np.histogram output, right edges only.
    dict(min=1.001, max=49.001, num=1225, sum=0.0, sum_squares=0.0, bucket_limits=list(range(1, 52)),
         bucket_counts=[0] + list(range(1, 50)) + [0]),
]


@pytest.mark.parametrize("raw", RAW_CASES)
def test_add_histogram_raw_shows_what_tensorboard_makes_of_torchs_form(tmp_path, raw):
    from tensorboard import data_compat
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util
    with SummaryWriter(tmp_path) as w:
        w.add_histogram_raw("raw", **raw, global_step=2)
        (rows,) = rows_of(w, "raw")
    value = summary_pb2.Summary.Value(tag="raw")
    value.histo.min, value.histo.max, value.histo.num = raw["min"], raw["max"], raw["num"]
    value.histo.bucket_limit.extend(raw["bucket_limits"])
    value.histo.bucket.extend(raw["bucket_counts"])
    theirs = tensor_util.make_ndarray(data_compat.migrate_value(value).tensor)  # float32 in TensorBoard
    np.testing.assert_array_equal(rows.astype(np.float32), theirs)
    assert rows[0, 0] == raw["min"] and rows[-1, 1] == raw["max"]  # we keep the doubles


@pytest.mark.parametrize("change, error, message", [
    (dict(num=5), ValueError, "must equal sum(bucket_counts)"),
    (dict(bucket_counts=[1, 2]), ValueError, "equal length"),
    (dict(bucket_counts=[1, -2, 7]), ValueError, ">= 0"),
    (dict(bucket_limits=[3, 2, 4]), ValueError, "non-decreasing"),
    (dict(bucket_limits="abc"), TypeError, "bucket_limits must be a 1-D sequence"),
    (dict(min=2.5), ValueError, "enclose"),
    (dict(max=math.inf), ValueError, "finite"),
    (dict(sum="x"), TypeError, "sum"),
    (dict(bucket_counts=[0, 0, 0], num=0), ValueError, "all zero"),
])
def test_add_histogram_raw_refuses_bad_input(tmp_path, change, error, message):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=re.escape(message)) as info:
            w.add_histogram_raw("raw", **{**RAW_CASES[0], **change})
        assert "add_histogram_raw(tag='raw')" in str(info.value)
        w.add_histogram_raw("raw", **RAW_CASES[0])
        assert len(rows_of(w, "raw")) == 1


def test_docs_histogram_example_runs(tmp_path, monkeypatch):
    code = docpages.blocks(docpages.section(docpages.read("docs/writing.md"), "## Histograms"), "python")[0].code
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/writing.md#histograms", "exec"), {})
    run = tmp_path / "runs" / "hist"
    assert [len(rows_in(run, t)) for t in ("weights", "weights_10", "weights_fd", "edges", "raw")] == [3, 3, 3, 1, 1]
    assert all(len(r) <= 30 for r in rows_in(run, "weights_fd"))
    assert rows_in(run, "edges")[0].tolist() == [[0.0, 1.0, 1.0], [1.0, 2.0, 1.0], [2.0, 7.0, 2.0]]
