"""Where files live: the one place that tells a local path from a URL of object storage.

    from tbwriter import storage
    storage.is_url("s3://bucket/runs")                 # True
    storage.join("s3://bucket/runs", "exp1")           # a run's location, local or remote alike
    storage.list_files("s3://bucket/runs")             # {url: size}, one listing
    storage.files_in("runs/exp1")                      # the files in a folder, either kind

- :mod:`~tbwriter.storage.locations`: ``is_url``, and ``join``, ``absolute``, ``parent`` for either kind
- :mod:`~tbwriter.storage.objects`: fsspec filesystems, ``list_files``, ``read_file``, ``files_in``, ``remove``
- :mod:`~tbwriter.storage.segments`: ``Segments``, a growing file in object storage as sealed objects, and the
  knobs ``SEGMENT_BYTES`` and ``PUT_TIMEOUT`` (set them there: ``tbwriter.storage.segments.PUT_TIMEOUT = 5.0``)
- :mod:`~tbwriter.storage.atomicfile`: ``atomic_output``, a local file written whole or not at all

Failures of object storage raise :class:`StorageError` (an ``OSError``) naming the URL.
"""
from __future__ import annotations

from tbwriter.errors import StorageError
from tbwriter.storage.locations import absolute, is_url, join, parent
from tbwriter.storage.objects import files_in, filesystem, list_files, read_file, remove
from tbwriter.storage.segments import Segments

__all__ = ["Segments", "StorageError", "absolute", "files_in", "filesystem", "is_url", "join", "list_files", "parent",
           "read_file", "remove"]
