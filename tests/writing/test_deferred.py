"""Deferred device values: snapshots at the call, one batched copy later, events in call order.

CPU tensors go through the same code as CUDA ones (``DEFER_CPU_TENSORS``); only tbwriter.writing.deferred's
``_Transfer`` differs on CUDA (pinned memory and an event to poll), which tests/writing/test_gpu.py covers.
"""
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from tbwriter import SummaryWriter
from tbwriter.writing import deferred
from tests.support import ROOT
from tests.support.eventcheck import accumulated_scalars, accumulator, scalar_values

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def defer_cpu(monkeypatch):
    monkeypatch.setattr(deferred, "DEFER_CPU_TENSORS", True)


def event_of(name: str):
    """An encoder that makes readable bytes of the values: ``name=v1,v2``."""
    return lambda values: f"{name}={','.join(repr(v) for v in values)}".encode()


def deferred_event(name: str, *values):
    parts = [deferred.snapshot(v) if deferred.deferrable(v) else float(v) for v in values]
    return deferred.Deferred(parts, event_of(name), f"test(tag={name!r})")


def test_which_values_are_deferred(monkeypatch):
    assert deferred.deferrable(torch.tensor(1.5)) and deferred.deferrable(torch.tensor([[2]]))
    assert not deferred.deferrable(torch.tensor([1.0, 2.0]))  # to_float refuses it, with its message
    assert not deferred.deferrable(torch.tensor(1 + 2j))
    assert not deferred.deferrable(1.5)
    np = pytest.importorskip("numpy")
    assert not deferred.deferrable(np.float32(1.5)) and not deferred.deferrable(np.array([1.5]))
    monkeypatch.setattr(deferred, "DEFER_CPU_TENSORS", False)
    assert not deferred.deferrable(torch.tensor(1.5))  # a CPU tensor's .item() costs nothing: not deferred


def test_events_come_out_in_call_order_with_plain_values_between():
    items = [b"first", deferred_event("loss", torch.tensor(0.25)), b"plain",
             deferred_event("metrics", torch.tensor(1.5), 7, torch.tensor(3, dtype=torch.int64)), b"last"]
    done, taken = deferred.settle(items, time.monotonic() + 30)
    assert taken == len(items)
    assert done == [b"first", b"loss=0.25", b"plain", b"metrics=1.5,7.0,3.0", b"last"]


def test_the_value_is_the_one_at_the_call_not_after_an_in_place_change():
    t = torch.tensor([2.0])
    item = deferred_event("loss", t)
    t.add_(40)  # after the call: the optimizer updating a buffer in place
    t.zero_()
    assert deferred.settle([item], time.monotonic() + 30)[0] == [b"loss=2.0"]


@pytest.mark.parametrize("value", [
    torch.tensor(0.1), torch.tensor(0.1, dtype=torch.float64), torch.tensor(0.1, dtype=torch.bfloat16),
    torch.tensor(0.1, dtype=torch.float16), torch.tensor(2**60 + 1), torch.tensor(True),
    torch.tensor(-7, dtype=torch.int8),
    torch.tensor(math.nan), torch.tensor(-math.inf), torch.tensor([[3.5]], requires_grad=True) * 2,
], ids=["float32", "float64", "bfloat16", "float16", "int64", "bool", "int8", "nan", "-inf", "grad"])
def test_values_are_what_item_gives(value):
    item = deferred_event("v", value)
    done, _ = deferred.settle([item], time.monotonic() + 30)
    assert done == [f"v={float(value.item())!r}".encode()]


def test_one_copy_per_device_stream_and_dtype(monkeypatch):
    values = [torch.tensor(float(i)) for i in range(5)] + [torch.tensor(i, dtype=torch.int32) for i in range(3)]
    dispatch = deferred.dispatch
    with monkeypatch.context() as between_ticks:  # a flusher thread's tick would copy what is pending so far
        between_ticks.setattr(deferred, "dispatch", lambda: None)
        slots = [deferred.snapshot(v) for v in values]
    dispatch()
    assert len({id(s.transfer) for s in slots[:5]}) == 1 and len({id(s.transfer) for s in slots[5:]}) == 1
    assert slots[0].transfer is not slots[5].transfer
    assert [s.transfer.values()[s.index] for s in slots] == [0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 2.0]


def test_settle_stops_at_the_first_value_not_landed_and_keeps_the_rest():
    waiting = deferred.Slot()  # a copy that has not landed (never, here)
    later = deferred_event("later", torch.tensor(1.0))
    items = [b"a", deferred_event("x", torch.tensor(4.0)), deferred.Deferred([waiting], event_of("w"), "w"),
             later, b"b"]
    done, taken = deferred.settle(items, None)
    assert (done, taken) == ([b"a", b"x=4.0"], 2)
    done, taken = deferred.settle(items[taken:], time.monotonic() + 0.05)  # bounded: gives up at the deadline
    assert (done, taken) == ([], 0)


