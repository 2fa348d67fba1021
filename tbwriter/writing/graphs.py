"""torch's file writers of a run and the model graphs written through them: a part of
:class:`~tbwriter.SummaryWriter` (see :mod:`~tbwriter.writing.calls`).

    w.file_writer.add_summary(summary_proto, global_step=3)   # torch's FileWriter: ready-made protobuf messages
    w.add_graph(model, torch.zeros(1, 3, 32, 32))             # a traced torch model, for the Graphs tab
    w.add_onnx_graph("model.onnx")

torch, onnx and protobuf are imported on first use only.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from tbwriter.writing.calls import SummaryCalls, names_errors

if TYPE_CHECKING:
    from tbwriter.writing.file_writer import FileWriter
    from tbwriter.writing.subruns import SubRuns


class GraphCalls(SummaryCalls):
    """``file_writer``, ``all_writers``, ``add_graph`` and ``add_onnx_graph``: a part of ``SummaryWriter``."""

    _sub_runs: SubRuns[Any]  # the add_scalars sub-runs, each with its file writer

    @property
    def file_writer(self) -> FileWriter:
        """torch's low-level writer of this run (``add_summary``, ``add_event``, ``add_graph``...).

            w.file_writer.add_summary(summary_proto, global_step=3)

        Unlike torch's, it is never None: after ``close()`` it opens a new event file when used.
        """
        from tbwriter.writing.file_writer import FileWriter

        writer = self.__dict__.get("_file_writer")
        if writer is None:
            writer = self.__dict__["_file_writer"] = FileWriter(self.log_dir, self._file)
        return writer

    def _get_file_writer(self) -> FileWriter:
        """``file_writer``, by the name Lightning and other torch integrations call: ``w._get_file_writer()``."""
        return self.file_writer

    @property
    def all_writers(self) -> dict[str, FileWriter]:
        """The file writer of this run and of each ``add_scalars`` sub-run, by directory (as torch's)."""
        writers = {self.log_dir: self.file_writer}
        for sub in self._sub_runs:
            writers.update(sub.all_writers)
        return writers


    @names_errors(tag=None)
    def add_graph(self, model: object, input_to_model: object = None, verbose: bool = False,
                  use_strict_trace: bool = True) -> None:
        """Trace a torch model with ``torch.jit.trace`` and write its graph for TensorBoard's Graphs tab.

            w.add_graph(model, torch.zeros(1, 3, 32, 32))

        Args:
            model: a ``torch.nn.Module`` (or a function/ScriptModule that ``torch.jit.trace`` takes).
            input_to_model: the example input: a tensor or a tuple of tensors.
            verbose: print the traced graph, as torch does.
            use_strict_trace: passed as ``strict`` to ``torch.jit.trace``; False lets the model
                return lists and dicts.

        A model that cannot be traced raises one ValueError naming it (torch prints the error,
        then raises it); nothing is written and the writer stays usable. torch is imported here only.
        """
        from tbwriter.writing.summaries import graph

        graph_def = graph.torch_graph_def(model, input_to_model, verbose, use_strict_trace)
        self.file_writer.write_graph(graph_def, graph.RUN_METADATA, None)












    @names_errors(tag=None)
    def add_onnx_graph(self, prototxt: str | os.PathLike) -> None:
        """Write the graph of an ONNX model file for the Graphs tab: ``w.add_onnx_graph("model.onnx")``.

        Args:
            prototxt: the path of the ONNX model (torch's name for it).

        Needs the ``onnx`` package (the ``onnx`` extra), imported here only.
        """
        from tbwriter.writing.summaries import onnx_graph

        self.file_writer.write_graph(onnx_graph.onnx_graph_def(prototxt), None, None)
