"""``FileWriter``: torch's low-level writer of ready-made protobuf messages, over a run's event file.

    fw = writer.file_writer                      # or writer._get_file_writer(), as Lightning calls it
    fw.add_summary(summary, global_step=3)       # any Summary: torch's, tensorboardX's, TensorBoard's, ours, or bytes
    fw.add_event(event, step=3)                  # any Event message, or its bytes
    fw.add_graph((graph_def, run_metadata))      # what torch's add_graph hands its file writer

Messages are taken by their wire bytes (``SerializeToString()``), so any protobuf package
whose messages share TensorBoard's field numbers works; nothing here imports torch or
tensorboard. It writes into the same :class:`~tbwriter.writing.eventfile.EventFile` as the
:class:`~tbwriter.writing.writer.SummaryWriter` it belongs to. Its refused calls are named as the
writer's are (``add_event: walltime must be finite, got nan``).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format import encode
from tbwriter.writing.calls import names_errors
from tbwriter.writing.eventfile import EventFile
from tbwriter.writing.values import to_step, to_walltime

if TYPE_CHECKING:
    from tbwriter.writing.sinks import Discarded

_now = time.time
_GRAPH_DEF_TAG = b"\x22"  # Event.graph_def, field 4, bytes
_TAGGED_RUN_METADATA_TAG = b"\x42"  # Event.tagged_run_metadata, field 8


def serialized(message: object, what: str) -> bytes:
    """The wire bytes of a protobuf ``message`` (any package) or of bytes given as they are."""
    if isinstance(message, (bytes, bytearray, memoryview)):
        return bytes(message)
    serialize = getattr(message, "SerializeToString", None)
    if serialize is None:
        raise ArgumentTypeError(what, f"must be a protobuf {what} message or its serialized bytes, "
                                      f"got {type(message).__name__}")
    return serialize()


def _parsed(data: bytes, message_type, what: str):
    """``data`` parsed as our ``message_type``, or ArgumentError: nothing unreadable reaches the file."""
    from google.protobuf.message import DecodeError

    try:
        return message_type.FromString(data)
    except DecodeError as e:
        raise ArgumentError(f"the {what}", f"is not a valid serialized {what} message ({len(data)} bytes): {e}"
                            ) from None


def _graph_def(graph: object) -> bytes:
    from tbwriter._proto import graph_pb2

    data = serialized(graph, "GraphDef")
    _parsed(data, graph_pb2.GraphDef, "GraphDef")
    return data


class FileWriter:
    """torch's ``FileWriter`` API over one run's event file; see the module docstring for calls.

    Args:
        log_dir: the run directory.
        event_file: the event file of the run this writer appends to (one that drops everything
            when the run does not write: ``write_to_disk=False``, or a rank other than 0).
    """

    def __init__(self, log_dir: str, event_file: EventFile | Discarded):
        self._log_dir, self._file = log_dir, event_file

    def get_logdir(self) -> str:
        """The run directory this writer writes into: ``w.file_writer.get_logdir()``."""
        return self._log_dir

    @names_errors(tag=None)
    def add_event(self, event: object, step: object = None, walltime: object = None) -> None:
        """Write one ``Event`` with its wall time set (now, or ``walltime``) and, if given, its step.

            fw.add_event(event_pb2.Event(session_log=...), step=10)

        Args:
            event: an ``Event`` protobuf message of any package, or its serialized bytes.
            step: the step to record (an integer, or a float that is a whole number); None keeps the event's own.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter._proto import event_pb2

        parsed = _parsed(serialized(event, "Event"), event_pb2.Event, "Event")
        parsed.wall_time = _now() if walltime is None else to_walltime(walltime)
        if step is not None:
            parsed.step = to_step(step)
        self._file.append(parsed.SerializeToString())

    @names_errors(tag=None)
    def add_summary(self, summary: object, global_step: object = None, walltime: object = None) -> None:
        """Write one ``Summary`` (all its values) as an Event at ``global_step``.

            fw.add_summary(summary_pb2.Summary(value=[...]), global_step=3)

        Args:
            summary: a ``Summary`` protobuf message of any package (torch's, tensorboardX's,
                TensorBoard's, tbwriter's), or its serialized bytes.
            global_step: the step (an integer, or a float that is a whole number); None is 0.
            walltime: seconds since the epoch; None is now.
        """
        from tbwriter._proto import event_pb2

        data = serialized(summary, "Summary")
        _parsed(data, event_pb2.Summary, "Summary")
        step = to_step(global_step)
        wall = _now() if walltime is None else to_walltime(walltime)
        self._file.append(encode.summary_event(wall, step, data))

    @names_errors(tag=None)
    def add_graph(self, graph_profile: object, walltime: object = None) -> None:
        """Write a model graph: a ``(GraphDef, RunMetadata)`` pair as torch's tracer makes, or one ``GraphDef``.

            fw.add_graph((graph_def, run_metadata))

        Args:
            graph_profile: a ``GraphDef`` (message or bytes), or a pair of a ``GraphDef`` and the
                ``RunMetadata`` (step stats) that is written beside it under tag ``step1``.
            walltime: seconds since the epoch; None is now.
        """
        if isinstance(graph_profile, (tuple, list)):
            if len(graph_profile) != 2:
                raise ArgumentError("graph_profile", "must be a GraphDef or a (GraphDef, RunMetadata) pair, "
                                                     f"got a {type(graph_profile).__name__} of {len(graph_profile)}")
            graph_def, run_metadata = graph_profile
            metadata = serialized(run_metadata, "RunMetadata")
        else:
            graph_def, metadata = graph_profile, None
        self.write_graph(_graph_def(graph_def), metadata, walltime)

    @names_errors(tag=None)
    def add_onnx_graph(self, graph: object, walltime: object = None) -> None:
        """Write a ``GraphDef`` (message or bytes) converted from an ONNX model, as torch's file writer does.

        Args:
            graph: the ``GraphDef`` message or its bytes.
            walltime: seconds since the epoch; None is now.
        """
        self.write_graph(_graph_def(graph), None, walltime)

    def write_graph(self, graph_def: bytes, run_metadata: bytes | None, walltime: object) -> None:
        """Append a checked serialized GraphDef event, then its run metadata (tag ``step1``) if any; the public
        method that calls it names its errors."""
        from tbwriter.writing.summaries.graph import RUN_METADATA_TAG

        wall = _now() if walltime is None else to_walltime(walltime)
        events = [encode.event_head(wall, 0) + encode.length_delimited(_GRAPH_DEF_TAG, graph_def)]
        if run_metadata is not None:
            tagged = (encode.length_delimited(b"\x0a", RUN_METADATA_TAG.encode())
                      + encode.length_delimited(b"\x12", run_metadata))
            events.append(encode.event_head(wall, 0) + encode.length_delimited(_TAGGED_RUN_METADATA_TAG, tagged))
        for event in events:
            self._file.append(event)

    def flush(self) -> None:
        """Return once everything written so far is on disk."""
        self._file.flush()

    def close(self) -> None:
        """Flush and close the event file; writing again opens a new one (as ``reopen()`` does)."""
        self._file.close()

    def reopen(self) -> None:
        """Open a new event file in the same directory after ``close()``; does nothing while open."""
        if isinstance(self._file, EventFile) and self._file.closed:
            self._file.open()
