"""Fixtures every test folder shares: the repository's root, the reader's framings, moto's S3 server; and the
settings that make the suite reproducible. Helpers that are no fixture live in tests/support/."""
from __future__ import annotations

import os
import pathlib
import signal

import hypothesis
import pytest

from tests.support import ROOT, framings
from tests.support.stores import S3Server, environment

os.environ.setdefault("KERAS_BACKEND", "torch")

# Tests send Ctrl-C (SIGINT) to processes they start. A runner started in the background without job
# control ignores SIGINT, and an ignored signal stays ignored across exec, so those children would never see
# it; a signal with a handler is reset to the default on exec, so they do.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# Every property test is reproducible: the same examples on every run and machine, and no example database
# carried from one run to the next (a failure replayed from it made CI fail at random on code that was right).
hypothesis.settings.register_profile("tbwriter", derandomize=True, database=None)
hypothesis.settings.load_profile("tbwriter")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    """The repository's root: what a subprocess puts on PYTHONPATH to import this checkout's tbwriter (and
    tests.support), and where docs/, tools/ and examples/ are."""
    return ROOT


# Registered here, once, for every folder: one moto S3 server per test process, whichever modules use it. A
# fixture imported into two test modules is two fixtures, so two servers, and an s3fs filesystem that fsspec
# cached while the environment named the first would keep sending the second's requests there.
@pytest.fixture(scope="session")
def s3_server():
    """One moto S3 server per test process, with the environment pointing at it."""
    with S3Server() as s3, environment(s3.env):
        yield s3


@pytest.fixture(params=framings.WAYS)
def framing(request, monkeypatch):
    """Read with each way of finding records and checking their CRCs: the C scan with the CRC instruction
    and with its table, and numpy (what runs without a compiler)."""
    reason = framings.unavailable(request.param)
    if reason:
        pytest.skip(reason)
    for target, name, value in framings.patches(request.param):
        monkeypatch.setattr(target, name, value)
    return request.param
