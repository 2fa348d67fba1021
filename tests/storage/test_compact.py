"""tbwriter compact: a run's event files merged into one, every point read once before, during and after.

Judged by our reader and by TensorBoard's own loader (memory:// and local runs: it reads both in this process),
against moto's S3 on 127.0.0.1 for what object storage adds: requests that fail half-way.
"""
import os
import shutil
import uuid

import pytest

fsspec = pytest.importorskip("fsspec")
from tests.support.eventcheck import accumulated_scalars  # noqa: E402

from tbwriter import SummaryWriter, read_scalars, storage  # noqa: E402
from tbwriter.cli.main import main  # noqa: E402
from tbwriter.reading.follow import Follower  # noqa: E402
from tbwriter.storage.compact import compact  # noqa: E402
from tbwriter.storage.manifest import MANIFEST, manifest_content, write_end_marker  # noqa: E402


def log(url: str, steps: range, purge_step: int | None = None, flush_every: int = 1, close: bool = True):
    """Scalars ``loss`` and ``acc`` at ``steps``, a flush (a segment, on a URL) every ``flush_every`` steps; closed
    (which leaves an end marker on a URL; a local run is given one here), or left open: returns the writer."""
    w = SummaryWriter(url, purge_step=purge_step)
    for step in steps:
        w.add_scalar("loss", 1 / (step + 1), step)
        w.add_scalar("acc", step / 100, step)
        if (step + 1) % flush_every == 0:
            w.flush()
    w.flush()
    if close:
        w.close()
        if not storage.is_url(url):
            write_end_marker(url, event_files(url)[-1])
    return w


def event_files(location: str) -> list[str]:
    if storage.is_url(location):
        return sorted(u for u in storage.list_files(location) if "tfevents" in u.rsplit("/", 1)[-1])
    return sorted(os.path.join(location, n) for n in os.listdir(location) if "tfevents" in n)


def ours(location: str) -> dict:
    data = read_scalars(location)
    assert not data.damaged
    return {key: (s.step.tolist(), s.value.tolist()) for key, s in data.items()}


@pytest.fixture
def memory_root():
    return f"memory://compact-{uuid.uuid4().hex}"


def test_every_point_once_in_order_purges_included(memory_root):
    run = f"{memory_root}/runs/exp"
    log(run, range(0, 30), flush_every=3)
    log(run, range(20, 40), purge_step=20, flush_every=4)  # a restart: steps 20.. of the first session purged
    before_ours, before_tb = ours(f"{memory_root}/runs"), accumulated_scalars(run)
    assert before_ours[("exp", "loss")][0] == list(range(40))
    replaced = len(event_files(run))
    report = compact(f"{memory_root}/runs")
    assert [(c.run, c.replaced) for c in report.compacted] == [("exp", replaced)] and not report.skipped
    assert event_files(run) == [report.compacted[0].merged]
    assert ours(f"{memory_root}/runs") == before_ours
    assert accumulated_scalars(run) == before_tb
    assert compact(f"{memory_root}/runs").skipped == [("exp", "one event file: nothing to merge")]


def test_a_local_run_too(tmp_path):
    run = str(tmp_path / "exp")
    for session in range(3):  # three writers, three files
        log(run, range(session * 10, session * 10 + 10))
    before_ours, before_tb = ours(run), accumulated_scalars(run)
    # half-way: the merged file (made in a copy) beside the files it replaces, and the manifest naming them
    shutil.copytree(run, tmp_path / "copy")
    merged = compact(tmp_path / "copy").compacted[0].merged
    replaced = [os.path.basename(n) for n in event_files(run)]
    shutil.copy(merged, run)
    with open(os.path.join(run, MANIFEST), "wb") as f:
        f.write(manifest_content(os.path.basename(merged), replaced))
    assert ours(run) == before_ours
    shutil.rmtree(tmp_path / "copy")
    assert main(["compact", str(tmp_path)]) == 0
    assert len(event_files(run)) == 1
    assert ours(run) == before_ours and accumulated_scalars(run) == before_tb
    assert not [n for n in os.listdir(run) if n.startswith("tbwriter.compacting") or n == MANIFEST]


def test_a_live_run_is_refused_unless_forced(memory_root, capsys):
    run = f"{memory_root}/live"
    live = log(run, range(10), close=False)  # no end marker: its writer may still be adding segments
    files = event_files(run)
    report = compact(run)
    assert not report.compacted and report.skipped[0][0] == "." and "not finished" in report.skipped[0][1]
    assert event_files(run) == files
    live.close()  # its end marker names the newest file: finished
    assert compact(run).compacted
    run2 = f"{memory_root}/live2"
    live = log(run2, range(5), close=False)
    assert main(["compact", run2]) == 0
    err = capsys.readouterr().err
    assert err.startswith("tbwriter compact: skipped .: not finished") and err.count("\n") == 1
    assert main(["compact", run2, "--force"]) == 0
    assert len(event_files(run2)) == 1 and ours(run2)[(".", "loss")][0] == list(range(5))
    live.add_scalar("loss", 0.5, 5)  # its segments after a forced compaction: read after the merged file
    live.close()
    assert ours(run2)[(".", "loss")][0] == list(range(6))


