"""read_scalars / read_histograms against TensorBoard's own Python loader, value by value."""
import re
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_histograms, read_scalars
from tbwriter.format.record import DamagedRecordWarning, Problem, frame
from tests.format.test_record import TF2_FILE

pea = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_accumulator")
tensor_util = pytest.importorskip("tensorboard.util.tensor_util")


def tensorboard_view(run_dir, plugin):
    """{tag: (steps, wall_times, arrays)} as TensorBoard's Python loader serves ``plugin``, all points kept."""
    acc = pea.EventAccumulator(str(run_dir), size_guidance={"tensors": 0, "scalars": 0, "histograms": 0})
    acc.Reload()
    out = {}
    for tag in acc.PluginTagToContent(plugin):
        events = acc.Tensors(tag)
        out[tag] = ([e.step for e in events], [e.wall_time for e in events],
                    [tensor_util.make_ndarray(e.tensor_proto) for e in events])
    return out


def assert_same_scalars(logdir, run_dir, run="."):
    ours = read_scalars(logdir)
    theirs = tensorboard_view(run_dir, "scalars")
    assert sorted(t for r, t in ours if r == run) == sorted(theirs)
    for tag, (steps, walls, values) in theirs.items():
        s = ours[(run, tag)]
        assert s.step.dtype == np.int64 and s.value.dtype == np.float64 and s.wall_time.dtype == np.float64
        assert s.step.tolist() == steps
        assert s.wall_time.tolist() == walls
        assert s.value.tolist() == [float(v) for v in values]
    return ours


def test_tbwriter_scalars_every_point_beyond_10000(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(12_345):
            w.add_scalar("loss", 1.0 / (i + 1), i)
            if i % 3 == 0:
                w.add_scalar("accuracy/train", i / 12_345, i)
        w.log_metrics({"m/a": 0.25, "m/bb": -1.5e30, "m/ccc": float("nan")}, 7)
        w.log_metrics({"m/a": 0.5, "m/bb": 3.0, "m/ccc": float("inf")}, 8)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for i in range(20):
                w.add_scalar("v2/float", i * 0.25, i, new_style=True)
                w.add_scalar("v2/double", i * 0.1, i, new_style=True, double_precision=True)
        w.add_scalar("late", 2.0, 10 ** 12)
        w.add_scalar("late", 3.0, -5)
    ours = read_scalars(tmp_path)
    assert len(ours[(".", "loss")]) == 12_345
    acc = pea.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    for tag in acc.PluginTagToContent("scalars"):
        events = acc.Tensors(tag)
        s = ours[(".", tag)]
        assert s.step.tolist() == [e.step for e in events], tag
        np.testing.assert_array_equal(s.value, [float(tensor_util.make_ndarray(e.tensor_proto)) for e in events])
    assert ours[(".", "v2/double")].value[1] == 0.1  # DT_DOUBLE keeps its precision
    assert ours[(".", "late")].step.tolist() == [10 ** 12, -5]


def test_tensorboardx_and_torch_both_styles(tmp_path):
    tbx = pytest.importorskip("tensorboardX")
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    for name, cls in [("tbx", tbx.SummaryWriter), ("torch", torch_tb.SummaryWriter)]:
        w = cls(str(tmp_path / name))
        for i in range(50):
            w.add_scalar("loss", 0.5 ** i, i)
            if name == "torch":  # tensorboardX writes v1 simple values only
                w.add_scalar("acc", i / 7, i, new_style=True)
                w.add_scalar("dbl", i / 7, i, new_style=True, double_precision=True)
        w.add_scalars("multi", {"a": 1.5, "b": 2.5}, 3)
        w.close()
    ours = read_scalars(tmp_path)
    for name in ("tbx", "torch"):
        theirs = tensorboard_view(tmp_path / name, "scalars")
        assert theirs, name
        for tag, (steps, walls, values) in theirs.items():
            s = ours[(name, tag)]
            assert s.step.tolist() == steps and s.wall_time.tolist() == walls
            assert s.value.tolist() == [float(v) for v in values], (name, tag)
    # add_scalars puts each series in its own sub-run, as TensorBoard names it
    assert ours[("torch/multi_a", "multi")].value.tolist() == [1.5]
    assert ours[("tbx/multi/b", "multi")].value.tolist() == [2.5]
    assert ours[("torch", "dbl")].value[1] == 1 / 7


def test_tensorflow2_vector_and_single_file_path(tmp_path):
    path = tmp_path / "events.out.tfevents.1.tf"
    path.write_bytes(TF2_FILE)
    for where in (tmp_path, path):
        s = read_scalars(where)[(".", "accuracy")]
        assert s.step.tolist() == [77] and s.value.tolist() == [np.float32(0.99).item()]


def test_runs_named_as_tensorboard_and_filters(tmp_path):
    for run in ("lr0.5/seed0", "lr0.5/seed1", "lr1/seed0"):
        with SummaryWriter(tmp_path / run) as w:
            for i in range(5):
                w.log_metrics({"loss": i, "acc": -i}, i)
    data = read_scalars(tmp_path, runs=r"^lr0\.5/", tags="^loss$")
    assert sorted(data) == [("lr0.5/seed0", "loss"), ("lr0.5/seed1", "loss")]
    df = read_scalars(tmp_path).to_pandas()
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "value"] and len(df) == 30
    assert df[(df.run == "lr1/seed0") & (df.tag == "acc")].value.tolist() == [0, -1, -2, -3, -4]


