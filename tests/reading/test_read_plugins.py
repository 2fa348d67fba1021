"""read_text, read_images and read_tensors against TensorBoard's own loader (the plugin event accumulator the
server uses, v1 summaries migrated as it migrates them) and tbparse, on logs from tbwriter and from torch."""
import numpy as np
import pytest

from tbwriter import SummaryWriter, read_images, read_tensors, read_text

torch_tb = pytest.importorskip("torch.utils.tensorboard")


def tbwriter_log(root):
    with SummaryWriter(root / "tbwriter") as w:
        for step in range(3):
            w.add_text("notes", f"step **{step}** ü", step)
            w.add_image("noise", np.random.default_rng(step).random((3, 8, 5)), step)
        w.add_images("batch", np.random.default_rng(9).random((4, 6, 7, 3)), 3, dataformats="NHWC")
        w.add_image("grey", np.arange(12, dtype=np.uint8).reshape(3, 4), 0, dataformats="HW")
        w.add_hparams({"lr": 0.1}, {"acc": 0.5})


def torch_log(root):
    import torch

    w = torch_tb.SummaryWriter(str(root / "torch"))
    for step in range(3):
        w.add_text("notes", f"torch {step}", step)
        w.add_image("noise", torch.rand(3, 6, 4), step)
        w.add_pr_curve("pr", torch.tensor([0, 1, 1, 0]), torch.tensor([0.1, 0.8, 0.6, 0.3]), step, num_thresholds=7)
    w.add_audio("beep", torch.sin(torch.linspace(0, 100, 800)), 0, sample_rate=8000)
    w.add_mesh("mesh", vertices=torch.rand(1, 5, 3), colors=torch.randint(0, 255, (1, 5, 3)),
               faces=torch.tensor([[[0, 1, 2], [1, 2, 3]]]), global_step=0)
    w.close()


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    tbwriter_log(root)
    torch_log(root)
    return root


def accumulator(run_dir):
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"tensors": 0})
    acc.Reload()
    return acc


def tensorboard_series(logdir, run, plugin):
    """{tag: (steps, wall times, arrays, content)} as TensorBoard's loader holds them."""
    from tensorboard.util.tensor_util import make_ndarray

    acc = accumulator(logdir / run)
    out = {}
    for tag in acc.PluginTagToContent(plugin):
        events = acc.Tensors(tag)
        out[tag] = ([e.step for e in events], [e.wall_time for e in events],
                    [make_ndarray(e.tensor_proto) for e in events], acc.SummaryMetadata(tag).plugin_data.content)
    return out


def same_array(ours, theirs):
    if theirs.dtype.kind in "SO":
        assert ours.dtype == object and ours.shape == theirs.shape and ours.ravel().tolist() == theirs.ravel().tolist()
    else:
        np.testing.assert_array_equal(ours, theirs.astype(np.float64))


@pytest.mark.parametrize("run, plugin", [("tbwriter", "text"), ("tbwriter", "images"), ("tbwriter", "hparams"),
                                         ("torch", "text"), ("torch", "images"), ("torch", "pr_curves"),
                                         ("torch", "audio"), ("torch", "mesh")])
def test_read_tensors_equals_tensorboards_loader(logdir, run, plugin):
    theirs = tensorboard_series(logdir, run, plugin)
    assert theirs, "the log should hold this plugin"
    ours = {tag: s for (r, tag), s in read_tensors(logdir, plugin).items() if r == run}
    assert ours.keys() == theirs.keys()
    for tag, (steps, walls, arrays, content) in theirs.items():
        s = ours[tag]
        assert s.step.tolist() == steps and s.wall_time.tolist() == walls
        assert (s.content or b"") == content
        assert len(s.value) == len(arrays)
        for mine, array in zip(s.value, arrays, strict=True):
            same_array(mine, array)