def test_damage_leaves_the_run_as_it_is(memory_root):
    run = f"{memory_root}/damaged"
    log(run, range(6))
    files = event_files(run)
    fs, path = storage.filesystem(files[2])
    data = bytearray(fs.cat_file(path))
    data[-3] ^= 0xFF
    fs.pipe_file(path, bytes(data))
    report = compact(run)
    assert not report.compacted
    assert f"{files[2]} holds a data checksum mismatch at byte " in report.skipped[0][1]
    assert event_files(run) == files


@pytest.fixture
def bucket(s3_server):
    name = f"compact-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(name)
    yield name
    s3_server.fail = None


def test_manifest_honoured_mid_compaction(s3_server, bucket):
    runs = f"s3://{bucket}/runs"
    log(f"{runs}/a", range(12), flush_every=2)
    log(f"{runs}/b", range(12, 20), purge_step=15, flush_every=2)
    before = ours(runs)
    segments = event_files(f"{runs}/a")
    # the deletes fail: the compaction stops with the merged object and the replaced ones side by side
    s3_server.fail = lambda method, path, query: ("403 Forbidden", "AccessDenied") if method == "POST" and \
        "delete" in query else None
    with pytest.raises(storage.StorageError, match=f"could not remove s3://{bucket}/runs/a"):
        compact(runs, runs="^a$")
    held = s3_server.objects(bucket, "runs/a/")
    assert f"runs/a/{MANIFEST}" in held and set(segments) < {f"s3://{bucket}/{k}" for k in held}
    assert len(event_files(f"{runs}/a")) == len(segments) + 1
    assert ours(runs) == before  # read once: the manifest says which to skip
    s3_server.fail = None
    report = compact(runs)  # finishes the one half-way through, then the other
    assert sorted(c.run for c in report.compacted) == ["a", "b"]
    assert [k for k in s3_server.objects(bucket, "runs/a/") if "tfevents" in k or k.endswith(MANIFEST)] == \
        [report.compacted[0].merged.removeprefix(f"s3://{bucket}/")]
    assert ours(runs) == before


def test_cli_errors_are_one_line(memory_root, capsys):
    assert main(["compact", f"{memory_root}/nothing"]) == 1
    assert capsys.readouterr().err == f"tbwriter compact: error: no such file or directory: {memory_root}/nothing\n"
    log(f"{memory_root}/r", range(2))
    assert main(["compact", memory_root, "--run", "("]) == 1
    assert capsys.readouterr().err.startswith("tbwriter compact: error: bad regular expression for --run '('")
    assert main(["compact", memory_root, "--storage-option", "novalue"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err


def followed(follower: Follower) -> dict:
    return {key: s.step.tolist() for key, s in follower.poll().items()}


def test_a_follower_reads_on_where_it_was_through_compactions(memory_root, tmp_path):
    runs = f"{memory_root}/runs"
    live = log(f"{runs}/exp", range(10), flush_every=1, close=False)
    follower = Follower(runs)
    assert followed(follower) == {("exp", "loss"): list(range(10)), ("exp", "acc"): list(range(10))}
    for step in range(10, 15):  # segments it has not seen yet when the run is compacted
        live.add_scalar("loss", 1 / (step + 1), step)
        live.flush()
    live.close()
    assert compact(runs).compacted
    assert followed(follower) == {("exp", "loss"): list(range(10, 15))}
    log(f"{runs}/exp", range(15, 17))  # a second writer, and a compaction of the merged file with its segments
    assert followed(follower) == {("exp", "loss"): [15, 16], ("exp", "acc"): [15, 16]}
    assert compact(runs).compacted[0].merged.endswith(".compacted-2")
    assert followed(follower) == {}
    local = str(tmp_path / "local")  # a local run of three files (three writers), compacted with tbwriter compact
    for session in range(3):
        log(local, range(session * 10, session * 10 + 10))
    follower = Follower(local)
    assert followed(follower)[(".", "loss")] == list(range(30))
    assert main(["compact", local]) == 0 and len(event_files(local)) == 1
    assert followed(follower) == {}


def test_a_follower_mid_compaction_reads_nothing_twice(s3_server, bucket):
    runs = f"s3://{bucket}/runs"
    log(f"{runs}/a", range(12), flush_every=2)
    follower = Follower(runs)
    assert followed(follower)[("a", "loss")] == list(range(12))
    s3_server.fail = lambda method, path, query: ("403 Forbidden", "AccessDenied") if method == "POST" and \
        "delete" in query else None
    with pytest.raises(storage.StorageError):
        compact(runs)  # stopped with the merged object beside the replaced ones and the manifest
    assert followed(follower) == {}
    s3_server.fail = None
    assert compact(runs).compacted
    assert followed(follower) == {}


def test_a_reader_that_listed_a_run_before_its_compaction_reads_it_whole(memory_root, monkeypatch):
    from tbwriter.reading import scan

    runs = f"{memory_root}/runs"
    log(f"{runs}/a", range(12), flush_every=2)
    log(f"{runs}/b", range(5), flush_every=2)
    before = ours(runs)
    listed = scan.list_remote

    def compacted_after_listing(url, storage_options=None):  # the race: listed, then compacted, then fetched
        found = listed(url, storage_options)
        if url == runs:
            assert [c.run for c in compact(runs, runs="^a$").compacted] == ["a"]
        return found

    monkeypatch.setattr(scan, "list_remote", compacted_after_listing)
    assert ours(runs) == before  # every point once, nothing reported unreadable
