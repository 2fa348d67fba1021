"""The C scan (reading/_frames.c) and the numpy indexer against the format's rules, one record at a time.

The oracle is tests/support/framings.py's walk of docs/formats.md section 1.1, record by record (google-crc32c for both
CRCs): every way of finding records (the ``framing`` fixture) must give its offsets and lengths and stop at the same
problem.
"""
import struct

import numpy as np
import pytest

from tbwriter.format.record import HEADER_SIZE, Problem, frame
from tbwriter.reading import index
from tbwriter.reading.records import index_all
from tests.support.framings import reference_records

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

NOT_BUILT = "the C scan was not built (no compiler at install)"
needs_kernel = pytest.mark.skipif(index.KERNEL is None, reason=NOT_BUILT)


def found(buf: bytes):
    """The records the package finds in ``buf``, every CRC checked (by numpy's groups, without the C scan)."""
    records = index_all(memoryview(buf))
    assert records.checked
    problem = (records.problem.offset, records.problem.problem) if records.problem else None
    return records.offsets.tolist(), records.lengths.tolist(), problem


# records of the lengths a log has: empty, scalars, runs of one length, long ones (histograms, images)
blobs = st.one_of(st.binary(max_size=40), st.binary(min_size=300, max_size=5000))
damage = st.one_of(st.tuples(st.just("flip"), st.integers(0, 10**6)),
                   st.tuples(st.just("truncate"), st.integers(0, 10**6)),
                   st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=20)))


def damaged(data: list[bytes], repeat: int, ops) -> bytes:
    buf = bytearray(b"".join(frame(d) for d in data) * repeat)
    for op in ops:
        at = op[1] % (len(buf) + 1)
        if op[0] == "flip" and at < len(buf):
            buf[at] ^= 1 << (op[1] % 8)
        elif op[0] == "truncate":
            del buf[at:]
        elif op[0] == "insert":
            buf[at:at] = op[2]
    return bytes(buf)


@hypothesis.settings(max_examples=200, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(st.lists(blobs, min_size=1, max_size=12), st.integers(1, 40), st.lists(damage, max_size=3))
def test_every_way_of_finding_records_agrees_with_the_format(framing, data, repeat, ops):
    buf = damaged(data, repeat, ops)
    assert found(buf) == reference_records(buf)


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 63, 64, 65, 4095, 4096, 70_000])
def test_a_flipped_bit_anywhere_in_a_record_is_found(framing, size):
    data = bytes(range(256)) * (size // 256 + 1)
    records = [frame(b"sound"), frame(data[:size]), frame(b"after")] * 30  # enough for the numpy bulk paths
    buf = b"".join(records)
    assert found(buf)[2] is None
    where = len(records[0]) + HEADER_SIZE + size // 2 if size else len(records[0]) + 3
    bad = bytearray(buf)
    bad[where] ^= 0x10
    offsets, _, problem = found(bytes(bad))
    assert offsets == [0] and problem[0] == len(records[0])
    assert problem[1] is (Problem.DATA_CHECKSUM if size else Problem.LENGTH_CHECKSUM)


@needs_kernel
def test_the_scan_refuses_output_buffers_too_small_for_the_worst_case():
    buf = b"".join(frame(b"") for _ in range(10))
    small = np.empty(3, np.int64)
    with pytest.raises(ValueError, match="room for 11"):
        index.KERNEL.scan(buf, small, small, False)


def plain_log(path):
    """Events the C scan decodes outright beside ones it leaves to the decoders."""
    from tbwriter.format.encode import ScalarEncoder

    enc = ScalarEncoder()
    events = []
    for step in range(-3, 300):
        events.append(enc.event(1000.0 + step, step, "loss", 1.0 / (step + 4)))  # the first carries metadata
        events.append(enc.events_dict(1000.5 + step, step, {"m/a": step * 0.5, "m/bb": -step, "loss": 2.0}))
        if step % 7 == 0:
            events.append(enc.event(1001.0 + step, 2**40 + step, "big/step", float(step)))
    value = b"\x0a\x02\xff\xfe\x15" + struct.pack("<f", 1.5)  # a tag that is not UTF-8
    events.append(b"\x10\x05\x2a" + bytes([len(value) + 2, 0x0a, len(value)]) + value)
    dup = b"\x0a\x03dup\x15" + struct.pack("<f", 2.5)
    events.append(b"\x10\x08\x2a" + bytes([2 * (len(dup) + 2)]) + (bytes([0x0a, len(dup)]) + dup) * 2)  # one tag twice
    with open(path / "events.out.tfevents.1.plain", "wb") as f:
        f.write(b"".join(frame(e) for e in events))


@needs_kernel
@pytest.mark.parametrize("mode", ["scalars", "steps"])
def test_plain_scalar_events_decoded_in_c_equal_what_the_decoders_read(tmp_path, monkeypatch, mode):
    import warnings

    from tbwriter.reading import filescan, reader

    plain_log(tmp_path)

    def read():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if mode == "steps":
                return reader.summarize(tmp_path), [str(w.message) for w in caught]
            data = reader.read_scalars(tmp_path)
        return {k: (s.step.tolist(), s.wall_time.tolist(), s.value.tolist()) for k, s in data.items()}, \
            [str(w.message) for w in caught]

    found, warned = read()
    handled = []
    real = filescan.decode_plain
    monkeypatch.setattr(filescan, "decode_plain", lambda *a: handled.append(real(*a)) or handled[-1])
    assert read() == (found, warned)
    assert handled[-1].sum() > 500  # the C path did the work...
    all_plain = handled[-1].sum()
    monkeypatch.setattr(index, "_PLAIN_VALUE_SIZE", 500)  # room for a few dozen values: the rest go to the decoders
    assert read() == (found, warned)
    assert 0 < handled[-1].sum() < all_plain / 4
    monkeypatch.setattr(filescan, "decode_plain", lambda buf, found, *a: np.zeros(len(found.offsets), bool))
    assert read() == (found, warned)  # ...and the decoders, alone, read the same
    assert any("malformed" in w for w in warned)  # the tag that is not UTF-8 is reported, not dropped
    if mode == "scalars":
        assert found[(".", "dup")] == ([8, 8], [0.0, 0.0], [2.5, 2.5])
        assert found[(".", "big/step")][0][:2] == [2**40, 2**40 + 7]
        assert found[(".", "loss")][0][:4] == [-3, -3, -2, -2]  # add_scalar's and log_metrics' values, in file order


@needs_kernel
def test_grouping_by_tag_refuses_what_does_not_fit():
    points = np.zeros((4, 32), np.uint8)
    points.view(np.int32)[:, 7] = [0, 1, 0, 1]  # the tag ids, the last field of a point
    columns, counts = np.empty(4 * 32, np.uint8), np.empty(2, np.int64)
    index.KERNEL.group(points, 4, counts, columns)
    assert counts.tolist() == [2, 2]
    with pytest.raises(ValueError, match="32 bytes a value"):
        index.KERNEL.group(points, 4, counts, columns[:-1])
    with pytest.raises(ValueError, match="point 1 has tag 1 of 1"):
        index.KERNEL.group(points, 4, counts[:1], columns)
