"""Plain scalar events, decoded outright by the C scan: most of a training log, read without grouping.

    index = index_records(buf, plain=reads_plain(mode))
    handled = decode_plain(buf, index, run, base, tag_ok, mode, scale)
    ... the decoders then take the records where ``handled`` is False ...

After each tag's first value (which carries the plugin's metadata), every step of a training log writes
events that hold nothing but scalars: an optional wall time and step, and values of a tag and a
``simple_value``. The C scan decodes those while it checks their CRCs and groups their values by tag
(:class:`~tbwriter.reading.index.PlainEvents`); here each tag's values are added to the run's
(:meth:`~tbwriter.reading.collect.RunCollector.add_plain`), window after window of the file. A record whose tag is
not UTF-8 goes back to the decoders, which report it. Without the C scan this does nothing and the
decoders read everything.
"""
from __future__ import annotations

import numpy as np

from tbwriter.format.decode import ReadMode
from tbwriter.reading.collect import RunCollector
from tbwriter.reading.index import RecordIndex


def reads_plain(mode: ReadMode) -> bool:
    """Whether reading in ``mode`` takes plain scalar events (their steps, or their values too)."""
    return mode.scalars or mode is ReadMode.STEPS


def decode_plain(buf: memoryview, index: RecordIndex, run: RunCollector, base: int, tag_ok,
                 mode: ReadMode, scale: float = 1.0) -> np.ndarray:
    """Collect the points of the plain scalar events that ``index`` (of the file bytes ``buf``) holds into
    ``run``; return which of its records were handled (all False when the scan decoded none).

    ``base`` is the run's record count before ``buf``; ``tag_ok(tag)`` filters tags (None keeps all);
    ``scale``: how many times the bytes read of this file so far the whole file holds (room is made for
    its values at once).
    """
    plain = index.plain
    if plain is None:
        return np.zeros(len(index.offsets), bool)
    handled = plain.marks
    (record, step), (wall, number) = plain.ints, plain.floats
    names = [_name(buf, start, size) for start, size in plain.tags]
    cuts = np.concatenate([[0], np.cumsum(plain.counts)])
    parts = [slice(cuts[i], cuts[i + 1]) for i in range(len(names))]
    unreadable = [part for name, part in zip(names, parts, strict=True) if name is None]
    for part in unreadable:  # not UTF-8: protobuf would not parse these records; the decoders report them
        handled[record[part]] = False
    points = {}
    for name, part in zip(names, parts, strict=True):
        if name is None or (tag_ok is not None and not tag_ok(name)):
            continue
        rows: slice | np.ndarray = part
        if unreadable:  # the other values of those records leave with them
            rows = np.flatnonzero(handled[record[part]]) + part.start
        points[name] = [record[rows], step[rows], wall[rows]] + ([] if mode is ReadMode.STEPS else [number[rows]])
    run.add_plain(points, base, scale)
    return handled


def _name(buf: memoryview, start: int, size: int) -> str | None:
    try:
        return bytes(buf[start:start + size]).decode()
    except UnicodeDecodeError:
        return None