def test_tag_filters_keep_what_an_unfiltered_read_holds(framing, tmp_path):
    # log_metrics writes several values a record, add_scalar one: the skim must tell them apart in every way
    # of reading (numpy's once took every record for one value, and a filter then dropped or misread them)
    rng = np.random.default_rng(0)
    with SummaryWriter(tmp_path / "mixed") as w:
        for i in range(30):
            w.log_metrics({"loss": 1 / (i + 1), "acc": i / 30}, i)
            w.add_scalar("acc/val", i / 60, i)
            w.add_histogram("weights", rng.normal(size=100), i)
    with SummaryWriter(tmp_path / "one") as w:  # a file-version record and one value
        w.add_scalar("acc", 0.5, 3)
    everything = assert_same_scalars(tmp_path, tmp_path / "mixed", "mixed")
    assert everything[("one", "acc")].value.tolist() == [0.5]
    histograms = read_histograms(tmp_path)
    for pattern in ("acc", "^loss$", "weights", "^nothing$"):
        filtered = read_scalars(tmp_path, tags=pattern)
        wanted = sorted(key for key in everything if re.search(pattern, key[1]))
        assert sorted(filtered) == wanted, pattern
        for key in wanted:
            assert filtered[key].step.tolist() == everything[key].step.tolist()
            assert filtered[key].value.tolist() == everything[key].value.tolist()
        assert sorted(read_histograms(tmp_path, tags=pattern)) == [k for k in histograms if re.search(pattern, k[1])]
    assert read_scalars(tmp_path / "one", tags="acc")[(".", "acc")].step.tolist() == [3]


def test_tag_filter_from_a_pattern_a_compiled_one_or_a_list():
    from tbwriter.reading.filters import TagFilter

    tags = ["loss", "val/loss", "acc", "lr"]
    assert [t for t in tags if TagFilter("loss").wants(t)] == ["loss", "val/loss"]  # searched, as re.search
    assert [t for t in tags if TagFilter(re.compile("^l")).wants(t)] == ["loss", "lr"]
    assert [t for t in tags if TagFilter(["^acc$", re.compile("^val/")]).wants(t)] == ["val/loss", "acc"]
    for everything in (None, "", []):  # no pattern keeps every name, and gives the decoders no test to call
        assert TagFilter(everything).test is None and all(TagFilter(everything).wants(t) for t in tags)
    with pytest.raises(re.error):
        TagFilter("loss(")


def test_several_files_per_run_read_in_name_order(tmp_path):
    for k in range(2):
        with SummaryWriter(tmp_path, filename_suffix=f".{k}") as w:
            for i in range(3):
                w.add_scalar("x", 10 * k + i, 10 * k + i)
    assert_same_scalars(tmp_path, tmp_path)


def _damaged_logdir(tmp_path):
    for run in ("torn", "flipped", "good"):
        with SummaryWriter(tmp_path / run) as w:
            for i in range(100):
                w.add_scalar("loss", float(i), i)
    torn = next((tmp_path / "torn").iterdir())
    torn.write_bytes(torn.read_bytes()[:-5])
    flipped = next((tmp_path / "flipped").iterdir())
    raw = bytearray(flipped.read_bytes())
    where = len(raw) - 50 * 44  # inside the data of a record about half-way
    raw[where] ^= 1
    flipped.write_bytes(bytes(raw))
    return torn, flipped


