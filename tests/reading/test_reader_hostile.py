"""Records whose CRCs hold and that protobuf parses, but whose values are nonsense for their plugin (issue 21).

Each hostile record sits in an otherwise valid event file between good values of the same tags. Every
reader must report it as a DamagedRecordWarning naming the file and the record's byte offset, and read
the rest; the CLI must not show a traceback. Where protobuf gives the record a meaning (a step varint past
2**64, an int32 width of ten bytes), we read what TensorBoard's own loader reads.
"""
import os
import struct
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_histograms, read_images, read_scalars, read_tensors, read_text
from tbwriter._proto import event_pb2
from tbwriter.format.encode import length_delimited, summary_event
from tbwriter.format.record import DamagedRecordWarning, Problem, frame
from tbwriter.format.wire import DataClass, DataType
from tbwriter.reading.follow import Follower
from tbwriter.reading.reader import summarize
from tbwriter.reading.sessions import read_hparams
from tbwriter.writing.summaries.metadata import image_proto, metadata, summary_value, tensor_proto
from tests.support.cli import tbwriter

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 8


def plugin_value(tag, plugin, tensor, content=b""):
    return summary_value(tag, metadata(plugin, content, data_class=DataClass.TENSOR), tensor=tensor)


def strings(shape, items=()):
    return tensor_proto(DataType.DT_STRING, shape, string_val=list(items))


# "plugin: what is wrong" -> (the hostile Event's bytes, the reader of that plugin, which must report it)
HOSTILE = {
    "images: width of 20 digits": (
        summary_event(1.0, 1, plugin_value("img", "images", strings((3,), [b"9" * 20, b"4", PNG]))),
        lambda path: read_images(path)),
    "images: width that is no number": (
        summary_event(1.0, 1, plugin_value("img", "images", strings((3,), [b"wide", b"4", PNG]))),
        lambda path: read_images(path)),
    "text: floats": (
        summary_event(1.0, 1, plugin_value("txt", "text", tensor_proto(DataType.DT_FLOAT, (2,), b"\0" * 8))),
        lambda path: read_text(path)),
    "text: shape [0, 2**40, 2**40]": (
        summary_event(1.0, 1, plugin_value("txt", "text", strings((0, 2 ** 40, 2 ** 40)))),
        lambda path: read_text(path)),
    "audio: shape [1, 0]": (
        summary_event(1.0, 1, plugin_value("snd", "audio", strings((1, 0)))),
        lambda path: read_tensors(path, "audio")),
    "hparams: content that is no HParamsPluginData": (
        summary_event(1.0, 0, plugin_value("_hparams_/session_start_info", "hparams",
                                           tensor_proto(DataType.DT_FLOAT, (0,)), b"\xff\xff\xff")),
        lambda path: read_hparams(path)),
}


def write_logdir(root, hostile: bytes):
    """A logdir under ``root`` whose run "run" is one event file: good values of every kind, ``hostile``, more
    good values. Returns the logdir, the file's path and the hostile record's byte offset."""
    parts = []
    for n, step in enumerate((0, 2)):
        with SummaryWriter(root / "parts" / f"{n}") as w:
            w.add_scalar("loss", step / 4, step)
            w.add_text("txt", f"note {step}", step)
            w.add_image("img", np.full((3, 4, 2), step, np.uint8), step)
            w.add_audio("snd", np.zeros(64), step)
            if n == 1:  # a later session start than the hostile one's: the first readable counts
                w.add_hparams({"lr": 0.5}, {"hp/metric": 1.0}, run_name=".")
        files = sorted(os.listdir(root / "parts" / f"{n}"))  # add_hparams writes a file of its own
        parts.append(b"".join((root / "parts" / f"{n}" / name).read_bytes() for name in files))
    path = root / "logs" / "run" / "events.out.tfevents.1.host"
    path.parent.mkdir(parents=True)
    path.write_bytes(parts[0] + frame(hostile) + parts[1])
    return root / "logs", path, len(parts[0])


@pytest.mark.parametrize("case", HOSTILE)
def test_values_their_plugin_cannot_read_are_reported_and_the_rest_read(framing, tmp_path, case):
    hostile, read = HOSTILE[case]
    event_pb2.Event.FromString(hostile)  # protobuf parses it: only its meaning is wrong
    logs, path, offset = write_logdir(tmp_path, hostile)
    with pytest.warns(DamagedRecordWarning) as caught:
        data = read(logs)
    assert [(e.path, e.offset, e.problem) for e in data.damaged] == [(str(path), offset, Problem.UNREADABLE_VALUE)]
    assert [str(w.message) for w in caught] == [str(data.damaged[0])]
    assert f"{path}: " in str(caught[0].message) and f"at byte offset {offset}" in str(caught[0].message)
    others = {"images": lambda: read_images(logs)[("run", "img")].step.tolist() == [0, 2],
              "text": lambda: read_text(logs)[("run", "txt")].text == ["note 0", "note 2"],
              "audio": lambda: len(read_tensors(logs, "audio")[("run", "snd")]) == 2,
              "hparams": lambda: len(read_hparams(logs)) == 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)  # the readers of other plugins see nothing wrong
        assert all(check() for plugin, check in others.items() if plugin not in case)
        assert read_scalars(logs)[("run", "loss")].step.tolist() == [0, 2]
        assert read_histograms(logs) == {}
        assert summarize(logs)[("run", "loss")].count == 2
        assert Follower(logs).poll()[("run", "loss")].step.tolist() == [0, 2]
    # the reader that reports it still reads the good values around it
    if "images" in case:
        images = data[("run", "img")]
        assert images.step.tolist() == [0, 2] and images.width.tolist() == [2, 2]
    elif "text" in case:
        assert data[("run", "txt")].text == ["note 0", "note 2"]
    elif "audio" in case:
        assert [v.shape for v in data[("run", "snd")].value] == [(1,), (1,)]
    else:
        assert [s.hparams for s in data.sessions] == [{"lr": 0.5}]


