"""TFRecord framing against the byte-exact vectors in docs/formats.md, and damage reporting (every way of reading)."""
import warnings

import pytest

from tbwriter.format import record
from tbwriter.reading.records import iter_records

TF2_FILE = bytes.fromhex(
    "1800000000000000a37f4b22090000803899d6d7411a0d627261696e2e4576656e743a32124b36ab3200000000000000241956ec"
    "09c405b73d99d6d741104d2a250a230a086163637572616379420a080112002204a4707d3f4a0b0a090a077363616c617273"
    "a55b6433")


def test_crc32c_check_value():
    assert record.crc32c(b"123456789") == 0xE3069283


@pytest.mark.parametrize("data, expected", [
    ("", "0000000000000000 29039807 d8ea82a2"),
    ("0900000040fc54d9411a0d627261696e2e4576656e743a32",
     "1800000000000000 a37f4b22 0900000040fc54d9411a0d627261696e2e4576656e743a32 eced8f9d"),
    ("0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f",
     "1a00000000000000 129bd82d 0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f 97d67404"),
])
def test_frame_matches_vectors(data, expected):
    assert record.frame(bytes.fromhex(data)) == bytes.fromhex(expected.replace(" ", ""))


def test_reads_tensorflow_written_file(framing, tmp_path):
    path = tmp_path / "events.out.tfevents.1.tf"
    path.write_bytes(TF2_FILE)
    recs = list(iter_records(path))
    assert [r.offset for r in recs] == [0, 40]
    assert recs[0].data == bytes.fromhex("090000803899d6d7411a0d627261696e2e4576656e743a32")


def _two_records(tmp_path):
    path = tmp_path / "events.out.tfevents.2.x"
    path.write_bytes(record.frame(b"first") + record.frame(b"second record"))
    return path


def test_torn_tail_is_reported_with_name_and_offset(framing, tmp_path):
    path = _two_records(tmp_path)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.warns(record.DamagedRecordWarning, match=rf"{path.name}: torn record .* at byte offset 21"):
        assert [r.data for r in iter_records(path)] == [b"first"]
    with pytest.raises(record.RecordError) as err:
        list(iter_records(path, strict=True))
    assert err.value.offset == 21 and err.value.path == str(path) and err.value.problem is record.Problem.TORN_RECORD


@pytest.mark.parametrize("flip, problem", [(3, record.Problem.LENGTH_CHECKSUM), (14, record.Problem.DATA_CHECKSUM)])
def test_damaged_record_is_reported(framing, tmp_path, flip, problem):
    path = _two_records(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[21 + flip] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.warns(record.DamagedRecordWarning, match=f"{problem.value} at byte offset 21"):
        assert [r.data for r in iter_records(path)] == [b"first"]
    with pytest.raises(record.RecordError) as err:
        list(iter_records(path, strict=True))
    assert err.value.problem is problem and err.value.offset == 21


def test_sound_file_gives_no_warning(framing, tmp_path):
    path = _two_records(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [r.data for r in iter_records(path)] == [b"first", b"second record"]


def test_frame_many_equals_records_framed_one_by_one():
    events = [b"", b"x", bytes(range(256)) * 3, bytes.fromhex("0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f")]
    assert record.frame_many(events) == b"".join(record.frame(e) for e in events)
    assert record.frame_many(events[3:]) == bytes.fromhex(
        "1a00000000000000129bd82d0900004040fc54d94110012a0d0a0b0a046c6f7373150000003f97d67404")
