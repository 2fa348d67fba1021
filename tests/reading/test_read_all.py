"""read_all: every kind in one pass, each exactly as its own reader reads it.

The one-kind readers are the reference: on logs of every kind (a tag's later values without metadata, as
TensorFlow 1's writer leaves them; a tag whose kind changes; a restart that purges; damage; torch's writer),
each kind of ``read_all`` must be what ``read_scalars``, ``read_histograms``, ``read_images``, ``read_text`` and
``read_hparams`` give, column for column, with the same damage reported.
"""
import pickle
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_hparams, read_histograms, read_images, read_scalars, read_text
from tbwriter.format.encode import summary_event
from tbwriter.format.record import DamagedRecordWarning
from tbwriter.format.wire import DataType
from tbwriter.reading.every_kind import read_all
from tbwriter.writing.summaries import histogram, scalar, text
from tbwriter.writing.summaries.metadata import summary_value, tensor_proto
from tests.support.framings import framed

FILE_VERSION = bytes.fromhex("0900000040fc54d941") + b"\x1a\x0dbrain.Event:2"
STEPS = 24  # enough values of a tag to be decoded column-wise, not only one by one


def stripped_events() -> list[bytes]:
    """Each tag's first value with its plugin's metadata, the later ones without (TensorFlow 1's FileWriter):
    a scalar tensor, a histogram, a text and a text table of three columns (a [k, 3] tensor, but of strings)."""
    events = [FILE_VERSION]
    for step in range(STEPS):
        first = step == 0
        rows = np.array([[0.0, 1.0, step], [1.0, 2.0, 3.0]])
        table = [f"{step}-{i}".encode() for i in range(6)]
        values = [
            scalar.tensor_value("acc", step / 8) if first else
            summary_value("acc", tensor=tensor_proto(DataType.DT_FLOAT, (), np.float32(step / 8).tobytes())),
            histogram.tensor_value("w", rows) if first else
            summary_value("w", tensor=tensor_proto(DataType.DT_DOUBLE, (2, 3), rows.tobytes())),
            text.text_value("notes", f"step {step}") if first else
            summary_value("notes", tensor=tensor_proto(DataType.DT_STRING, (), string_val=[f"step {step}".encode()])),
            text.text_value("table", "a") if first else
            summary_value("table", tensor=tensor_proto(DataType.DT_STRING, (2, 3), string_val=table)),
        ]
        events += [summary_event(1000.0 + step, step, value) for value in values]
    return events


