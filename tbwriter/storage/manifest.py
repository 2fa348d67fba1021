"""The small files beside a run's event files that tell readers and ``tbwriter compact`` about its state.

    write_end_marker("s3://bucket/runs/exp1", "events.out.tfevents.1700000000.host.7.000041")  # by close()
    finished(names)                       # True when an end marker names the run's newest event file
    honour(names, read_manifest)          # the event files a reader reads, a compaction half-way through or not

End marker (``tbwriter.closed.<ns>.<host>.<pid>.json``, ``{"last": <file name>}``): a writer's ``close()`` on a
URL log_dir leaves one naming its last segment. A run is *finished* when an end marker names its newest event file
or one after it: a writer that opened later, still live, writes names after that. (A local log_dir gets none:
its writer appends to one file of its own, so there is little to merge, and ``compact --force`` merges it.)

Compaction manifest (``tbwriter.compaction.json``, ``{"merged": <name>, "replaced": [<names>]}``): written
before the merged event file appears and removed after the files it replaces are gone. While it is there,
readers read ``merged`` and skip ``replaced`` once ``merged`` exists, and read ``replaced`` until then, so no
point is read twice or missed at any moment (object stores swap no two objects at once).

Neither name holds ``tfevents``: TensorBoard, which reads every file whose name does, never sees them.
"""
from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from typing import Any

END_PREFIX = "tbwriter.closed."
MANIFEST = "tbwriter.compaction.json"


def end_marker_name() -> str:
    """A name for a new end marker, apart from every other writer's: ``tbwriter.closed.<ns>.<host>.<pid>.json``."""
    return f"{END_PREFIX}{time.time_ns():020d}.{socket.gethostname()}.{os.getpid()}.json"


def write_end_marker(directory: str, last: str, storage_options: dict[str, Any] | None = None) -> str:
    """Say that the writer whose last event file is ``last`` (a name in ``directory``) closed; returns the marker's
    location: ``write_end_marker("s3://b/runs/exp1", "events.out.tfevents.1700000000.host.7.000041")``."""
    from tbwriter.storage import filesystem, is_url

    location = f"{directory.rstrip('/')}/{end_marker_name()}" if is_url(directory) else \
        os.path.join(directory, end_marker_name())
    fs, path = filesystem(location, storage_options)
    fs.pipe_file(path, end_marker_content(last))
    return location


def end_marker_content(last: str) -> bytes:
    """What an end marker holds: the base name of the writer's last event file, as JSON."""
    return json.dumps({"last": os.path.basename(last)}).encode()


def marker_last(content: bytes) -> str | None:
    """The event file an end marker names; None when it is no marker (a torn write, another program's file)."""
    try:
        last = json.loads(content)["last"]
    except (ValueError, KeyError, TypeError):
        return None
    return last if isinstance(last, str) else None


def finished(events: list[str], lasts: list[str]) -> bool:
    """Whether a run whose event files are named ``events`` is finished, its end markers naming ``lasts``."""
    return bool(events) and bool(lasts) and max(lasts) >= max(events)


def manifest_content(merged: str, replaced: list[str]) -> bytes:
    return json.dumps({"merged": merged, "replaced": replaced}, indent=0).encode()


def parse_manifest(content: bytes) -> tuple[str, list[str]] | None:
    """``(merged, replaced)`` of a manifest's content; None when it is no manifest of ours."""
    try:
        data = json.loads(content)
        merged, replaced = data["merged"], data["replaced"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(merged, str) or not isinstance(replaced, list) or not all(isinstance(r, str) for r in replaced):
        return None
    return merged, replaced


def honour(names: list[str], read_manifest: Callable[[], bytes | None]) -> list[str]:
    """The event files of ``names`` (the base names in one run directory, in reading order) that a reader reads:
    all of them, unless the directory holds a compaction manifest (``read_manifest()`` gives its content, or
    None when it is gone meanwhile), while the merged file and the files it replaces are there side by side.

        honour(["a", "a.compacted", "b"], lambda: manifest_content("a.compacted", ["a", "b"]))  # ["a.compacted"]
    """
    manifest = parse_manifest(read_manifest() or b"")
    if manifest is None:
        return names
    merged, replaced = manifest
    if merged not in names:  # not put yet (it appears whole, in one request): the replaced files are still read
        return names
    skip = set(replaced)
    return [n for n in names if n not in skip]
