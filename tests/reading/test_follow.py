"""Incremental reading (Follower) and `tbwriter tail`: each new point exactly once, a torn record read once it is
whole, new files and runs picked up, never re-reading old bytes; tail against a live writer in another process."""
import os
import signal
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_scalars
from tbwriter.format.encode import ScalarEncoder
from tbwriter.format.record import DamagedRecordWarning, frame
from tbwriter.reading.follow import Follower
from tests.support.cli import Lines

FILE_VERSION = bytes.fromhex("0900000040fc54d9411a0d627261696e2e4576656e743a32")  # brain.Event:2 at 1.7e9


def scalar_event(step: int, value: float, tag: str = "loss") -> bytes:
    """An Event holding one v1 simple_value, as tbwriter's encoder writes it (wall time 1.7e9 + step)."""
    return ScalarEncoder().event(1.7e9 + step, step, tag, value)


def points(data):
    return {key: list(zip(s.step.tolist(), s.value.tolist(), strict=True)) for key, s in data.items()}


def test_each_point_once_across_flushes(tmp_path):
    follower = Follower(tmp_path)
    assert follower.poll() == {}
    w = SummaryWriter(tmp_path / "a")
    for batch in range(3):
        for step in range(batch * 10, batch * 10 + 10):
            w.log_metrics({"loss": step / 2, "acc": step / 4}, step)
        w.flush()
        new = points(follower.poll())
        assert new == {("a", "loss"): [(s, s / 2) for s in range(batch * 10, batch * 10 + 10)],
                       ("a", "acc"): [(s, s / 4) for s in range(batch * 10, batch * 10 + 10)]}
        assert follower.poll() == {}
    w.close()


