"""What a careful user (or an adversary) meets when reading a logdir, judged against TensorBoard's loaders.

Damage that once crashed the reader, odd and hostile histograms, entries that are no event files, a
resumed run (purge_step), symlinked runs, and records protobuf rejects although their CRCs hold.
"""
import os
import tracemalloc
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_hparams, read_histograms, read_scalars, read_tensors
from tbwriter._proto import event_pb2 as tbwriter_pb2
from tbwriter.format.encode import ScalarEncoder, summary_event
from tbwriter.format.record import DamagedRecordWarning, Problem, frame
from tbwriter.format.wire import DataClass, DataType
from tbwriter.reading.reader import summarize
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tests.support.cli import tbwriter

ea = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
tb_event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")


def quietly(read, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedRecordWarning)
        return read(*args)


def accumulator(run_dir):
    """TensorBoard's classic EventAccumulator over ``run_dir``, every point kept."""
    acc = ea.EventAccumulator(str(run_dir), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    return acc


def only_file(directory):
    (name,) = os.listdir(directory)
    return os.path.join(directory, name)


def test_damage_warnings_point_at_the_line_that_called_the_reader(tmp_path):
    """However deep in the read loop damage is found, its warning names the user's call: the line shown, and
    the one a warnings filter by module or line matches (read_scalars and summarize once named a reader line)."""
    from tbwriter.reading.follow import Follower

    with SummaryWriter(tmp_path) as w:
        for i in range(50):
            w.add_scalar("loss", i / 2, i)
            w.add_histogram("weights", np.arange(i + 1), i)
    path = only_file(tmp_path)
    raw = bytearray(open(path, "rb").read())
    raw[len(raw) // 2] ^= 0x10
    open(path, "wb").write(bytes(raw))
    follower = Follower(tmp_path)
    for read in (read_scalars, read_histograms, summarize, read_hparams, lambda p: read_tensors(p, "histograms"),
                 lambda p: follower.poll()):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            read(tmp_path)
        assert caught and {(c.category, c.filename) for c in caught} == {(DamagedRecordWarning, __file__)}, read


def test_damage_found_after_a_later_tag_was_decoded_keeps_what_tensorboard_reads(framing, tmp_path):
    # The short "v" records are decoded (as their own group) before the damage in the longer "loss..." records
    # is found; all of "v" comes after it. This once raised `min() arg is an empty sequence` (issue 14, item 7).
    with SummaryWriter(tmp_path) as w:
        for i in range(100):
            w.add_scalar("loss_long_name", 1 / (i + 1), i)
        for i in range(60, 100):
            w.add_scalar("v", i, i)
    path = only_file(tmp_path)
    raw = bytearray(open(path, "rb").read())
    raw[len(raw) // 3] ^= 0x10
    open(path, "wb").write(bytes(raw))
    with pytest.warns(DamagedRecordWarning, match="data checksum mismatch at byte offset"):
        ours = read_scalars(tmp_path)
    theirs = accumulator(tmp_path)
    assert sorted(tag for _, tag in ours) == sorted(theirs.Tags()["scalars"]) == ["loss_long_name"]
    assert ours[(".", "loss_long_name")].step.tolist() == [e.step for e in theirs.Scalars("loss_long_name")]
    assert ours.damaged[0].problem is Problem.DATA_CHECKSUM
    assert quietly(summarize, tmp_path)[(".", "loss_long_name")].count == len(theirs.Scalars("loss_long_name"))
    for command in (["ls", str(tmp_path)], ["export", str(tmp_path)]):
        done = tbwriter(*command)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        assert "data checksum mismatch" in done.stderr


def v1_histogram_event(step, tag, **fields):
    """An Event with a v1 ``histo`` value built by protobuf itself, its fields as given (consistent or not)."""
    event = tb_event_pb2.Event(wall_time=1.0, step=step)
    value = event.summary.value.add(tag=tag)
    for name, content in fields.items():
        if isinstance(content, list):
            getattr(value.histo, name).extend(content)
        else:
            setattr(value.histo, name, content)
    return event.SerializeToString()


def v2_histogram_value(tag, shape, content=b"", double_val=()):
    tensor = tensor_proto(DataType.DT_DOUBLE, shape, content)
    if double_val:
        proto = tbwriter_pb2.TensorProto.FromString(tensor)
        proto.double_val.extend(double_val)
        tensor = proto.SerializeToString()
    return summary_value(tag, metadata("histograms", data_class=DataClass.TENSOR), tensor=tensor)


def test_odd_and_hostile_histograms_are_reported_and_the_rest_read(framing, tmp_path):
    # issue 14, item 8: these raised IndexError/ValueError, and the last one allocated 6 GiB
    good = np.array([[0.0, 1.0, 2.0], [1.0, 3.0, 5.0]])
    records = [
        summary_event(1.0, 0, v2_histogram_value("good", good.shape, good.astype("<f8").tobytes())),
        v1_histogram_event(1, "ragged", min=0.0, max=3.0, bucket=[1.0, 2.0, 3.0], bucket_limit=[1.0]),
    ]
    records.append(summary_event(1.0, 2, v2_histogram_value("short", (2, 3), b"\0" * 40)))
    huge = summary_event(1.0, 3, v2_histogram_value("huge", (2 ** 28, 3), double_val=[1.0]))
    assert len(huge) < 100
    records.append(huge)
    records.append(summary_event(1.0, 4, v2_histogram_value("good", good.shape, (2 * good).astype("<f8").tobytes())))
    (tmp_path / "events.out.tfevents.1.x").write_bytes(b"".join(frame(r) for r in records))
    tracemalloc.start()
    try:
        with pytest.warns(DamagedRecordWarning) as caught:
            data = read_histograms(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 << 20  # bounded by the bytes read, not by the shape a record claims
    assert list(data) == [(".", "good")] and data[(".", "good")].step.tolist() == [0, 4]
    np.testing.assert_array_equal(data[(".", "good")].buckets[1], 2 * good)
    offsets = np.cumsum([0] + [len(r) + 16 for r in records])
    assert [(e.problem, e.offset) for e in data.damaged] == [(Problem.UNREADABLE_VALUE, int(offsets[i]))
                                                            for i in (1, 2, 3)]
    assert all(str(tmp_path) in str(w.message) for w in caught)
    assert "'ragged'" in data.damaged[0].detail and "'huge'" in data.damaged[2].detail
    pytest.importorskip("matplotlib")
    done = tbwriter("plot", str(tmp_path), "-o", str(tmp_path / "d.png"), "--kind", "dist")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (tmp_path / "d.png").stat().st_size > 0


def test_entries_that_are_no_event_files_are_skipped_with_a_warning(tmp_path):
    # issue 14, item 9: a dangling link made every read raise; a FIFO hung every reader
    with SummaryWriter(tmp_path / "good") as w:
        w.add_scalar("x", 1.0, 0)
    (tmp_path / "dangling").mkdir()
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling" / "events.out.tfevents.1.x")
    (tmp_path / "fifo").mkdir()
    os.mkfifo(tmp_path / "fifo" / "events.out.tfevents.2.x")
    with pytest.warns(DamagedRecordWarning) as caught:
        data = read_scalars(tmp_path)
    assert list(data) == [("good", "x")]
    assert sorted((e.path, e.problem, e.detail) for e in data.damaged) == [
        (str(tmp_path / "dangling" / "events.out.tfevents.1.x"), Problem.NOT_A_FILE, "a dangling symbolic link"),
        (str(tmp_path / "fifo" / "events.out.tfevents.2.x"), Problem.NOT_A_FILE, "a FIFO")]
    assert len(caught) == 2 and all("skipped" in str(w.message) for w in caught)
    for command in (["ls", str(tmp_path)], ["export", str(tmp_path)]):
        done = tbwriter(*command)  # times out (fails) if anything opens the FIFO for reading
        assert done.returncode == 0 and "a FIFO" in done.stderr and "Traceback" not in done.stderr


def test_a_resumed_run_is_purged_as_tensorboard_purges_it(framing, tmp_path):
    # issue 14, item 14: a START at purge_step drops the points read before it at later steps
    with SummaryWriter(tmp_path, filename_suffix=".a") as w:
        for i in range(100):
            w.add_scalar("loss", i, i)
            w.add_histogram("w", np.arange(3) + i, i)
    with SummaryWriter(tmp_path, purge_step=60, filename_suffix=".b") as w:
        for i in range(60, 80):
            w.add_scalar("loss", 1000 + i, i)
    theirs = accumulator(tmp_path)
    ours = read_scalars(tmp_path)[(".", "loss")]
    expected = theirs.Scalars("loss")
    assert len(ours) == len(expected) == 80
    assert ours.step.tolist() == [e.step for e in expected]
    assert ours.value.tolist() == [e.value for e in expected]
    # EventAccumulator purges v1 kinds only; its v2 tensors (our histograms) stay, so here the rule is ours:
    # every kind is purged alike
    assert read_histograms(tmp_path)[(".", "w")].step.tolist() == list(range(60))


def test_runs_behind_symlinked_directories_are_read_and_cycles_are_not_followed(tmp_path):
    # issue 14, item 15
    logs, elsewhere = tmp_path / "logs", tmp_path / "elsewhere"
    for run in (logs / "real", elsewhere / "run2"):
        with SummaryWriter(run) as w:
            w.add_scalar("x", 1.0, 0)
    os.symlink(elsewhere, logs / "linked")
    multiplexer = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_multiplexer")
    tensorboard = multiplexer.EventMultiplexer()
    tensorboard.AddRunsFromDirectory(str(logs))
    assert sorted(run for run, _ in read_scalars(logs)) == sorted(tensorboard.Runs()) == ["linked/run2", "real"]
    os.symlink("..", elsewhere / "run2" / "loop")  # TensorBoard walks this until the path is too long
    assert sorted(run for run, _ in read_scalars(logs)) == ["linked/run2", "real"]


@pytest.mark.parametrize("extra", [b"\x00\x00", b"\x07", b"\x0c", b"\x1a\x01\xff", b"\x2a\x03\x0a\x01\xff"],
                         ids=["field 0", "wire type 7", "stray end-group", "bad utf-8", "bad utf-8 in a tag"])
def test_records_protobuf_rejects_are_reported_with_file_and_offset(framing, tmp_path, extra):
    # issue 14, item 20: the hand decoder accepted CRC-valid records that protobuf and TensorBoard reject
    enc = ScalarEncoder()
    bad = enc.event(1.0, 1, "loss", 0.5) + extra
    with pytest.raises(Exception, match="Error parsing message|DecodeError|decode"):
        tb_event_pb2.Event.FromString(bad)
    records = [enc.event(1.0, 0, "loss", 0.25), bad, enc.event(1.0, 2, "loss", 0.75)]
    path = tmp_path / "events.out.tfevents.1.x"
    path.write_bytes(b"".join(frame(r) for r in records))
    with pytest.warns(DamagedRecordWarning, match=f"{path}: malformed event .* at byte offset {len(records[0]) + 16}"):
        data = read_scalars(tmp_path)
    assert data[(".", "loss")].step.tolist() == [0, 2]
    assert [e.problem for e in data.damaged] == [Problem.MALFORMED_EVENT]
