"""Images and videos of device tensors: made uint8 on the device at the call, copied once, later, by the
background thread, and written in call order; refused calls still refused at the call.

CPU tensors take the device path here (``DEFER_CPU_TENSORS``), through the same code as CUDA ones; only
tbwriter.writing.deferred's ``_Transfer`` differs on CUDA, which tests/writing/test_gpu.py covers.
"""
import os
import subprocess
import sys
import textwrap
import time
import weakref

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tbwriter.writing import deferred
from tbwriter.writing.arrays import to_numpy
from tbwriter.writing.summaries import pixels
from tests.support import ROOT
from tests.support.eventcheck import raw_events

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")
WALL = 1234.5


@pytest.fixture(autouse=True)
def defer_cpu(monkeypatch):
    monkeypatch.setattr(deferred, "DEFER_CPU_TENSORS", True)


def summaries(run) -> list[bytes]:
    """Every summary event of a run, as bytes (they hold the call's wall time, so two runs compare equal)."""
    return [e.SerializeToString() for e in raw_events(run) if e.HasField("summary")]


def picture(seed, shape=(3, 6, 5), dtype=torch.float32):
    """Pixels in [-0.2, 1.2] (some clipped), with values at and around the rounding points k/255 and k.5/255."""
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(shape, generator=g, dtype=torch.float64) * 1.4 - 0.2
    edges = torch.arange(values.numel(), dtype=torch.float64) % 512 / 510  # k/255 and (k + 0.5)/255
    values.view(-1)[::3] = edges[::3]
    return values.to(dtype)


# -- the pixels ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_float_pixels_made_on_the_device_equal_the_host_paths(dtype):
    t = picture(1, (4, 3, 33, 17), dtype)
    t.view(-1)[:4] = torch.tensor([0.5 / 255, 1.5 / 255, 254.5 / 255, -0.0])  # ties: half to even, as np.rint
    made = pixels.uint8(t)
    assert isinstance(made, pixels.DevicePixels)
    np.testing.assert_array_equal(pixels.on_host(made), pixels.to_uint8(to_numpy(t)))


@pytest.mark.parametrize("dtype", [torch.uint8, torch.bool, torch.int8, torch.int16, torch.int32, torch.int64])
def test_integer_and_bool_pixels_made_on_the_device_equal_the_host_paths(dtype):
    g = torch.Generator().manual_seed(2)
    top = 2 if dtype == torch.bool else 128 if dtype == torch.int8 else 256
    t = torch.randint(0, top, (2, 3, 9, 7), generator=g).to(dtype)
    np.testing.assert_array_equal(pixels.on_host(pixels.uint8(t)), pixels.to_uint8(t.numpy()))


@pytest.mark.parametrize("t", [
    torch.tensor([[0.5, float("nan")]]), torch.tensor([[0.5, float("inf")]], dtype=torch.bfloat16),
    torch.tensor([[-3, 7, 300]]), torch.tensor([[-1, 0]], dtype=torch.int8),
], ids=["nan", "inf-bf16", "int64-300", "int8-neg"])
def test_values_refused_on_the_host_are_refused_with_the_same_words(t):
    with pytest.raises(ValueError) as host:
        pixels.to_uint8(to_numpy(t))
    with pytest.raises(ValueError) as device:
        pixels.on_host(pixels.uint8(t))
    assert str(device.value) == str(host.value)


# -- through the writer ----------------------------------------------------------------------------------

def log_media(w, image, images, video, raw, step):
    w.add_image("image", image, step, walltime=WALL)
    w.add_image("raw", raw, step, walltime=WALL, dataformats="HWC")
    w.add_scalar("between", step + 0.5, step, walltime=WALL)
    w.add_images("images", images, step, walltime=WALL, dataformats="NHWC")
    w.add_text("text", f"step {step}", step, walltime=WALL)
    w.add_video("video", video, step, fps=5, walltime=WALL)
    w.add_image("grey", image[0] > 0.5, step, walltime=WALL, dataformats="HW")


def media_inputs(step):
    raw = torch.randint(0, 256, (5, 4, 3), generator=torch.Generator().manual_seed(step), dtype=torch.uint8)
    return picture(step), picture(step + 50, (2, 5, 4, 3), torch.bfloat16), picture(step + 99, (3, 2, 3, 6, 4)), raw


def test_events_come_out_in_call_order_and_equal_the_host_paths(tmp_path):
    with SummaryWriter(tmp_path / "device", flush_secs=3600) as w:
        for step in range(4):
            log_media(w, *media_inputs(step), step)
        w.flush()  # everything logged before the flush is on disk after it
        got = summaries(tmp_path / "device")
    with SummaryWriter(tmp_path / "host") as w:
        for step in range(4):
            log_media(w, *(to_numpy(t) for t in media_inputs(step)), step)
    assert got == summaries(tmp_path / "host")
    assert len(got) == 28