def test_torn_record_is_read_once_whole(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    records = [frame(FILE_VERSION)] + [frame(scalar_event(s, s * 1.5)) for s in range(4)]
    whole = b"".join(records)
    cut = len(b"".join(records[:3])) + 7  # inside the header of the 4th record
    follower = Follower(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)  # a record being written is not damage
        path.write_bytes(whole[:cut])
        assert points(follower.poll()) == {(".", "loss"): [(0, 0.0), (1, 1.5)]}
        path.write_bytes(whole[:-3])  # now torn inside the last record's data
        assert points(follower.poll()) == {(".", "loss"): [(2, 3.0)]}
        path.write_bytes(whole)
        assert points(follower.poll()) == {(".", "loss"): [(3, 4.5)]}


def test_old_bytes_are_not_read_again(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(100):
            w.add_scalar("loss", float(step), step)
    follower = Follower(tmp_path, tags="loss")
    assert len(follower.poll()[(".", "loss")]) == 100
    (name,) = tmp_path.iterdir()
    with open(name, "r+b") as f:  # scribble over what was read: a follower that re-read it would report damage
        f.seek(200)
        f.write(b"\xff" * 64)
        f.seek(0, os.SEEK_END)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)
        with open(name, "ab") as f:
            f.write(frame(scalar_event(100, 7.0)))
        assert points(follower.poll()) == {(".", "loss"): [(100, 7.0)]}


def test_new_files_and_runs_in_name_order_and_damage_once(tmp_path):
    follower = Follower(tmp_path)
    (tmp_path / "r").mkdir()
    first = tmp_path / "r" / "events.out.tfevents.1.host"
    first.write_bytes(frame(FILE_VERSION) + frame(scalar_event(0, 1.0)))
    assert points(follower.poll()) == {("r", "loss"): [(0, 1.0)]}
    damaged = bytearray(frame(scalar_event(1, 2.0)))
    damaged[-1] ^= 0xFF
    with open(first, "ab") as f:
        f.write(bytes(damaged) + frame(scalar_event(2, 3.0)))
    (tmp_path / "r" / "events.out.tfevents.2.host").write_bytes(frame(FILE_VERSION) + frame(scalar_event(3, 4.0)))
    with SummaryWriter(tmp_path / "s") as w:
        w.add_scalar("loss", 5.0, 9)
    with pytest.warns(DamagedRecordWarning, match=r"tfevents\.1\.host: data checksum mismatch at byte offset"):
        new = follower.poll()
    assert points(new) == {("r", "loss"): [(3, 4.0)], ("s", "loss"): [(9, 5.0)]}
    assert len(new.damaged) == 1
    with open(first, "ab") as f:  # the damaged file is done with, as TensorBoard leaves it
        f.write(frame(scalar_event(4, 6.0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DamagedRecordWarning)
        assert follower.poll() == {}


def test_whole_read_equals_read_scalars(tmp_path):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    w = torch_tb.SummaryWriter(str(tmp_path / "torch"))
    for step in range(50):
        w.add_scalar("loss", 1 / (step + 1), step)
        w.add_histogram("weights", np.arange(10.0) * step, step)
    w.close()
    assert points(Follower(tmp_path).poll()) == points(read_scalars(tmp_path))


WRITER = """
import sys, time
from tbwriter import SummaryWriter
w = SummaryWriter(sys.argv[1], flush_secs=3600)
for line in sys.stdin:                      # one point per line from the test, flushed at once
    step = int(line)
    w.add_scalar("loss", step / 8, step)
    w.add_scalar("other", 0.0, step)
    w.flush()
    print(time.time(), flush=True)
w.close()
"""


@pytest.mark.slow
def test_tail_prints_each_flushed_point_once_and_ends_quietly(tmp_path, root):
    env = dict(os.environ, PYTHONPATH=str(root))
    (tmp_path / "run").mkdir()
    tail = subprocess.Popen([sys.executable, "-m", "tbwriter", "tail", str(tmp_path), "--format", "csv", "--tag",
                             "^loss$", "--interval", "0.2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "run")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env)
    lines = Lines(tail.stdout)
    try:
        assert lines.next(30) == "run,tag,step,wall_time,value"
        for step in range(5):
            writer.stdin.write(f"{step}\n")
            writer.stdin.flush()
            writer.stdout.readline()  # flushed
            run, tag, got_step, wall, value = lines.next(30).split(",")
            assert (run, tag, int(got_step), float(value)) == ("run", "loss", step, step / 8)
        assert lines.quiet(1.0), "each point is printed once"
        tail.send_signal(signal.SIGINT)
        assert tail.wait(30) == 0
        assert tail.stderr.read() == b""
    finally:
        writer.stdin.close()
        writer.wait(30)
        tail.kill()


def test_a_file_url_is_followed_as_the_folder_is(tmp_path):
    pytest.importorskip("fsspec")
    w = SummaryWriter(tmp_path / "a")
    follower = Follower(tmp_path.as_uri())  # file:///...: listed and read through fsspec, as s3:// is
    for step in range(3):
        w.add_scalar("loss", step / 2, step)
        w.flush()  # appended to the same file: only its new bytes are read
        assert points(follower.poll()) == {("a", "loss"): [(step, step / 2)]}
    assert follower.poll() == {}
    w.close()


def test_a_file_that_cannot_be_opened_for_a_while_is_read_once_it_can(tmp_path):
    # out of file descriptors (or a store's request failing, for a URL) is no damage: the file is tried again
    resource = pytest.importorskip("resource")
    with SummaryWriter(tmp_path / "a") as w:
        w.add_scalar("loss", 0.5, 0)
        w.flush()
        follower = Follower(tmp_path)
        assert points(follower.poll()) == {("a", "loss"): [(0, 0.5)]}
        w.add_scalar("loss", 0.25, 1)
        w.flush()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        held = []
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 4096), hard))
        try:
            with pytest.raises(OSError):
                while True:  # every descriptor taken: the follower cannot open the file
                    held.append(os.open(os.devnull, os.O_RDONLY))
            with warnings.catch_warnings(record=True) as notes:
                warnings.simplefilter("always", DamagedRecordWarning)
                assert points(follower.poll()) == {} and points(follower.poll()) == {}
        finally:
            for fd in held:
                os.close(fd)
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert len(notes) == 1 and "cannot be read" in str(notes[0].message)  # said once, not at each poll
        assert points(follower.poll()) == {("a", "loss"): [(1, 0.25)]}