def test_a_copy_that_fails_drops_its_events_with_a_warning_and_the_rest_goes_on(monkeypatch):
    real = deferred._Transfer

    def device_error_for_float16(copies, stream):  # a device in error: its copy raises, as CUDA does
        if copies[0].dtype == torch.float16:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return real(copies, stream)

    monkeypatch.setattr(deferred, "_Transfer", device_error_for_float16)
    good = deferred_event("good", torch.tensor(1.0))
    bad = deferred.Deferred([deferred.snapshot(torch.tensor(1.0, dtype=torch.float16))], event_of("bad"),
                            "add_scalar(tag='bad')")
    with pytest.warns(RuntimeWarning, match=r"add_scalar\(tag='bad'\): the value could not be copied from its "
                                            r"device \(CUDA error: an illegal memory access"):
        done, taken = deferred.settle([good, bad, b"after"], time.monotonic() + 30)
    assert (done, taken) == ([b"good=1.0", b"after"], 3)


def test_an_interrupted_dispatch_loses_nothing(monkeypatch):
    items = [deferred_event("a", torch.tensor(1.0)), deferred_event("b", torch.tensor(2.0, dtype=torch.float64))]
    real = deferred._Transfer

    def ctrl_c_once(copies, stream):
        monkeypatch.setattr(deferred, "_Transfer", real)
        raise KeyboardInterrupt

    monkeypatch.setattr(deferred, "_Transfer", ctrl_c_once)
    with pytest.raises(KeyboardInterrupt):
        deferred.dispatch()
    assert deferred.settle(items, time.monotonic() + 30) == ([b"a=1.0", b"b=2.0"], 2)


# -- through the writer ------------------------------------------------------------------------------

def values_in(run) -> list[tuple[str, int, float]]:
    return [(tag, step, value) for tag, step, value in scalar_values(run) if tag != "warm"]


