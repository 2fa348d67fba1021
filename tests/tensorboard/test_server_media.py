"""A real tensorboard server, in both loader modes, serves back the text and images we wrote:
tags exactly as given, markdown, and PNGs that Pillow decodes to exactly our pixels."""
import io

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.tbserver import TensorBoardServer

Image = pytest.importorskip("PIL.Image")  # an independent PNG decoder (installed with matplotlib)
plt = pytest.importorskip("matplotlib.pyplot")

rng = np.random.default_rng(3)
TEXTS = {3: "**lr** = 0.1 ünïcode", 9: "# Done\n\n- a\n- b"}
FLOATS = rng.random((3, 17, 23))
FLOATS[0, 0, :4] = [0.0, 1.0, 0.5 / 255, 2.5]  # edges, rounding, clipping
U8_STEPS = {0: rng.integers(0, 256, (17, 23, 3), dtype=np.uint8), 7: rng.integers(0, 256, (17, 23, 3), dtype=np.uint8)}
# tag -> (what add_image(s) gets, dataformats, the HWC uint8 images TensorBoard must show, per sample)
SINGLES = {
    "chw_float": (FLOATS, "CHW", [np.rint(np.clip(FLOATS, 0, 1) * 255).astype(np.uint8).transpose(1, 2, 0)]),
    "hw_grey": (GREY := rng.integers(0, 256, (10, 12), dtype=np.uint8), "HW", [GREY[..., None]]),
    "chw_rgba": (RGBA := rng.integers(0, 256, (4, 9, 7), dtype=np.uint8), "CHW", [RGBA.transpose(1, 2, 0)]),
    "chw_one_channel_int": (ONE := rng.integers(0, 256, (1, 5, 6)), "CHW", [ONE.transpose(1, 2, 0).astype(np.uint8)]),
    "wh_bool": (BOOL := rng.random((6, 4)) > 0.5, "WH", [(BOOL.T[..., None] * 255).astype(np.uint8)]),
}
NCHW = rng.random((5, 3, 8, 6)).astype(np.float32)
NHWC = rng.integers(0, 256, (3, 4, 5, 4), dtype=np.uint8)
BATCHES = {
    "nchw": (NCHW, "NCHW", list(np.rint(NCHW * 255).astype(np.uint8).transpose(0, 2, 3, 1))),
    "nhwc": (NHWC, "NHWC", list(NHWC)),
}


def figure(color):
    fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
    ax.plot([1, 3, 2], color=color)
    return fig


def matplotlib_pixels(fig):
    """The figure as matplotlib's own PNG writer renders it: the oracle for add_figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("media")
    figures = [figure("red"), figure("blue")]
    expected_figures = [matplotlib_pixels(f) for f in figures]
    with SummaryWriter(root / "run") as w:
        for step, text in TEXTS.items():
            w.add_text("notes", text, step)
        for tag, (img, formats, _) in SINGLES.items():
            w.add_image(tag, img, 1, dataformats=formats)
        for step, img in U8_STEPS.items():
            w.add_image("hwc_steps", img, step, dataformats="HWC")
        for tag, (imgs, formats, _) in BATCHES.items():
            w.add_images(tag, imgs, 2, dataformats=formats)
        w.add_figure("figure", figures[0], 4, close=False)
        w.add_figure("figures", figures, 5)
    assert plt.get_fignums() == []  # the list was closed (and with it the figure kept open above)
    return root, {"figure": expected_figures[:1], "figures": expected_figures}


@pytest.fixture(scope="module", params=[False, True], ids=["python-loader", "rust-loader"])
def server(request, logdir):
    with TensorBoardServer(logdir[0], load_fast=request.param) as tb:
        tb.wait_for(lambda: len(tb.get("/data/plugin/images/tags").get("run", {})) == 10
                    and tb.get("/data/plugin/text/tags").get("run"))
        yield tb


def shown_images(server, tag, sample=0):
    """{step: HWC uint8 pixels} of one sample of an image tag, decoded from the server's PNGs."""
    out = {}
    for entry in server.get("/data/plugin/images/images", run="run", tag=tag, sample=str(sample)):
        png = server.get_bytes("/data/plugin/images/individualImage?" + entry["query"])
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        pixels = np.asarray(Image.open(io.BytesIO(png)))
        out[entry["step"]] = pixels[..., None] if pixels.ndim == 2 else pixels
    return out


def check_text_under_exactly_the_tag_given(server):
    assert server.get("/data/plugin/text/tags") == {"run": ["notes"]}
    raw = server.get("/data/plugin/text/text", run="run", tag="notes", markdown="false")
    assert [(e["step"], e["text"]) for e in raw] == list(TEXTS.items())
    rendered = server.get("/data/plugin/text/text", run="run", tag="notes")
    assert rendered[0]["text"] == "<p><strong>lr</strong> = 0.1 ünïcode</p>"
    assert "<h1>Done</h1>" in rendered[1]["text"] and "<li>b</li>" in rendered[1]["text"]


def check_image_tags_and_sample_counts(server):
    tags = server.get("/data/plugin/images/tags")["run"]
    samples = {tag: info["samples"] for tag, info in tags.items()}
    assert samples == {**dict.fromkeys(SINGLES, 1), "hwc_steps": 1, "nchw": 5, "nhwc": 3, "figure": 1, "figures": 2}


def check_single_images_pixel_exact(server):
    for tag, (_, _, expected) in SINGLES.items():
        shown = shown_images(server, tag)
        assert list(shown) == [1], tag
        np.testing.assert_array_equal(shown[1], expected[0], err_msg=tag)


def check_steps_of_one_tag(server):
    shown = shown_images(server, "hwc_steps")
    assert sorted(shown) == [0, 7]
    for step, img in U8_STEPS.items():
        np.testing.assert_array_equal(shown[step], img)


def check_batches_and_figures_one_sample_each(server, figures):
    for tag, expected in {**{t: b[2] for t, b in BATCHES.items()}, **figures}.items():
        for sample, want in enumerate(expected):
            shown = shown_images(server, tag, sample)
            assert len(shown) == 1, (tag, sample)
            np.testing.assert_array_equal(next(iter(shown.values())), want, err_msg=f"{tag} sample {sample}")


def test_text_and_images_served_back_exactly(server, logdir):
    # One test per loader mode, so that pytest-xdist starts each server once.
    check_text_under_exactly_the_tag_given(server)
    check_image_tags_and_sample_counts(server)
    check_single_images_pixel_exact(server)
    check_steps_of_one_tag(server)
    check_batches_and_figures_one_sample_each(server, logdir[1])
