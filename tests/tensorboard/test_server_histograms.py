"""A real tensorboard server shows our histograms exactly as written, identically in both loader modes."""
import numpy as np
import pytest

from tbwriter import SummaryWriter, read_histograms
from tbwriter._proto import event_pb2
from tbwriter.format import record
from tests.support.eventcheck import raw_events
from tests.support.histcheck import check_tf_rows
from tests.support.tbserver import TensorBoardServer

torch = pytest.importorskip("torch")
tensor_util = pytest.importorskip("tensorboard.util.tensor_util")

RNG = np.random.default_rng(3)
NORMAL = [RNG.standard_normal(10_000).astype(np.float32) * (s + 1) for s in range(3)]
WIDE = np.array([-1e30, -2.5e20, -1.0, -0.0, 0.0, 5e-324, 1e-13, 0.1, 0.1, 1e19, 1e20, 3e25, 1e300])
BF16 = torch.randn(64, 64).to(torch.bfloat16)
RAW = dict(min=-3.3, max=7.123456789, num=6, sum=1.0, sum_squares=2.0,
           bucket_limits=[-1.0, 0.0, 0.30000000000000004, 1.0, 5.0, 1.7976931348623157e308],
           bucket_counts=[0, 2, 0, 1, 0, 3])
TAGS = ["normal", "wide", "bfloat16", "int_bins", "edges", "max_bins", "raw", "nonfinite"]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("histograms")
    with SummaryWriter(root / "run") as w:
        for step, values in enumerate(NORMAL):
            w.add_histogram("normal", values, step, walltime=1.7e9 + step)
        w.add_histogram("wide", WIDE, 0)
        w.add_histogram("bfloat16", BF16, 0)
        w.add_histogram("int_bins", np.arange(1000), 0, bins=7)
        w.add_histogram("edges", [-5.0, 0.0, 0.5, 1.0, 2.0, 9.0], 0, bins=[0, 1, 2])
        w.add_histogram("max_bins", NORMAL[0], 0, max_bins=6)
        w.add_histogram_raw("raw", **RAW, global_step=5)
        with pytest.warns(RuntimeWarning, match="nonfinite"):
            w.add_histogram("nonfinite", [1.0, float("nan"), 2.0, float("inf")], 0)
    # The same data as a v1 HistogramProto (torch's form), to show why we do not write that form.
    (root / "v1").mkdir()
    event = event_pb2.Event(wall_time=1.7e9, step=0)
    histo = event.summary.value.add(tag="raw").histo
    histo.min, histo.max, histo.num = RAW["min"], RAW["max"], RAW["num"]
    histo.bucket_limit.extend(RAW["bucket_limits"])
    histo.bucket.extend(RAW["bucket_counts"])
    with open(root / "v1" / "events.out.tfevents.1.v1", "wb") as f:
        f.write(record.frame(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()))
        f.write(record.frame(event.SerializeToString()))
    return root


@pytest.fixture(scope="module")
def served(logdir):
    """{mode: {(run, tag): histograms endpoint JSON}}, one server at a time."""
    wanted = [("run", tag) for tag in TAGS] + [("v1", "raw")]
    out = {}
    for mode, load_fast in (("python", False), ("rust", True)):
        with TensorBoardServer(logdir, load_fast=load_fast) as tb:
            def everything():
                tags = tb.get("/data/plugin/histograms/tags")
                if not all(tag in tags.get(run, {}) for run, tag in wanted):
                    return None
                got = {(run, tag): tb.get("/data/plugin/histograms/histograms", run=run, tag=tag)
                       for run, tag in wanted}
                return got if len(got[("run", "normal")]) == len(NORMAL) else None
            out[mode] = tb.wait_for(everything)
    return out


def written(logdir, tag):
    """(wall_time, step, rows) of every value of ``tag`` in the run, read by TensorBoard's own file loader."""
    return [[e.wall_time, e.step, tensor_util.make_ndarray(v.tensor).tolist()]
            for e in raw_events(logdir / "run") if e.HasField("summary") for v in e.summary.value if v.tag == tag]


def test_both_loaders_show_exactly_what_we_wrote(served, logdir):
    for tag in TAGS:
        mine = written(logdir, tag)
        assert mine, tag
        assert served["python"][("run", tag)] == mine, tag
        assert served["rust"][("run", tag)] == mine, tag


def test_served_counts_match_numpy(served):
    normal = served["rust"][("run", "normal")]
    assert [(w, s) for w, s, _ in normal] == [(1.7e9 + s, s) for s in range(3)]
    for (_, _, rows), values in zip(normal, NORMAL, strict=True):
        check_tf_rows(np.array(rows), values)
    check_tf_rows(np.array(served["rust"][("run", "wide")][0][2]), WIDE)
    check_tf_rows(np.array(served["rust"][("run", "bfloat16")][0][2]), BF16.double().numpy())
    check_tf_rows(np.array(served["rust"][("run", "nonfinite")][0][2]), [1.0, 2.0])
    wide = served["rust"][("run", "wide")][0][2]
    assert wide[0][0] == -1e30 and wide[-1][1] == 1e300 and sum(r[2] for r in wide) == len(WIDE)


def test_served_numpy_style_bins(served):
    counts, edges = np.histogram(np.arange(1000, dtype=np.float64), 7)
    assert served["python"][("run", "int_bins")][0][2] == np.column_stack([edges[:-1], edges[1:], counts]).tolist()
    assert served["python"][("run", "edges")][0][2] == [[-5.0, 0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0, 2.0],
                                                         [2.0, 9.0, 1.0]]
    merged = served["python"][("run", "max_bins")][0][2]
    assert len(merged) <= 6 and sum(r[2] for r in merged) == len(NORMAL[0])


def test_raw_histogram_keeps_doubles_and_steps(served):
    (wall, step, rows), = served["rust"][("run", "raw")]
    assert step == 5 and rows == [[-3.3, 0.0, 2.0], [0.0, 0.30000000000000004, 0.0],
                                  [0.30000000000000004, 1.0, 1.0], [1.0, 5.0, 0.0], [5.0, 7.123456789, 3.0]]


def test_reader_reads_the_v1_form_as_the_python_loader_does_in_full_precision(served, logdir):
    # TensorBoard's loaders disagree on a v1 HistogramProto (torch's form): the Python one rounds it to float32
    # and trims empty end buckets, the Rust one keeps both. read_histograms takes the Python loader's buckets
    # (min and max as the outer edges) and keeps the doubles.
    (wall, step, rows), = served["python"][("v1", "raw")]
    ours = read_histograms(logdir / "v1")[(".", "raw")]
    assert ours.step.tolist() == [step] and ours.wall_time.tolist() == [wall]
    np.testing.assert_array_equal(ours.buckets[0].astype(np.float32), np.array(rows, dtype=np.float32))
    assert ours.buckets[0][0, 0] == RAW["min"] and ours.buckets[0][-1, 1] == RAW["max"]
