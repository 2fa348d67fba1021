"""Where a location is: a local path or a URL of object storage, and paths built from it the same way for both.

    is_url("s3://bucket/runs")                  # True; "runs/exp1", "/tmp/x", "C:\\x": False
    join("s3://bucket/runs", "exp1/./a")        # "s3://bucket/runs/exp1/a"; join("runs", "exp1") == "runs/exp1"
    absolute("runs/exp1")                       # "/home/me/runs/exp1"; a URL is absolute already
    parent("s3://bucket/runs/exp1")             # "s3://bucket/runs"

Local paths get ``os.path``'s rules; a URL is cut at ``/`` only, since ``os.path.normpath`` would fold the ``//``
after its scheme. Nothing here touches the disk or the network.
"""
from __future__ import annotations

import os
import re

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(path: str | os.PathLike) -> bool:
    """True for ``"s3://bucket/run"`` and other fsspec URLs, False for local paths."""
    text = os.fspath(path)
    return isinstance(text, str) and _URL.match(text) is not None


def join(location: str, relative: str) -> str:
    """``relative`` (``/`` or ``\\`` separated) below ``location``, normalised: ``join("s3://b/runs", "a/./b")``."""
    if is_url(location):
        parts = [part for part in re.split(r"[\\/]", relative) if part not in ("", ".")]
        return "/".join([location.rstrip("/"), *parts])
    return os.path.normpath(os.path.join(location, relative))


def absolute(location: str) -> str:
    """``location`` independent of the working directory: ``absolute("runs")``; a URL without its trailing ``/``."""
    return location.rstrip("/") if is_url(location) else os.path.abspath(location)


def parent(location: str) -> str:
    """The folder holding ``location``: ``parent("s3://bucket/runs/a") == "s3://bucket/runs"`` (local: absolute)."""
    if is_url(location):
        return location.rstrip("/").rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(location))