def test_damaged_files_are_reported_and_the_rest_read(tmp_path):
    torn, flipped = _damaged_logdir(tmp_path)
    with pytest.warns(DamagedRecordWarning) as caught:
        data = read_scalars(tmp_path)
    messages = sorted(str(w.message) for w in caught)
    assert len(messages) == 2
    assert str(flipped) in messages[0] and "data checksum mismatch at byte offset" in messages[0]
    assert str(torn) in messages[1] and "torn record" in messages[1]
    assert data[("good", "loss")].value.tolist() == list(range(100))
    assert data[("torn", "loss")].value.tolist() == list(range(99))
    # TensorBoard's Python loader stops at the bad record too
    assert data[("flipped", "loss")].step.tolist() == tensorboard_view(tmp_path / "flipped", "scalars")["loss"][0]
    assert [(e.path, e.problem) for e in data.damaged] == sorted([(str(flipped), Problem.DATA_CHECKSUM),
                                                                  (str(torn), Problem.TORN_RECORD)])


def test_histograms_v1_as_tensorboard_converts_them(tmp_path):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    rng = np.random.default_rng(0)
    w = torch_tb.SummaryWriter(str(tmp_path))
    for i in range(4):
        w.add_histogram("weights", rng.normal(size=1000) * (i + 1), i)
    w.add_scalar("loss", 1.0, 0)
    w.close()
    ours = read_histograms(tmp_path)
    assert list(ours) == [(".", "weights")]
    steps, walls, arrays = tensorboard_view(tmp_path, "histograms")["weights"]
    h = ours[(".", "weights")]
    assert h.step.tolist() == steps and h.wall_time.tolist() == walls
    for mine, theirs in zip(h.buckets, arrays, strict=True):
        assert mine.shape == theirs.shape and mine.dtype == np.float64
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_v2_histogram_tensor(tmp_path):
    from tbwriter.format.encode import summary_event
    from tbwriter.format.wire import DataClass
    from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
    rows = np.array([[0.0, 1.0, 3.0], [1.0, 2.5, 4.0]])
    value = summary_value("h", metadata("histograms", data_class=DataClass.TENSOR),
                          tensor=tensor_proto(2, (2, 3), rows.astype("<f8").tobytes()))
    (tmp_path / "events.out.tfevents.1.x").write_bytes(
        frame(summary_event(1.0, 0, b"")) + frame(summary_event(5.0, 9, value)))
    h = read_histograms(tmp_path)[(".", "h")]
    assert h.step.tolist() == [9] and h.wall_time.tolist() == [5.0]
    np.testing.assert_array_equal(h.buckets[0], rows)
    np.testing.assert_array_equal(tensorboard_view(tmp_path, "histograms")["h"][2][0], rows)


def test_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_scalars(tmp_path / "nope")
    assert read_scalars(tmp_path) == {}


