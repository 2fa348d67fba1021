"""The session S3 reads run on (tbwriter.storage.s3session) and the options a concurrent read adds
(tbwriter.storage.fetch.options_for), judged by botocore's own timestamp parser and moto's S3 on 127.0.0.1."""
import datetime
import email.utils
import uuid

import pytest

pytest.importorskip("s3fs")

import hypothesis.strategies as st  # noqa: E402
from botocore.utils import parse_timestamp as botocore_parse  # noqa: E402
from hypothesis import given  # noqa: E402

from tbwriter import SummaryWriter  # noqa: E402
from tbwriter.storage import s3session  # noqa: E402
from tbwriter.storage.fetch import options_for  # noqa: E402
from tbwriter.storage.objects import filesystem  # noqa: E402

moments = st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(2200, 1, 1),
                       timezones=st.just(datetime.timezone.utc))


@given(moments)
def test_the_two_forms_s3_writes_parse_as_botocore_parses_them(moment):
    iso = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"  # as in a listing's XML
    header = email.utils.format_datetime(moment.replace(microsecond=0), usegmt=True)  # as in Last-Modified
    for text in (iso, header):
        ours = s3session.parse_timestamp(text)
        assert ours == botocore_parse(text) and ours.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("text", ["1700000000", "2026-12-05T07:00:00+02:00", "2026-12-05 07:00:00",
                                  "Sat, 05 Dec 2026 07:00:00 -0000", "20261205T070000Z"])
def test_other_forms_are_left_to_botocore(text):
    assert s3session.parse_timestamp(text) == botocore_parse(text)


def test_text_that_is_no_time_is_refused_as_botocore_refuses_it():
    with pytest.raises(ValueError, match="Invalid timestamp"):
        s3session.parse_timestamp("no time at all")


def test_a_concurrent_read_of_s3_is_tuned_where_the_caller_set_nothing():
    options = options_for("s3://b/runs", {"anon": False}, concurrency=32)
    assert options["session"] is s3session.session()
    assert options["config_kwargs"] == {"max_pool_connections": 32, "response_checksum_validation": "when_required"}
    assert options["anon"] is False


def test_what_the_caller_set_is_kept():
    mine = {"config_kwargs": {"max_pool_connections": 4, "response_checksum_validation": "when_supported"}}
    assert options_for("s3://b/runs", mine, concurrency=32)["config_kwargs"] == mine["config_kwargs"]
    for session_option in ({"profile": "other"}, {"session": "theirs"}):
        assert options_for("s3://b/runs", session_option, concurrency=32).get("session") == \
            session_option.get("session")  # s3fs makes the session from their profile, or uses theirs


def test_other_stores_are_left_as_given():
    assert options_for("gs://b/runs", {"token": "anon"}, concurrency=32) == {"token": "anon"}
    assert options_for("memory://runs", None, concurrency=32) == {}


def test_a_read_through_the_session_lists_what_botocore_lists(s3_server):
    bucket = f"session-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(bucket)
    with SummaryWriter(f"s3://{bucket}/run") as w:
        w.add_scalar("loss", 1.0, 0)
    tuned, path = filesystem(f"s3://{bucket}/run", options_for(f"s3://{bucket}/run", None, concurrency=32))
    plain, _ = filesystem(f"s3://{bucket}/run", {"skip_instance_cache": True})
    ours, theirs = tuned.find(path, detail=True), plain.find(path, detail=True)
    assert ours.keys() == theirs.keys() and len(ours) == 2  # the event file and its end marker
    for name, info in ours.items():
        assert info["LastModified"] == theirs[name]["LastModified"]
        assert info["LastModified"].tzinfo is datetime.timezone.utc  # parsed here, not by dateutil (its tzutc)
    assert tuned.cat_file(sorted(ours)[0]) == plain.cat_file(sorted(ours)[0])
