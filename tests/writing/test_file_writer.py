"""torch's low-level API on our writer: file_writer / _get_file_writer() with add_summary and add_event taking
any package's messages or their bytes, add_graph, all_writers, default_bins; bad input refused, writer usable."""
import pytest

from tbwriter import SummaryWriter
from tbwriter._proto import event_pb2 as our_event_pb2
from tests.support.eventcheck import accumulated_scalars, event_files, raw_events

torch = pytest.importorskip("torch")


def summaries(tag, value):
    """The same one-scalar Summary from torch, tensorboardX, TensorBoard and tbwriter, and as bytes."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboardX import summary as tbx_summary
    from torch.utils.tensorboard import summary as torch_summary
    return {
        "torch": torch_summary.scalar(tag, value),
        "tensorboardX": tbx_summary.scalar(tag, value),
        "tensorboard": summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)]),
        "tbwriter": our_event_pb2.Summary(value=[our_event_pb2.Summary.Value(tag=tag, simple_value=value)]),
        "bytes": our_event_pb2.Summary(value=[our_event_pb2.Summary.Value(tag=tag, simple_value=value)])
        .SerializeToString(),
    }


def test_add_summary_takes_every_packages_summary(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step, (source, summary) in enumerate(summaries("x", 0.5).items()):
            assert w._get_file_writer() is w.file_writer
            w.file_writer.add_summary(summary, global_step=step, walltime=100.0 + step)
            w._get_file_writer().add_summary(summaries(source, 1.0)[source], step)
    scalars = accumulated_scalars(tmp_path)
    assert scalars["x"] == [(step, 0.5) for step in range(5)]
    assert set(scalars) == {"x", "torch", "tensorboardX", "tensorboard", "tbwriter", "bytes"}
    assert [e.wall_time for e in raw_events(tmp_path) if e.HasField("summary")][::2] == [100.0 + s for s in range(5)]


def test_add_event_sets_wall_time_and_step(tmp_path):
    from tensorboard.compat.proto import event_pb2
    with SummaryWriter(tmp_path) as w:
        w.file_writer.add_event(event_pb2.Event(step=7, session_log=event_pb2.SessionLog(status=1)))
        w.file_writer.add_event(event_pb2.Event(log_message=event_pb2.LogMessage(message="hi")).SerializeToString(),
                                step=9, walltime=12.0)
    events = raw_events(tmp_path)[1:]
    assert [(e.step, e.WhichOneof("what")) for e in events] == [(7, "session_log"), (9, "log_message")]
    assert events[0].wall_time > 1e9 and events[1].wall_time == 12.0


@pytest.mark.parametrize("call, error, words", [
    (lambda fw: fw.add_summary("loss"), TypeError, "add_summary: Summary must be a protobuf"),
    (lambda fw: fw.add_summary(b"\x0a\x05\x0a"), ValueError, "add_summary: the Summary is not a valid"),
    (lambda fw: fw.add_summary(our_event_pb2.Summary(), global_step=1.5), TypeError, "add_summary"),
    (lambda fw: fw.add_event(3), TypeError, "add_event: Event must be"),
    (lambda fw: fw.add_event(b"\xff"), ValueError, "add_event: the Event is not a valid"),
    (lambda fw: fw.add_graph((b"", b"", b"")), ValueError, "add_graph: graph_profile must be"),
    (lambda fw: fw.add_graph(b"\x0a\x03\x0a"), ValueError, "add_graph: the GraphDef is not a valid"),
])
def test_bad_input_is_refused_and_writes_nothing(tmp_path, call, error, words):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(error, match=words):
            call(w.file_writer)
        w.add_scalar("after", 1.0, 2)
    assert len(raw_events(tmp_path)) == 2 and accumulated_scalars(tmp_path) == {"after": [(2, 1.0)]}


def test_file_writer_lifecycle_and_all_writers(tmp_path):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    ours, theirs = SummaryWriter(str(tmp_path / "ours")), TorchWriter(str(tmp_path / "torch"))
    for w in (ours, theirs):
        w.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0)
    assert [k.replace("ours", "torch") for k in ours.all_writers] == list(theirs.all_writers)
    assert ours.default_bins == theirs.default_bins
    fw = ours.file_writer
    assert fw.get_logdir() == str(tmp_path / "ours")
    fw.add_summary(summaries("x", 1.0)["torch"], 1)
    fw.flush()
    assert accumulated_scalars(tmp_path / "ours") == {"x": [(1, 1.0)]}
    fw.close()
    fw.reopen()
    fw.add_summary(summaries("x", 2.0)["torch"], 2)
    ours.close()
    theirs.close()
    assert len(event_files(tmp_path / "ours")) == 2
    assert accumulated_scalars(tmp_path / "ours") == {"x": [(1, 1.0), (2, 2.0)]}


class Untraceable(torch.nn.Module):
    def forward(self, x):
        return {"not": [x, "a tensor"]}


def test_untraceable_model_is_one_clear_error(tmp_path):
    model = Untraceable()
    model.train()
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match=r"add_graph: torch.jit.trace could not trace Untraceable with "
                                             r"input_to_model Tensor of shape \(2,\)"):
            w.add_graph(model, torch.zeros(2))
        assert model.training
        w.add_graph(torch.nn.Linear(2, 3), torch.zeros(1, 2))  # the writer stays usable
    events = raw_events(tmp_path)
    assert [e.WhichOneof("what") for e in events] == ["file_version", "graph_def", "tagged_run_metadata"]


def test_add_graph_verbose_and_not_strict(tmp_path, capsys):
    class ListOut(torch.nn.Module):
        def forward(self, x):
            return [x * 2, x + 1]
    with SummaryWriter(tmp_path) as w:
        w.add_graph(ListOut(), torch.zeros(3), verbose=True, use_strict_trace=False)
    assert "graph(" in capsys.readouterr().out
    assert sum(e.HasField("graph_def") for e in raw_events(tmp_path)) == 1


def positional(signature):
    return [(p.name, p.default) for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def test_every_public_method_of_torchs_writers_with_torchs_parameters():
    """Names, positional order and defaults as torch's; ours may add keyword-only parameters after them."""
    import inspect

    from torch.utils.tensorboard import writer as torch_writer

    from tbwriter.writing.file_writer import FileWriter
    for theirs, ours in ((torch_writer.SummaryWriter, SummaryWriter), (torch_writer.FileWriter, FileWriter)):
        names = [n for n in vars(theirs) if not n.startswith("_") or n in ("_get_file_writer", "__init__")]
        for name in names:
            if name == "__init__" and ours is FileWriter:
                continue  # ours wraps the SummaryWriter's event file: made by the writer, not by users
            assert hasattr(ours, name), f"{ours.__name__} lacks {name}"
            mine = inspect.signature(getattr(ours, name))
            assert positional(mine) == positional(inspect.signature(getattr(theirs, name))), name
    w = SummaryWriter(write_to_disk=False)
    for attribute in ("file_writer", "all_writers", "default_bins", "log_dir", "purge_step", "max_queue",
                      "flush_secs", "filename_suffix"):
        assert hasattr(w, attribute), attribute
