"""Read event files back with TensorBoard's own loaders, the oracle for what we write.

    events = raw_events(run_dir)             # tensorboard Event protos, all files, in order
    points = accumulated_scalars(run_dir)     # {tag: [(step, value)]} via EventAccumulator, all kept
"""
from __future__ import annotations

import glob
import os

import pytest

event_file_loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def event_files(run_dir) -> list[str]:
    """The event files of a run directory in name order, or ``[run_dir]`` if it is one file."""
    if os.path.isfile(run_dir):
        return [str(run_dir)]
    return sorted(glob.glob(os.path.join(str(run_dir), "*tfevents*")))


def raw_events(run_dir) -> list:
    """Every Event in a run directory (or one event file), parsed by TensorBoard's own loader."""
    out = []
    for path in event_files(run_dir):
        out += list(event_file_loader.RawEventFileLoader(path).Load())
    from tensorboard.compat.proto import event_pb2
    return [event_pb2.Event.FromString(b) for b in out]


def accumulator(run_dir):
    acc = event_accumulator.EventAccumulator(str(run_dir), size_guidance={k: 0 for k in (
        "scalars", "histograms", "images", "tensors", "compressedHistograms", "audio")})
    acc.Reload()
    return acc


def accumulated_scalars(run_dir) -> dict[str, list[tuple[int, float]]]:
    acc = accumulator(run_dir)
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def scalar_values(run_dir) -> list[tuple[str, int, float]]:
    """(tag, step, simple_value) of every v1 scalar in a run directory or file, in file order."""
    return [(v.tag, e.step, v.simple_value) for e in raw_events(run_dir) if e.HasField("summary")
            for v in e.summary.value if v.HasField("simple_value")]


def hparams_session(run_dir) -> tuple[dict, str] | None:
    """``(hparams, end status)`` of a run's hparams session as EventAccumulator reads it (status
    "STATUS_UNKNOWN" while it has not ended), or None when the run holds no session."""
    from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2
    try:
        content = accumulator(run_dir).PluginTagToContent("hparams")
    except KeyError:
        return None
    if "_hparams_/session_start_info" not in content:
        return None
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    hparams = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
    end = content.get("_hparams_/session_end_info")
    status = 0 if end is None else plugin_data_pb2.HParamsPluginData.FromString(end).session_end_info.status
    return hparams, api_pb2.Status.Name(status)


def check_refused(run_dir, call, error, words) -> None:
    """``call(writer)`` raises ``error`` whose message holds ``words``, writes nothing, and the writer stays usable."""
    from tbwriter import SummaryWriter
    with SummaryWriter(run_dir) as w:
        with pytest.raises(error) as info:
            call(w)
        assert words in str(info.value), str(info.value)
        w.add_scalar("after", 1.0, 0)
    assert [e.WhichOneof("what") for e in raw_events(run_dir)] == ["file_version", "summary"]