def test_what_is_written_is_the_tensor_at_the_call_not_after_an_in_place_change(tmp_path):
    inputs = media_inputs(7)
    kept = [to_numpy(t).copy() for t in inputs]
    with SummaryWriter(tmp_path / "device", flush_secs=3600) as w:
        log_media(w, *inputs, 1)
        for t in inputs:
            t.fill_(0.25)  # the optimizer's in-place update, before the background thread copied anything
    with SummaryWriter(tmp_path / "host") as w:
        log_media(w, *kept, 1)
    assert summaries(tmp_path / "device") == summaries(tmp_path / "host")


def test_the_writer_does_not_hold_the_logged_tensor_while_its_event_waits(tmp_path):
    image = picture(3, (3, 64, 64))
    held = weakref.ref(image)
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        w.add_image("image", image, 0)
        del image  # the training loop lets go of its activation: so does the queued event (it keeps uint8 pixels)
        assert held() is None
    assert len(summaries(tmp_path)) == 1


class CountedTransfer(deferred._Transfer):
    """The seam, counted: each instance is one copy from the device to the host."""
    made: list = []

    def __init__(self, snapshots, stream):
        CountedTransfer.made.append([(tuple(s.shape), s.dtype) for s in snapshots])
        super().__init__(snapshots, stream)


@pytest.fixture
def transfers(monkeypatch):
    CountedTransfer.made = []
    monkeypatch.setattr(deferred, "_Transfer", CountedTransfer)
    return CountedTransfer.made


@pytest.fixture
def reads(monkeypatch):
    """Calls that read a tensor's values on the host (a copy from the device, for a CUDA tensor)."""
    calls = []
    for name in ("cpu", "numpy", "item", "tolist"):
        real = getattr(torch.Tensor, name)
        monkeypatch.setattr(torch.Tensor, name, lambda self, *a, real=real, name=name, **k: (
            calls.append(name), real(self, *a, **k))[1])
    return calls


def test_the_call_copies_nothing_and_the_flusher_copies_each_shape_once(tmp_path, monkeypatch, transfers, reads):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    with monkeypatch.context() as between_ticks:  # the background thread's tick would copy what is pending so far
        between_ticks.setattr(deferred, "dispatch", lambda: None)
        for step in range(5):
            w.add_image("image", picture(step), step)  # one shape: 5 images, one copy
        w.add_video("video", picture(9, (1, 2, 3, 4, 4)), 0)
        w.add_images("batch", picture(10, (2, 3, 4, 5), torch.float16), 0)
    assert (reads, transfers) == ([], [])  # the calls only queued work on the device
    w.flush()
    size = 3 * 6 * 5 + 1  # uint8 pixels and the NaN flag, in one tensor
    assert sorted(transfers) == sorted([[((size,), torch.uint8)] * 5, [((1 * 2 * 4 * 4 * 3 + 1,), torch.uint8)],
                                        [((2 * 3 * 4 * 5 + 1,), torch.uint8)]])
    w.close()
    assert len(summaries(tmp_path)) == 7


def test_opting_out_copies_once_at_the_call(tmp_path, transfers, reads):
    with SummaryWriter(tmp_path / "at_call", defer_device=False) as w:
        w.add_image("image", picture(1), 0, walltime=WALL)
        assert reads.count("cpu") == 1
        w.add_video("video", picture(2, (1, 2, 3, 4, 4)), 0, walltime=WALL)
        assert reads.count("cpu") == 2 and transfers == []
    with SummaryWriter(tmp_path / "host") as w:
        w.add_image("image", picture(1).numpy(), 0, walltime=WALL)
        w.add_video("video", picture(2, (1, 2, 3, 4, 4)).numpy(), 0, walltime=WALL)
    assert summaries(tmp_path / "at_call") == summaries(tmp_path / "host")


def test_add_embedding_copies_each_tensor_once_at_the_call(tmp_path, reads):
    mat = torch.randn(6, 4, generator=torch.Generator().manual_seed(3))
    sprites = picture(4, (6, 3, 5, 5), torch.bfloat16)
    with SummaryWriter(tmp_path / "device") as w:
        w.add_embedding(mat.to(torch.bfloat16), label_img=sprites)
        assert reads.count("cpu") == 2  # the matrix (made float32 on the device) and the sprites (made uint8)
    with SummaryWriter(tmp_path / "host") as w:
        w.add_embedding(mat.to(torch.bfloat16).float().numpy(), label_img=sprites.float().numpy())
    for name in ("tensors.tsv", "sprite.png"):
        assert (tmp_path / "device/00000/default" / name).read_bytes() == (tmp_path / "host/00000/default" /
                                                                            name).read_bytes()


