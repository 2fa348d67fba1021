"""A file's records one after the other, for a caller that takes them all: :func:`iter_records`.

    for offset, data in iter_records("run/events.out.tfevents.1700000000.host.1.0"):
        ...

The records are found as the readers find them (:func:`~tbwriter.reading.index.index_records`: the C scan, else
numpy), so the format's rules (docs/formats.md, section 1) are written in those two places only; the tests hold
both to a record-by-record walk in Python (``tests/framings.py``).
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from tbwriter.errors import Damage, DamagedRecordWarning, Problem, RecordError
from tbwriter.format.record import HEADER_SIZE
from tbwriter.reading.index import RecordIndex, Rows, groups, index_records

_BATCH = 1 << 16  # records converted to Python ints at once
_PADDING = 16  # zero bytes after a file's bytes: Rows read whole words, up to 7 bytes past a record's CRC


class Record(NamedTuple):
    """One record of a file: its byte ``offset`` and its ``data`` (one serialized Event)."""
    offset: int
    data: bytes


def iter_records(path: str | os.PathLike, strict: bool = False) -> Iterator[Record]:
    """Yield ``(offset, data)`` for each record in ``path``, checking both CRCs.

        for offset, data in iter_records("run/events.out.tfevents.1700000000.host.1.0"):
            ...

    A torn tail or a record whose checksums fail ends the iteration with a
    :class:`~tbwriter.errors.DamagedRecordWarning` naming the file and offset (``strict=True`` raises
    :class:`~tbwriter.errors.RecordError` instead); records before it are still yielded.
    """
    name = os.fspath(path)
    with open(name, "rb") as f:
        buf = f.read()
    found = index_all(memoryview(buf))
    for first in range(0, len(found.offsets), _BATCH):  # as Python ints, a batch at a time: not 70 MB per 1M records
        batch = slice(first, first + _BATCH)
        for offset, length in zip(found.offsets[batch].tolist(), found.lengths[batch].tolist(), strict=True):
            start = offset + HEADER_SIZE
            yield Record(offset, buf[start:start + length])
    if found.problem:
        error = RecordError(name, *found.problem)
        if strict:
            raise error
        warnings.warn(str(error), DamagedRecordWarning, stacklevel=2)


def index_all(buf: memoryview) -> RecordIndex:
    """:func:`~tbwriter.reading.index.index_records` with every data CRC checked, by numpy's groups too (a read
    checks those group by group as it decodes them): the sound records of ``buf`` up to the first problem."""
    found = index_records(buf)
    if found.checked:
        return found
    padded = np.zeros(len(buf) + _PADDING, np.uint8)
    padded[:len(buf)] = np.frombuffer(buf, np.uint8)
    bad = [first for idx, length in groups(found.lengths, found.runs)
           if (first := Rows(buf, padded, found.offsets, idx, length).first_bad_crc()) is not None]
    if not bad:
        return found._replace(checked=True)
    cut = min(bad)
    return RecordIndex(found.offsets[:cut], found.lengths[:cut], [], Damage(int(found.offsets[cut]),
                                                                            Problem.DATA_CHECKSUM), True)
