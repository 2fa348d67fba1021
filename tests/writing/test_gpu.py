"""On CUDA: logging (scalars, images, videos) does not wait for the GPU, writes the value as of the call, and
histograms and pixels made on the GPU equal the host path's.

Each wait test queues ``torch.cuda._sleep`` (a kernel that spins for about a second) and an event after it,
then logs: the event not yet complete when the call returns proves the call did not wait for the GPU; the
tensor is overwritten right after, and the old value must be what is written. Skipped without CUDA; the
same logic runs on CPU tensors in test_deferred.py and test_device_histogram.py.
"""
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")

from tbwriter import SummaryWriter  # noqa: E402
from tbwriter.writing.summaries import device_histogram, histogram  # noqa: E402
from tests.support import ROOT  # noqa: E402
from tests.support.eventcheck import accumulated_scalars  # noqa: E402

SLEEP_CYCLES = 4_000_000_000  # ~2 s at 2 GHz: far longer than any logging call takes on the host


def sleeping_gpu(stream=None):
    """Queue a long kernel on ``stream`` (the current one) and return an event that completes after it."""
    torch.cuda._sleep(SLEEP_CYCLES)
    after = torch.cuda.Event()
    after.record(stream)
    return after


def warm(w):
    """A first value through every path, so that lazy set-up (CUDA context, pinned pool) is not what we time."""
    w.add_scalar("warm", torch.ones((), device="cuda"), 0)
    w.log_metrics({"warm": torch.ones((), device="cuda")}, 0)
    w.flush()


@pytest.mark.parametrize("call, tags", [
    (lambda w, t: w.add_scalar("loss", t, 1), ["loss"]),
    (lambda w, t: w.log_metrics({"loss": t, "lr": 0.1, "acc": t * 2}, 1), ["loss", "acc"]),
])
def test_the_call_returns_before_the_gpu_and_writes_the_value_at_the_call(tmp_path, call, tags):
    w = SummaryWriter(tmp_path)
    warm(w)
    t = torch.zeros((), device="cuda")
    after = sleeping_gpu()
    t.fill_(0.5)  # queued behind the sleep: the value exists only once the GPU gets there
    call(w, t)
    returned_first = not after.query()
    t.fill_(9.0)  # right after the call, also behind the sleep
    w.close()
    assert returned_first
    got = accumulated_scalars(tmp_path)
    assert got["loss"] == [(1, 0.5)]
    if "acc" in tags:
        assert got["acc"] == [(1, 1.0)] and got["lr"] == [(1, pytest.approx(0.1))]


def test_add_scalars_does_not_wait(tmp_path):
    w = SummaryWriter(tmp_path)
    warm(w)
    t = torch.zeros((), device="cuda")
    after = sleeping_gpu()
    t.fill_(0.25)
    w.add_scalars("loss", {"train": t, "val": 0.75}, 3)
    returned_first = not after.query()
    t.fill_(9.0)
    w.close()
    assert returned_first
    assert accumulated_scalars(tmp_path / "loss_train")["loss"] == [(3, 0.25)]
    assert accumulated_scalars(tmp_path / "loss_val")["loss"] == [(3, 0.75)]


def test_a_value_made_on_a_side_stream_is_copied_after_it(tmp_path):
    w = SummaryWriter(tmp_path)
    warm(w)
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        t = torch.zeros((), device="cuda")
        sleeping_gpu(side)
        t.fill_(0.5)
        w.add_scalar("loss", t, 1)
        t.fill_(9.0)
    w.close()
    assert accumulated_scalars(tmp_path)["loss"] == [(1, 0.5)]


def test_values_of_one_stream_and_dtype_go_in_one_copy():
    from tbwriter.writing import deferred
    slots = [deferred.snapshot(torch.full((), float(i), device="cuda")) for i in range(5)]
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):
        slots.append(deferred.snapshot(torch.full((), 5.0, device="cuda")))
    deferred.dispatch()
    assert len({id(slot.transfer) for slot in slots[:5]}) == 1 and slots[5].transfer is not slots[0].transfer
    torch.cuda.synchronize()
    assert all(slot.ready() for slot in slots)
    assert [slot.transfer.values()[slot.index] for slot in slots] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_values_come_out_in_call_order_with_plain_numbers(tmp_path):
    w = SummaryWriter(tmp_path)
    for step in range(200):
        w.add_scalar("loss", torch.full((), float(step), device="cuda"), step)
        w.add_scalar("loss", float(step) + 0.5, step)  # the same tag: order shows in the file
    w.close()
    assert [v for _, v in accumulated_scalars(tmp_path)["loss"]] == [x / 2 for x in range(400)]