BAD_CALLS = [
    (lambda w, a: w.add_image("img", a((3, 4))), "needs a 3-d array, got shape (3, 4)"),
    (lambda w, a: w.add_image("img", a((2, 4, 4))), "need 1, 3 or 4 channels, got 2"),
    (lambda w, a: w.add_image("img", a((3, 0, 4))), "is empty"),
    (lambda w, a: w.add_image("img", a((3, 4, 4)), dataformats="NCHW"), "use add_images"),
    (lambda w, a: w.add_image("img", a((3, 4, 4)), global_step=1.5), "global_step"),
    (lambda w, a: w.add_images("imgs", a((0, 3, 4, 4))), "is empty"),
    (lambda w, a: w.add_images("imgs", a((2, 3, 4))), "needs a 4-d array"),
    (lambda w, a: w.add_video("vid", a((2, 3, 4, 4))), "(N, T, C, H, W) array, got shape (2, 3, 4, 4)"),
    (lambda w, a: w.add_video("vid", a((1, 2, 2, 4, 4))), "needs 1, 3 or 4 channels on axis 2"),
    (lambda w, a: w.add_video("vid", a((1, 2, 3, 4, 4)), fps=0), "fps must be a positive number"),
    (lambda w, a: w.add_embedding(np.ones((2, 2)), label_img=a((2, 2, 4, 4))), "label_img must be (points, 1 or 3"),
]


@pytest.mark.parametrize("call, words", BAD_CALLS, ids=[w for _, w in BAD_CALLS])
def test_a_bad_shape_is_refused_at_the_call_with_the_host_paths_words(tmp_path, call, words, transfers):
    messages = []
    for run, make in (("device", lambda shape: torch.zeros(shape)), ("host", lambda shape: np.zeros(shape))):
        with SummaryWriter(tmp_path / run) as w:
            with pytest.raises((ValueError, TypeError)) as info:
                call(w, make)
            w.add_scalar("after", 1.0, 0, walltime=WALL)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and words in messages[0]
    assert transfers == []  # nothing copied: refused from the tensor's shape
    assert summaries(tmp_path / "device") == summaries(tmp_path / "host")  # just "after"


def test_pixels_only_the_host_can_judge_drop_their_event_with_a_warning(tmp_path):
    nan = torch.full((3, 2, 2), float("nan"))
    with SummaryWriter(tmp_path, flush_secs=3600) as w:
        w.add_image("nan", nan, 0)  # returns: the NaN is on the device
        w.add_images("big", torch.full((1, 1, 2, 2), 300), 0)
        w.add_scalar("after", 1.0, 0)
        with pytest.warns(RuntimeWarning) as caught:
            w.flush()
    said = [str(c.message) for c in caught]
    assert said == ["tbwriter: add_image(tag='nan'): float pixels must be finite, got NaN or inf; this event is not "
                    "written", "tbwriter: add_images(tag='big'): integer pixels must lie in 0..255, got int64 from "
                    "300 to 300; this event is not written"]
    assert [e.summary.value[0].tag for e in raw_events(tmp_path) if e.HasField("summary")] == ["after"]
    with SummaryWriter(tmp_path / "at_call", defer_device=False) as w:  # copied at the call: refused there
        with pytest.raises(ValueError, match=r"add_image\(tag='nan'\): float pixels must be finite"):
            w.add_image("nan", nan, 0)


def test_a_rank_that_writes_nothing_copies_no_pixels(tmp_path, monkeypatch, transfers):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    w = SummaryWriter(tmp_path / "run")
    w.add_image("image", picture(1), 0)
    w.add_video("video", picture(2, (1, 2, 3, 4, 4)), 0)
    with pytest.raises(ValueError, match="is empty"):  # still checked
        w.add_image("image", torch.zeros(3, 0, 4), 0)
    w.close()
    assert transfers == [] and not (tmp_path / "run").exists()


def test_the_timed_write_writes_images_without_flush(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=0.05)
    w.add_image("image", picture(1), 3)
    for _ in range(400):  # the background thread's next ticks copy the pixels, then write the event
        if summaries(tmp_path):
            break
        time.sleep(0.025)
    assert [e.summary.value[0].tag for e in raw_events(tmp_path) if e.HasField("summary")] == ["image"]
    w.close()


EXIT_SCRIPT = """
    import sys, torch, tbwriter
    from tbwriter.writing import deferred
    deferred.DEFER_CPU_TENSORS = True
    w = tbwriter.SummaryWriter(sys.argv[1], flush_secs=3600)
    t = torch.zeros(3, 4, 4)
    for i in range(20):
        t.fill_(i / 20)
        w.add_image("image", t, i)
        w.add_video("video", t[None, None].expand(1, 2, 3, 4, 4), i)
    t.fill_(1.0)
    # no close(): the exit flush copies and writes every image whose call returned
"""


def test_images_logged_before_interpreter_exit_are_written(tmp_path):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(EXIT_SCRIPT), str(tmp_path / "device")],
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with SummaryWriter(tmp_path / "host") as w:
        for i in range(20):
            t = np.full((3, 4, 4), i / 20, np.float32)
            w.add_image("image", t, i)
            w.add_video("video", np.broadcast_to(t, (1, 2, 3, 4, 4)), i)
    got, want = ([(e.step, e.summary.value[0].SerializeToString()) for e in raw_events(tmp_path / run)
                  if e.HasField("summary")] for run in ("device", "host"))  # the values, not the wall times
    assert got == want and len(got) == 40
