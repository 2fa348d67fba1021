"""Damage logs at random and hold the reader to protobuf's own parser, record by record.

Each example takes a small log (v1 and v2 scalars, several values in one event, v2 histograms, text; enough
records of one shape for the bulk paths), damages it (bit flips, truncation, inserted garbage, inserted
records whose CRCs hold but whose contents are hostile) and reads it. The reader must never raise, must
return only points that were written, and must return exactly what an independent reference returns: the
records framed by the format's rules, parsed by protobuf (``tbwriter._proto``), read up to the first damage
in each file as TensorBoard reads them, records protobuf rejects skipped.
"""
import os
import pickle
import re
import struct
import tempfile
import warnings

import numpy as np
import pytest

from tbwriter._proto import event_pb2
from tbwriter.format.encode import ScalarEncoder, summary_event
from tbwriter.format.record import DamagedRecordWarning
from tbwriter.format.wire import DataClass, DataType
from tbwriter.reading import index, skim
from tbwriter.reading.every_kind import read_all
from tbwriter.reading.reader import read_histograms, read_scalars, read_text, summarize
from tbwriter.writing.summaries import histogram, scalar, text
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tests.support.framings import framed, one_value_layout, reference_records

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies
tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
tb_tensor_pb2 = pytest.importorskip("tensorboard.compat.proto.tensor_pb2")

MIGRATED = {"simple_value": "scalars", "histo": "histograms", "image": "images", "audio": "audio"}


def base_events() -> tuple[list[bytes], list[bytes]]:
    """Two files' events: the first, to be damaged, and a second one of the same run, left intact."""
    enc = ScalarEncoder()
    first = [bytes.fromhex("0900000040fc54d941") + b"\x1a\x0dbrain.Event:2"]
    for step in range(40):
        first.append(enc.event(1000.0 + step, step, "loss", 1.0 / (step + 1)))
        first.append(summary_event(1000.5 + step, step, scalar.tensor_value("acc", step / 40)))
        first.append(enc.events_dict(1001.0 + step, step, {"m/a": step * 0.5, "m/bb": -step}))
        if step % 8 == 0:
            rows = np.array([[0.0, 1.0, step], [1.0, 2.5, 3.0]])
            first.append(summary_event(1002.0 + step, step, histogram.tensor_value("w", rows)))
            first.append(summary_event(1002.0 + step, step, text.text_value("notes", f"step {step}")))
        elif step % 8 == 4:  # later values without metadata, as TensorFlow 1's writer leaves them
            rows = np.array([[0.0, 2.0, step], [2.0, 3.0, 1.0]])
            for value in (summary_value("w", tensor=tensor_proto(DataType.DT_DOUBLE, (2, 3), rows.tobytes())),
                          summary_value("notes", tensor=tensor_proto(DataType.DT_STRING, (), string_val=[b"bare"])),
                          summary_value("acc", tensor=tensor_proto(DataType.DT_FLOAT, (), np.float32(step).tobytes()))):
                first.append(summary_event(1003.0 + step, step, value))
    second = [bytes.fromhex("0900000040fc54d941") + b"\x1a\x0dbrain.Event:2"]
    second += [enc.event(2000.0 + step, step, "loss", -step) for step in range(40, 45)]
    return first, second


FIRST, SECOND = base_events()
FIRST_BYTES = b"".join(map(framed, FIRST))


