"""The read path's stages, one module each (the public face is :mod:`tbwriter.reading.reader`):

- :mod:`~tbwriter.reading.reader`: ``read_scalars`` and the other public readers; what they return is in
  :mod:`~tbwriter.reading.results`
- :mod:`~tbwriter.reading.filters`: the runs and tags a read keeps (``TagFilter``, compiled once)
- :mod:`~tbwriter.reading.scan`: the read loop, written once: a run's files with a cursor each (``RunScan``), the
  plugin of a tag's first value, damage reported once; ``read_*`` start a fresh one per run, ``Follower`` keeps one
- :mod:`~tbwriter.reading.filescan`: one file read into the run's points, a window of its bytes at a time
- :mod:`~tbwriter.reading.files`: list a logdir's runs and event files, read a file's bytes a window at a time
- :mod:`~tbwriter.reading.index`: where the records of a file are, and whether their CRCs hold (framing;
  by the C scan of ``_frames.c`` when it was built at install, else with numpy)
- :mod:`~tbwriter.reading.records`: a file's records one by one (``tbwriter.record.iter_records``), found as above
- :mod:`~tbwriter.reading.memory`: large scratch arrays in huge pages (a window of a file's bytes, its index)
- :mod:`~tbwriter.reading.skim`: which records a read can leave unparsed (their kind or tag is not wanted)
- :mod:`~tbwriter.reading.plain`: the events of nothing but scalars, decoded by the C scan (most of a log)
- :mod:`~tbwriter.reading.shapes`: split a group of records into shapes, decode each shape whole
- :mod:`tbwriter.format.decode` and :mod:`tbwriter.format.payloads`: one record's layout, and its values as
  TensorBoard reads them
- :mod:`~tbwriter.reading.columns`: one field of many records as a numpy column
- :mod:`~tbwriter.reading.collect`: the points of a run, back in file order, purged as TensorBoard does
- :mod:`~tbwriter.reading.plugins`: what a plugin needs of a value to show it

Built on them: :mod:`~tbwriter.reading.sessions` (``read_hparams``), :mod:`~tbwriter.reading.every_kind`
(``read_all``, every kind in one pass) and :mod:`~tbwriter.reading.follow` (``Follower``, a logdir read as it
grows).
"""
