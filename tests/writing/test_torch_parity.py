"""Differential test: one script calls torch's SummaryWriter API on torch's writer and on ours with the same
inputs; TensorBoard's loaders and a real server (both loaders) must see the same tags, in the same plugins,
with equal values."""
import io
import wave

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.eventcheck import accumulator, raw_events
from tests.support.tbserver import TensorBoardServer

torch = pytest.importorskip("torch")
torch_tensorboard = pytest.importorskip("torch.utils.tensorboard")
nn = torch.nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x, scale):
        return self.head(self.features(x).flatten(1)) * scale


rng = np.random.default_rng(9)
LABELS = torch.from_numpy(rng.random(10_000) < 0.3)
PREDICTIONS = torch.from_numpy(np.clip(rng.normal(0.4, 0.3, 10_000), -0.1, 1.1).astype(np.float32))
WEIGHTS = rng.random(10_000)
POINTS = torch.from_numpy(rng.normal(size=(60, 16)).astype(np.float32))
SPRITES = torch.from_numpy(rng.random((60, 1, 10, 12)).astype(np.float32))
CLASSES = [f"class {i % 4}" for i in range(60)]
VERTICES = torch.tensor([[[1, 1, 1], [-1, -1, 1], [1, -1, -1], [-1, 1, -1]]], dtype=torch.float)
COLOURS = torch.tensor([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 0, 255]]], dtype=torch.int)
FACES = torch.tensor([[[0, 2, 3], [0, 3, 1], [0, 1, 2], [1, 3, 2]]], dtype=torch.int)
PHOTO = torch.from_numpy((rng.random((3, 40, 60)) * 255).astype(np.uint8))
BOXES = torch.tensor([[5, 5, 30, 25], [20, 10, 55, 38]])
SOUND = torch.from_numpy(np.sin(np.arange(8000) / 3.0) * 1.25).float()[None]  # (1, L), some samples clipped


def log_everything(writer_class, logdir):
    """The same calls, as a torch user writes them, on either writer."""
    from torch.utils.tensorboard import summary as torch_summary

    torch.manual_seed(0)
    model = SmallCNN()
    with writer_class(logdir) as w:
        w.add_graph(model, (torch.zeros(2, 1, 28, 28), torch.ones(2, 10)))
        w._get_file_writer().add_summary(torch_summary.scalar("via_file_writer", 1.5), global_step=3)
        w.file_writer.add_summary(torch_summary.scalar("via_file_writer", 2.5), 4)
        w.add_scalar("loss", 0.25, 1)
        w.add_pr_curve("pr", LABELS, PREDICTIONS, 1)
        w.add_pr_curve("pr", LABELS.int(), PREDICTIONS, 2, num_thresholds=20, weights=WEIGHTS)
        w.add_pr_curve_raw("pr_raw", [3, 2, 0], [2, 1, 0], [0, 1, 2], [0, 1, 3], [0.6, 0.67, 0], [1, 0.67, 0], 5,
                           num_thresholds=3)
        w.add_embedding(POINTS, metadata=CLASSES, label_img=SPRITES, global_step=1, tag="features/a")
        w.add_embedding(POINTS * 2, metadata=[[c, str(i)] for i, c in enumerate(CLASSES)],
                        metadata_header=["class", "index"], global_step=2)
        w.add_mesh("tetrahedron", VERTICES, colors=COLOURS, faces=FACES, config_dict={"camera": {"fov": 60}},
                   global_step=1)
        w.add_custom_scalars({"Loss": {"both": ["Multiline", ["loss", "via_.*"]],
                                       "band": ["Margin", ["m", "lo", "hi"]]}})
        w.add_custom_scalars_multilinechart(["loss", "via_.*"], category="Lines", title="all")
        w.add_custom_scalars_marginchart(["m", "lo", "hi"], category="Margins", title="m")
        for tag, value in (("m", 1.0), ("lo", 0.5), ("hi", 1.5)):
            w.add_scalar(tag, value, 0)
        w.add_image_with_boxes("boxes", PHOTO, BOXES, 2, labels=["cat", "dog"])
        w.add_image_with_boxes("boxes_x2", PHOTO, BOXES, 2, rescale=2)
        w.add_tensor("tensor", torch.arange(6, dtype=torch.float32).reshape(2, 3), 3)
        w.add_tensor("tensor_int", torch.arange(4, dtype=torch.int64), 3)
        with pytest.warns(RuntimeWarning, match="clipped") if writer_class is SummaryWriter else _nothing():
            w.add_audio("sound", SOUND, 2, sample_rate=8000)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def wav_samples(data: bytes) -> tuple[int, int, np.ndarray]:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getframerate(), wav.getnchannels(), np.frombuffer(wav.readframes(wav.getnframes()), "<i2")


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("parity")
    log_everything(torch_tensorboard.SummaryWriter, str(root / "torch"))
    log_everything(SummaryWriter, str(root / "ours"))
    return root


