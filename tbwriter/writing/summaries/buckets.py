"""Exact bucket counts over TensorFlow's default histogram edges, fast, from the floats' bit patterns.

    counts, nonfinite = count_tf_buckets(np.random.randn(10**6).astype(np.float32))
    # counts[i] = number of finite values v with TF_EDGES[i-1] <= v < TF_EDGES[i]

``TF_EDGES`` are the 1,549 default edges of torch and tensorboardX: ``±1e-12·1.1^k`` below
1e20 (774 each side, built by repeated multiplication as they and TensorFlow do) and 0.  There
are ``len(TF_EDGES) + 1`` buckets: bucket 0 is (-inf, TF_EDGES[0]) and the last is
[TF_EDGES[-1], +inf), so every finite value is counted however large it is (TensorFlow's C++
histogram gets the same effect from ±DBL_MAX limits; torch and tensorboardX drop such values).

Edge convention (TensorFlow's ``upper_bound``, and numpy's for all but its last bin):
a value equal to an edge goes to the bucket on the edge's right, i.e. bucket
``np.searchsorted(TF_EDGES, v, side="right")``.  -0.0 counts as 0.0.

How it is fast: the bit pattern of a float32, read as an unsigned integer, orders values
within each sign.  Its top 20 bits (sign, exponent, 11 mantissa bits) name a *cell* of
4,096 neighbouring floats.  A precomputed table maps each cell to its bucket when the
whole cell lies in one bucket; the ~1,500 cells an edge cuts through map to STRADDLE, and
the few values there (about 0.3% of normal data) are placed exactly by a binary search.
Wider inputs (float64; larger ints, as float64) are rounded to float32 first; their table marks a
cell pure only if every real number that rounds into it lies in one bucket, so rounding can
never move a count.

Two ways to count, same counts: ``count_with_kernel``, a C loop (_buckets.c, built at install
when a compiler is at hand: ~1.5 ms for 10^6 float32 values on a 2-core machine) that does
all of it in one pass, and ``count_with_numpy`` where it is missing (per chunk a shift, a table
lookup and a ``bincount``: ~4 ms).  ``python tools/bench.py histogram`` compares them with the peers.
"""
from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

import numpy as np

KERNEL: ModuleType | None
try:
    from tbwriter.writing.summaries import _buckets as KERNEL  # the C loop, built at install when a compiler is at hand
except ImportError:
    KERNEL = None


def _tf_edges() -> np.ndarray:
    positive = []
    v = 1e-12
    while v < 1e20:
        positive.append(v)
        v *= 1.1  # repeated multiplication, not 1.1**k: the same doubles TensorFlow computes
    return np.array([-p for p in reversed(positive)] + [0.0] + positive)


TF_EDGES = _tf_edges()
N_BUCKETS = len(TF_EDGES) + 1
_NONFINITE, _STRADDLE = N_BUCKETS, N_BUCKETS + 1  # extra table codes after the bucket numbers
_SHIFT = 12  # a cell is the top 32 - 12 = 20 bits: 2^20 cells, a 2 MB uint16 table
_CHUNK = 1 << 15  # elements per pass: keeps the working buffers in cache
_tables: dict[bool, np.ndarray] = {}

# Inputs whose values float32 holds exactly take the exact table; others are rounded first.
_EXACT_IN_FLOAT32 = frozenset(np.dtype(t) for t in (np.float32, np.float16, np.bool_, np.int8, np.uint8,
                                                    np.int16, np.uint16))


def bucket_of(values: np.ndarray) -> np.ndarray:
    """Bucket index of each (finite, float64-representable) value: ``bucket_of(np.array([0.0]))``."""
    return np.searchsorted(TF_EDGES, values, side="right")


def _cell_table(rounded: bool) -> np.ndarray:
    """Cell -> bucket, _NONFINITE or _STRADDLE, built on first use (~0.1 s) in blocks to stay small."""
    table = _tables.get(rounded)
    if table is None:
        cells, block = 1 << (32 - _SHIFT), 1 << 16
        table = np.concatenate([_cell_codes(start, block, rounded) for start in range(0, cells, block)])
        _tables[rounded] = table
    return table


