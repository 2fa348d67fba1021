"""Nothing lost, nothing crashes: the writer under the failures a careful user meets (issue 14).

Each test reproduces one way values were lost or a run was killed, and checks with TensorBoard's own
loaders (tests/support/eventcheck.py) that every value logged is on disk, once.
"""
import gc
import math
import multiprocessing
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import tracemalloc
import warnings

import pytest

from tbwriter import SummaryWriter
from tbwriter.callbacks import CallbackList, TensorBoard, TerminateOnNaN
from tbwriter.writing import eventfile
from tests.support import ROOT
from tests.support.eventcheck import accumulated_scalars, accumulator, event_files, raw_events


def run_python(code: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, text=True, capture_output=True,
                          timeout=timeout, **kwargs)


def steps(run_dir, tag="x") -> list[int]:
    return [s for s, _ in accumulated_scalars(run_dir).get(tag, [])]


# -- 1. a writer its owner forgot -------------------------------------------------------------------

def test_writer_never_closed_keeps_every_value_at_exit(tmp_path):
    proc = run_python(f"""
        import tbwriter

        def log(d):                      # the writer is forgotten when the function returns
            w = tbwriter.SummaryWriter(d, flush_secs=3600)
            for i in range(100):
                w.add_scalar("x", float(i), i)

        def log_in_a_cycle(d):           # a cycle: only the garbage collector could free it, maybe never
            w = tbwriter.SummaryWriter(d, flush_secs=3600)
            w.me = w
            for i in range(100):
                w.add_scalar("x", float(i), i)

        log({str(tmp_path / 'function')!r})
        log_in_a_cycle({str(tmp_path / 'cycle')!r})
        tbwriter.SummaryWriter({str(tmp_path / 'oneliner')!r}, flush_secs=3600).add_scalar("x", 1.0, 1)
        kept = tbwriter.SummaryWriter({str(tmp_path / 'global')!r}, flush_secs=3600)
        kept.add_scalar("x", 2.0, 2)
    """)
    assert proc.returncode == 0, proc.stderr
    assert steps(tmp_path / "function") == list(range(100))
    assert steps(tmp_path / "cycle") == list(range(100))
    assert steps(tmp_path / "oneliner") == [1]
    assert steps(tmp_path / "global") == [2]


def test_forgotten_writers_are_closed_not_kept_for_ever(tmp_path):
    def open_fds_under(path):
        fds = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}").startswith(str(path)):
                    fds.append(fd)
            except OSError:
                pass
        return fds

    for i in range(50):
        SummaryWriter(tmp_path / f"r{i}", flush_secs=3600).add_scalar("x", float(i), i)
    gc.collect()
    assert open_fds_under(tmp_path) == []
    assert not [f for f in eventfile._live if f.log_dir.startswith(str(tmp_path))]
    assert all(steps(tmp_path / f"r{i}") == [i] for i in range(50))


# -- 2. Ctrl-C ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["framing", "before os.write", "after os.write"])
def test_ctrl_c_while_a_batch_is_written_loses_nothing(tmp_path, where):
    # A real SIGINT, sent at the worst moments: after the batch left the queue, while it is framed,
    # before its bytes go to the file, or just after. Python raises KeyboardInterrupt there.
    proc = run_python(f"""
        import os, signal
        import tbwriter
        from tbwriter.format import record

        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        real_write, real_frame_many = os.write, record.frame_many

        def ctrl_c():
            os.write, record.frame_many = real_write, real_frame_many
            os.kill(os.getpid(), signal.SIGINT)

        def ctrl_c_then_write(fd, data):
            ctrl_c()
            return real_write(fd, data)

        def write_then_ctrl_c(fd, data):
            n = real_write(fd, data)
            ctrl_c()
            return n

        def frame_then_ctrl_c(events):
            framed = real_frame_many(events)
            ctrl_c()
            return framed

        if {where!r} == "framing":
            record.frame_many = frame_then_ctrl_c
        else:
            os.write = ctrl_c_then_write if {where!r} == "before os.write" else write_then_ctrl_c
        i = 0
        try:
            while True:
                w.add_scalar("x", float(i), i)
                i += 1
        except KeyboardInterrupt:
            w.close()
        print(i)
    """)
    assert proc.returncode == 0, proc.stderr
    returned = int(proc.stdout)
    assert returned >= 4000  # the interrupt came with the first batch write
    got = steps(tmp_path)
    assert got in (list(range(returned)), list(range(returned + 1)))  # + the call interrupted, if it queued


