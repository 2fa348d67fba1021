"""Type stub of the optional C loops built from _frames.c (mypy cannot read a compiled module)."""
import numpy as np

END: int
HEADER: int
DATA: int
HARDWARE: bool

def scan(buf: memoryview | bytes, offsets: np.ndarray, lengths: np.ndarray, hardware: bool,
         marks: np.ndarray = ..., points: np.ndarray = ..., /) -> tuple:
    """Finds the sound records from the start of ``buf``: ``(count, status, stop)``, status END, HEADER or DATA;
    with ``marks`` and ``points``, decodes the plain scalar events on the way and returns
    ``(count, status, stop, values, tags)``."""

def group(points: np.ndarray, values: int, counts: np.ndarray, columns: np.ndarray, /) -> None:
    """Writes the first ``values`` points grouped by tag into ``columns`` (4 columns of ``values``), and each
    tag's number of points into ``counts``."""

def layouts(buf: memoryview | bytes | np.ndarray, offsets: np.ndarray, lengths: np.ndarray, out: np.ndarray, /) -> None:
    """Writes the one-value layout of each record (4 int64 a record) into ``out``."""

def firsts(buf: memoryview | bytes | np.ndarray, starts: np.ndarray, sizes: np.ndarray, out: np.ndarray, /) -> None:
    """Sets ``out[i]`` (a byte a tag) to 1 where the tag of ``sizes[i]`` bytes at ``starts[i]`` is met for the first
    time, in order, else 0."""
