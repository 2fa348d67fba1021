"""Large scratch arrays of a read (a window of a file's bytes, its record index, its plain values): in
huge pages where Linux has them, and reused from one read to the next.

    offsets = empty((room,), np.int64)             # to be written over: its contents are undefined

Fresh memory is much of the time of a large read: each page is faulted in and zeroed by the kernel.
Loading a 61 MB log from the page cache took 28 ms into 4 KiB pages and 11 ms into memory madvised for
huge pages (THP in madvise mode), against 7 ms into memory that had been used before (measured). So the
memory of an array that nothing refers to any more (its last view gone) is kept for the next read of
this process, up to a few mappings; until it is reused the kernel may take its pages back
(``MADV_FREE``), so a process that stops reading gives it up under memory pressure.

The memory is anonymous and private, never a mapping of a file: a file that someone else truncates
while it is read cannot SIGBUS us.

``TBWRITER_EXACT_MEMORY=1`` (read once, at import) is for running the C loops under AddressSanitizer
(tools/c_loops.sh sanitized): every array is then a plain ``np.empty`` of exactly its size, so a read past its end
leaves the allocation, where ASan sees it (in a kept mapping, or the rest of a huge page, it cannot).
:func:`fenced` then also makes the zero padding after a file's bytes unreadable to the C scan.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import mmap
import os
import threading
import weakref
from collections.abc import Iterator

import numpy as np

_HUGE = 2 << 20  # bytes from which huge pages pay (one huge page; below, 4 KiB faults cost less than a mapping)
_KEPT = 8  # mappings kept for reuse: a read uses six at once (bytes, offsets, lengths, marks, points, grouped)
_LARGEST_KEPT = 1 << 31  # bytes: a larger mapping is given back when its array goes
EXACT = os.environ.get("TBWRITER_EXACT_MEMORY") == "1"  # see the module's docstring


class _Mapping:
    """Anonymous memory and the array that uses it now (a weak reference: it is free once that is gone)."""

    def __init__(self, size: int) -> None:
        try:
            self.memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        except OSError as e:  # as numpy says it, so that a caller need catch only MemoryError
            if e.errno != errno.ENOMEM:
                raise
            raise MemoryError(f"cannot map {size} bytes") from e
        self.memory.madvise(mmap.MADV_HUGEPAGE)
        self.user: weakref.ref | None = None

    def lend(self, size: int) -> np.ndarray:
        # every view of this array, and every buffer exported from one, keeps it alive: once it is
        # gone, nothing refers to the memory
        array = np.frombuffer(self.memory, np.uint8, size)
        self.user = weakref.ref(array, self._returned)
        return array

    def _returned(self, _: weakref.ref) -> None:
        with _lock:
            if hasattr(mmap, "MADV_FREE"):
                self.memory.madvise(mmap.MADV_FREE)  # the kernel may take the pages back; a write keeps them
            self.user = None


_lock = threading.RLock()  # re-entered when the GC frees a lent array while one is being lent
_kept: list[_Mapping] = []


def empty(shape: tuple[int, ...], dtype) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` to be written over (its contents are undefined)."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    if EXACT or size < _HUGE or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(shape, dtype)
    with _lock:
        free = [m for m in _kept if m.user is None and len(m.memory) >= size]
        mapping = min(free, key=lambda m: len(m.memory)) if free else _Mapping(-(-size // _HUGE) * _HUGE)
        if not free and len(_kept) < _KEPT and len(mapping.memory) <= _LARGEST_KEPT:
            _kept.append(mapping)
        array = mapping.lend(size)
    return array.view(dtype).reshape(shape)


def _asan_poisoning() -> tuple | None:
    """AddressSanitizer's calls that make memory unreadable and readable again, when exact mode is on and
    this process has ASan (preloaded by tools/c_loops.sh); else None."""
    if not EXACT:
        return None
    process = ctypes.CDLL(None)
    try:
        calls = process.__asan_poison_memory_region, process.__asan_unpoison_memory_region
    except AttributeError:
        return None
    for call in calls:
        call.argtypes, call.restype = [ctypes.c_void_p, ctypes.c_size_t], None
    return calls


_POISONING = _asan_poisoning()


@contextlib.contextmanager
def fenced(array: np.ndarray, end: int) -> Iterator[None]:
    """Within the block, the bytes of ``array`` from ``end`` on are unreadable to code built with ASan (the
    C loops in a sanitizer run; elsewhere this does nothing):

        with fenced(padded, len(buf)):    # the C scan of buf may not read the padding numpy reads past it
            index = index_records(buf)

    The uninstrumented rest of the process (numpy) may still read them, but not through a C library
    call that ASan intercepts (memcpy): so the fence is up only around the C loops.
    """
    if _POISONING is None or end >= array.nbytes:
        yield
        return
    poison, unpoison = _POISONING
    address, size = array.ctypes.data + end, array.nbytes - end
    poison(address, size)
    try:
        yield
    finally:
        unpoison(address, size)
