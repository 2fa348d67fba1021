"""SummaryWriter's scalar API, judged by TensorBoard's own loaders."""
import math
import os
import re
import socket
import threading

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tbwriter.errors import ArgumentError, ArgumentTypeError
from tests.support.eventcheck import accumulated_scalars, event_files, raw_events, scalar_values

f32 = lambda v: float(np.float32(v))  # noqa: E731


def test_values_and_steps_exact_as_float32(tmp_path):
    rng = np.random.default_rng(0)
    values = list(rng.normal(size=200) * 10.0 ** rng.integers(-30, 30, size=200))
    steps = [0, 1, 127, 128, 16384, 2**21, 2**40, 2**63 - 1, -1, -(2**63)]
    with SummaryWriter(tmp_path) as w:
        for i, v in enumerate(values):
            w.add_scalar("noise", v, i)
        for s in steps:
            w.add_scalar("steps", 1.0, s)
    got = accumulated_scalars(tmp_path)
    assert got["noise"] == [(i, f32(v)) for i, v in enumerate(values)]
    assert [s for s, _ in got["steps"]] == steps


def test_first_record_is_file_version_and_name_is_unique_pattern(tmp_path):
    with SummaryWriter(tmp_path, filename_suffix=".v2") as w:
        w.add_scalar("a", 1.0, 1)
    (path,) = event_files(tmp_path)
    assert re.fullmatch(rf"events\.out\.tfevents\.\d{{10}}\.\d{{9}}\.{re.escape(socket.gethostname())}\.{os.getpid()}"
                        r"\.\d{6}\.v2",
                        os.path.basename(path))
    first = raw_events(tmp_path)[0]
    assert first.file_version == "brain.Event:2" and first.wall_time > 1.6e9


