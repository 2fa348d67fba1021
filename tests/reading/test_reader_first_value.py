"""A tag's kind is its first value's, in every reader, as TensorBoard decides it (issue 21).

TensorBoard gives a tag the plugin of its first value's metadata (v1 values migrated), and its data
server shows only the values of that kind: a tag logged first as a histogram and later as scalars is a
histogram of its first values only. Reads that leave the records of other kinds undecoded (the skim,
the C scan's plain scalars) must still let those records decide.
"""
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_histograms, read_scalars, read_tensors
from tbwriter.format.record import DamagedRecordWarning
from tbwriter.reading.follow import Follower
from tbwriter.reading.reader import summarize

STEPS = 30  # enough values of a tag to be decoded column-wise, not one by one


def write_mixed(run_dir):
    """"mixed": histograms, then (in a later file) scalars; "sfirst": the other way round; "loss": scalars."""
    with SummaryWriter(run_dir, filename_suffix=".1") as w:
        for step in range(STEPS):
            w.add_histogram("mixed", np.arange(5.0) + step, step)
            w.add_scalar("sfirst", step / 2, step)
    with SummaryWriter(run_dir, filename_suffix=".2") as w:
        for step in range(STEPS, 2 * STEPS):
            w.add_scalar("mixed", float(step), step)
            w.add_histogram("sfirst", np.arange(5.0) - step, step)
            w.add_scalar("loss", 1 / step, step)


def test_every_reader_takes_a_tags_kind_from_its_first_value(framing, tmp_path):
    write_mixed(tmp_path / "run")
    first = list(range(STEPS))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)
        scalars = read_scalars(tmp_path)
        histograms = read_histograms(tmp_path)
        summary = summarize(tmp_path)
        followed = Follower(tmp_path).poll()
        tensors = read_tensors(tmp_path, "histograms")
    assert sorted(scalars) == sorted(followed) == [("run", "loss"), ("run", "sfirst")]
    assert scalars[("run", "sfirst")].step.tolist() == followed[("run", "sfirst")].step.tolist() == first
    assert list(histograms) == list(tensors) == [("run", "mixed")]
    assert histograms[("run", "mixed")].step.tolist() == tensors[("run", "mixed")].step.tolist() == first
    assert {tag: (s.kind, s.count, s.first_step, s.last_step) for (_, tag), s in summary.items()} == {
        "mixed": ("histogram", STEPS, 0, STEPS - 1), "sfirst": ("scalar", STEPS, 0, STEPS - 1),
        "loss": ("scalar", STEPS, STEPS, 2 * STEPS - 1)}
    # the oracle for the kind: TensorBoard's plugin event accumulator keeps the first value's metadata
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_accumulator")
    theirs = accumulator.EventAccumulator(str(tmp_path / "run"), size_guidance={"tensors": 0})
    theirs.Reload()
    assert sorted(theirs.PluginTagToContent("histograms")) == ["mixed"]
    assert sorted(theirs.PluginTagToContent("scalars")) == ["loss", "sfirst"]


def test_a_follower_keeps_the_kind_of_a_first_value_read_in_an_earlier_poll(framing, tmp_path):
    follower = Follower(tmp_path)
    with SummaryWriter(tmp_path, filename_suffix=".1") as w:
        w.add_histogram("mixed", np.arange(5.0), 0)
        w.add_scalar("loss", 0.5, 0)
    assert list(follower.poll()) == [(".", "loss")]
    with SummaryWriter(tmp_path, filename_suffix=".2") as w:
        w.add_scalar("mixed", 1.0, 1)
        w.add_scalar("loss", 0.25, 1)
    assert list(follower.poll()) == [(".", "loss")]
    assert list(read_scalars(tmp_path)) == [(".", "loss")]


def test_the_data_server_shows_what_we_read(tmp_path):
    tbserver = pytest.importorskip("tests.support.tbserver")
    write_mixed(tmp_path / "run")
    with tbserver.TensorBoardServer(tmp_path, load_fast=True) as tb:
        def loaded():
            scalar_tags = tb.get("/data/plugin/scalars/tags").get("run", {})
            histogram_tags = tb.get("/data/plugin/histograms/tags").get("run", {})
            points = tb.scalars("run", "loss") if "loss" in scalar_tags else []
            return (scalar_tags, histogram_tags) if len(points) == STEPS and histogram_tags else None

        scalar_tags, histogram_tags = tb.wait_for(loaded)
        shown = tb.get("/data/plugin/histograms/histograms", run="run", tag="mixed")
        sfirst = tb.scalars("run", "sfirst")
    assert sorted(scalar_tags) == sorted(tag for _, tag in read_scalars(tmp_path)) == ["loss", "sfirst"]
    assert sorted(histogram_tags) == [tag for _, tag in read_histograms(tmp_path)] == ["mixed"]
    assert [point[1] for point in shown] == read_histograms(tmp_path)[("run", "mixed")].step.tolist()
    assert [point[1] for point in sfirst] == read_scalars(tmp_path)[("run", "sfirst")].step.tolist()