def test_graph_defs_are_equal(logdir):
    from tensorboard.compat.proto import graph_pb2
    graphs = {run: [graph_pb2.GraphDef.FromString(e.graph_def) for e in raw_events(logdir / run)
                    if e.HasField("graph_def")] for run in ("torch", "ours")}
    assert len(graphs["ours"]) == 1 and graphs["ours"] == graphs["torch"]
    assert {n.op for n in graphs["ours"][0].node} >= {"aten::_convolution", "aten::batch_norm", "aten::linear"}
    metadata = {run: [(e.tagged_run_metadata.tag, e.tagged_run_metadata.run_metadata) for e in raw_events(logdir / run)
                      if e.HasField("tagged_run_metadata")] for run in ("torch", "ours")}
    assert metadata["ours"] == metadata["torch"] != []


def test_accumulator_sees_the_same_tags_and_values(logdir):
    accs = {run: accumulator(logdir / run) for run in ("torch", "ours")}
    assert accs["ours"].Tags() == accs["torch"].Tags()
    for tag in accs["ours"].Tags()["scalars"]:
        assert [(e.step, e.value) for e in accs["ours"].Scalars(tag)] == \
               [(e.step, e.value) for e in accs["torch"].Scalars(tag)]
    assert accs["ours"].Graph() == accs["torch"].Graph()
    from tensorboard.util import tensor_util
    for step in (0, 1):
        ours, theirs = (tensor_util.make_ndarray(accs[run].Tensors("pr")[step].tensor_proto)
                        for run in ("ours", "torch"))
        assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)
    sounds = {run: accs[run].Audio("sound")[0] for run in accs}
    ours, theirs = sounds["ours"], sounds["torch"]
    assert (ours.step, ours.content_type, ours.sample_rate, ours.length_frames) == \
        (theirs.step, theirs.content_type, theirs.sample_rate, theirs.length_frames)
    check_same_sound(sounds["ours"].encoded_audio_string, sounds["torch"].encoded_audio_string)


def test_tensors_meshes_and_layouts_are_torchs(logdir):
    from tensorboard.plugins.custom_scalar import layout_pb2
    from tensorboard.util import tensor_util
    accs = {run: accumulator(logdir / run) for run in ("torch", "ours")}
    for tag in ("tensor", "tensor_int", "tetrahedron_VERTEX", "tetrahedron_FACE", "tetrahedron_COLOR"):
        ours, theirs = (tensor_util.make_ndarray(accs[run].Tensors(tag)[0].tensor_proto) for run in ("ours", "torch"))
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, tag
        np.testing.assert_array_equal(ours, theirs, err_msg=tag)
        assert accs["ours"].SummaryMetadata(tag) == accs["torch"].SummaryMetadata(tag), tag
    layouts = {run: [layout_pb2.Layout.FromString(tensor_util.make_ndarray(e.tensor_proto).item())
                     for e in accs[run].Tensors("custom_scalars__config__")] for run in accs}
    assert layouts["ours"] == layouts["torch"] and len(layouts["ours"]) == 3