def hostile_events() -> list[bytes]:
    """Records a writer could have framed correctly around contents meant to hurt a reader."""
    enc = ScalarEncoder()
    hist = metadata("histograms", data_class=DataClass.TENSOR)
    huge = event_pb2.TensorProto.FromString(tensor_proto(DataType.DT_DOUBLE, (2 ** 28, 3)))
    huge.double_val.append(1.0)
    ragged = event_pb2.Event(step=3)
    value = ragged.summary.value.add(tag="w")
    value.histo.bucket.extend([1.0, 2.0, 3.0])
    value.histo.bucket_limit.append(1.0)
    return [
        summary_event(1.0, 5, summary_value("w", hist, tensor=huge.SerializeToString())),
        ragged.SerializeToString(),
        summary_event(1.0, 6, summary_value("w", hist, tensor=tensor_proto(DataType.DT_DOUBLE, (2, 3), b"\0" * 40))),
        enc.event(1.0, 7, "loss", 0.5) + b"\x00\x00",  # field number 0
        enc.event(1.0, 7, "loss", 0.5) + b"\x1a\x02\xc3\x28",  # invalid UTF-8 in a string
        enc.event(1.0, 8, "loss", 0.5) + b"\x7b\x08\x01\x7c",  # an old-style group, unknown: protobuf skips it
        summary_event(1.0, 9, summary_value("acc", tensor=tensor_proto(DataType.DT_BFLOAT16, (), b"\x80\x3f"))),
        summary_event(1.0, 9, summary_value("", metadata("scalars"), tensor=tensor_proto(DataType.DT_FLOAT, ()))),
        b"\x10" + b"\xff" * 9 + b"\x01",  # step -1, ten bytes
        b"",
    ]


HOSTILE = hostile_events()


def reference(files: list[bytes]):
    """``{tag: [(step, wall, scalar or None)]}`` and each tag's plugin, as protobuf reads the records: the plugin
    of a tag's first value, its points those that name no other."""
    points: dict[str, list] = {}
    plugins: dict[str, str | None] = {}
    for data in files:
        offsets, lengths, _ = reference_records(data)  # up to the first damage, as TensorBoard reads a file
        for pos, length in zip(offsets, lengths, strict=True):
            try:
                event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + length])
            except Exception:
                continue
            for v in event.summary.value:
                tag = v.tag or v.node_name
                if not tag:
                    continue
                kind = v.WhichOneof("value")
                own = MIGRATED.get(kind) or (v.metadata.plugin_data.plugin_name if v.HasField("metadata") else None)
                plugins.setdefault(tag, own)
                if own and own != plugins[tag]:  # of another kind than the tag's first value: not shown
                    continue
                points.setdefault(tag, []).append((event.step, event.wall_time, scalar_of(v, kind)))
    return points, plugins


def scalar_of(v, kind):
    """The one number of a value as TensorBoard's tensor_util reads it (bfloat16, which it cannot read,
    from its 16 bits), or None."""
    if kind == "simple_value":
        return float(v.simple_value)
    if kind != "tensor" or v.tensor.dtype == DataType.DT_STRING or any(d.size != 1 for d in v.tensor.tensor_shape.dim):
        return None
    if v.tensor.dtype == DataType.DT_BFLOAT16:
        bits = v.tensor.tensor_content if v.tensor.tensor_content else (
            struct.pack("<H", v.tensor.half_val[0] & 0xFFFF) if len(v.tensor.half_val) == 1 else b"")
        return struct.unpack("<f", b"\0\0" + bits)[0] if len(bits) == 2 else None
    try:
        array = tensor_util.make_ndarray(tb_tensor_pb2.TensorProto.FromString(v.tensor.SerializeToString()))
    except Exception:
        return None
    return float(array.reshape(-1)[0]) if array.size == 1 and array.dtype.kind in "biuf" else None


damage = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, len(FIRST_BYTES) * 8 - 1)),
    st.tuples(st.just("truncate"), st.integers(0, len(FIRST_BYTES))),
    st.tuples(st.just("insert"), st.integers(0, len(FIRST_BYTES)), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("record"), st.integers(0, len(FIRST)), st.sampled_from(range(len(HOSTILE)))),
)


