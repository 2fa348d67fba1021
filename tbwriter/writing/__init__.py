"""The write path, the mirror of :mod:`tbwriter.reading` (the public face is :class:`tbwriter.SummaryWriter`):

- :mod:`~tbwriter.writing.writer`: ``SummaryWriter``, one short method per ``add_*``, made of parts:
  :mod:`~tbwriter.writing.scalars`, :mod:`~tbwriter.writing.sessions` (hparams), :mod:`~tbwriter.writing.media`,
  :mod:`~tbwriter.writing.charts` and :mod:`~tbwriter.writing.graphs`
- :mod:`~tbwriter.writing.calls`: what every ``add_*`` shares: its body, and how a refused call is named (once)
- :mod:`~tbwriter.writing.values`: checks of what users pass (steps, wall times, tags, names) before anything is written
- :mod:`~tbwriter.writing.ranks`: which ranks write, and where each writer's events go (a file, or nowhere)
- :mod:`~tbwriter.writing.subruns`: the sub-runs of ``add_scalars``, each written by a writer of its own
- :mod:`~tbwriter.writing.projector`: the projector's files of ``add_embedding``, written atomically
- :mod:`~tbwriter.writing.arrays`: numpy arrays from what users pass (lists, torch tensors on any device)
- :mod:`~tbwriter.writing.summaries`: one module per summary kind, data in, ``Summary.Value`` bytes out
- :mod:`~tbwriter.writing.file_writer`: torch's ``FileWriter``, for code that writes protos itself
- :mod:`~tbwriter.writing.eventfile`: one run's event file: framing, queueing, the background flusher, exit
- :mod:`~tbwriter.writing.sinks`: where its bytes go: a local file, object-storage segments, or nowhere (other ranks)
- :mod:`~tbwriter.writing.distributed`: which rank writes (torchrun, SLURM, MPI), and what happens at its exit
"""