def test_writer_events_in_call_order_with_plain_numbers(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    for step in range(300):
        w.add_scalar("x", torch.tensor(float(step)), step)
        w.add_scalar("x", step + 0.5, step)
        w.log_metrics({"a": torch.tensor(step, dtype=torch.int32), "b": 0.25}, step)
        w.add_scalar("y", torch.tensor(0.5), step, new_style=True)
    w.flush()  # everything logged before the flush is on disk after it
    got = values_in(tmp_path)
    assert [(t, s, v) for t, s, v in got if t == "x"] == [("x", i // 2, i / 2) for i in range(600)]
    assert [(t, s, v) for t, s, v in got if t != "x"] == [(t, s, v) for s in range(300) for t, v in
                                                         (("a", float(s)), ("b", 0.25))]
    assert [e.step for e in accumulator(tmp_path).Tensors("y")] == list(range(300))
    w.close()


def test_writer_writes_the_value_at_the_call_not_after_an_in_place_change(tmp_path):
    t = torch.tensor(1.0)
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        w.add_scalar("loss", t, 1)
        w.log_metrics({"m": t}, 1)
        w.add_scalars("s", {"k": t}, 1)
        t.mul_(100)  # the optimizer's in-place update, before any copy was made
    assert values_in(tmp_path) == [("loss", 1, 1.0), ("m", 1, 1.0)]
    assert values_in(tmp_path / "s_k") == [("s", 1, 1.0)]


def test_values_reach_the_disk_at_the_timed_flush_without_flush(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=0.05)
    w.add_scalar("loss", torch.tensor(2.0), 3)
    for _ in range(400):  # the background thread's next ticks dispatch the copy, then write the event
        if values_in(tmp_path):
            break
        time.sleep(0.025)
    assert values_in(tmp_path) == [("loss", 3, 2.0)]
    w.close()


def test_a_url_logdir_gets_the_deferred_values_in_order():
    import uuid
    url = f"memory://tests-{uuid.uuid4().hex}/run"
    with SummaryWriter(url) as w:
        for step in range(20):
            w.add_scalar("loss", torch.tensor(step / 4), step)
            w.add_scalar("loss", step / 4 + 0.125, step)
            if step % 7 == 0:
                w.flush()  # a sealed segment each time, holding what was logged before
    assert [v for _, v in accumulated_scalars(url)["loss"]] == [i / 8 for i in range(40)]


def test_opting_out_fetches_at_the_call(tmp_path, monkeypatch):
    fetched = []
    real_item = torch.Tensor.item
    monkeypatch.setattr(torch.Tensor, "item", lambda self: fetched.append(1) or real_item(self))
    with SummaryWriter(tmp_path / "deferred") as w:
        w.add_scalar("loss", torch.tensor(0.5), 1)
        w.log_metrics({"m": torch.tensor(0.5)}, 1)
    assert fetched == []  # deferred: the values were copied in a batch, never fetched one by one
    with SummaryWriter(tmp_path / "at_call", defer_device=False) as w:
        w.add_scalar("loss", torch.tensor(0.5), 1)
        w.log_metrics({"m": torch.tensor(0.5)}, 1)
        w.add_scalars("s", {"k": torch.tensor(0.5)}, 1)
        assert len(fetched) == 3
    assert values_in(tmp_path / "at_call") == values_in(tmp_path / "deferred") == [("loss", 1, 0.5), ("m", 1, 0.5)]
    with pytest.raises(TypeError, match="defer_device must be True or False"):
        SummaryWriter(tmp_path / "bad", defer_device="yes")


def test_a_refused_call_writes_nothing(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="lone surrogate"):
            w.log_metrics({"ok": torch.tensor(1.0), "bad\udc80": torch.tensor(2.0)}, 1)
        with pytest.raises(ValueError, match="exactly one value"):
            w.add_scalar("two", torch.tensor([1.0, 2.0]), 1)
        with pytest.raises(TypeError, match="global_step"):
            w.add_scalar("step", torch.tensor(1.0), 1.5)
        w.add_scalar("after", torch.tensor(3.0), 2)
    assert values_in(tmp_path) == [("after", 2, 3.0)]


def test_a_rank_that_writes_nothing_takes_no_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    copied = []
    real_snapshot = deferred.snapshot
    monkeypatch.setattr(deferred, "snapshot", lambda t: copied.append(t) or real_snapshot(t))
    w = SummaryWriter(tmp_path / "run")
    w.add_scalar("loss", torch.tensor(1.0), 1)
    w.log_metrics({"m": torch.tensor(1.0)}, 1)
    w.add_scalars("s", {"k": torch.tensor(1.0)}, 1)
    assert copied == []
    with pytest.raises(ValueError, match="exactly one value"):  # still checked
        w.add_scalar("two", torch.tensor([1.0, 2.0]), 1)
    w.close()
    assert not (tmp_path / "run").exists()


def test_a_hung_device_costs_flush_and_close_a_bounded_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(deferred, "WAIT_SECS", 0.2)
    w = SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("before", 1.0, 1)
    monkeypatch.setattr(deferred._Transfer, "done", lambda self: False)  # the copy never lands
    w.add_scalar("hung", torch.tensor(2.0), 2)
    w.add_scalar("after", 3.0, 3)
    with pytest.warns(RuntimeWarning, match=r"flush\(\).*1 event\(s\) logged from a device still wait.*later flush"):
        w.flush()
    assert values_in(tmp_path) == [("before", 1, 1.0)]  # what follows the hung value waits with it, in order
    with pytest.warns(RuntimeWarning, match=r"close\(\).*1 event\(s\) logged from a device.*not written"):
        w.close()
    assert values_in(tmp_path) == [("before", 1, 1.0), ("after", 3, 3.0)]


EXIT_SCRIPT = """
    import sys, torch, tbwriter
    from tbwriter.writing import deferred
    deferred.DEFER_CPU_TENSORS = True
    w = tbwriter.SummaryWriter(sys.argv[1], flush_secs=3600)
    t = torch.zeros(())
    print("logging", flush=True)
    i = 0
    try:
        while i < int(sys.argv[2]):
            t.fill_(float(i))
            w.add_scalar("x", t, i)
            w.add_scalar("x", i + 0.5, i)
            i += 1
    except KeyboardInterrupt:
        pass
    t.fill_(-1.0)
    print(i)
    # no close(): the exit flush copies and writes every value whose call returned
"""


def test_values_logged_before_interpreter_exit_are_written(tmp_path):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), str(tmp_path), "500"],
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [v for _, _, v in values_in(tmp_path)] == [i / 2 for i in range(1000)]


def test_ctrl_c_at_any_moment_loses_no_value_whose_call_returned(tmp_path):
    for trial in range(3):
        run = tmp_path / f"trial{trial}"
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), str(run), str(10**9)],
                                env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        assert proc.stdout.readline() == "logging\n"
        threading.Event().wait(0.05 + 0.05 * trial)  # a different moment of the loop each time
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        returned = int(out)  # loops whose two calls both returned
        got = [v for _, _, v in values_in(run)]
        assert got[:2 * returned] == [i / 2 for i in range(2 * returned)]
        # + the loop interrupted: its first call, or both if the second queued its value before the signal
        assert got[2 * returned:] in ([], [float(returned)], [float(returned), returned + 0.5])