def test_opting_out_fetches_at_the_call(tmp_path):
    w = SummaryWriter(tmp_path, defer_device=False)
    warm(w)
    t = torch.zeros((), device="cuda")
    after = sleeping_gpu()
    t.fill_(0.5)
    w.add_scalar("loss", t, 1)
    assert after.query()  # .item() waited for the GPU
    w.close()
    assert accumulated_scalars(tmp_path)["loss"] == [(1, 0.5)]


def test_values_logged_before_exit_are_written(tmp_path):
    code = f"""
        import torch, tbwriter
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        t = torch.zeros((), device="cuda")
        for i in range(50):
            torch.cuda._sleep(20_000_000)
            t.fill_(float(i))
            w.add_scalar("loss", t, i)
        t.fill_(-1.0)
        # no close(): the exit flush waits for the copies, before CUDA is torn down
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert accumulated_scalars(tmp_path)["loss"] == [(i, float(i)) for i in range(50)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64])
@pytest.mark.parametrize("bins", ["tensorflow", 30, [-2.0, -0.5, 0.0, 0.5, 2.0]])
def test_histograms_on_cuda_equal_the_host_path(dtype, bins):
    rng = np.random.default_rng(5)
    values = rng.standard_normal(1_000_003) * 10.0 ** rng.integers(-20, 25, 1_000_003)
    values[::1000], values[1::1001], values[2::1002] = math.nan, math.inf, -math.inf
    host = torch.tensor(values).to(dtype) if dtype.is_floating_point else torch.tensor(np.nan_to_num(
        np.clip(values, -2.0**62, 2.0**62))).to(dtype)
    expected = histogram.histogram_rows(host, bins, None)
    rows, nonfinite = device_histogram.device_histogram_rows(host.cuda(), bins, None)
    assert nonfinite == expected[1]
    np.testing.assert_array_equal(rows, expected[0])


def test_add_histogram_of_a_cuda_tensor_is_counted_on_the_gpu(tmp_path):
    from tests.support.eventcheck import raw_events
    from tensorboard.util import tensor_util
    values = torch.randn(100_000, device="cuda")
    w = SummaryWriter(tmp_path)
    w.add_histogram("w", values, 0)
    w.close()
    (event,) = [e for e in raw_events(tmp_path) if e.HasField("summary")]
    rows = tensor_util.make_ndarray(event.summary.value[0].tensor)
    expected = histogram.histogram_rows(values.cpu(), "tensorflow", None)[0]
    np.testing.assert_array_equal(rows, expected)


# -- images and videos ---------------------------------------------------------------------------------

def logged_pixels(run, tag):
    """The uint8 pixels of the images (or the first GIF frame of the video) logged under ``tag``, in call order."""
    import io

    from PIL import Image

    from tests.support.eventcheck import raw_events
    out = []
    for event in raw_events(run):
        for value in event.summary.value if event.HasField("summary") else ():
            if value.tag == tag:
                data = value.image.encoded_image_string if value.HasField("image") else value.tensor.string_val[2]
                out.append(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    return out


def warm_media(w):
    """A first image and video through the device path: CUDA loads each kernel on its first use."""
    w.add_image("warm", torch.ones(3, 2, 2, device="cuda"), 0)
    w.add_video("warm", torch.ones(1, 2, 3, 2, 2, device="cuda"), 0)
    w.flush()


@pytest.mark.parametrize("call, tag", [
    (lambda w, t: w.add_image("img", t, 1), "img"),
    (lambda w, t: w.add_images("imgs", t[None].expand(2, 3, 8, 8), 1), "imgs"),
    (lambda w, t: w.add_video("vid", t[None, None].expand(1, 2, 3, 8, 8), 1), "vid"),
])
def test_images_return_before_the_gpu_and_write_the_pixels_at_the_call(tmp_path, call, tag):
    pytest.importorskip("PIL")
    w = SummaryWriter(tmp_path)
    warm_media(w)
    t = torch.zeros(3, 8, 8, device="cuda")
    after = sleeping_gpu()
    t.fill_(0.5)  # queued behind the sleep
    call(w, t)
    returned_first = not after.query()
    t.fill_(0.9)  # right after the call, also behind the sleep
    w.close()
    assert returned_first
    (got,) = logged_pixels(tmp_path, tag)
    assert (got == 128).all()  # rint(0.5 * 255), not 0.9's 230


def test_images_of_one_shape_go_in_one_copy(tmp_path, monkeypatch):
    from tbwriter.writing import deferred
    made = []
    real = deferred._Transfer
    monkeypatch.setattr(deferred, "_Transfer", lambda snapshots, stream: made.append(len(snapshots)) or real(
        snapshots, stream))
    w = SummaryWriter(tmp_path, flush_secs=3600)
    with monkeypatch.context() as between_ticks:  # the background thread's tick would copy what is pending so far
        between_ticks.setattr(deferred, "dispatch", lambda: None)
        for step in range(6):
            w.add_image("img", torch.full((3, 16, 16), step / 5, device="cuda"), step)
    w.close()
    assert made == [6]
    assert [int(p[0, 0, 0]) for p in logged_pixels(tmp_path, "img")] == [round(255 * s / 5) for s in range(6)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.uint8,
                                   torch.int64, torch.bool])
def test_pixels_made_on_cuda_equal_the_host_path(dtype):
    from tbwriter.writing.arrays import to_numpy
    from tbwriter.writing.summaries import pixels
    g = torch.Generator().manual_seed(3)
    if dtype.is_floating_point:
        host = torch.rand(4, 3, 64, 65, generator=g, dtype=torch.float64) * 1.2 - 0.1
        host.view(-1)[::2] = torch.arange(0, host.numel(), 2, dtype=torch.float64) % 512 / 510  # k/255, (k+.5)/255
        host = host.to(dtype)
    else:
        host = torch.randint(0, 2 if dtype == torch.bool else 256, (4, 3, 64, 65), generator=g).to(dtype)
    made = pixels.uint8(host.cuda())
    assert isinstance(made, pixels.DevicePixels)
    np.testing.assert_array_equal(pixels.on_host(made), pixels.to_uint8(to_numpy(host)))


def test_nan_pixels_found_after_the_copy_drop_the_event_with_a_warning(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_image("nan", torch.full((3, 4, 4), float("nan"), device="cuda"), 0)
    w.add_scalar("after", 1.0, 0)
    with pytest.warns(RuntimeWarning, match=r"add_image\(tag='nan'\): float pixels must be finite.*not written"):
        w.close()
    assert accumulated_scalars(tmp_path)["after"] == [(0, 1.0)] and logged_pixels(tmp_path, "nan") == []


def test_images_opting_out_copy_at_the_call(tmp_path):
    pytest.importorskip("PIL")
    w = SummaryWriter(tmp_path, defer_device=False)
    warm_media(w)
    t = torch.zeros(3, 8, 8, device="cuda")
    after = sleeping_gpu()
    t.fill_(0.5)
    w.add_image("img", t, 1)
    assert after.query()  # the copy at the call waited for the GPU
    w.close()
    assert (logged_pixels(tmp_path, "img")[0] == 128).all()


def test_embeddings_of_cuda_half_tensors_write_the_float32_files(tmp_path):
    mat = torch.randn(6, 5, generator=torch.Generator().manual_seed(4)).to(torch.bfloat16)
    sprites = torch.rand(6, 3, 4, 4, generator=torch.Generator().manual_seed(5)).to(torch.float16)
    with SummaryWriter(tmp_path / "cuda") as w:
        w.add_embedding(mat.cuda(), label_img=sprites.cuda())
    with SummaryWriter(tmp_path / "host") as w:
        w.add_embedding(mat.float().numpy(), label_img=sprites.float().numpy())
    for name in ("tensors.tsv", "sprite.png"):
        assert (tmp_path / "cuda/00000/default" / name).read_bytes() == (tmp_path / "host/00000/default" /
                                                                          name).read_bytes()


def test_images_logged_before_exit_are_written(tmp_path):
    code = f"""
        import torch, tbwriter
        w = tbwriter.SummaryWriter({str(tmp_path)!r}, flush_secs=3600)
        t = torch.zeros(3, 8, 8, device="cuda")
        for i in range(20):
            torch.cuda._sleep(20_000_000)
            t.fill_(i / 19)
            w.add_image("img", t, i)
        t.fill_(0.0)
        # no close(): the exit flush waits for the copies, before CUDA is torn down
    """
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [int(p[0, 0, 0]) for p in logged_pixels(tmp_path, "img")] == [round(255 * i / 19) for i in range(20)]
