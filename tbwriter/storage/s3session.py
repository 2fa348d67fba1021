"""The botocore session tbwriter's S3 reads run on: botocore's own, with a cheaper parser of timestamps.

    options = {"session": session()}        # what fetch.options_for adds when the caller names no session of its own
    parse_timestamp("2026-12-05T07:00:00.000Z") == parse_timestamp("Sat, 05 Dec 2026 07:00:00 GMT")

botocore parses every timestamp of an answer with dateutil's general parser: the ``Last-Modified`` header of each
GET, the ``LastModified`` of each listed object. That costs about 0.3 ms each, measured as a seventh of a GET's CPU
on the client and two thirds of a listing's (``docs/remote.md``), and a sweep's read is bound by that CPU. S3
writes them in two fixed formats, ISO 8601 in XML and RFC 7231 in headers, which the standard library parses
directly; anything else goes to botocore's own parser, so no answer parses differently.
"""
from __future__ import annotations

import datetime
import email.utils
import threading
from typing import Any

_lock = threading.Lock()
_session: Any = None


def session():
    """The one session (made on first use) whose clients parse timestamps with :func:`parse_timestamp`.

    Credentials, profiles and region are found as botocore always finds them: only the parser differs.
    """
    global _session
    with _lock:
        if _session is None:
            from aiobotocore.session import AioSession

            made = AioSession()
            made.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
            _session = made
        return _session


def session_arguments() -> frozenset[str]:
    """Names in s3fs's ``storage_options`` that it hands to the session it makes (``profile``...): where one is
    given, the caller's session is made by s3fs and :func:`session` is not used."""
    import inspect

    from aiobotocore.session import AioSession

    return frozenset(inspect.signature(AioSession).parameters) | {"session"}


def parse_timestamp(value: Any) -> datetime.datetime:
    """``value`` (text of an S3 answer) as an aware datetime: ``2026-12-05T07:00:00.000Z`` or
    ``Sat, 05 Dec 2026 07:00:00 GMT`` here, any other form by botocore's parser (which raises on bad text)."""
    if isinstance(value, str):
        try:
            if value.endswith("Z"):  # Python 3.10's fromisoformat takes no "Z"
                parsed = datetime.datetime.fromisoformat(value[:-1] + "+00:00")
            else:
                parsed = email.utils.parsedate_to_datetime(value)
            if parsed.tzinfo is not None:  # "-0000" gives a naive datetime: botocore's parser decides those
                return parsed
        except (ValueError, TypeError):
            pass
    from botocore.utils import parse_timestamp as botocore_parse

    return botocore_parse(value)