def test_boxes_are_drawn_as_torch_draws_them(logdir):
    images = {run: {tag: [e.encoded_image_string for e in accumulator(logdir / run).Images(tag)]
                    for tag in ("boxes", "boxes_x2")} for run in ("torch", "ours")}
    for tag in ("boxes", "boxes_x2"):
        ours, theirs = png_pixels(images["ours"][tag][0]), png_pixels(images["torch"][tag][0])
        assert ours.shape == theirs.shape == ((40, 60, 3) if tag == "boxes" else (80, 120, 3))
        np.testing.assert_array_equal(ours, theirs, err_msg=tag)
    drawn = png_pixels(images["ours"]["boxes"][0])
    assert (drawn[5, 5:31] == [255, 0, 0]).all()  # the top edge of the first box, in red


def png_pixels(data: bytes) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)


def test_projector_files_are_torchs(logdir):
    ours, theirs = logdir / "ours", logdir / "torch"
    assert (ours / "projector_config.pbtxt").read_text() == (theirs / "projector_config.pbtxt").read_text()
    for subdir in ("00001/features%2fa", "00002/default"):
        tensors = [np.loadtxt(run / subdir / "tensors.tsv", dtype=np.float32, delimiter="\t") for run in (ours, theirs)]
        np.testing.assert_array_equal(*tensors)
        assert (ours / subdir / "metadata.tsv").read_bytes() == (theirs / subdir / "metadata.tsv").read_bytes()
    sprites = [png_pixels((run / "00001/features%2fa/sprite.png").read_bytes()) for run in (ours, theirs)]
    assert sprites[0].shape == sprites[1].shape == (96, 96, 3)
    assert np.abs(sprites[0] - sprites[1]).max() <= 1  # we round float pixels, torch truncates


def check_same_sound(ours: bytes, theirs: bytes):
    """Our WAV against torch's: same rate and length; samples round where torch truncates (1 LSB apart at most)."""
    (rate, channels, samples), (their_rate, their_channels, their_samples) = wav_samples(ours), wav_samples(theirs)
    assert (rate, channels, samples.size) == (their_rate, their_channels, their_samples.size) == (8000, 1, 8000)
    assert np.abs(samples.astype(int) - their_samples).max() <= 1
    expected = np.rint(np.clip(SOUND.numpy()[0].astype(np.float64), -1, 1) * 32767)
    np.testing.assert_array_equal(samples, expected)
    assert samples.max() == 32767 and samples.min() == -32767  # clipped, not wrapped


@pytest.mark.slow
@pytest.mark.parametrize("load_fast", [False, True], ids=["python-loader", "rust-loader"])
def test_server_shows_the_same(logdir, load_fast):
    with TensorBoardServer(logdir, load_fast=load_fast) as tb:
        info = tb.wait_for(lambda: (lambda i: i if {"torch", "ours"} <= set(i) else None)(
            tb.get("/data/plugin/graphs/info")))
        assert info["ours"] | {"run": "torch"} == info["torch"]
        graphs = {run: tb.get_bytes("/data/plugin/graphs/graph", run=run, conceptual="false") for run in info}
        assert graphs["ours"] == graphs["torch"] and b'op: "aten::linear"' in graphs["ours"]
        assert tb.get_bytes("/data/plugin/graphs/run_metadata", run="ours", tag="step1") == \
               tb.get_bytes("/data/plugin/graphs/run_metadata", run="torch", tag="step1")
        tags = tb.wait_for(lambda: (lambda t: t if {"torch", "ours"} <= set(t) else None)(
            tb.get("/data/plugin/scalars/tags")))
        assert tags["ours"] == tags["torch"]
        for tag in tags["ours"]:
            assert [p[1:] for p in tb.scalars("ours", tag)] == [p[1:] for p in tb.scalars("torch", tag)]
        check_served_pr_curves(tb)
        check_served_audio(tb)
        check_served_projector(tb)
        check_served_meshes_layouts_and_boxes(tb)


