"""The command line run as a user runs it: ``python -m tbwriter ARGS`` in a process of its own.

    out = tbwriter("export", logdir, "--wide")                 # a CompletedProcess (text)
    out = tbwriter("ls", logdir, framing="numpy")              # reading as the ``framing`` fixture's way does
    out = run_with_file_size_limit(20_000, "plot", logdir, "-o", "x.png")   # EFBIG past 20 kB, as a full disk
    line = Lines(proc.stdout).next(60)                         # a line of a live process's pipe, or fail
"""
from __future__ import annotations

import os
import resource
import selectors
import signal
import subprocess
import sys
import time

from tests.support import ROOT


def tbwriter(*args: str, cwd=None, framing: str | None = None, timeout: float = 300,
             **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m tbwriter ARGS`` with this checkout's tbwriter first on the path; returns the
    CompletedProcess (text). ``framing``: read that way (one of tests/support/framings.py's, as the fixture of
    that name sets up this process); ``kwargs`` go to ``subprocess.run``."""
    start = ["-m", "tbwriter"]
    if framing:
        start = ["-c", "import runpy, sys; from tests.support.framings import use; use(sys.argv.pop(1)); "
                       "runpy.run_module('tbwriter', run_name='__main__')", framing]
    return subprocess.run([sys.executable, *start, *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=timeout, **kwargs)


def run_with_file_size_limit(limit: int, *args: str, cwd=None) -> subprocess.CompletedProcess:
    """``python -m tbwriter ARGS`` where no file may grow past ``limit`` bytes: a write beyond it fails with
    EFBIG, as on a full disk, at a byte count the test controls."""
    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write() rather than a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return tbwriter(*args, cwd=cwd, preexec_fn=limit_file_size)


class Lines:
    """Lines of a pipe, with a timeout (read unbuffered: a buffered reader would hide lines from select)."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buffer = b""
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def next(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError(f"no line within {timeout}s")
            chunk = os.read(self.fd, 65536)
            if not chunk:
                raise AssertionError("the pipe closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def quiet(self, seconds: float) -> bool:
        return not self.buffer and not self.selector.select(seconds)