def _mixed_events(seed: int):
    """Events of many shapes built with TensorBoard's own protobuf classes, and the points they hold."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    rng = np.random.default_rng(seed)
    styles = {
        "simple": lambda v: (summary_pb2.Summary.Value(simple_value=v), np.float32(v).item()),
        "f32_content": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 1,
                                                tensor_content=np.float32(v).tobytes()), np.float32(v).item()),
        "f32_val": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 1, float_val=[v]), np.float32(v).item()),
        "f64_val": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 2, double_val=[v]), v),
        "f64_content": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 2, tensor_content=np.float64(v).tobytes(),
                                                dims=[1]), v),
        "i32_val": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 3, int_val=[int(v * 1000)]),
                              float(int(v * 1000))),
        "i64_val": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 9, int64_val=[int(v * 1e12)]),
                              float(int(v * 1e12))),
        "f16_val": lambda v: (_tensor_value(tensor_pb2, tensor_shape_pb2, 19,
                                            half_val=[int(np.float16(v).view(np.uint16))]), float(np.float16(v))),
    }
    tags = {f"{'t' * n}/{style}": style for n, style in zip(rng.integers(1, 30, len(styles)), styles, strict=True)}
    tags.update({f"same_{i}": "simple" for i in range(4)})  # equal name lengths, one shape
    names = list(tags)
    steps = [0, 5, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 40, -1, -(2 ** 40)]
    events, expected, seen = [event_pb2.Event(wall_time=1.5, file_version="brain.Event:2")], {}, set()
    step = 0
    for i in range(3000):
        if rng.random() < 0.05:
            step = int(rng.choice(steps))
        else:
            step += 1
        wall = 0.0 if rng.random() < 0.02 else 1.7e9 + i * 0.37
        chosen = names if rng.random() < 0.3 else [names[i % len(names)]]
        summary = summary_pb2.Summary()
        for tag in chosen:
            value, stored = styles[tags[tag]](float(rng.normal() * 10))
            value.tag = tag
            if tag not in seen or rng.random() < 0.1:
                value.metadata.plugin_data.plugin_name = "scalars"
                seen.add(tag)
            elif tags[tag] == "simple" and rng.random() < 0.5:
                value.metadata.plugin_data.plugin_name = "scalars"
            summary.value.append(value)
            expected.setdefault(tag, []).append((step, wall, stored))
        events.append(event_pb2.Event(wall_time=wall, step=step, summary=summary))
    return b"".join(frame(e.SerializeToString()) for e in events), expected


def _tensor_value(tensor_pb2, tensor_shape_pb2, dtype, dims=(), **fields):
    from tensorboard.compat.proto import summary_pb2
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])
    return summary_pb2.Summary.Value(tensor=tensor_pb2.TensorProto(dtype=dtype, tensor_shape=shape, **fields))


@pytest.mark.parametrize("seed", [0, 1])
def test_every_shape_of_event_decodes_exactly(tmp_path, seed):
    raw, expected = _mixed_events(seed)
    (tmp_path / "events.out.tfevents.1.mixed").write_bytes(raw)
    data = read_scalars(tmp_path)
    assert sorted(t for _, t in data) == sorted(expected)
    for tag, points in expected.items():
        s = data[(".", tag)]
        assert s.step.tolist() == [p[0] for p in points], tag
        assert s.wall_time.tolist() == [p[1] for p in points], tag
        assert s.value.tolist() == [p[2] for p in points], tag
    theirs = tensorboard_view(tmp_path, "scalars")  # and TensorBoard agrees on what the file holds
    for tag, (steps, _, values) in theirs.items():
        assert data[(".", tag)].step.tolist() == steps
        assert data[(".", tag)].value.tolist() == [float(v.item()) for v in values]


@pytest.mark.parametrize("records, tags", [(5, 2), (200, 2), (3000, 4)])
@pytest.mark.parametrize("damage", ["length", "data", "footer", "torn"])
def test_damage_anywhere_in_small_and_large_files(tmp_path, records, tags, damage):
    path = tmp_path / "events.out.tfevents.1.x"
    events = [frame(bytes.fromhex("0900000040fc54d941") + b"\x1a\x0dbrain.Event:2")]
    with SummaryWriter(tmp_path / "w") as w:
        w.add_scalar("warm", 0.0, 0)
    names = [b"loss", b"l", b"acc", b"lr/x"][:tags]
    rng = np.random.default_rng(records)
    chosen = []  # tags of different lengths; points after the damage in every tag are dropped
    for i in range(records):  # two tags in turn (a period), or four at random (no period: a header search)
        tag = names[i % 2] if tags == 2 else names[int(rng.integers(tags))]
        chosen.append(tag.decode())
        value = b"\x0a" + bytes([len(tag)]) + tag + b"\x15" + np.float32(i).tobytes()
        events.append(frame(bytes.fromhex("0900004040fc54d94110") + bytes([i % 128 or 1])
                            + b"\x2a" + bytes([len(value) + 2]) + b"\x0a" + bytes([len(value)]) + value))
    bad = records // 2 + 1  # this record gets the damage
    offset = sum(len(e) for e in events[:bad])
    raw = bytearray(b"".join(events))
    where = {"length": offset + 2, "data": offset + 15, "footer": offset + len(events[bad]) - 1}.get(damage)
    if where is None:
        raw = raw[:offset + 20]
    else:
        raw[where] ^= 0x10
    path.write_bytes(bytes(raw))
    with pytest.warns(DamagedRecordWarning, match=rf"at byte offset {offset}$"):
        data = read_scalars(path)
    for tag in set(chosen):
        assert data[(".", tag)].value.tolist() == [i for i in range(bad - 1) if chosen[i] == tag]


def test_damaged_histogram_in_a_group_of_many(tmp_path):
    """Records whose bytes mostly differ (histograms) have their CRCs checked one by one; damage
    there stops reading too."""
    from tbwriter.reading.records import iter_records
    rng = np.random.default_rng(5)
    with SummaryWriter(tmp_path / "clean") as w:
        for step in range(40):
            w.add_histogram("weights", rng.normal(size=500), step, bins=30)  # records of one length
    clean = next((tmp_path / "clean").glob("events.out.tfevents.*"))
    offsets = [offset for offset, _ in iter_records(clean)]
    raw = bytearray(clean.read_bytes())
    raw[offsets[21] + 100] ^= 0x01  # the data of the histogram at step 20
    damaged = tmp_path / "damaged" / clean.name
    damaged.parent.mkdir()
    damaged.write_bytes(bytes(raw))
    with pytest.warns(DamagedRecordWarning, match=rf"at byte offset {offsets[21]}$"):
        h = read_histograms(damaged.parent)[(".", "weights")]
    steps, _, arrays = tensorboard_view(tmp_path / "clean", "histograms")["weights"]
    assert h.step.tolist() == steps[:20]
    for mine, theirs in zip(h.buckets, arrays[:20], strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6)


def test_one_off_records_before_the_common_shape(tmp_path):
    rng = np.random.default_rng(3)
    with SummaryWriter(tmp_path) as w:
        for i in range(12):  # one-off values whose records have the length of the common ones below
            w.add_scalar(f"hp_{i:02d}", i, 500)
        expected = {"loss1": [], "other/long/tag": []}
        for step in range(500, 3500):
            tags = ["loss1"] + (["other/long/tag"] if rng.random() < 0.3 else [])  # no steady period
            for tag in tags:
                w.add_scalar(tag, step / 7, step)
                expected[tag].append((step, np.float32(step / 7).item()))
    data = read_scalars(tmp_path)
    for i in range(12):
        assert data[(".", f"hp_{i:02d}")].value.tolist() == [i]
    for tag, points in expected.items():
        s = data[(".", tag)]
        assert list(zip(s.step.tolist(), s.value.tolist(), strict=True)) == points


def test_irregular_logs_with_header_lookalikes_inside_records(tmp_path):
    """No period to follow: records are found by their headers, and copies of a header inside a
    record's data (here in text summaries) must not be taken for records."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

    from tbwriter.format.record import header
    rng = np.random.default_rng(7)
    tags = ["a", "bb/loss", "ccc/accuracy_top5", "dddd"]
    records, expected = [frame(event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())], {}
    lengths = set()
    for step in range(4000):
        tag = tags[int(rng.integers(len(tags)))]
        data = event_pb2.Event(wall_time=2.0 + step, step=step, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag=tag, simple_value=step / 3)])).SerializeToString()
        lengths.add(len(data))
        records.append(frame(data))
        expected.setdefault(tag, []).append((step, np.float32(step / 3).item()))
        if step % 500 == 250:  # a text value whose bytes hold real headers, several times over
            fake = b"".join(header(n) + bytes(n + 4) for n in sorted(lengths)) * 3
            text = summary_pb2.Summary.Value(tag="note", tensor=tensor_pb2.TensorProto(dtype=7, string_val=[fake]))
            text.metadata.plugin_data.plugin_name = "text"
            records.append(frame(event_pb2.Event(wall_time=3.0, step=step,
                                                 summary=summary_pb2.Summary(value=[text])).SerializeToString()))
    (tmp_path / "events.out.tfevents.1.irregular").write_bytes(b"".join(records))
    data = read_scalars(tmp_path)
    assert sorted(t for _, t in data) == sorted(expected)
    for tag, points in expected.items():
        s = data[(".", tag)]
        assert list(zip(s.step.tolist(), s.value.tolist(), strict=True)) == points