def test_read_text_equals_tbparse(logdir):
    from tbparse import SummaryReader

    ours = read_text(logdir).to_pandas()
    for run in ("tbwriter", "torch"):
        theirs = SummaryReader(str(logdir / run), extra_columns={"wall_time"}).text
        mine = ours[ours["run"] == run][["step", "wall_time", "tag", "text"]].rename(columns={"text": "value"})
        mine["tag"] = mine["tag"].str.removesuffix("/text_summary")  # tbparse drops torch's suffix; we keep the tag
        key = ["tag", "step"]
        left = mine.sort_values(key).reset_index(drop=True)
        right = theirs[["step", "wall_time", "tag", "value"]].sort_values(key).reset_index(drop=True)
        assert left.astype(object).values.tolist() == right.astype(object).values.tolist()


def test_read_tensors_equals_tbparse(logdir):
    from tbparse import SummaryReader

    theirs = SummaryReader(str(logdir / "torch"), extra_columns={"wall_time"}).tensors
    ours = read_tensors(logdir, "pr_curves", runs="^torch$").to_pandas()
    pr = theirs[theirs["tag"] == "pr"].sort_values("step")
    assert ours["step"].tolist() == pr["step"].tolist() and ours["wall_time"].tolist() == pr["wall_time"].tolist()
    for mine, value in zip(ours["value"], pr["value"], strict=True):
        np.testing.assert_array_equal(mine, value)


def test_read_images_gives_encoded_bytes_and_sizes(logdir):
    from tensorboard.util.tensor_util import make_ndarray

    images = read_images(logdir)
    for run in ("tbwriter", "torch"):
        acc = accumulator(logdir / run)
        for tag in acc.PluginTagToContent("images"):
            s = images[(run, tag)]
            expected = [(e.step, i, int(a[0]), int(a[1]), png) for e in acc.Tensors(tag)
                        for a in [make_ndarray(e.tensor_proto)] for i, png in enumerate(a[2:])]
            got = zip(s.step.tolist(), s.sample.tolist(), s.width.tolist(), s.height.tolist(), s.image, strict=True)
            assert list(got) == expected
    batch = images[("tbwriter", "batch")]
    assert batch.sample.tolist() == [0, 1, 2, 3] and set(batch.width.tolist()) == {7}
    assert set(batch.height.tolist()) == {6} and batch.image[0][:8] == b"\x89PNG\r\n\x1a\n"
    df = images.to_pandas()
    assert list(df.columns) == ["run", "tag", "step", "wall_time", "sample", "width", "height", "image"]
    assert len(df) == sum(len(s) for s in images.values())


def test_text_is_str_and_filters_apply(logdir):
    text = read_text(logdir, runs="tbwriter", tags="^notes$")
    assert list(text) == [("tbwriter", "notes")]
    assert text[("tbwriter", "notes")].text == ["step **0** ü", "step **1** ü", "step **2** ü"]
    assert read_tensors(logdir, "no_such_plugin") == {}


def test_reads_skip_the_records_of_other_kinds_and_tags_unparsed(logdir, monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    import tbwriter.reading.shapes as shapes
    from tbwriter import read_histograms, read_scalars

    with SummaryWriter(logdir / "mixed") as w:
        for step in range(40):
            w.add_scalar("loss", 1 / (step + 1), step)
            w.add_histogram("weights", np.random.default_rng(step).normal(size=500), step)
            if step % 10 == 0:
                w.add_image("picture", np.zeros((3, 4, 4)), step)
    parsed = []
    real = shapes.parse_event
    monkeypatch.setattr(shapes, "parse_event", lambda data: parsed.append(real(data)) or parsed[-1])
    scalars = read_scalars(logdir, runs="^mixed$")
    assert {v.tag for layout in parsed for v in layout.values} <= {"loss"}
    acc = EventAccumulator(str(logdir / "mixed"), size_guidance={"scalars": 0})
    acc.Reload()
    assert scalars[("mixed", "loss")].value.tolist() == pytest.approx([e.value for e in acc.Scalars("loss")])
    parsed.clear()
    histograms = read_histograms(logdir, runs="^mixed$", tags="weights")
    assert {v.tag for layout in parsed for v in layout.values} <= {"weights"}
    assert histograms[("mixed", "weights")].step.tolist() == list(range(40))
