"""Logdirs in object storage, on fsspec's memory:// filesystem: naming, ordering, sealing, errors, reading.

What is written is judged by TensorBoard's own loaders, which read memory:// through fsspec in this process.
"""
import os
import time
import uuid

import numpy as np
import pytest

fsspec = pytest.importorskip("fsspec")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from tbwriter import SummaryWriter, read_scalars, storage  # noqa: E402
from tbwriter.cli.main import main  # noqa: E402
from tests.support.eventcheck import accumulated_scalars, event_file_loader  # noqa: E402

memory = fsspec.filesystem("memory")


@pytest.fixture
def url():
    """A fresh memory:// run directory."""
    return f"memory://tests-{uuid.uuid4().hex}/run"


def segments(url: str) -> list[str]:
    """The event files' names in the run directory, in name order (the order TensorBoard reads them in)."""
    names = (p.rsplit("/", 1)[-1] for p in memory.ls(url.removeprefix("memory:/"), detail=False))
    return sorted(n for n in names if "tfevents" in n)


def end_markers(url: str) -> list[str]:
    """What the end markers in the run directory name: the last segment of each writer that closed."""
    from tbwriter.storage.manifest import END_PREFIX, marker_last

    names = (p.rsplit("/", 1)[-1] for p in memory.ls(url.removeprefix("memory:/"), detail=False))
    return [marker_last(memory.cat_file(f"{url.removeprefix('memory:/')}/{n}")) for n in sorted(names)
            if n.startswith(END_PREFIX)]


def raw_events(url: str, name: str) -> list:
    from tensorboard.compat.proto import event_pb2

    return [event_pb2.Event.FromString(b) for b in event_file_loader.RawEventFileLoader(f"{url}/{name}").Load()]


def test_each_flush_puts_one_complete_segment_named_after_the_last(url):
    with SummaryWriter(url) as w:
        for step in range(30):
            w.add_scalar("loss", step / 10, step)
            w.flush()
    names = segments(url)
    assert len(names) == 30
    for name in names:  # each one a complete event file: brain.Event:2 first, then its record
        first, *rest = raw_events(url, name)
        assert first.file_version == "brain.Event:2"
        assert len(rest) == 1
    assert [raw_events(url, n)[1].step for n in names] == list(range(30))  # name order is logging order
    assert accumulated_scalars(url)["loss"] == [(s, pytest.approx(s / 10)) for s in range(30)]
    assert end_markers(url) == [names[-1]]  # close() said the run is finished, naming its last segment


def test_never_an_empty_segment(url):
    w = SummaryWriter(url)
    w.flush()
    w.close()
    w.close()  # idempotent
    assert not memory.exists(url.removeprefix("memory:/"))
    w.add_scalar("loss", 1.0, 1)  # used again after close: a new file, as torch does
    w.flush()
    w.flush()
    w.close()
    assert len(segments(url)) == 1
    assert end_markers(url) == segments(url)  # one marker: none for the first session, which put nothing


def test_names_move_past_a_later_name_already_there(url):
    later = f"events.out.tfevents.{int(time.time()) + 1000:010d}.zzz-other-host.1.000000"
    memory.pipe_file(f"{url.removeprefix('memory:/')}/{later}", b"")
    with SummaryWriter(url) as w:
        w.add_scalar("loss", 1.0, 1)
        w.flush()
        w.add_scalar("loss", 2.0, 2)
    names = segments(url)
    assert names[0] == later and len(names) == 3
    assert [raw_events(url, n)[1].step for n in names[1:]] == [1, 2]


def test_sealed_on_size_without_a_flush(url, monkeypatch):
    monkeypatch.setattr("tbwriter.storage.segments.SEGMENT_BYTES", 4096)
    monkeypatch.setattr("tbwriter.writing.eventfile.QUEUE_RECORDS", 16)
    w = SummaryWriter(url)
    for step in range(2000):
        w.add_scalar("loss", float(step), step)
    deadline = time.monotonic() + 30  # put by the flusher thread, not by add_scalar: it does not wait for it
    while len(segments(url) if memory.exists(url.removeprefix("memory:/")) else []) < 10:
        assert time.monotonic() < deadline, "the full segments were not put before any flush or close"
        time.sleep(0.05)
    w.close()
    sizes = [memory.info(f"{url.removeprefix('memory:/')}/{n}")["size"] for n in segments(url)]
    assert min(sizes[:-1]) >= 4096
    assert [s for s, _ in accumulated_scalars(url)["loss"]] == list(range(2000))


