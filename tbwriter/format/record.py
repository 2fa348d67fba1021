"""TFRecord framing: the length/CRC envelope around every event in an event file.

A record is ``uint64 len · uint32 masked_crc(len) · data · uint32 masked_crc(data)``,
all little-endian, with CRC-32C (Castagnoli) masked as TensorFlow masks it.

    >>> frame(b"")
    b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00)\\x03\\x98\\x07\\xd8\\xea\\x82\\xa2'
"""
from __future__ import annotations

import itertools
import struct

from google_crc32c import value as crc32c

from tbwriter.errors import Damage, DamagedRecordWarning, Problem, RecordError  # noqa: F401 (imported from here too)
from tbwriter.format.wire import mask_crc

_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
HEADER_SIZE = 12
FOOTER_SIZE = 4


def masked_crc(data: bytes) -> int:
    """CRC-32C of ``data``, rotated and offset as TFRecord stores it: ``masked_crc(b"")``."""
    return mask_crc(crc32c(data))


_header_cache: dict[int, bytes] = {}


def header(length: int) -> bytes:
    """The 12 bytes that precede a record of ``length`` bytes (cached: lengths repeat)."""
    head = _header_cache.get(length)
    if head is None:
        size = _U64.pack(length)
        head = size + _U32.pack(masked_crc(size))
        if len(_header_cache) < 4096:
            _header_cache[length] = head
    return head


def frame(data: bytes) -> bytes:
    """One complete record around ``data``: ``frame(event_bytes)``."""
    return header(len(data)) + data + _U32.pack(masked_crc(data))


def frame_many(events: list[bytes]) -> bytes:
    """``events`` framed as consecutive records, joined: ``os.write(fd, frame_many(queued))``.

    Framing happens here, once per write, rather than once per logged value: the CRC
    mask is a handful of big-int operations in Python (~300 ns) but nearly free as one
    numpy expression over the whole batch.
    """
    import numpy as np  # a required dependency, but kept out of `import tbwriter`

    n = len(events)
    crcs = np.fromiter(map(crc32c, events), dtype=np.uint32, count=n)
    masked = mask_crc(crcs).astype("<u4").tobytes()
    cached = _header_cache.get
    heads = [cached(len(e)) or header(len(e)) for e in events]
    tails = [masked[i : i + 4] for i in range(0, 4 * n, 4)]
    return b"".join(itertools.chain.from_iterable(zip(heads, events, tails, strict=True)))


def header_problem(buf: bytes | memoryview, offset: int) -> Damage | None:
    """What is wrong with the header of the record at ``offset`` in ``buf`` (docs/formats.md, section 1.1), or None.

        header_problem(b"\\x05", 0).problem is Problem.TORN_HEADER   # detail: "1 of 12 bytes"

    The readers find records by the C scan or numpy (:mod:`tbwriter.reading.index`), which check the same and
    then ask this which problem a header has; its data CRC is theirs to check.
    """
    end = len(buf)
    if end - offset < HEADER_SIZE:
        return Damage(offset, Problem.TORN_HEADER, f"{end - offset} of {HEADER_SIZE} bytes")
    size = bytes(buf[offset : offset + 8])
    if masked_crc(size) != _U32.unpack_from(buf, offset + 8)[0]:
        return Damage(offset, Problem.LENGTH_CHECKSUM)
    (length,) = _U64.unpack(size)
    start = offset + HEADER_SIZE
    if end - start < length + FOOTER_SIZE:
        return Damage(offset, Problem.TORN_RECORD, f"{end - start} of {length + FOOTER_SIZE} bytes after the header")
    return None