def check_served_meshes_layouts_and_boxes(tb):
    assert tb.get("/data/plugin/mesh/tags")["ours"] == tb.get("/data/plugin/mesh/tags")["torch"]
    meshes = {run: sorted(without_wall_time(tb.get("/data/plugin/mesh/meshes", run=run, tag="tetrahedron",
                                                   sample="0")), key=lambda m: m["content_type"])
              for run in ("ours", "torch")}
    assert meshes["ours"] == meshes["torch"] and len(meshes["ours"]) == 3
    for part in ("VERTEX", "FACE", "COLOR"):
        data = [tb.get_bytes("/data/plugin/mesh/data", run=run, tag="tetrahedron", sample="0", content_type=part,
                             step="1") for run in ("ours", "torch")]
        assert data[0] == data[1] and data[0], part
    images = tb.get("/data/plugin/images/tags")
    assert {t: i["samples"] for t, i in images["ours"].items()} == {t: i["samples"] for t, i in images["torch"].items()}
    for tag in ("boxes", "boxes_x2"):
        shown = [png_pixels(tb.get_bytes("/data/plugin/images/individualImage?" + tb.get(
            "/data/plugin/images/images", run=run, tag=tag)[0]["query"])) for run in ("ours", "torch")]
        np.testing.assert_array_equal(*shown, err_msg=tag)


def check_served_projector(tb):
    assert set(tb.get("/data/plugin/projector/runs")) >= {"ours", "torch"}
    infos = {run: tb.get("/data/plugin/projector/info", run=run) for run in ("ours", "torch")}
    assert infos["ours"] == infos["torch"] and len(infos["ours"]["embeddings"]) == 2
    for embedding in infos["ours"]["embeddings"]:
        name = embedding["tensorName"]
        tensors = [tb.get_bytes("/data/plugin/projector/tensor", run=run, name=name) for run in ("ours", "torch")]
        assert tensors[0] == tensors[1] and len(tensors[0]) == 60 * 16 * 4
        labels = [tb.get_bytes("/data/plugin/projector/metadata", run=run, name=name) for run in ("ours", "torch")]
        assert labels[0] == labels[1]
        if "sprite" in embedding:
            sprites = [png_pixels(tb.get_bytes("/data/plugin/projector/sprite_image", run=run, name=name))
                       for run in ("ours", "torch")]
            assert np.abs(sprites[0] - sprites[1]).max() <= 1


def without_wall_time(entries):
    return [{k: v for k, v in e.items() if k != "wall_time"} for e in entries]


def check_served_pr_curves(tb):
    tags = tb.get("/data/plugin/pr_curves/tags")
    assert tags["ours"] == tags["torch"] and set(tags["ours"]) == {"pr", "pr_raw"}
    shown = {}
    for tag in tags["ours"]:
        ours, theirs = (tb.get("/data/plugin/pr_curves/pr_curves", run=run, tag=tag)[run] for run in ("ours", "torch"))
        assert without_wall_time(ours) == without_wall_time(theirs)
        shown[tag] = [len(e["precision"]) for e in ours]
    assert shown == {"pr": [127, 20], "pr_raw": [2]}  # TensorBoard leaves the last threshold out of pr_raw


def check_served_audio(tb):
    tags = tb.get("/data/plugin/audio/tags")
    assert tags["ours"] == tags["torch"] and set(tags["ours"]) == {"sound"}
    entries = {run: tb.get("/data/plugin/audio/audio", run=run, tag="sound") for run in ("ours", "torch")}
    assert [(e["step"], e["contentType"]) for e in entries["ours"]] == \
           [(e["step"], e["contentType"]) for e in entries["torch"]]
    check_same_sound(*(tb.get_bytes("/data/plugin/audio/individualAudio?" + entries[run][0]["query"])
                       for run in ("ours", "torch")))