def test_non_finite_values_written_as_they_are(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i, v in enumerate([math.nan, math.inf, -math.inf, 1e39, -1e39]):
            w.add_scalar("x", v, i)
    got = [v for _, _, v in scalar_values(tmp_path)]
    assert math.isnan(got[0]) and got[1:] == [math.inf, -math.inf, math.inf, -math.inf]


def test_tags_written_exactly_as_given(tmp_path):
    tags = ["loss", "train/ü λ 损失", "a b/c.d", "emoji/🚀", "x" * 300]
    with SummaryWriter(tmp_path) as w:
        for t in tags:
            w.add_scalar(t, 1.0, 1)
    assert set(accumulated_scalars(tmp_path)) == set(tags)


def test_accepts_python_numpy_and_torch_numbers(tmp_path):
    torch = pytest.importorskip("torch")
    inputs = [1, True, 2.5, np.float16(0.5), np.float32(1.25), np.float64(2.0), np.int64(7), np.uint8(3),
              np.array(4.5), np.array([5.5]), np.bool_(False), torch.tensor(6.5),
              torch.tensor([7.5], requires_grad=True),
              torch.tensor(3, dtype=torch.int32), torch.tensor(1.5, dtype=torch.bfloat16)]
    with SummaryWriter(tmp_path) as w:
        for i, v in enumerate(inputs):
            w.add_scalar("v", v, np.int64(i) if i % 2 else i)
        w.add_scalar("v", 8.0, torch.tensor(len(inputs)))
    got = accumulated_scalars(tmp_path)["v"]
    expected = [1, 1, 2.5, 0.5, 1.25, 2, 7, 3, 4.5, 5.5, 0, 6.5, 7.5, 3, 1.5, 8]
    assert got == [(i, float(v)) for i, v in enumerate(expected)]


@pytest.mark.parametrize("call, error, message", [
    (lambda w: w.add_scalar("bad", "0.5", 1), TypeError,
     r"add_scalar\(tag='bad'\): scalar_value must be a real number.*str"),
    (lambda w: w.add_scalar("bad", None, 1), TypeError, "NoneType"),
    (lambda w: w.add_scalar("bad", 1 + 2j, 1), TypeError, "complex"),
    (lambda w: w.add_scalar("bad", [1.0], 1), TypeError, "list"),
    (lambda w: w.add_scalar("bad", np.array([1.0, 2.0]), 1), ValueError, r"exactly one value.*\(2,\)"),
    (lambda w: w.add_scalar("bad", 1.0, 1.5), TypeError, "global_step must be an integer.*float"),
    (lambda w: w.add_scalar("bad", 1.0, "3"), TypeError, "global_step must be an integer.*str"),
    (lambda w: w.add_scalar("bad", 1.0, 2**63), ValueError, "outside the int64 range"),
    (lambda w: w.add_scalar("bad", 1.0, 1, walltime=math.nan), ValueError, "walltime must be finite"),
    (lambda w: w.add_scalar("bad", 10**400, 1), ValueError, "too large"),
    (lambda w: w.add_scalar(None, 1.0, 1), TypeError, "tag must be a str.*NoneType"),
    (lambda w: w.add_scalar("", 1.0, 1), ValueError, "tag must not be empty"),
    (lambda w: w.log_metrics({"ok": 1.0, "bad": "x"}, 1), TypeError, r"log_metrics\(tag='bad'\)"),
    (lambda w: w.log_metrics([("a", 1.0)], 1), TypeError, "mapping"),
    (lambda w: w.log_metrics({3: 1.0}, 1), TypeError, "tag must be a str"),
    (lambda w: w.add_scalars("m", {"a": 1.0, "b": object()}, 1), TypeError, r"add_scalars\(tag='m/b'\)"),
])
def test_refused_calls_write_nothing_and_writer_stays_usable(tmp_path, call, error, message):
    w = SummaryWriter(tmp_path)
    w.add_scalar("good", 1.0, 0)
    with pytest.raises(error, match=message):
        call(w)
    w.add_scalar("good", 2.0, 1)
    w.close()
    assert accumulated_scalars(tmp_path) == {"good": [(0, 1.0), (1, 2.0)]}
    assert not os.listdir(tmp_path) or all(not d.startswith("m_") for d in os.listdir(tmp_path))


def test_log_metrics_writes_one_event_with_every_tag(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.log_metrics({"loss": 0.25, "acc": np.float32(0.75), "lr": 1}, step=3, walltime=1.7e9)
        w.log_metrics({}, step=4)
    events = [e for e in raw_events(tmp_path) if e.HasField("summary")]
    assert len(events) == 1 and events[0].step == 3 and events[0].wall_time == 1.7e9
    assert [(v.tag, v.simple_value) for v in events[0].summary.value] == [("loss", 0.25), ("acc", 0.75), ("lr", 1.0)]


def test_add_scalars_uses_torchs_layout(tmp_path):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    for name, cls in [("ours", SummaryWriter), ("torch", torch_tb.SummaryWriter)]:
        with cls(tmp_path / name) as w:
            w.add_scalars("loss/split", {"train": 0.5, "val": 0.75}, 2)
    subdirs = {name: sorted(d.name for d in (tmp_path / name).iterdir() if d.is_dir()) for name in ("ours", "torch")}
    assert subdirs["ours"] == subdirs["torch"] == ["loss_split_train", "loss_split_val"]
    for sub in ("loss_split_train", "loss_split_val"):
        assert accumulated_scalars(tmp_path / "ours" / sub) == accumulated_scalars(tmp_path / "torch" / sub)


def test_new_style_scalar_is_a_rank0_float_tensor(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("ns", 0.1, 5, new_style=True)
        with pytest.warns(UserWarning, match="load_fast=true"):
            w.add_scalar("nsd", 0.1, 5, new_style=True, double_precision=True)
    (ev,) = [e for e in raw_events(tmp_path) if e.HasField("summary") and e.summary.value[0].tag == "ns"]
    value = ev.summary.value[0]
    assert value.metadata.plugin_data.plugin_name == "scalars"
    assert value.tensor.dtype == 1 and len(value.tensor.tensor_shape.dim) == 0
    assert np.frombuffer(value.tensor.tensor_content, "<f4")[0] == np.float32(0.1)


def test_two_writers_in_one_directory_keep_every_value(tmp_path):
    a, b = SummaryWriter(tmp_path), SummaryWriter(tmp_path)
    for i in range(100):
        a.add_scalar("a", float(i), i)
        b.add_scalar("b", float(-i), i)
    a.close()
    b.close()
    assert len(event_files(tmp_path)) == 2
    got = accumulated_scalars(tmp_path)
    assert got["a"] == [(i, float(i)) for i in range(100)] and got["b"] == [(i, float(-i)) for i in range(100)]


def test_six_threads_share_one_writer(tmp_path):
    w = SummaryWriter(tmp_path)
    n = 5000  # > QUEUE_RECORDS, so threads also trigger writes while others append

    def work(k):
        for i in range(n):
            if i % 2:
                w.add_scalar(f"thread{k}", float(i), i)
            else:
                w.log_metrics({f"thread{k}": float(i)}, step=i)
            if i % 1000 == 0:
                w.flush()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    w.close()
    got = accumulated_scalars(tmp_path)
    for k in range(6):
        assert sorted(got[f"thread{k}"]) == [(i, float(i)) for i in range(n)]


def test_flush_writes_everything_and_close_is_idempotent(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    for i in range(10):
        w.add_scalar("x", float(i), i)
    w.flush()
    assert len(scalar_values(tmp_path)) == 10  # on disk before close
    w.close()
    w.close()
    w.add_scalar("x", 10.0, 10)  # logging after close opens a new file, as torch does
    w.close()
    assert len(event_files(tmp_path)) == 2
    assert [s for _, s, _ in scalar_values(tmp_path)] == list(range(11))


def test_background_thread_flushes_every_flush_secs(tmp_path):
    import time
    w = SummaryWriter(tmp_path, flush_secs=0.2)
    w.add_scalar("x", 1.0, 1)
    deadline = time.monotonic() + 10
    while not scalar_values(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert scalar_values(tmp_path) == [("x", 1, 1.0)]
    w.close()


def test_purge_step_writes_session_start(tmp_path):
    with SummaryWriter(tmp_path, purge_step=42) as w:
        w.add_scalar("x", 1.0, 42)
    events = raw_events(tmp_path)
    assert events[1].step == 42 and events[1].session_log.status == 1  # SessionLog.START


def test_default_log_dir_and_pathlib(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d\d_\d\d-\d\d-\d\d_.+_lr0\.1", w.get_logdir())
    w.close()
    p = SummaryWriter(tmp_path / "p")
    assert p.log_dir == str(tmp_path / "p") == p.get_logdir()
    p.close()


def test_files_sort_in_the_order_they_were_opened(tmp_path, monkeypatch):
    import itertools

    from tbwriter.writing import sinks
    monkeypatch.setattr(sinks, "_counter", itertools.count(9))  # 9 -> 10 must not sort backwards
    w = SummaryWriter(tmp_path)
    for i in range(3):  # close and log again: a new file each time, in the same second
        w.add_scalar("x", float(i), i)
        w.close()
    files = event_files(tmp_path)
    assert len(files) == 3
    assert [s for _, s, _ in scalar_values(tmp_path)] == [0, 1, 2]
    assert accumulated_scalars(tmp_path)["x"] == [(0, 0.0), (1, 1.0), (2, 2.0)]


@pytest.mark.parametrize("call, error, argument, message", [
    # text a UTF-8 event cannot hold is refused as a tag's is, not left to a bare UnicodeEncodeError
    (lambda w: w.add_text("t", "x\udc80"), ArgumentError, "text_string",
     r"^add_text\(tag='t'\): text_string must be valid Unicode text, but character '\\udc80' at position 1"),
    (lambda w: w.add_scalar("s", 1.0, display_name="x\udc80"), ArgumentError, "display_name",
     r"^add_scalar\(tag='s'\): display_name must be valid Unicode text"),
    # every call named the same way: by its tag, or by its name alone where it has none
    (lambda w: w.add_embedding(np.zeros(3)), ArgumentError, "mat", r"^add_embedding\(tag='default'\): mat must be"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), label_img=np.full((2, 1, 2, 2), np.nan), tag="e"), ArgumentError,
     "float pixels", r"^add_embedding\(tag='e'\): float pixels must be finite"),
    (lambda w: w.file_writer.add_event(b"", walltime=math.nan), ArgumentError, "walltime",
     r"^add_event: walltime must be finite, got nan$"),
    (lambda w: w.file_writer.add_summary(b"", 1.5), ArgumentTypeError, "global_step",
     r"^add_summary: global_step must be an integer"),
    (lambda w: w.add_scalars("m", {1: 1.0}), ArgumentTypeError, "tag",
     r"^add_scalars\(main_tag='m'\): tag must be a str"),
    (lambda w: w.add_hparams({"a": 1}, {}, global_step=1.5), ArgumentTypeError, "global_step",
     r"^add_hparams: global_step must be an integer"),
    (lambda w: SummaryWriter(w.log_dir, purge_step=1.5), ArgumentTypeError, "purge_step",
     r"^SummaryWriter: purge_step must be an integer or a whole-number float, got float 1.5$"),
])
def test_a_refused_call_names_itself_once_and_the_argument(tmp_path, call, error, argument, message):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=message) as refused:
            call(w)
        w.add_scalar("after", 1.0, 0)
    assert refused.value.argument == argument and str(refused.value).count(refused.value.call + ":") == 1
    assert accumulated_scalars(tmp_path) == {"after": [(0, 1.0)]}
