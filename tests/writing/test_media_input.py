"""hparams, text, images and figures: bad input is refused clearly and leaves the files valid; torch input
is read by duck typing; the README's examples run and end their sessions as they say."""
import math
import os

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tbwriter.writing.summaries import image
from tests.support import docpages
from tests.support.eventcheck import raw_events

plt = pytest.importorskip("matplotlib.pyplot")
plugin_data_pb2 = pytest.importorskip("tensorboard.plugins.hparams.plugin_data_pb2")
api_pb2 = pytest.importorskip("tensorboard.plugins.hparams.api_pb2")

CHW = np.zeros((3, 4, 5), np.uint8)
# (call, exception, words the message must hold)
BAD_CALLS = [
    (lambda w: w.add_image("img", np.zeros((3, 4)), dataformats="CHW"), ValueError, ["add_image", "'img'", "(3, 4)"]),
    (lambda w: w.add_image("img", np.zeros((2, 4, 4))), ValueError, ["add_image", "'img'", "got 2"]),
    (lambda w: w.add_image("img", CHW, dataformats="NCHW"), ValueError, ["add_image", "'img'", "add_images"]),
    (lambda w: w.add_image("img", CHW, dataformats="CHH"), ValueError, ["add_image", "'img'", "'CHH'"]),
    (lambda w: w.add_image("img", CHW, dataformats=3), TypeError, ["add_image", "'img'", "dataformats"]),
    (lambda w: w.add_image("img", np.full((3, 2, 2), np.nan)), ValueError, ["add_image", "'img'", "NaN"]),
    (lambda w: w.add_image("img", np.full((3, 2, 2), "x")), TypeError, ["add_image", "'img'", "<U1"]),
    (lambda w: w.add_image("img", np.zeros((3, 0, 4))), ValueError, ["add_image", "'img'", "empty"]),
    (lambda w: w.add_image("img", np.full((1, 2, 2), 300)), ValueError, ["add_image", "'img'", "300"]),
    (lambda w: w.add_image("img", "a string"), ValueError, ["add_image", "'img'", "3-d"]),
    (lambda w: w.add_image("img", CHW, global_step=1.5), TypeError, ["add_image", "'img'", "global_step"]),
    (lambda w: w.add_image("img", CHW, walltime=math.inf), ValueError, ["add_image", "'img'", "walltime"]),
    (lambda w: w.add_image(5, CHW), TypeError, ["add_image", "tag"]),
    (lambda w: w.add_images("imgs", CHW, dataformats="CHW"), ValueError, ["add_images", "'imgs'", "N, H and W"]),
    (lambda w: w.add_images("imgs", np.zeros((0, 3, 4, 4))), ValueError, ["add_images", "'imgs'", "empty"]),
    (lambda w: w.add_text("txt", 5), TypeError, ["add_text", "'txt'", "int"]),
    (lambda w: w.add_text("", "x"), ValueError, ["add_text", "tag"]),
    (lambda w: w.add_figure("fig", "not a figure"), TypeError, ["add_figure", "'fig'", "str"]),
    (lambda w: w.add_figure("fig", []), TypeError, ["add_figure", "'fig'", "list"]),
    (lambda w: w.add_hparams({"lr": [0.1]}, {}), TypeError, ["add_hparams", "'lr'", "list"]),
    (lambda w: w.add_hparams({"lr": None}, {}), TypeError, ["add_hparams", "'lr'", "NoneType"]),
    (lambda w: w.add_hparams({"lr": math.nan}, {}), ValueError, ["add_hparams", "'lr'", "finite"]),
    (lambda w: w.add_hparams({}, {}), TypeError, ["add_hparams", "hparam_dict"]),
    (lambda w: w.add_hparams({"lr": 0.1}, {"acc": "high"}), TypeError, ["add_hparams", "'acc'", "str"]),
    (lambda w: w.add_hparams({"lr": 0.1}, [0.9]), TypeError, ["add_hparams", "metric_dict", "list"]),
    (lambda w: w.add_hparams({"lr": 0.1}, {}, global_step="3"), TypeError, ["add_hparams", "global_step"]),
    (lambda w: w.add_hparams({"opt": "adam"}, {}, {"opt": ["sgd"]}), ValueError, ["add_hparams", "'opt'", "'sgd'"]),
    (lambda w: w.add_hparams({"opt": "adam"}, {}, {"lr": [0.1]}), ValueError, ["add_hparams", "'lr'", "hparam_dict"]),
    (lambda w: w.add_hparams({"n": 1}, {}, {"n": [True, 1]}), ValueError, ["add_hparams", "'n'"]),
    (lambda w: w.add_hparams({"lr": 0.1}, {}, run_name=3), TypeError, ["add_hparams", "run_name"]),
    (lambda w: w.end_hparams("RUNNING"), ValueError, ["end_hparams", "'RUNNING'"]),
]


