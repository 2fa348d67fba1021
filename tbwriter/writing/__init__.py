"""The write path, the mirror of :mod:`tbwriter.reading` (the public face is :class:`tbwriter.SummaryWriter`):

- :mod:`~tbwriter.writing.writer`: ``SummaryWriter``, one method per ``add_*``
- :mod:`~tbwriter.writing.values`: checks of what users pass (steps, wall times, tags, names) before anything is written
- :mod:`~tbwriter.writing.arrays`: numpy arrays from what users pass (lists, torch tensors on any device)
- :mod:`~tbwriter.writing.summaries`: one module per summary kind, data in, ``Summary.Value`` bytes out
- :mod:`~tbwriter.writing.file_writer`: torch's ``FileWriter``, for code that writes protos itself
- :mod:`~tbwriter.writing.eventfile`: one run's event file: framing, queueing, the background flusher, exit
- :mod:`~tbwriter.writing.sinks`: where its bytes go: a local file, object-storage segments, or nowhere (other ranks)
- :mod:`~tbwriter.writing.distributed`: which rank writes (torchrun, SLURM, MPI), and what happens at its exit
"""
