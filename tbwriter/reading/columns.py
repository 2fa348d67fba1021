"""Many-record decoding: one field of every record of a shape, as one numpy column.

    step = column(rows.rows, layout.step_field, np.int64)         # every record's step at once
    value = column(rows.rows, slot.scalar, np.float64, pick=some)  # only the records ``some``

The bits-to-value conversions are :mod:`tbwriter.format.decode`'s (``from_varints``, ``from_fixed``),
the same that decode one record.
"""
from __future__ import annotations

import numpy as np

from tbwriter.format.decode import STORAGE, Field, from_fixed, from_varints
from tbwriter.reading.index import typed


def column(rows: np.ndarray, f: Field, dtype, pick: np.ndarray | None = None) -> np.ndarray:
    """Field ``f`` of the records ``rows[pick]`` (all when ``pick`` is None) in a 2-D byte array, as ``dtype``.

    Only the picked records are converted: others may hold a different shape there.
    """
    if f.varint:
        raw = rows[:, f.pos:f.pos + f.width]
        return from_varints(_varints(raw if pick is None else raw[pick]), f.dtype).astype(dtype)
    stored = typed(rows, f.pos, STORAGE[f.dtype])
    if pick is not None:
        stored = stored[pick]
    return from_fixed(stored, f.dtype).astype(dtype)


def _varints(raw: np.ndarray) -> np.ndarray:
    """The raw (uint64) values of a column of same-width varints, ``raw`` holding one row of bytes each."""
    value = np.zeros(len(raw), np.uint64)
    for j in range(raw.shape[1]):
        value |= (raw[:, j] & 0x7F).astype(np.uint64) << np.uint64(7 * j)
    return value
