"""add_embedding beyond the parity test: the projector config keeps every embedding across calls, steps and
writers of a run; a repeated tag and step replaces its entry; bad input is refused and writes no file."""
import numpy as np
import pytest

from tbwriter import SummaryWriter

projector_config_pb2 = pytest.importorskip("tensorboard.plugins.projector.projector_config_pb2")
text_format = pytest.importorskip("google.protobuf.text_format")


def config(run_dir):
    """The run's projector config, parsed by TensorBoard's own message."""
    return text_format.Parse((run_dir / "projector_config.pbtxt").read_text(), projector_config_pb2.ProjectorConfig())


def test_config_keeps_embeddings_across_calls_steps_and_writers(tmp_path):
    points = np.arange(12, dtype=np.float32).reshape(4, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(points, global_step=0)
        w.add_embedding(points, metadata=list("abcd"), global_step=1)
        w.add_embedding(points + 1, metadata=list("wxyz"), global_step=1)  # same tag and step: replaced
    with SummaryWriter(tmp_path) as w:  # a resumed run
        w.add_embedding(points, tag="other", label_img=np.zeros((4, 3, 2, 2), np.uint8), global_step=3)
    embeddings = config(tmp_path).embeddings
    assert [e.tensor_name for e in embeddings] == ["default:00000", "default:00001", "other:00003"]
    assert embeddings[1].metadata_path == "00001/default/metadata.tsv"
    assert (tmp_path / "00001/default/metadata.tsv").read_text() == "w\nx\ny\nz\n"
    assert np.loadtxt(tmp_path / "00001/default/tensors.tsv", dtype=np.float32).tolist() == (points + 1).tolist()
    assert list(embeddings[2].sprite.single_image_dim) == [2, 2] and not embeddings[0].metadata_path


@pytest.mark.parametrize("call, error, words", [
    (lambda w: w.add_embedding(np.zeros(4)), ValueError, "mat must be a non-empty 2-d"),
    (lambda w: w.add_embedding(np.zeros((3, 2)), metadata=["a"]), ValueError, "1 labels for 3 points"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), metadata=[["a"], ["b", "c"]], metadata_header=["x", "y"]),
     ValueError, "row 0"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), label_img=np.zeros((3, 1, 4, 4))), ValueError, "2 points"),
    (lambda w: w.add_embedding(np.array([["a"]])), TypeError, "must hold numbers"),
    (lambda w: w.add_embedding(np.zeros((2, 2)), global_step=0.5), TypeError, "global_step"),
])
def test_bad_input_writes_no_file(tmp_path, call, error, words):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=words):
            call(w)
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("events.")] == []


def test_write_to_disk_false_writes_no_projector_file(tmp_path):
    with SummaryWriter(tmp_path / "run", write_to_disk=False) as w:
        w.add_embedding(np.zeros((2, 2)), metadata=["a", "b"])
        with pytest.raises(ValueError):
            w.add_embedding(np.zeros((2, 2)), metadata=["a"])
    assert not (tmp_path / "run").exists()


def test_a_rank_that_does_not_write_writes_no_projector_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with SummaryWriter(tmp_path / "run") as w:
        w.add_embedding(np.zeros((2, 2)), metadata=["a", "b"])
        w.file_writer.add_summary(b"", 1)
    assert not (tmp_path / "run").exists()


def test_a_projector_file_that_cannot_be_written_leaves_no_partial_file(tmp_path):
    (tmp_path / "00000" / "default" / "tensors.tsv").mkdir(parents=True)  # a folder where the file goes
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(OSError):
            w.add_embedding(np.zeros((2, 2)))
    assert [p.name for p in (tmp_path / "00000" / "default").iterdir()] == ["tensors.tsv"]
    assert not (tmp_path / "projector_config.pbtxt").exists()