def test_ctrl_c_at_any_moment_of_a_logging_loop_loses_nothing(tmp_path, root):
    code = textwrap.dedent("""
        import sys, tbwriter
        w = tbwriter.SummaryWriter(sys.argv[1], flush_secs=3600)
        print("logging", flush=True)
        i = 0
        try:
            while True:
                w.add_scalar("x", float(i), i)
                i += 1
        except KeyboardInterrupt:
            w.close()
        print(i)
    """)
    env = dict(os.environ, PYTHONPATH=str(root))
    for trial in range(8):
        run = tmp_path / f"trial{trial}"
        proc = subprocess.Popen([sys.executable, "-c", code, str(run)], env=env, text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert proc.stdout.readline() == "logging\n"
        threading.Event().wait(0.02 + 0.01 * trial)  # a different moment of the loop each time
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        returned = int(out)
        assert steps(run) in (list(range(returned)), list(range(returned + 1)))


# -- 3. add_scalars from threads ---------------------------------------------------------------------

def test_add_scalars_from_threads_gets_one_writer_per_sub_run(tmp_path):
    n_threads, n = 8, 200
    for trial in range(3):
        run = tmp_path / f"trial{trial}"
        w = SummaryWriter(run, flush_secs=3600)
        start = threading.Barrier(n_threads)

        def log(w, start, k):
            start.wait()
            for i in range(n):
                w.add_scalars("loss", {"train": float(k), "val": float(k)}, k * n + i)

        threads = [threading.Thread(target=log, args=(w, start, k)) for k in range(n_threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        w.close()
        for sub in ("loss_train", "loss_val"):
            assert len(event_files(run / sub)) == 1
            assert sorted(steps(run / sub, "loss")) == list(range(n_threads * n))


# -- 4. the file vanishes ------------------------------------------------------------------------------

def test_deleted_run_directory_is_recreated_with_every_later_value(tmp_path):
    run = tmp_path / "run"
    w = SummaryWriter(run, flush_secs=3600)
    for i in range(10):
        w.add_scalar("x", float(i), i)
    w.flush()
    shutil.rmtree(run)
    for i in range(10, 20):
        w.add_scalar("x", float(i), i)
    with pytest.warns(RuntimeWarning, match="deleted or replaced"):
        w.flush()  # the first write after the deletion notices it
    for i in range(20, 5000):  # a batch write in add_scalar, then close
        w.add_scalar("x", float(i), i)
    w.close()
    assert steps(run) == list(range(10, 5000))
    assert raw_events(run)[0].file_version == "brain.Event:2"


def writer_whose_run_directory_became_a_file(tmp_path, closed: bool):
    """A writer that logged step 0 (then was closed, or flushed) and whose run directory is now a file."""
    run = tmp_path / "run"
    w = SummaryWriter(run, flush_secs=3600)
    w.add_scalar("x", 0.0, 0)
    w.close() if closed else w.flush()
    shutil.rmtree(run)
    run.write_text("a file where the run directory was: no event file can be created there")
    return w, run


def test_deleted_run_directory_that_cannot_be_recreated_is_an_error_and_keeps_the_values(tmp_path):
    w, run = writer_whose_run_directory_became_a_file(tmp_path, closed=False)
    w.add_scalar("x", 1.0, 1)
    with pytest.warns(RuntimeWarning, match="deleted or replaced"), pytest.raises(OSError, match="kept in memory"):
        w.flush()
    with pytest.raises(OSError, match="kept in memory"):
        w.add_scalar("x", 2.0, 2)  # still no folder: kept as well
    run.unlink()
    w.close()
    assert steps(run) == [1, 2]


def test_replaced_event_file_is_left_alone_and_logging_continues_in_a_new_one(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("x", 0.0, 0)
    w.flush()
    (path,) = event_files(tmp_path)
    with SummaryWriter(tmp_path / "other") as other:
        other.add_scalar("y", 1.0, 1)
    os.replace(event_files(tmp_path / "other")[0], path)  # another file now has our name
    w.add_scalar("x", 2.0, 2)
    with pytest.warns(RuntimeWarning, match=os.path.basename(path)):
        w.close()
    files = event_files(tmp_path)
    assert len(files) == 2 and files[0] == path
    assert [s for s, _ in accumulated_scalars(path)["y"]] == [1]
    assert steps(files[1]) == [2]


# -- 5. stranded on a closed file ------------------------------------------------------------------------

def test_values_queued_when_reopen_fails_are_an_error_then_written(tmp_path):
    w, run = writer_whose_run_directory_became_a_file(tmp_path, closed=True)
    with pytest.raises(OSError, match="kept in memory"):
        w.add_scalar("x", 1.0, 1)  # the value is kept: the error says so, and it is not logged again
    with pytest.raises(OSError, match="kept in memory"):
        w.flush()
    with pytest.raises(OSError, match="kept in memory"):
        w.close()
    run.unlink()
    w.close()
    assert steps(run) == [1]


def test_close_racing_logging_threads_loses_nothing(tmp_path):
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: the closes meet the appends at every point
    try:
        close_while_threads_log(tmp_path)
    finally:
        sys.setswitchinterval(interval)


def close_while_threads_log(tmp_path):
    n_threads, n = 4, 300
    for trial in range(20):
        run = tmp_path / f"trial{trial}"
        w = SummaryWriter(run, flush_secs=3600)
        started = threading.Barrier(n_threads + 1)

        def log(w, started, k):
            started.wait()
            for i in range(n):
                w.add_scalar(f"t{k}", float(i), i)

        threads = [threading.Thread(target=log, args=(w, started, k)) for k in range(n_threads)]
        for t in threads:
            t.start()
        started.wait()
        while any(t.is_alive() for t in threads):
            w.close()  # each close races the appends of the others
        w.close()
        got = accumulated_scalars(run)
        for k in range(n_threads):
            assert sorted(s for s, _ in got[f"t{k}"]) == list(range(n))


# -- 6. multiprocessing children ---------------------------------------------------------------------------

CHILD_MODULE = """
import tbwriter

_kept = []


def log(d):
    w = tbwriter.SummaryWriter(d, flush_secs=3600)
    _kept.append(w)  # held to the end, never closed: only the exit flush can write it
    for i in range(1000):
        w.add_scalar("x", float(i), i)


def log_and_forget(d):
    w = tbwriter.SummaryWriter(d, flush_secs=3600)
    for i in range(1000):
        w.add_scalar("x", float(i), i)
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("target", ["log", "log_and_forget"])
def test_multiprocessing_child_that_never_closes_keeps_every_value(tmp_path, monkeypatch, method, target):
    (tmp_path / "child_logging.py").write_text(CHILD_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import child_logging

    ctx = multiprocessing.get_context(method)
    p = ctx.Process(target=getattr(child_logging, target), args=(str(tmp_path / "run"),))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    assert steps(tmp_path / "run") == list(range(1000))


def test_pool_worker_that_never_closes_keeps_every_value_when_the_pool_is_joined(tmp_path, monkeypatch):
    (tmp_path / "child_logging.py").write_text(CHILD_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import child_logging

    pool = multiprocessing.get_context("fork").Pool(1)
    pool.apply(child_logging.log, (str(tmp_path / "run"),))
    pool.close()  # not terminate(): that kills the worker (the README says so)
    pool.join()
    assert steps(tmp_path / "run") == list(range(1000))


# -- 12. TensorBoard callback and NaN weights -----------------------------------------------------------------

def test_tensorboard_histograms_of_nan_weights_warn_and_terminate_on_nan_stops(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(4, 3)
    cbs = CallbackList([TensorBoard(tmp_path, histogram_freq=1), TerminateOnNaN()], model=model)
    cbs.on_train_begin()
    cbs.on_epoch_end(0, {"loss": 1.0})
    with torch.no_grad():
        model.weight.fill_(float("nan"))  # the run diverged
        model.bias[0] = float("nan")      # partly NaN: its finite values are still counted
    with pytest.warns(RuntimeWarning) as caught:
        cbs.on_epoch_end(1, {"loss": float("nan")})
    messages = [str(w.message) for w in caught]
    assert any("'weight'" in m and "epoch 1" in m for m in messages), messages
    cbs.on_train_batch_end(0, {"loss": float("nan")})  # TerminateOnNaN gets its turn
    assert cbs.model.stop_training
    cbs.on_train_end()
    acc = accumulator(tmp_path / "train")
    assert sorted(acc.Tags()["tensors"]) == ["bias/histogram", "weight/histogram"]
    assert [e.step for e in acc.Tensors("weight/histogram")] == [0]
    bias = acc.Tensors("bias/histogram")
    assert [e.step for e in bias] == [0, 1]
    from tensorboard.util import tensor_util
    assert tensor_util.make_ndarray(bias[1].tensor_proto)[:, 2].sum() == 2  # the two finite biases


# -- 13. a refused add_hparams changes nothing ------------------------------------------------------------------

@pytest.mark.parametrize("bad", [{"\udc80": 1.0}, {"opt": "adam\udc80"}])
def test_refused_add_hparams_leaves_the_writer_usable(tmp_path, bad):
    w = SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match="add_hparams.*surrogate"):
        w.add_hparams(bad, {})
    w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.5})
    w.close()
    starts = [v for e in raw_events(tmp_path) if e.HasField("summary") for v in e.summary.value
              if v.tag == "_hparams_/session_start_info"]
    assert len(starts) == 1
    assert accumulated_scalars(tmp_path)["hparam/acc"] == [(0, 0.5)]


# -- 18. flush_secs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("flush_secs, error", [(0, ValueError), (-1, ValueError), (math.nan, ValueError),
                                               (math.inf, ValueError), (None, TypeError), ("10", TypeError),
                                               (True, TypeError)])
def test_bad_flush_secs_is_refused_naming_it(tmp_path, flush_secs, error):
    with pytest.raises(error, match=r"SummaryWriter: flush_secs must be a positive number of seconds"):
        SummaryWriter(tmp_path / "run", flush_secs=flush_secs)
    assert not (tmp_path / "run").exists()


def test_one_broken_file_does_not_stop_timed_flushing_of_the_others(tmp_path):
    import time
    broken = eventfile.EventFile(str(tmp_path / "broken"), flush_secs=None)  # bypasses SummaryWriter's check
    zero = eventfile.EventFile(str(tmp_path / "zero"), flush_secs=0)
    assert eventfile._wait_secs() >= 0.05  # a zero flush_secs does not make the flusher spin
    w = SummaryWriter(tmp_path / "good", flush_secs=0.2)
    w.add_scalar("x", 1.0, 1)
    deadline = time.monotonic() + 10
    while not steps(tmp_path / "good") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert steps(tmp_path / "good") == [1]
    w.close()
    with pytest.raises(TypeError):  # what broke the flusher's turn is raised to the file's owner
        broken.close()
    broken.flush_secs = 1
    broken.close()
    zero.close()


# -- 19. add_scalars checks every key first; write errors say the value is kept ----------------------------------

@pytest.mark.parametrize("values, error, match", [
    ({"train": 1.0, "val": "high"}, TypeError, "add_scalars.*loss/val"),
    ({"train": 1.0, "a/../../../escaped": 2.0}, ValueError, "add_scalars.*must be a relative name inside log_dir"),
    ({"train": 1.0, "a\0b": 2.0}, ValueError, "add_scalars.*NUL"),
    ({"train": 1.0, "k" * 300: 2.0}, ValueError, "add_scalars.*'kkk.*file name of 305 bytes.*255 bytes"),
    ({"train": 1.0, "\udc80": 2.0}, ValueError, "add_scalars.*surrogate"),
])
def test_add_scalars_refuses_before_writing_any_key(tmp_path, values, error, match):
    log_dir = tmp_path / "logs" / "run"
    w = SummaryWriter(log_dir)
    with pytest.raises(error, match=match):
        w.add_scalars("loss", values, 1)
    assert sorted(os.listdir(tmp_path)) == ["logs"] and os.listdir(tmp_path / "logs") == ["run"]
    assert [p for p in os.listdir(log_dir) if not p.startswith("events.")] == []  # no sub-run made
    w.add_scalars("loss", {"train": 1.0}, 2)
    w.close()
    assert steps(log_dir / "loss_train", "loss") == [2]


def test_disk_error_from_add_scalar_says_the_value_is_kept_and_it_is_written_once(tmp_path):
    proc = run_python(f"""
        import resource, signal, tbwriter
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50000, resource.RLIM_INFINITY))
        for i in range(100000):
            try:
                w.add_scalar("x", float(i), i)
            except OSError as e:
                print(i, e)
                break
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        w.close()   # no retry of the value whose call raised: it was kept
    """)
    assert proc.returncode == 0, proc.stderr
    failed, message = proc.stdout.split(" ", 1)
    assert "File too large" in message and "kept in memory" in message and "do not log it again" in message
    assert steps(tmp_path) == list(range(int(failed) + 1))


# -- 20. surrogates in tags, bounded caches, CSVLogger in a read-only folder --------------------------------------

@pytest.mark.parametrize("method, call", [
    ("add_scalar", lambda w: w.add_scalar("bad\udc80", 1.0, 1)),
    ("add_scalar", lambda w: w.add_scalar("bad\udc80", 1.0, 1, new_style=True)),
    ("log_metrics", lambda w: w.log_metrics({"ok": 1.0, "bad\udc80": 2.0}, 1)),
    ("add_scalars", lambda w: w.add_scalars("bad\udc80", {"a": 1.0}, 1)),
    ("add_text", lambda w: w.add_text("bad\udc80", "hello", 1)),
    ("add_histogram", lambda w: w.add_histogram("bad\udc80", [1.0, 2.0], 1)),
])
def test_surrogate_in_tag_is_a_value_error_naming_method_and_tag(tmp_path, method, call):
    w = SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match=rf"^{method}\(tag='bad\\udc80'\).*surrogate"):
        call(w)
    w.add_scalar("ok", 3.0, 3)
    w.close()
    assert accumulated_scalars(tmp_path) == {"ok": [(3, 3.0)]}
    assert os.listdir(tmp_path) == [os.path.basename(event_files(tmp_path)[0])]  # no sub-run either


def test_encoder_caches_do_not_keep_every_long_tag(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(40):
            tag = f"{i}" + "t" * (1 << 20)  # 1 MiB each
            w.add_scalar(tag, 1.0, i)
            w.log_metrics({tag: 2.0}, i)
            w.flush()
        del tag
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 8 << 20  # 40 MiB of tags, and their encoded copies, are not held
    w.close()
    assert len(accumulated_scalars(tmp_path)) == 40


def test_csv_logger_keeps_the_row_of_a_late_key_in_a_read_only_folder():
    # A folder the logger may not create files in, holding a file it may write. Root may do
    # anything, so the logger then runs as the unprivileged user "nobody".
    folder = tempfile.mkdtemp()
    try:
        path = os.path.join(folder, "training.csv")
        open(path, "w").close()
        user = pwd.getpwnam("nobody") if os.getuid() == 0 else None
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)
        os.chmod(folder, 0o555)
        proc = run_python(f"""
            import os
            from tbwriter.callbacks import CSVLogger
            if {user is not None}:
                os.setgid({user.pw_gid if user else 0})
                os.setuid({user.pw_uid if user else 0})
            logger = CSVLogger({path!r})
            logger.on_train_begin()
            logger.on_epoch_end(0, {{"loss": 0.5}})
            logger.on_epoch_end(1, {{"loss": 0.25, "val_loss": 0.75}})   # a late key: the header is rewritten
            logger.on_epoch_end(2, {{"loss": 0.125, "val_loss": 0.5}})
            logger.on_train_end()
            print(os.access(os.path.dirname({path!r}), os.W_OK))
        """)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "False"  # the folder really was read-only for the logger
        with open(path) as f:
            assert f.read().splitlines() == ["epoch,loss,val_loss", "0,0.5,NA", "1,0.25,0.75", "2,0.125,0.5"]
        assert os.listdir(folder) == ["training.csv"]
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


# -- 21. a run stays in one directory: chdir after opening, names that would leave it --------------------------------

def test_chdir_after_opening_a_relative_log_dir_keeps_the_whole_run_where_it_was_opened(tmp_path, monkeypatch):
    import numpy as np

    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    monkeypatch.chdir(tmp_path / "first")
    w = SummaryWriter("runs/x")
    w.add_scalar("x", 1.0, 1)
    w.flush()
    monkeypatch.chdir(tmp_path / "second")  # what Hydra does after the writer is made
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "was deleted or replaced" warning
        w.add_scalar("x", 2.0, 2)
        w.flush()
        w.add_scalars("loss", {"train": 0.5}, 2)
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.5}, run_name="hp")
        w.add_embedding(np.zeros((2, 3)), tag="emb")
    assert w.get_logdir() == "runs/x"  # as torch returns it
    assert sorted(w.all_writers) == ["runs/x", "runs/x/hp", "runs/x/loss_train"]
    assert w.all_writers["runs/x/loss_train"].get_logdir() == "runs/x/loss_train"
    w.close()
    assert os.listdir(tmp_path / "second") == []
    run = tmp_path / "first" / "runs" / "x"
    assert steps(run) == [1, 2]
    assert steps(run / "loss_train", "loss") == [2]
    assert accumulated_scalars(run / "hp")["hparam/acc"] == [(0, 0.5)]
    assert (run / "00000" / "emb" / "tensors.tsv").exists()


@pytest.mark.parametrize("tag", [".", ".."])
def test_add_embedding_refuses_a_tag_that_names_no_directory_of_its_own(tmp_path, tag):
    import numpy as np

    w = SummaryWriter(tmp_path / "run")
    with pytest.raises(ValueError, match=r"add_embedding\(tag='\.+'\): tag '\.+' must be a relative name inside"):
        w.add_embedding(np.zeros((2, 3)), tag=tag)
    assert [p for p in os.listdir(tmp_path / "run") if not p.startswith("events.")] == []
    assert os.listdir(tmp_path) == ["run"]
    w.add_embedding(np.zeros((2, 3)), tag="ok")
    w.close()
    assert (tmp_path / "run" / "00000" / "ok" / "tensors.tsv").exists()


@pytest.mark.parametrize("run_name", ["..", "../escaped", "a/../../escaped", "ABSOLUTE", "r" * 256, "r\ud800"])
def test_add_hparams_refuses_a_run_name_that_leaves_log_dir(tmp_path, run_name):
    if run_name == "ABSOLUTE":
        run_name = str(tmp_path / "absolute")
    log_dir = tmp_path / "logs" / "run"
    w = SummaryWriter(log_dir)
    with pytest.raises(ValueError, match=r"add_hparams: run_name .* inside log_dir"):
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.5}, run_name=run_name)
    assert sorted(os.listdir(tmp_path)) == ["logs"] and os.listdir(tmp_path / "logs") == ["run"]
    assert [p for p in os.listdir(log_dir) if not p.startswith("events.")] == []
    w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.5}, run_name="ok")
    w.close()
    assert accumulated_scalars(log_dir / "ok")["hparam/acc"] == [(0, 0.5)]


@pytest.mark.parametrize("run_name", [".", "./", "OWN"])
def test_add_hparams_run_name_naming_log_dir_itself_keeps_the_session_in_this_run(tmp_path, run_name):
    # torch scripts pass run_name="." or log_dir's absolute path so that torch writes no sub-run: same here,
    # in the writer's own file (a second writer on the same directory would split the run in two files)
    from tbwriter import read_hparams

    log_dir = tmp_path / "run"
    with SummaryWriter(log_dir) as w:
        w.add_scalar("loss", 1.0, 0)
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.5}, run_name=str(log_dir) if run_name == "OWN" else run_name)
        with pytest.raises(ValueError, match="already holds a session"):
            w.add_hparams({"lr": 0.2}, {"hparam/acc": 0.6}, run_name=".")
    assert os.listdir(tmp_path) == ["run"] and len(os.listdir(log_dir)) == 1
    assert accumulated_scalars(log_dir)["hparam/acc"] == [(0, 0.5)]
    (session,) = read_hparams(tmp_path).sessions
    assert (session.run, session.hparams, session.status) == ("run", {"lr": 0.1}, "SUCCESS")