def write_logdir(root):
    """Runs of every kind: scalars, histograms, images, text, hparams sessions, a tag logged first as histograms
    and later as scalars, a restart that purges, a damaged file."""
    rng = np.random.default_rng(0)
    for lr in (0.1, 0.01):
        with SummaryWriter(root / f"lr{lr}") as w:
            for step in range(STEPS):
                w.add_scalar("loss", lr / (step + 1), step)
                w.add_scalars("m", {"a": step, "b": -step}, step)
                w.add_histogram("weights", rng.normal(size=50), step)
                w.add_histogram("mixed", np.arange(5.0) + step, step)
                if step % 8 == 0:
                    w.add_image("noise", rng.random((3, 4, 5)), step)
                    w.add_text("notes", f"**step** {step}", step)
            w.add_hparams({"lr": lr, "opt": "sgd"}, {"hp/acc": 1 - lr}, run_name=".")
        with SummaryWriter(root / f"lr{lr}", filename_suffix=".later") as w:
            for step in range(STEPS, 2 * STEPS):
                w.add_scalar("mixed", float(step), step)  # a histogram tag: these scalars do not show
    with SummaryWriter(root / "restarted", filename_suffix=".1") as w:
        for step in range(STEPS):
            w.add_scalar("loss", float(step), step)
            w.add_text("notes", f"first {step}", step)
    with SummaryWriter(root / "restarted", purge_step=STEPS // 2, filename_suffix=".2") as w:
        for step in range(STEPS // 2, STEPS):
            w.add_scalar("loss", -float(step), step)
            w.add_text("notes", f"second {step}", step)
    (root / "stripped").mkdir()
    data = bytearray(b"".join(map(framed, stripped_events())))
    (root / "stripped" / "events.out.tfevents.1.tf1").write_bytes(bytes(data))
    data[len(data) * 2 // 3] ^= 0x10  # damage in the middle of a copy
    (root / "damaged").mkdir()
    (root / "damaged" / "events.out.tfevents.1.tf1").write_bytes(bytes(data))


def torch_logdir(root):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    import torch

    w = torch_tb.SummaryWriter(str(root / "torch"))
    for step in range(STEPS):
        w.add_scalar("loss", 1 / (step + 1), step)
        w.add_histogram("weights", torch.arange(10.0) * step, step)
        if step % 8 == 0:
            w.add_text("notes", f"torch {step}", step)
            w.add_image("noise", torch.rand(3, 6, 4), step)
    w.add_hparams({"lr": 0.5, "layers": 2}, {"hparam/acc": 0.25})
    w.close()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("every_kind")
    write_logdir(root)
    torch_logdir(root)
    return root


def same(ours, reference) -> None:
    """Every series of ``ours`` is the reference's, column for column (NaNs included), in the same order."""
    assert list(ours) == list(reference)
    for key, series in reference.items():
        assert pickle.dumps(ours[key]) == pickle.dumps(series), key


def read_each(path, **filters):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("default", DamagedRecordWarning)  # Python's own: once per line and text
        everything = read_all(path, **filters)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedRecordWarning)
        each = {"scalars": read_scalars(path, **filters), "histograms": read_histograms(path, **filters),
                "images": read_images(path, **filters), "texts": read_text(path, **filters),
                "hparams": read_hparams(path, runs=filters.get("runs"))}
    return everything, each, [str(w.message) for w in said]


@pytest.mark.parametrize("filters", [{}, {"tags": "^(loss|notes|w|table|mixed)$"}, {"runs": "lr0.1|stripped|torch"}])
def test_every_kind_is_what_its_own_reader_reads(framing, logdir, filters):
    everything, each, said = read_each(logdir, **filters)
    for kind in ("scalars", "histograms", "images", "texts"):
        same(getattr(everything, kind), each[kind])
    assert everything.hparams.sessions == each["hparams"].sessions
    assert (everything.hparams.hparam_names, everything.hparams.metric_names) == \
        (each["hparams"].hparam_names, each["hparams"].metric_names)
    # the damage, once each, as the readers that meet it report it
    reported = {str(e) for kind in ("scalars", "histograms", "images", "texts") for e in each[kind].damaged}
    assert sorted(map(str, everything.damaged)) == sorted(reported) == sorted(said)
    assert everything.scalars.damaged is everything.texts.damaged is everything.damaged


def test_the_log_holds_what_the_comparison_is_about(logdir):
    """The reference reads are not all empty: each kind, the values without metadata and the damage are there."""
    everything, _, _ = read_each(logdir)
    assert {("stripped", "acc"), ("lr0.1", "loss"), ("torch", "loss")} <= set(everything.scalars)
    assert everything.scalars[("stripped", "acc")].step.tolist() == list(range(STEPS))
    assert everything.histograms[("stripped", "w")].step.tolist() == list(range(STEPS))
    assert len(everything.texts[("stripped", "table")]) == STEPS
    assert everything.texts[("stripped", "table")].text[1].shape == (2, 3)
    assert ("lr0.1", "mixed") in everything.histograms and ("lr0.1", "mixed") not in everything.scalars
    assert everything.scalars[("restarted", "loss")].value.tolist() == \
        [float(s) for s in range(STEPS // 2)] + [-float(s) for s in range(STEPS // 2, STEPS)]
    assert {("lr0.1", "noise"), ("torch", "noise")} <= set(everything.images)
    runs = sorted(s.run for s in everything.hparams.sessions)  # torch's add_hparams makes a run of its own
    assert runs[:2] == ["lr0.01", "lr0.1"] and runs[2].startswith("torch/") and len(runs) == 3
    assert [e.path for e in everything.damaged] == [str(logdir / "damaged" / "events.out.tfevents.1.tf1")]


def test_a_text_table_of_three_columns_is_no_damaged_histogram(logdir):
    """A string [k, 3] tensor without metadata (a later value of a text table) is text, not a histogram that
    cannot be read: no reader reports it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)
        histograms = read_histograms(logdir / "stripped")
    assert list(histograms) == [(".", "w")] and histograms.damaged == []
