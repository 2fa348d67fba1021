"""Plain scalar events, decoded outright by the C scan: most of a training log, read without grouping.

    handled = decode_plain(padded, offsets, lengths, run, base, tag_ok, ReadMode.SCALARS)
    ... the decoders then take the records where ``handled`` is False ...

After each tag's first value (which carries the plugin's metadata), every step of a training log writes
events that hold nothing but scalars: an optional wall time and step, and values of a tag and a
``simple_value``. ``_frames.plain_scalars`` finds and decodes those in one pass; here they become one
:class:`~tbwriter.reading.collect.Chunk` per tag, as the decoders would have made them. Tags are told
apart by their bytes (an id each, given in C); a record whose tag is not UTF-8 goes back to the decoders,
which report it. Without the C scan this does nothing and the decoders read everything.
"""
from __future__ import annotations

import numpy as np

from tbwriter.decode import ReadMode
from tbwriter.reading import index, memory
from tbwriter.reading.collect import Chunk, RunCollector



def decode_plain(padded: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, run: RunCollector, base: int,
                 tag_ok, mode: ReadMode) -> np.ndarray:
    """Collect the points of the plain scalar events among the records at ``offsets`` (data ``lengths``
    long, in the zero-padded file bytes ``padded``) into ``run``; return which records were handled.

    ``base`` is the run's record count before this file; ``tag_ok(tag)`` filters tags (None keeps all).
    """
    kernel = index.KERNEL
    handled = np.zeros(len(offsets), np.uint8)
    if kernel is None or not (mode.scalars or mode is ReadMode.STEPS) or not len(offsets):
        return handled.view(bool)
    offsets, lengths = np.ascontiguousarray(offsets, np.int64), np.ascontiguousarray(lengths, np.int64)
    room = len(offsets)  # a value a record: one pass for add_scalar logs, two for log_metrics ones
    while True:
        ints, floats = memory.empty((3, room), np.int64), memory.empty((2, room), np.float64)
        count, spans = kernel.plain_scalars(padded, offsets, lengths, handled, ints, floats)
        if count <= room:
            break
        room = count
    handled = handled.view(bool)
    if not count:
        return handled
    (record, tag, step), (wall, number) = ints[:, :count], floats[:, :count]
    names = [_name(padded, start, size) for start, size in spans]
    unreadable = [i for i, name in enumerate(names) if name is None]
    if unreadable:  # not UTF-8: protobuf would not parse these records; the decoders report them
        handled[record[np.isin(tag, unreadable)]] = False
        keep = handled[record]  # the other values of those records leave with them
        record, tag, step, wall, number = record[keep], tag[keep], step[keep], wall[keep], number[keep]
    key = tag.astype(np.uint8 if len(names) <= 256 else np.uint16 if len(names) <= 65536 else np.uint32)
    order = np.argsort(key, kind="stable")  # a radix sort (a pass a byte of the key), file order within a tag
    cuts = np.searchsorted(tag[order], np.arange(len(names) + 1))
    record, step, wall, number = record[order] + base, step[order], wall[order], number[order]
    for i, name in enumerate(names):
        part = slice(cuts[i], cuts[i + 1])
        if name is None or (tag_ok is not None and not tag_ok(name)):
            continue
        value = None if mode is ReadMode.STEPS else number[part]
        run.add(Chunk(name, None, "simple_value", record[part], step[part], wall[part], value))
    return handled


def _name(padded: np.ndarray, start: int, size: int) -> str | None:
    try:
        return bytes(padded[start:start + size]).decode()
    except UnicodeDecodeError:
        return None
