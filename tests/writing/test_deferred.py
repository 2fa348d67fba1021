"""Deferred device values: snapshots at the call, one batched copy later, events in call order.

CPU tensors go through the same code as CUDA ones (``DEFER_CPU_TENSORS``); only tbwriter.writing.deferred's
``_Transfer`` differs on CUDA (pinned memory and an event to poll), which tests/writing/test_gpu.py covers.
"""
import math
import time

import pytest

from tbwriter.writing import deferred

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


def test_one_copy_per_device_stream_and_dtype():
    values = [torch.tensor(float(i)) for i in range(5)] + [torch.tensor(i, dtype=torch.int32) for i in range(3)]
    slots = [deferred.snapshot(v) for v in values]
    deferred.dispatch()
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


def test_a_copy_that_fails_drops_its_events_with_a_warning_and_the_rest_goes_on():
    good = deferred_event("good", torch.tensor(1.0))
    broken = deferred.Slot()
    deferred._pending.add(torch.zeros(2, dtype=torch.float16), None, broken)  # stacked with a scalar: fails
    bad = deferred.Deferred([deferred.snapshot(torch.tensor(1.0, dtype=torch.float16)), broken], event_of("bad"),
                            "add_scalar(tag='bad')")
    with pytest.warns(RuntimeWarning, match=r"add_scalar\(tag='bad'\): the value could not be copied"):
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
