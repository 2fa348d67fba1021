"""The ways the reader finds records and checks their CRCs, and the oracles they are held to: for the ``framing``
fixture (tests/conftest.py) and for a CLI run in a subprocess that is to read the same way.

    reason = unavailable("kernel")             # why this machine cannot read that way, or None
    for target, name, value in patches("numpy"): ...
    python -c "from tests.support.framings import use; use('numpy'); ..."   # a subprocess, for good
    offsets, lengths, problem = reference_records(buf)      # docs/formats.md section 1.1, record by record
    buf = b"".join(map(framed, events))                     # records framed independently of the package
    kind, tag_start, tag_end, after = one_value_layout(data)  # docs/formats.md section 1.2, of one record

The package states each rule once in C and once with numpy (docs/formats.md says where); the oracles here are the
same rules written plainly in Python, one record at a time, from the documentation rather than from that code.
"""
from __future__ import annotations

import struct

from google_crc32c import value as crc32c

from tbwriter.errors import Problem

WAYS = ("kernel", "kernel-table", "numpy")  # the C scan with the CRC instruction, with its table, numpy


def unavailable(way: str) -> str | None:
    """Why this machine cannot read ``way``, or None when it can."""
    from tbwriter.reading import index

    if way == "numpy":
        return None
    if index.KERNEL is None:
        return "the C scan was not built (no compiler at install)"
    if way == "kernel" and not index.KERNEL.HARDWARE:
        return "this CPU has no CRC-32C instruction"
    return None


def patches(way: str) -> list[tuple[object, str, object]]:
    """``(module, attribute, value)`` to set so that reading goes ``way``."""
    from tbwriter.reading import index

    if way == "numpy":  # as without a compiler: no C at all (framing, skim, plain scalars)
        return [(index, "KERNEL", None)]
    if way == "kernel-table":
        return [(index, "HARDWARE", False)]
    return []


def use(way: str) -> None:
    """Read ``way`` from now on in this process (a subprocess of a test)."""
    for target, name, value in patches(way):
        setattr(target, name, value)


def masked_crc(data: bytes) -> int:
    """CRC-32C of ``data``, masked as TFRecord stores it (docs/formats.md section 1)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def framed(data: bytes) -> bytes:
    """One record around ``data``, framed here rather than by the package under test."""
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc(head)) + data + struct.pack("<I", masked_crc(data))


def reference_records(buf: bytes) -> tuple[list[int], list[int], tuple[int, Problem] | None]:
    """The offsets and data lengths of the sound records at the start of ``buf``, and ``(offset, problem)`` of
    the damage that ends them (None: the end of ``buf``), by docs/formats.md section 1.1."""
    offsets: list[int] = []
    lengths: list[int] = []
    pos = 0
    while pos < len(buf):
        left = len(buf) - pos
        if left < 12:
            return offsets, lengths, (pos, Problem.TORN_HEADER)
        (length,) = struct.unpack_from("<Q", buf, pos)
        if masked_crc(buf[pos:pos + 8]) != struct.unpack_from("<I", buf, pos + 8)[0]:
            return offsets, lengths, (pos, Problem.LENGTH_CHECKSUM)
        if left - 12 < length + 4:
            return offsets, lengths, (pos, Problem.TORN_RECORD)
        if masked_crc(buf[pos + 12:pos + 12 + length]) != struct.unpack_from("<I", buf, pos + 12 + length)[0]:
            return offsets, lengths, (pos, Problem.DATA_CHECKSUM)
        offsets.append(pos)
        lengths.append(length)
        pos += 12 + length + 4
    return offsets, lengths, None


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int] | None:
    """The varint at ``pos`` (at most 10 bytes, all before ``end``; bits past the 64th dropped) and where it ends."""
    value = 0
    for k in range(10):
        if pos + k >= end:
            return None
        value |= (data[pos + k] & 0x7F) << (7 * k)
        if data[pos + k] < 0x80:
            return value & (2**64 - 1), pos + k + 1
    return None


def _payload(data: bytes, pos: int, end: int, key: int) -> tuple[int, int] | None:
    """Where the payload of the length-delimited field ``key`` at ``pos`` starts and ends, if it is whole."""
    if pos >= end or data[pos] != key:
        return None
    length = _varint(data, pos + 1, end)
    if length is None or length[0] > end - length[1]:
        return None
    return length[1], length[1] + length[0]


def one_value_layout(data: bytes) -> tuple[int, int, int, int]:
    """``(key of the value's kind, tag start, tag end, varint after the kind's key or -1)`` of a one-value record
    of data ``data`` (positions in ``data``), by docs/formats.md section 1.2; ``(-1, -1, -1, -1)`` when it is
    not one."""
    nothing = (-1, -1, -1, -1)
    pos, end = 0, len(data)
    if pos < end and data[pos] == 0x09:  # wall_time
        if end - pos < 9:
            return nothing
        pos += 9
    if pos < end and data[pos] == 0x10:  # step
        step = _varint(data, pos + 1, end)
        if step is None:
            return nothing
        pos = step[1]
    summary = _payload(data, pos, end, 0x2A)
    if summary is None or summary[1] != end:
        return nothing
    value = _payload(data, summary[0], end, 0x0A)
    if value is None or value[1] != end:
        return nothing
    tag = _payload(data, value[0], end, 0x0A)
    if tag is None or tag[1] >= end:
        return nothing
    after = _varint(data, tag[1] + 1, end)
    return data[tag[1]], tag[0], tag[1], after[0] if after is not None and after[0] < 2**63 else -1
