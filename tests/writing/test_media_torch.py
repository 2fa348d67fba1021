"""add_pr_curve, add_audio and add_video beyond torch's own cases: multi-channel audio, clipped never wrapped,
GIFs that a real server serves and Pillow decodes to the frames given, and bad input refused naming the call."""
import io
import warnings
import wave

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.eventcheck import check_refused, raw_events
from tests.support.tbserver import TensorBoardServer

Image = pytest.importorskip("PIL.Image")
rng = np.random.default_rng(5)
STEREO = np.stack([np.linspace(-2, 2, 1000), np.sin(np.arange(1000) / 9.0)])  # (channels, samples)
FEW_COLOURS = (rng.integers(0, 4, (3, 6, 3, 16, 20)) * 60).astype(np.uint8)  # 3 clips, 6 frames: exact in a GIF
GREY = rng.random((1, 4, 1, 8, 8)).astype(np.float32)


def tiled(clips, rows, cols):
    """(N, T, C, H, W) tiled longhand, clip i at row i // cols, column i % cols; the rest black."""
    n, t, c, h, w = clips.shape
    canvas = np.zeros((t, rows * h, cols * w, c), np.uint8)
    for i in range(n):
        row, col = divmod(i, cols)
        canvas[:, row * h:(row + 1) * h, col * w:(col + 1) * w] = clips[i].transpose(0, 2, 3, 1)
    return canvas


def gif_frames(data):
    image = Image.open(io.BytesIO(data))
    frames = []
    for i in range(image.n_frames):
        image.seek(i)
        frames.append(np.asarray(image.convert("RGB")))
    return image.info["duration"], np.stack(frames)


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("media_torch")
    with SummaryWriter(root / "run") as w, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        w.add_audio("stereo", STEREO, 1, sample_rate=16000)
        w.add_audio("pcm", np.array([0, 32767, -32768], np.int16), 1)
        w.add_video("clips", FEW_COLOURS, 2, fps=5)
        w.add_video("grey", GREY, 3)
    return root


def test_multichannel_audio_is_clipped_never_wrapped(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(logdir / "run"))
    acc.Reload()
    stereo = acc.Audio("stereo")[0]
    with wave.open(io.BytesIO(stereo.encoded_audio_string)) as wav:
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 16000, 1000)
        samples = np.frombuffer(wav.readframes(1000), "<i2").reshape(1000, 2).T
    np.testing.assert_array_equal(samples, np.rint(np.clip(STEREO, -1, 1) * 32767))
    with wave.open(io.BytesIO(acc.Audio("pcm")[0].encoded_audio_string)) as wav:
        assert np.frombuffer(wav.readframes(3), "<i2").tolist() == [0, 32767, -32768]


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_server_shows_the_gifs_frame_for_frame(logdir, load_fast):
    with TensorBoardServer(logdir, load_fast=load_fast) as tb:
        tb.wait_for(lambda: len(tb.get("/data/plugin/images/tags").get("run", {})) == 2)
        # torch pads 3 clips to 4 and lays them out in 2 ** ((3).bit_length() - 1) // 2) = 1 row
        for tag, expected, duration in (("clips", tiled(FEW_COLOURS, 1, 4), 200),
                                        ("grey", np.repeat(np.rint(GREY[0] * 255).astype(np.uint8), 3, axis=1)
                                         .transpose(0, 2, 3, 1), 250)):
            entry, = tb.get("/data/plugin/images/images", run="run", tag=tag)
            data = tb.get_bytes("/data/plugin/images/individualImage?" + entry["query"])
            assert data.startswith(b"GIF89a")
            shown_duration, frames = gif_frames(data)
            assert shown_duration == duration
            np.testing.assert_array_equal(frames, expected, err_msg=tag)


def test_rich_video_stays_close(tmp_path):
    clip = rng.random((1, 5, 3, 32, 32))
    with SummaryWriter(tmp_path) as w:
        w.add_video("noise", clip, 0)
    image = next(v.image for e in raw_events(tmp_path) if e.HasField("summary") for v in e.summary.value)
    assert (image.height, image.width, image.colorspace) == (32, 32, 3)
    _, frames = gif_frames(image.encoded_image_string)
    assert np.abs(frames.astype(int) - np.rint(clip[0].transpose(0, 2, 3, 1) * 255)).mean() < 20


@pytest.mark.parametrize("call, error, words", [
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.5]), ValueError, "add_pr_curve(tag='pr'): labels and predictions"),
    (lambda w: w.add_pr_curve("pr", [0, 1], ["a", "b"]), TypeError, "add_pr_curve(tag='pr'): predictions must hold"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.1, 0.2], num_thresholds=1), ValueError, "at least 2"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.1, 0.2], weights=[1, 2, 3]), ValueError, "weights must be"),
    (lambda w: w.add_pr_curve("pr", [0, 1], [0.1, 0.2], 1.5), TypeError, "global_step"),
    (lambda w: w.add_pr_curve_raw("r", [1], [1], [1], [1], [1], [1, 2]), ValueError, "add_pr_curve_raw(tag='r')"),
    (lambda w: w.add_audio("a", np.zeros((2, 2, 2))), ValueError, "add_audio(tag='a'): snd_tensor must be"),
    (lambda w: w.add_audio("a", np.array([0.1, np.nan])), ValueError, "finite"),
    (lambda w: w.add_audio("a", np.array([1, 2], np.int32)), TypeError, "int16"),
    (lambda w: w.add_audio("a", np.zeros(4), sample_rate=0), ValueError, "sample_rate"),
    (lambda w: w.add_audio("a", np.zeros(4), sample_rate=22050.5), ValueError, "sample_rate"),
    (lambda w: w.add_video("v", np.zeros((2, 3, 8, 8))), ValueError, "add_video(tag='v'): vid_tensor must be"),
    (lambda w: w.add_video("v", np.zeros((1, 2, 2, 8, 8))), ValueError, "1, 3 or 4 channels"),
    (lambda w: w.add_video("v", np.zeros((1, 2, 3, 8, 8)), fps=0), ValueError, "fps"),
    (lambda w: w.add_video("v", np.full((1, 2, 3, 8, 8), 300)), ValueError, "0..255"),
])
def test_bad_input_is_refused_and_writes_nothing(tmp_path, call, error, words):
    check_refused(tmp_path, call, error, words)


@pytest.mark.parametrize("clips", [1, 2, 3, 5, 8, 9])
def test_clips_are_tiled_as_torch_tiles_them(clips):
    _utils = pytest.importorskip("torch.utils.tensorboard._utils")
    from tbwriter.writing.summaries.video import to_frames
    vid = rng.random((clips, 2, 3, 4, 5))
    np.testing.assert_array_equal(to_frames(vid), np.rint(_utils._prepare_video(vid) * 255))