def _cell_codes(start: int, count: int, rounded: bool) -> np.ndarray:
    """Codes of cells ``start .. start+count-1``; ``rounded`` widens each cell to its float64 preimage."""
    first = np.arange(start, start + count, dtype=np.uint32) << _SHIFT
    ends = (first.view(np.float32), (first | ((1 << _SHIFT) - 1)).view(np.float32))
    with np.errstate(invalid="ignore", over="ignore"):
        lo, hi = (np.minimum(*ends).astype(np.float64), np.maximum(*ends).astype(np.float64))
        if rounded:
            # Everything that rounds to a float32 f lies within half a step of f on either side.
            lo = (lo + np.nextafter(lo.astype(np.float32), np.float32(-np.inf)).astype(np.float64)) / 2
            hi = (hi + np.nextafter(hi.astype(np.float32), np.float32(np.inf)).astype(np.float64)) / 2
        nonfinite = ~(np.isfinite(ends[0]) & np.isfinite(ends[1]))
        lo_bucket, hi_bucket = bucket_of(np.nan_to_num(lo)), bucket_of(np.nan_to_num(hi))
    codes = np.where(lo_bucket == hi_bucket, lo_bucket, _STRADDLE).astype(np.uint16)
    # A rounded input's inf may be a finite value beyond float32: those cells are checked exactly.
    codes[nonfinite] = _STRADDLE if rounded else _NONFINITE
    return codes


def count_tf_buckets(values: np.ndarray) -> tuple[np.ndarray, int]:
    """(counts over ``N_BUCKETS`` buckets as int64, number of NaN/inf values) of a real-valued array.

    ``values`` may have any real dtype and shape; memory used beyond it is a few small buffers.
    Ints too wide for float32 and longdouble are compared as float64, as numpy compares them.
    Counts with the C loop when it was built at install, else with numpy; both give the same counts.
    """
    return (count_with_numpy if KERNEL is None else count_with_kernel)(values)


def count_with_kernel(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``count_tf_buckets`` by the C loop in _buckets.c: one pass, straddling values placed in it too."""
    kernel = KERNEL
    if kernel is None:
        raise RuntimeError("count_with_kernel: the C loop (tbwriter/writing/summaries/_buckets.c) is not built; "
                           "pip install -e . builds it when a C compiler is at hand")
    flat = values.reshape(-1)
    exact = flat.dtype in _EXACT_IN_FLOAT32
    table = _cell_table(rounded=not exact)
    counts = np.zeros(N_BUCKETS, np.int64)
    nonfinite = sum(kernel.count(piece, table, TF_EDGES, counts) for piece in _pieces(flat, exact))
    return counts, nonfinite


def count_with_numpy(values: np.ndarray) -> tuple[np.ndarray, int]:
    """``count_tf_buckets`` in numpy: per chunk a shift, a table lookup and a ``bincount``."""
    flat = values.reshape(-1)
    exact = flat.dtype in _EXACT_IN_FLOAT32
    table = _cell_table(rounded=not exact)
    counts = np.zeros(N_BUCKETS + 2, np.int64)
    as32 = np.empty(min(_CHUNK, flat.size), np.float32)
    cells = np.empty(as32.size, np.uint32)
    codes = np.empty(as32.size, np.uint16)
    straddling = []
    with np.errstate(over="ignore", invalid="ignore"):
        for piece in _pieces(flat, exact):
            for start in range(0, piece.size, _CHUNK):
                chunk = piece[start:start + _CHUNK]
                n = chunk.size
                if chunk.dtype == np.float32:
                    f32 = chunk
                else:
                    f32 = as32[:n]
                    np.copyto(f32, chunk, casting="unsafe")  # beyond float32's range -> inf: checked exactly
                np.right_shift(f32.view(np.uint32), _SHIFT, out=cells[:n])
                code = codes[:n]
                table.take(cells[:n], out=code, mode="clip")
                chunk_counts = np.bincount(code, minlength=N_BUCKETS + 2)
                if chunk_counts[_STRADDLE]:
                    straddling.append(chunk[code == _STRADDLE].astype(np.float64))
                counts += chunk_counts
    nonfinite = int(counts[_NONFINITE])
    if straddling:
        exact_values = np.concatenate(straddling)
        finite = np.isfinite(exact_values)
        nonfinite += int(exact_values.size - np.count_nonzero(finite))
        counts[:N_BUCKETS] += np.bincount(bucket_of(exact_values[finite]), minlength=N_BUCKETS)
    return counts[:N_BUCKETS], nonfinite


def _pieces(flat: np.ndarray, exact: bool) -> Iterator[np.ndarray]:
    """``flat`` as contiguous float32 (``exact``) or float64 arrays: itself if it is one, else converted
    ``_CHUNK`` values at a time into one reused buffer (so large ints become float64, as numpy compares them)."""
    wanted = np.dtype(np.float32 if exact else np.float64)
    if flat.dtype == wanted and flat.flags.c_contiguous:
        yield flat
        return
    buffer = np.empty(min(_CHUNK, flat.size), wanted)
    for start in range(0, flat.size, _CHUNK):
        piece = buffer[:min(_CHUNK, flat.size - start)]
        with np.errstate(over="ignore"):  # longdouble beyond float64 -> inf: placed exactly (as non-finite)
            np.copyto(piece, flat[start:start + _CHUNK], casting="unsafe")
        yield piece
