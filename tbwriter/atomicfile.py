"""Write a file all at once or not at all: a half-written export or figure never sits under its final name.

    with atomic_output("scalars.csv", "w", newline="") as f:
        f.write("run,tag,step,wall_time,value\\n")
    # scalars.csv appears (or replaces the old one) only here, complete; after an exception or Ctrl-C
    # inside the block, an old scalars.csv is untouched and no new one exists

The data goes to a hidden temporary file in the same directory (so the final rename stays on one file system and is
atomic), which is flushed to disk and then renamed over the final name.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """An open file whose content replaces ``path`` when the block ends without an exception.

    Args:
        path: the file to create or replace; its directory must exist.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        **open_args: passed on to :func:`open` (``newline=``, ``encoding=``, ``errors=``).

    Raises:
        ValueError: for a mode other than ``"w"`` and ``"wb"``.
        OSError: when the temporary file cannot be written or renamed; nothing is left behind.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_output: mode must be 'w' or 'wb', got {mode!r}")
    final = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(final))
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    except OSError as e:  # no such directory, no permission: say it of the file the caller named
        e.filename = final
        raise
    os.close(handle)  # reopened by name below, with the caller's text options
    try:
        os.chmod(temporary, _mode_for(final))  # mkstemp makes it 0600: give it the mode open() would have given
        with open(temporary, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, final)
    except BaseException as e:  # Ctrl-C included: the partial file goes
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(e, OSError) and e.filename in (None, temporary):  # a full disk: name the file asked for
            e.filename = final
        raise


def _mode_for(path: str) -> int:
    """The permission bits of the file being replaced, else those a new file gets under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