def test_sealed_on_flush_secs(url):
    w = SummaryWriter(url, flush_secs=1)
    w.add_scalar("loss", 1.0, 1)
    deadline = time.monotonic() + 30
    while not memory.exists(url.removeprefix("memory:/")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(segments(url)) == 1
    w.close()
    assert len(segments(url)) == 1  # nothing new to seal


def test_purge_step_is_in_the_first_segment_only(url):
    with SummaryWriter(url, purge_step=5) as w:
        for step in range(3):
            w.add_scalar("loss", float(step), step)
            w.flush()
    starts = [name for name in segments(url) for e in raw_events(url, name) if e.HasField("session_log")]
    assert starts == segments(url)[:1]
    assert [s for s, _ in accumulated_scalars(url)["loss"]] == [0, 1, 2]


def test_add_scalars_sub_runs_go_to_the_same_store(url):
    with SummaryWriter(url) as w:
        w.add_scalars("loss", {"train": 1.0, "val": 2.0}, 3)
    data = read_scalars(url)
    assert sorted(data) == [("loss_train", "loss"), ("loss_val", "loss")]


class FlakyFileSystem(MemoryFileSystem):
    """memory://, whose puts fail while ``broken`` is set: a backend error the writer must survive."""
    protocol = "flaky"
    broken = False
    store: dict = {}  # its own objects, apart from memory://
    pseudo_dirs = [""]

    def pipe_file(self, path, value, mode="overwrite", **kwargs):
        if FlakyFileSystem.broken:
            raise ConnectionError("the endpoint went away")
        return super().pipe_file(path, value, mode, **kwargs)


fsspec.register_implementation("flaky", FlakyFileSystem, clobber=True)


def test_a_failed_put_keeps_the_bytes_and_raises_naming_the_url():
    url = f"flaky://tests-{uuid.uuid4().hex}/run"
    w = SummaryWriter(url)
    w.add_scalar("loss", 0.0, 0)
    w.flush()
    FlakyFileSystem.broken = True
    try:
        w.add_scalar("loss", 1.0, 1)
        with pytest.raises(OSError, match=f"could not write {url}/events.*ConnectionError") as raised:
            w.flush()
        assert raised.value.filename.startswith(url)
        w.add_scalar("loss", 2.0, 2)  # the writer stays usable, the record is kept
        with pytest.raises(OSError, match="the endpoint went away"):
            w.close()
    finally:
        FlakyFileSystem.broken = False
    w.close()
    data = read_scalars(url)[(".", "loss")]
    assert data.step.tolist() == [0, 1, 2] and data.value.tolist() == [0.0, 1.0, 2.0]


def test_a_background_failure_is_raised_on_the_next_call():
    url = f"flaky://tests-{uuid.uuid4().hex}/run"
    w = SummaryWriter(url, flush_secs=1)
    FlakyFileSystem.broken = True
    try:
        w.add_scalar("loss", 1.0, 1)
        deadline = time.monotonic() + 30
        with pytest.raises(OSError, match=f"could not (list|write) {url}"):
            while time.monotonic() < deadline:
                time.sleep(0.1)
                w.add_scalar("loss", 1.0, 2)
    finally:
        FlakyFileSystem.broken = False
    w.close()
    assert read_scalars(url)[(".", "loss")].step.tolist()[:2] == [1, 2]


def test_read_scalars_reads_each_file_in_one_request(url, monkeypatch):
    with SummaryWriter(url) as w:
        for step in range(5):
            w.add_scalar("loss", float(step), step)
            w.flush()
    opened = []
    real = MemoryFileSystem.cat_file
    monkeypatch.setattr(MemoryFileSystem, "cat_file", lambda self, path, *a, **k: opened.append(path) or real(
        self, path, *a, **k))
    monkeypatch.setattr(MemoryFileSystem, "open", lambda *a, **k: pytest.fail("read record by record"))
    assert read_scalars(url)[(".", "loss")].step.tolist() == list(range(5))
    assert len(opened) == len(set(opened)) == 5


def test_cli_reads_and_converts_urls(url, tmp_path, capsys, monkeypatch):
    csv = tmp_path / "train.csv"
    csv.write_text("epoch,loss\n0,0.5\n1,0.25\n")
    monkeypatch.chdir(tmp_path)
    root = url.rsplit("/", 1)[0]
    assert main(["convert", str(csv), "--logdir", root]) == 0
    assert not os.path.exists(tmp_path / "memory:")  # once a local folder named after the scheme
    assert read_scalars(f"{root}/train")[(".", "loss")].value.tolist() == [0.5, 0.25]
    capsys.readouterr()
    assert main(["ls", root]) == 0
    assert "train  loss  scalar       2  0..1" in capsys.readouterr().out
    assert main(["export", root]) == 0
    assert "train,loss,1," in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    assert main(["plot", root, f"{root}/train", "-o", "curves.png"]) == 0
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert main(["ls", f"{root}/nothing-here"]) == 1
    assert "no such file or directory: memory://" in capsys.readouterr().err


def test_unknown_scheme_is_refused_naming_the_url():
    with pytest.raises(ValueError, match="nosuchscheme://b/run"):
        SummaryWriter("nosuchscheme://b/run")


def test_local_paths_and_file_urls_stay_local():
    assert not storage.is_url("runs/a") and not storage.is_url("/tmp/x") and not storage.is_url("C:\\x")
    assert storage.is_url("s3://b/a") and storage.is_url("memory://x") and storage.is_url("az://c/r")


def test_locations_are_joined_and_listed_alike_for_paths_and_urls(url, tmp_path):
    assert storage.join("s3://b/runs/", "a/./b\\c") == "s3://b/runs/a/b/c"  # normpath would fold the "//"
    assert storage.join(str(tmp_path), "a/./b") == str(tmp_path / "a" / "b")
    assert storage.absolute("s3://b/runs/") == "s3://b/runs" and storage.parent("s3://b/runs/a/") == "s3://b/runs"
    assert storage.parent(str(tmp_path / "a")) == str(tmp_path)
    for where in (url, str(tmp_path / "run")):
        assert storage.files_in(where) == []  # nothing there yet
        with SummaryWriter(where) as w:
            w.add_scalar("loss", 0.5, 0)
        with SummaryWriter(storage.join(where, "sub")) as w:  # below: not in the run's own folder
            w.add_scalar("loss", 0.5, 0)
        files = storage.files_in(where)
        events = [f for f in files if "tfevents" in f]  # a URL's run holds its end marker too
        assert len(events) == 1 and events[0].startswith(storage.join(where, "events.out.tfevents."))
        storage.remove(files)
        assert storage.files_in(where) == []


def test_add_embedding_to_a_url_writes_the_projector_files_as_on_disk(url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    features = np.arange(12, dtype=np.float32).reshape(4, 3)
    local = str(tmp_path / "local")
    for where in (url, local):
        with SummaryWriter(where) as w:
            w.add_embedding(features, metadata=["a", "b", "c", "d"], global_step=1)
            w.add_embedding(features * 2, tag="doubled", global_step=2)  # the config then names both
            w.add_scalar("loss", 0.5, 0)
    on_disk = {os.path.relpath(os.path.join(d, n), local) for d, _, names in os.walk(local) for n in names
               if "tfevents" not in n}
    fs, root = storage.filesystem(url)
    in_store = {p[len(root) + 1:] for p in fs.find(root) if "tfevents" not in p and "tbwriter.closed" not in p}
    assert in_store == on_disk and "projector_config.pbtxt" in on_disk
    for name in on_disk:
        with open(os.path.join(local, name), "rb") as f:
            assert fs.cat_file(f"{root}/{name}") == f.read(), name
    assert len(read_scalars(url)[(".", "loss")]) == 1
    assert not os.path.exists(tmp_path / "memory:")  # no local folder named after the URL