def damaged(ops) -> bytes:
    """The first file with ``ops`` applied in order (record insertions first, at record boundaries)."""
    events = list(FIRST)
    for op in ops:
        if op[0] == "record":
            events.insert(op[1], HOSTILE[op[2]])
    data = bytearray(b"".join(map(framed, events)))
    for op in ops:
        if op[0] == "flip" and op[1] < 8 * len(data):
            data[op[1] // 8] ^= 1 << (op[1] % 8)
        elif op[0] == "truncate":
            del data[op[1]:]
        elif op[0] == "insert":
            data[op[1]:op[1]] = op[2]
    return bytes(data)


SOME_TAGS = "^(loss|acc|m/a|w)$"  # of each kind of record: plain scalars, one tensor, several values, histograms
WRITTEN = {(step, wall, value) for tag, pts in reference([b"".join(map(framed, FIRST + HOSTILE)),
                                                          b"".join(map(framed, SECOND))])[0].items()
           for step, wall, value in pts}


@hypothesis.settings(max_examples=300, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(st.lists(damage, min_size=1, max_size=4))
def test_reader_agrees_with_protobuf_on_damaged_logs(framing, ops):
    first = damaged(ops)
    second = b"".join(map(framed, SECOND))
    with tempfile.TemporaryDirectory() as logdir:
        for name, data in (("events.out.tfevents.1.a", first), ("events.out.tfevents.2.b", second)):
            with open(os.path.join(logdir, name), "wb") as f:
                f.write(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DamagedRecordWarning)
            scalars = read_scalars(logdir)
            histograms = read_histograms(logdir)
            summary = summarize(logdir)
            # with a tag filter the skim reads the tag of every record, whatever its length or damage
            some_scalars = read_scalars(logdir, tags=SOME_TAGS)
            some_histograms = read_histograms(logdir, tags=SOME_TAGS)
            texts = read_text(logdir)
            everything, some = read_all(logdir), read_all(logdir, tags=SOME_TAGS)  # each kind as its reader reads it
    points, plugins = reference([first, second])
    # every point of every tag, as protobuf reads the records
    assert {tag for _, tag in summary} == set(points)
    for tag, pts in points.items():
        assert summary[(".", tag)].count == len(pts), tag
        assert (summary[(".", tag)].first_step, summary[(".", tag)].last_step) == (min(p[0] for p in pts),
                                                                                     max(p[0] for p in pts))
    # scalars: the tags TensorBoard shows as scalars, with the values tensor_util gives
    for (_, tag), s in scalars.items():
        assert plugins[tag] == "scalars"
        expected = [p for p in points[tag] if p[2] is not None]
        assert list(zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist(), strict=True)) == expected, tag
        assert all(p in WRITTEN for p in expected)  # nothing that was not written
    for tag, plugin in plugins.items():
        if plugin == "scalars" and any(p[2] is not None for p in points[tag]):
            assert (".", tag) in scalars, tag
    for (_, tag), h in histograms.items():
        assert plugins[tag] == "histograms" and len(h) <= len(points[tag])
        assert all(b.ndim == 2 and b.shape[1] == 3 for b in h.buckets)
        assert set(h.step.tolist()) <= {p[0] for p in points[tag]}
    for ours, theirs in ((everything.scalars, scalars), (everything.histograms, histograms),
                         (everything.texts, texts), (some.scalars, some_scalars), (some.histograms, some_histograms)):
        assert pickle.dumps(dict(ours)) == pickle.dumps(dict(theirs))
    # a tag filter leaves out the other tags, and nothing else
    for read, filtered in ((scalars, some_scalars), (histograms, some_histograms)):
        assert sorted(filtered) == sorted(key for key in read if re.search(SOME_TAGS, key[1]))
        for key, series in filtered.items():
            assert pickle.dumps(series) == pickle.dumps(read[key]), key  # every column, NaNs included


# an event of the log, then bit flips and a cut inside it: the framing stays sound, the contents do not
hurt_event = st.tuples(st.sampled_from(range(len(FIRST) + len(HOSTILE))),
                       st.lists(st.integers(0, 8 * 200 - 1), max_size=2), st.none() | st.integers(0, 200))


@hypothesis.settings(max_examples=300, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(st.lists(hurt_event, min_size=1, max_size=30))
def test_the_skim_reads_the_layouts_the_format_states(framing, hurts):
    events = []
    for which, flips, cut in hurts:
        event = bytearray((FIRST + HOSTILE)[which])
        for bit in flips:
            if bit // 8 < len(event):
                event[bit // 8] ^= 1 << (bit % 8)
        events.append(bytes(event[:cut]))
    buf = b"".join(map(framed, events))
    padded = np.zeros(len(buf) + 16, np.uint8)
    padded[:len(buf)] = np.frombuffer(buf, np.uint8)
    offsets = np.cumsum([0] + [len(framed(e)) for e in events[:-1]])
    lengths = np.array([len(e) for e in events], np.int64)
    found = skim.layouts(padded, offsets, lengths)
    expected = np.array([one_value_layout(e) for e in events], np.int64)
    expected[:, 1:3] += (offsets + 12)[:, None]  # positions in the file's bytes
    one_value = expected[:, 0] >= 0  # the rest of a row is only defined for one value
    assert found[:, 0].tolist() == expected[:, 0].tolist()
    assert found[one_value].tolist() == expected[one_value].tolist()


@pytest.mark.parametrize("length, read", [(5, 5), (2**63 - 1, 2**63 - 1), (2**63, -1), (2**64 - 1, -1)])
def test_the_varint_after_a_kind_is_a_length_only_below_2_to_the_63(framing, length, read):
    # docs/formats.md section 1.2: C read 2**63 - 1 as none, numpy 2**63 as a negative length (its int64 wrapped)
    def varint(n: int) -> bytes:
        out = bytearray()
        while n >= 0x80:
            out.append(n & 0x7F | 0x80)
            n >>= 7
        return bytes(out + bytes([n]))

    value = b"\x0a\x01t\x42" + varint(length)  # a tensor whose length runs far past the record
    summary = b"\x0a" + varint(len(value)) + value
    event = b"\x10\x01\x2a" + varint(len(summary)) + summary
    buf = framed(event)
    padded = np.zeros(len(buf) + 16, np.uint8)
    padded[:len(buf)] = np.frombuffer(buf, np.uint8)
    found = skim.layouts(padded, np.zeros(1, np.int64), np.array([len(event)], np.int64))
    assert one_value_layout(event)[3] == read
    assert found.tolist() == [[0x42, 12 + 8, 12 + 9, read]]


@pytest.mark.parametrize("tags", [None, "^other$"])
def test_a_last_record_with_a_tag_near_its_end_is_skimmed_within_the_file_bytes(tmp_path, tags):
    # The skim hashes each skipped tag a whole word at a time, up to 7 bytes past its end. An image value that is
    # empty leaves 6 bytes after a 57-byte tag (its key and length, the record's CRC): as the last record of the
    # file, the word would reach into the padding, which a sanitizer run fences off (tools/c_loops.sh sanitized).
    value = event_pb2.Summary.Value(tag="i" * 57, image=event_pb2.Summary.Image())
    last = event_pb2.Event(step=1, wall_time=1.0, summary=event_pb2.Summary(value=[value])).SerializeToString()
    assert last.endswith(b"i" * 57 + b"\x22\x00")
    (tmp_path / "events.out.tfevents.1.host").write_bytes(FIRST_BYTES + framed(last))
    assert read_scalars(tmp_path, tags=tags).damaged == []
    assert summarize(tmp_path)[(".", "i" * 57)].kind == "image"


@pytest.mark.skipif(index.KERNEL is None, reason="the C scan was not built (no compiler at install)")
def test_the_first_of_each_tag_is_found_alike_with_numpy_and_with_c():
    # tags of every length up to a few words, many repeated, and one of thousands of bytes (which the numpy
    # fallback hashes in its own rounds, the others no longer taking part)
    rng = np.random.default_rng(7)
    tags = [bytes(rng.choice(list(b"ab/"), rng.integers(0, 30))) for _ in range(3000)] + [b"a" * 5000, b"a" * 4999]
    tags += tags[::7]
    data, starts = bytearray(), []
    for tag in tags:
        starts.append(len(data))
        data += tag + b"\x15\0\0\0\0CRC!"  # a tag, then a simple value and a record's CRC, as in a file
    padded = np.zeros(len(data) + 16, np.uint8)
    padded[:len(data)] = np.frombuffer(bytes(data), np.uint8)
    starts_array, sizes = np.array(starts, np.int64), np.array([len(t) for t in tags], np.int64)
    seen: set[bytes] = set()
    expected = [i for i, tag in enumerate(tags) if not (tag in seen or seen.add(tag))]
    assert skim._firsts_with_numpy(padded, starts_array, sizes).tolist() == expected
    ends = starts_array + sizes + 9
    assert skim._first_of_each_tag(padded, starts_array, sizes, ends).tolist() == expected