def summary_tags(run_dir):
    return [v.tag for e in raw_events(run_dir) if e.HasField("summary") for v in e.summary.value]


def end_statuses(run_dir):
    return [plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content).session_end_info.status
            for e in raw_events(run_dir) if e.HasField("summary") for v in e.summary.value
            if v.tag == "_hparams_/session_end_info"]


def test_bad_input_is_refused_clearly_and_writes_nothing(tmp_path):
    w = SummaryWriter(tmp_path)
    w.add_hparams({"lr": 0.1}, {})  # the refused calls below must leave this session as it is
    for call, exc, words in BAD_CALLS:
        with pytest.raises(exc) as info:
            call(w)
        for word in words:
            assert word in str(info.value), (word, str(info.value))
    w.add_image("img", CHW, 1)
    w.add_text("txt", "still fine", 2)
    w.close()
    assert os.listdir(tmp_path) == [os.path.basename(w._file.path)]  # no sub-run was created
    assert summary_tags(tmp_path) == ["_hparams_/session_start_info", "img", "txt", "_hparams_/session_end_info"]


def test_refused_figure_list_is_not_closed(tmp_path):
    small, big = plt.figure(figsize=(1, 1), dpi=20), plt.figure(figsize=(2, 1), dpi=20)
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match=r"add_figure\(tag='figs'\).*20x20, 40x20"):
        w.add_figure("figs", [small, big])
    assert plt.get_fignums() == [small.number, big.number]
    plt.close("all")
    assert summary_tags(tmp_path) == []


def test_status_first_end_wins_and_close_does_not_override(tmp_path):
    with SummaryWriter(tmp_path / "a") as w:
        w.add_hparams({"lr": 0.1}, {}, run_name="trial")
        w.end_hparams("FAILURE")  # ends the sub-run's session too
    with pytest.raises(KeyError), SummaryWriter(tmp_path / "b") as w:
        w.add_hparams({"lr": 0.1}, {})
        raise KeyError("training failed")
    assert end_statuses(tmp_path / "a" / "trial") == [api_pb2.STATUS_FAILURE]
    assert end_statuses(tmp_path / "b") == [api_pb2.STATUS_FAILURE]
    assert summary_tags(tmp_path / "a") == []


def test_torch_tensors_read_like_numpy():
    torch = pytest.importorskip("torch")
    t = torch.rand(3, 5, 4)
    assert image.to_batch(t, "CHW", False).tobytes() == image.to_batch(t.numpy(), "CHW", False).tobytes()
    b = t.bfloat16()
    assert image.to_batch(b, "CHW", False).tobytes() == image.to_batch(b.float().numpy(), "CHW", False).tobytes()
    from tbwriter.writing.summaries.hparams import check_hparams
    assert check_hparams({"lr": torch.tensor(0.5), "on": torch.tensor(True), "n": np.int32(4)}, None) == {
        "lr": 0.5, "on": True, "n": 4.0}


def docs_examples():
    section = docpages.section(docpages.read("docs/writing.md"), "## Hyperparameters, text and images")
    return [block.code for block in docpages.blocks(section, "python")]


def test_docs_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = docs_examples()
    assert len(examples) == 3
    for code in examples:
        exec(compile(code, "docs/writing.md", "exec"), {})
    assert end_statuses("runs/hp/lr0.01") == [api_pb2.STATUS_SUCCESS]
    assert end_statuses("runs/hp/lr0.1") == [api_pb2.STATUS_FAILURE]
    assert summary_tags("runs/media") == ["notes", "noise", "gradient", "batch", "curve"]
    assert plt.get_fignums() == []


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("size", [(1, 1), (7, 5), (64, 33)])
def test_png_decodes_to_the_same_pixels(channels, size):
    Image = pytest.importorskip("PIL.Image")
    import io

    from tbwriter.writing.summaries.png import encode_png
    pixels = np.random.default_rng(channels).integers(0, 256, (*size, channels), dtype=np.uint8)
    pixels[: size[0] // 2] = pixels[0]  # repeated rows: the "Up" filter's zero differences
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(pixels))))
    np.testing.assert_array_equal(decoded.reshape(pixels.shape), pixels)


def test_float16_pixels_round_like_float64():
    values = np.arange(0x3C01, dtype=np.uint16).view(np.float16)  # every float16 from 0 to 1.0 (0x3C00)
    values = np.resize(values, 124 * 124).reshape(124, 124)
    half = image.to_batch(values, "HW", False)
    np.testing.assert_array_equal(half[0, ..., 0], np.rint(values.astype(np.float64) * 255))
