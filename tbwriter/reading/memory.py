"""Large arrays for a read (a file's bytes, its record index, the columns decoded from it), in huge pages
where Linux has them.

    padded = zeros(file_size + 16)                 # uint8, zeroed
    columns = empty((3, count), np.int64)          # to be written over

Faulting fresh memory in 4 KiB pages was much of the time of a large read: loading a 61 MB log from the
page cache took 28 ms into such memory and 11 ms into memory madvised for huge pages (measured, THP in
madvise mode). Anonymous private memory, never a mapping of the file: a file truncated by someone else
while it is read cannot SIGBUS us.
"""
from __future__ import annotations

import mmap

import numpy as np

_HUGE = 2 << 20  # bytes from which huge pages pay (one huge page; below, 4 KiB faults cost less than a mapping)


def zeros(size: int) -> np.ndarray:
    """``size`` zero bytes as a writable uint8 array."""
    if size < _HUGE or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.zeros(size, np.uint8)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # zeroed; kept alive by the array
    memory.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(memory, np.uint8)


def empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` to be written over (zeroed, as :func:`zeros` gives memory)."""
    dtype = np.dtype(dtype)
    return zeros(int(np.prod(shape)) * dtype.itemsize).view(dtype).reshape(shape)
