"""bfloat16 and float16 tensors are taken by every call that takes a tensor, and write what the float32 tensor of
the same values writes: read at the call, and deferred (``DEFER_CPU_TENSORS``: the device path, on the CPU)."""
import numpy as np
import pytest

from tbwriter import SummaryWriter
from tbwriter.writing import deferred
from tests.support.eventcheck import raw_events

torch = pytest.importorskip("torch")
pytest.importorskip("PIL")
WALL = 1234.5


def values(seed, *shape, low=0.0, high=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * (high - low) + low


LABELS = values(1, 64) > 0.5
# On a 1/32 grid, p * 126 is exact in float16: float16 predictions are bucketed in float16 arithmetic (as torch's
# writer buckets them), which elsewhere may put a prediction within float16's rounding of an edge one bucket off.
PREDICTIONS = torch.round(values(2, 64) * 32) / 32
CALLS = {
    "add_scalar": lambda w, h: w.add_scalar("s", h(torch.tensor(0.3)), 1, walltime=WALL),
    "add_scalar_new_style": lambda w, h: w.add_scalar("s", h(torch.tensor(0.3)), 1, walltime=WALL, new_style=True),
    "log_metrics": lambda w, h: w.log_metrics({"a": h(torch.tensor(0.3)), "b": h(torch.tensor(-2.5))}, 1, WALL),
    "add_scalars": lambda w, h: w.add_scalars("s", {"k": h(torch.tensor(0.7))}, 1, walltime=WALL),
    "add_image": lambda w, h: w.add_image("i", h(values(3, 3, 9, 7, low=-0.1, high=1.1)), 1, walltime=WALL),
    "add_images": lambda w, h: w.add_images("i", h(values(4, 2, 5, 6, 1)), 1, walltime=WALL, dataformats="NHWC"),
    "add_image_with_boxes": lambda w, h: w.add_image_with_boxes(
        "b", h(values(5, 3, 16, 16)), h(torch.tensor([[1.0, 2.0, 9.0, 12.0]])), 1, walltime=WALL),
    "add_video": lambda w, h: w.add_video("v", h(values(6, 3, 2, 3, 8, 8)), 1, fps=5, walltime=WALL),
    "add_audio": lambda w, h: w.add_audio("a", h(values(7, 2, 300, low=-1, high=1)), 1, walltime=WALL),
    "add_histogram": lambda w, h: w.add_histogram("h", h(values(8, 1000, low=-3, high=3)), 1, walltime=WALL),
    "add_histogram_bins": lambda w, h: w.add_histogram("h", h(values(8, 1000)), 1, bins=17, walltime=WALL),
    "add_histogram_raw": lambda w, h: w.add_histogram_raw("h", h(torch.tensor(-1.0)), h(torch.tensor(2.0)), 10,
                                                          h(torch.tensor(4.5)), 20, [0.0, 2.0], [4, 6], 1, WALL),
    "add_pr_curve": lambda w, h: w.add_pr_curve("p", LABELS, h(PREDICTIONS), 1, walltime=WALL),
    "add_pr_curve_weights": lambda w, h: w.add_pr_curve("p", LABELS, PREDICTIONS, 1, walltime=WALL,
                                                        weights=h(values(9, 64))),
    "add_mesh": lambda w, h: w.add_mesh("m", h(values(10, 1, 8, 3, low=-1)), colors=h(values(11, 1, 8, 3) * 255),
                                        global_step=1, walltime=WALL),
    "add_tensor": lambda w, h: w.add_tensor("t", h(values(12, 3, 4, low=-5, high=5)), 1, walltime=WALL),
}


def written(run) -> list[bytes]:
    """The summary events of a run and of its sub-runs (``add_scalars``), in order."""
    return [e.SerializeToString() for sub in sorted([run, *run.iterdir()]) if sub.is_dir()
            for e in raw_events(sub) if e.HasField("summary")]


@pytest.mark.parametrize("deferring", [False, True], ids=["at-the-call", "deferred"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_half_precision_writes_what_float32_of_the_same_values_writes(tmp_path, monkeypatch, call, dtype, deferring):
    monkeypatch.setattr(deferred, "DEFER_CPU_TENSORS", deferring)
    # add_tensor writes a tensor in its own dtype: float16 as TensorBoard's DT_HALF, like a numpy float16 array;
    # bfloat16, which numpy lacks, as float32.
    same = (lambda t: t.to(dtype).numpy()) if call is CALLS["add_tensor"] and dtype == torch.float16 else (
        lambda t: t.to(dtype).float())
    for run, given in (("half", lambda t: t.to(dtype)), ("float32", same)):
        with SummaryWriter(tmp_path / run, flush_secs=3600) as w:
            call(w, given)
    half = written(tmp_path / "half")
    assert half and half == written(tmp_path / "float32")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bfloat16", "float16"])
def test_half_precision_embeddings_write_the_float32_files(tmp_path, dtype):
    mat, sprites = values(13, 6, 5, low=-2, high=2), values(14, 6, 3, 4, 4)
    for run, given in (("half", lambda t: t.to(dtype)), ("float32", lambda t: t.to(dtype).float())):
        with SummaryWriter(tmp_path / run) as w:
            w.add_embedding(given(mat), metadata=list("abcdef"), label_img=given(sprites))
    for name in ("tensors.tsv", "metadata.tsv", "sprite.png"):
        half, single = ((tmp_path / run / "00000/default" / name).read_bytes() for run in ("half", "float32"))
        assert half == single
    rows = np.loadtxt(tmp_path / "half/00000/default/tensors.tsv", dtype=np.float32)
    np.testing.assert_array_equal(rows, mat.to(dtype).float().numpy())
