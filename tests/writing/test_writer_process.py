"""What happens around the writer: kills, forks, failing disks, torn files, other libraries."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from tbwriter import SummaryWriter
from tbwriter.format.record import DamagedRecordWarning
from tbwriter.reading.records import iter_records
from tests.support import ROOT
from tests.support.eventcheck import accumulated_scalars, event_files, scalar_values



def python(code: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_sigkill_after_flush_loses_nothing_flushed(tmp_path):
    proc = python(f"""
        import sys, tbwriter
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        for i in range(1000):
            w.add_scalar("loss", float(i), i)
        w.flush()
        print("flushed", flush=True)
        i = 1000
        while True:
            w.add_scalar("loss", float(i), i)
            i += 1
    """)
    assert proc.stdout.readline() == "flushed\n"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    got = accumulated_scalars(tmp_path)["loss"]
    assert got[:1000] == [(i, float(i)) for i in range(1000)]
    assert got == [(i, float(i)) for i in range(len(got))]  # what else landed is whole records, in order


def test_exit_without_close_flushes_at_interpreter_exit(tmp_path):
    proc = python(f"""
        import tbwriter
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        for i in range(50):
            w.add_scalar("loss", float(i), i)
    """)
    assert proc.wait() == 0
    assert len(accumulated_scalars(tmp_path)["loss"]) == 50


def test_forked_child_gets_its_own_file(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("parent", 0.0, 0)  # pending at fork time: only the parent may write it
    pid = os.fork()
    if pid == 0:  # child
        code = 1
        try:
            w.add_scalar("child", 1.0, 1)
            w.close()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    w.add_scalar("parent", 2.0, 2)
    w.close()
    files = event_files(tmp_path)
    assert len(files) == 2
    by_pid = {os.path.basename(p).split(".")[-2]: [(t, s) for t, s, _ in scalar_values(p)] for p in files}
    assert by_pid == {str(os.getpid()): [("parent", 0), ("parent", 2)], str(pid): [("child", 1)]}


def test_write_error_surfaces_and_nothing_is_lost(tmp_path):
    proc = python(f"""
        import errno, resource, signal, tbwriter
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY))
        raised = None
        for i in range(2000):
            try:
                w.add_scalar("loss", float(i), i)
                if i % 100 == 99:
                    w.flush()
            except OSError as e:
                raised = (i, e.errno, e.filename)
                break
        print(raised)
        for call in (w.flush, w.close):
            try:
                call()
            except OSError as e:
                print(call.__name__, "raised", e.errno == errno.EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        w.close()   # the disk has room again: everything kept in memory is written
        print("closed")
    """)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    lines = out.splitlines()
    step, errno_, filename = eval(lines[0])
    assert errno_ == 27 and filename.startswith(str(tmp_path))  # EFBIG, naming the file
    assert lines[1:] == ["flush raised True", "close raised True", "closed"]
    got = accumulated_scalars(tmp_path)["loss"]
    assert got == [(i, float(i)) for i in range(step + 1)]


def test_torn_tail_read_by_tensorboard_and_reported_by_us(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(10):
            w.add_scalar("x", float(i), i)
    (path,) = event_files(tmp_path)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 7)
    assert accumulated_scalars(tmp_path)["x"] == [(i, float(i)) for i in range(9)]
    with pytest.warns(DamagedRecordWarning, match=os.path.basename(path) + r": torn record .* offset \d+"):
        assert len(list(iter_records(path))) == 10  # version event + 9 scalars


def test_imports_beside_tensorboard_tensorboardx_and_torch(tmp_path):
    for needed in ("tensorboard", "tensorboardX", "torch"):  # the child imports them: skip, not fail, without
        pytest.importorskip(needed)
    proc = python(f"""
        import tbwriter
        import tensorboard.compat.proto.event_pb2
        import tensorboardX
        from torch.utils.tensorboard import SummaryWriter as TorchWriter
        from tbwriter._proto import event_pb2, hparams_pb2
        with tbwriter.SummaryWriter({str(tmp_path / 'ours')!r}) as w:
            w.add_scalar("a", 1.0, 1)
        with tensorboardX.SummaryWriter({str(tmp_path / 'x')!r}) as w:
            w.add_scalar("a", 1.0, 1)
        with TorchWriter({str(tmp_path / 't')!r}) as w:
            w.add_scalar("a", 1.0, 1)
        print(event_pb2.Event.DESCRIPTOR.full_name, hparams_pb2.SessionStartInfo.DESCRIPTOR.full_name)
    """)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert out.split() == ["tbwriter.Event", "tbwriter.hparams.SessionStartInfo"]


def test_import_tbwriter_stays_light():
    proc = python("""
        import sys, tbwriter
        print(sorted(m for m in ("torch", "keras", "matplotlib", "tensorboard", "tensorflow", "pandas")
                     if m in sys.modules))
    """)
    out, err = proc.communicate(timeout=60)
    assert out.strip() == "[]", err


# -- two processes writing one run directory (issue 21) ----------------------------------------------------------
# Each child makes a writer when told "open", then logs one flushed step per line; it prints the warnings that
# opening gave, then "ok" after each step.
RUN_WRITER = """
import sys, warnings
from tbwriter import SummaryWriter
print("started", flush=True)
assert sys.stdin.readline() == "open\\n"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    w = SummaryWriter(sys.argv[1], flush_secs=3600)
print(repr([str(c.message) for c in caught]), flush=True)
for line in sys.stdin:
    w.add_scalar("x", float(line), int(line))
    w.flush()
    print("ok", flush=True)
w.close()
"""


def run_writer(run_dir) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", RUN_WRITER, str(run_dir)], text=True, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.stdout.readline() == "started\n", proc.stderr.read()
    return proc


def tell(proc: subprocess.Popen, line: str) -> str:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline()


def finish(*procs: subprocess.Popen) -> None:
    for proc in procs:
        proc.stdin.close()
        assert proc.wait(60) == 0, proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()


def file_of(run_dir, proc: subprocess.Popen) -> str:
    (name,) = [n for n in os.listdir(run_dir) if f".{proc.pid}." in n]
    return name


@pytest.mark.slow
def test_two_processes_in_one_run_every_point_is_read_and_the_second_is_warned(tmp_path):
    from tbwriter import read_scalars
    from tbwriter.reading.follow import Follower

    run = tmp_path / "run"
    first, second = run_writer(run), run_writer(run)
    assert tell(first, "open") == "[]\n"
    warned = tell(second, "open")
    assert f"process {first.pid}, still running, opened {file_of(run, first)} in {run}" in warned
    assert "run directory of its own" in warned
    follower, seen = Follower(run), []
    for step in range(40):  # both files grow at once, as under two training processes
        assert tell(first if step % 2 else second, str(step)) == "ok\n"
        new = follower.poll()
        seen += new[(".", "x")].step.tolist() if new else []
    finish(first, second)
    assert sorted(seen) == list(range(40))
    assert sorted(read_scalars(run)[(".", "x")].step.tolist()) == list(range(40))


@pytest.mark.slow
def test_file_names_sort_in_open_order_across_processes_and_both_loaders_read_them(tmp_path):
    from tests.support.tbserver import TensorBoardServer

    run = tmp_path / "run"
    early, late = run_writer(run), run_writer(run)
    # The process with the larger pid opens first: in the same second, a name with the pid before the time
    # sorted the later file first, and TensorBoard never went back to the earlier one.
    first, second = (early, late) if early.pid > late.pid else (late, early)
    tell(first, "open")
    for step in range(5):
        tell(first, str(step))
    tell(second, "open")
    for step in range(5, 10):
        tell(second, str(step))
    finish(first, second)
    assert sorted(os.listdir(run)) == [file_of(run, first), file_of(run, second)]
    assert [s for s, _ in accumulated_scalars(run)["x"]] == list(range(10))  # the Python loader, in name order
    with TensorBoardServer(tmp_path, load_fast=True) as tb:  # the Rust loader
        points = tb.wait_for(lambda: (lambda p: p if len(p) == 10 else None)(tb.scalars("run", "x")))
    assert [step for _, step, _ in points] == list(range(10))