@pytest.mark.parametrize("case", HOSTILE)
def test_the_cli_reports_hostile_values_in_one_line_each(tmp_path, case):
    logs, path, offset = write_logdir(tmp_path, HOSTILE[case][0])
    for command in ("ls", "hparams", "export"):
        done = tbwriter(command, str(logs))
        assert done.returncode == 0, (command, done.stderr)
        if command == "hparams":  # the table's note of its sort column closes its stderr
            note = "tbwriter hparams: sorted by loss, ascending, best first\n"
            assert done.stderr.endswith(note), done.stderr
            done.stderr = done.stderr[:-len(note)]
        if command == "hparams" and "hparams" in case:
            assert done.stderr == (f"warning: damaged event file, read up to the damage: {path}: value that cannot be "
                                   f"read as its kind, skipped (hparams '_hparams_/session_start_info': plugin content "
                                   f"is no HParamsPluginData) at byte offset {offset}\n")
        else:
            assert done.stderr == "", (command, done.stderr)


def step_past_2_64(tag: str, value: float) -> bytes:
    """An Event whose step varint is ten bytes of 0x7F·2**63 + ... (bits past the 64th set), holding a scalar
    tensor with metadata (so no fast path for plain scalars takes it)."""
    tensor = tensor_proto(DataType.DT_FLOAT, (), struct.pack("<f", value))
    body = summary_value(tag, metadata("scalars", data_class=DataClass.SCALAR), tensor=tensor)
    return b"\x09" + struct.pack("<d", 1.0) + b"\x10" + b"\xff" * 9 + b"\x7f" + length_delimited(b"\x2a", body)


def v1_image_of_width(width: int) -> bytes:
    return summary_event(1.0, 1, summary_value("img", image=image_proto(4, width, 3, PNG)))


def test_varints_past_their_field_are_read_as_protobuf_reads_them(framing, tmp_path):
    # a step varint past 2**64 once raised OverflowError in every reader and CLI command; protobuf keeps the
    # low 64 bits (the step is then int64 -1), and so does the C scan for plain scalars. A v1 image's width
    # is an int32: ten bytes of varint make it -1, not a 20-digit number.
    records = [step_past_2_64("loss", 0.25), v1_image_of_width(2 ** 64 - 1), step_past_2_64("loss", 0.5)]
    records += [step_past_2_64("other", 1.0)] * 30  # enough of one shape to be decoded column-wise
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(b"".join(frame(r) for r in records))
    tensorboard = pytest.importorskip("tests.support.eventcheck")
    events = tensorboard.raw_events(tmp_path)
    assert [e.step for e in events[:3]] == [-1, 1, -1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)
        scalars = read_scalars(tmp_path)
        assert scalars[(".", "loss")].step.tolist() == [-1, -1]
        assert scalars[(".", "other")].step.tolist() == [-1] * 30
        assert Follower(tmp_path).poll()[(".", "loss")].value.tolist() == [0.25, 0.5]
        assert summarize(tmp_path)[(".", "loss")].first_step == -1
        images = read_images(tmp_path)[(".", "img")]
    (theirs,) = tensorboard.accumulator(tmp_path).Images("img")
    assert images.width.tolist() == [theirs.width] == [-1] and images.height.tolist() == [theirs.height] == [4]
    for command in ("ls", "export"):
        done = tbwriter(command, str(tmp_path))
        assert done.returncode == 0 and done.stderr == "", (command, done.stderr)


def test_hostile_values_of_one_shape_are_each_reported_where_they_are(framing, tmp_path):
    # enough records of one length to be decoded together (tbwriter.reading.shapes), not one by one
    good = [summary_event(1.0, 0, plugin_value("txt", "text", strings((1,), [b"first"])))]
    floats = [summary_event(1.0, step, plugin_value("txt", "text", tensor_proto(DataType.DT_FLOAT, (1,), b"\0" * 4)))
              for step in range(1, 41)]
    records = good + floats + [summary_event(1.0, 41, plugin_value("txt", "text", strings((1,), [b"last"])))]
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(b"".join(frame(r) for r in records))
    with pytest.warns(DamagedRecordWarning):
        data = read_text(tmp_path)
    offsets = np.cumsum([0] + [len(r) + 16 for r in records]).tolist()
    assert [(e.path, e.offset) for e in data.damaged] == [(str(path), offsets[i]) for i in range(1, 41)]
    assert data[(".", "txt")].text == ["first", "last"] and data[(".", "txt")].step.tolist() == [0, 41]