@pytest.mark.parametrize("copies", [1, 40])  # alone, and in a group large enough to take the bulk path
def test_sound_record_that_is_no_event_is_reported_not_silently_skipped(tmp_path, copies):
    events = [frame(bytes.fromhex("0900000040fc54d941") + b"\x1a\x0dbrain.Event:2")]
    scalar = bytes.fromhex("0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f")  # loss=0.5 at step 1
    garbage = b"\x0a\xff\xff\xff\x0f" + b"x" * (len(scalar) - 5)  # a field claiming far more bytes than follow
    offsets = []
    for _ in range(copies):
        events.append(frame(scalar))
        offsets.append(sum(map(len, events)))
        events.append(frame(garbage))
    path = tmp_path / "events.out.tfevents.1.x"
    path.write_bytes(b"".join(events))
    with pytest.warns(DamagedRecordWarning) as caught:
        data = read_scalars(path)
    assert [str(w.message) for w in caught] == [
        f"{path}: malformed event (checksums hold, protobuf does not parse) at byte offset {o}" for o in offsets]
    assert data[(".", "loss")].value.tolist() == [0.5] * copies
    assert [(e.offset, e.problem) for e in data.damaged] == [(o, Problem.MALFORMED_EVENT) for o in offsets]


@pytest.mark.parametrize("window", [64, 1000, 1 << 14])
@pytest.mark.parametrize("ending", ["whole", "torn", "damaged"])
def test_a_file_read_window_by_window_reads_as_whole(tmp_path, framing, monkeypatch, window, ending):
    """Records cut by a window's end (or longer than a window: images) start the next one; damage and a torn
    last record are found and reported at the same offsets as when the file is read in one window."""
    from tbwriter import read_images, read_text
    from tbwriter.reading import filescan

    rng = np.random.default_rng(7)
    with SummaryWriter(tmp_path) as w:
        for step in range(40):
            w.add_scalar("loss", float(rng.normal()), step)
            w.log_metrics({"a": float(rng.normal()), "bb/c": float(rng.normal())}, step)
            w.add_histogram("weights", rng.normal(size=50 + step), step)
            if step % 7 == 0:
                w.add_image("noise", rng.integers(0, 255, (3, 12, 12), dtype=np.uint8), step)
                w.add_text("note", f"step {step}", step)
    path = next(tmp_path.glob("*tfevents*"))
    raw = bytearray(path.read_bytes())
    if ending == "torn":
        raw = raw[:-7]
    elif ending == "damaged":
        raw[len(raw) * 2 // 3] ^= 0x20
    path.write_bytes(bytes(raw))

    def everything():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = [{k: (s.step.tolist(), s.wall_time.tolist(), repr(getattr(s, field)))
                      for k, s in read(tmp_path).items()}
                     for read, field in ((read_scalars, "value"), (read_histograms, "buckets"),
                                         (read_text, "text"), (read_images, "image"))]
        return found, [str(c.message) for c in caught]

    whole, warned = everything()
    assert len(whole[0][(".", "loss")][0]) > 10 and (ending == "whole") == (not warned)
    monkeypatch.setattr(filescan, "_WINDOW", window)
    assert everything() == (whole, warned)


def test_a_file_that_shrinks_while_read_is_read_up_to_its_new_end(tmp_path, monkeypatch):
    """A file cut short by someone else after it was opened (its size taken): read as it is now, the record
    the cut tore reported, not looked for past the end again and again."""
    import os

    from tbwriter.reading import filescan
    from tbwriter.reading.files import EventFile

    with SummaryWriter(tmp_path) as w:
        for step in range(200):
            w.add_scalar("loss", step * 0.5, step)
    path = next(tmp_path.glob("*tfevents*"))
    cut = path.stat().st_size - 100 - 7

    class CutWhenOpened(EventFile):
        def __init__(self, name: str, start: int = 0, fetched: bytes | OSError | None = None) -> None:
            super().__init__(name, start, fetched)
            os.truncate(name, cut)

    monkeypatch.setattr(filescan, "EventFile", CutWhenOpened)
    monkeypatch.setattr(filescan, "_WINDOW", 1000)
    with pytest.warns(DamagedRecordWarning):
        data = read_scalars(path)
    monkeypatch.undo()
    with pytest.warns(DamagedRecordWarning):
        expected = read_scalars(path)  # the file as it is now, read whole
    assert [str(e) for e in data.damaged] == [str(e) for e in expected.damaged]
    assert expected.damaged[0].problem is Problem.TORN_RECORD
    assert data[(".", "loss")].step.tolist() == expected[(".", "loss")].step.tolist()
