"""Where every ``-o FILE`` of the command line writes: a file all at once or not at all, and otherwise what ``>`` does.

    with atomic_output("scalars.csv", "w", newline="") as f:
        f.write("run,tag,step,wall_time,value\\n")
    # scalars.csv appears (or replaces the old one) only here, complete; after an exception or Ctrl-C
    # inside the block, an old scalars.csv is untouched and no new one exists

A regular file (or a new one) gets its data through a hidden temporary file in its directory (so the final rename
stays on one file system and is atomic), flushed to disk and then renamed over it. Everything else is treated as
shell redirection treats it, since a rename there would destroy what the user pointed at:

- a symlink is followed: its target is written (atomically, when that is a regular file or does not exist yet), and
  the link stays a link;
- ``-`` is standard output; a FIFO, a character device (``/dev/null``, a terminal), a socket and the descriptor
  aliases ``/dev/stdout``, ``/dev/fd/N`` (what ``-o >(cmd)`` passes) are opened and written straight into (a
  descriptor's regular file at its end, so ``-o /dev/stdout >> log`` keeps what the log held).
"""
from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from typing import IO, Any


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str], mode: str = "w", **open_args: Any) -> Iterator[IO[Any]]:
    """An open file whose content replaces ``path`` when the block ends without an exception.

    Args:
        path: the file to create or replace (its directory must exist), or ``-`` for standard output; see the
            module's docstring for symlinks, FIFOs and devices.
        mode: ``"w"`` (text) or ``"wb"`` (bytes).
        **open_args: passed on to :func:`open` (``newline=``, ``encoding=``, ``errors=``); unused for ``-``.

    Raises:
        ValueError: for a mode other than ``"w"`` and ``"wb"``.
        OSError: when the temporary file cannot be written or renamed; nothing is left behind.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_output: mode must be 'w' or 'wb', got {mode!r}")
    final = os.fspath(path)
    if final == "-":
        yield from _standard_output(mode)
        return
    target = _write_target(final)
    if target is None:  # as `>` does: no temporary file, no rename
        # a regular file here is an open descriptor's (`-o /dev/stdout >> log`): add to it rather than truncate it
        straight = mode.replace("w", "a") if stat.S_ISREG(os.stat(final).st_mode) else mode
        with open(final, straight, **open_args) as stream:
            yield stream
        return
    folder, name = os.path.split(target)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
    except OSError as e:  # no such directory, no permission: say it of the file the caller named
        e.filename = final
        raise
    os.close(handle)  # reopened by name below, with the caller's text options
    try:
        os.chmod(temporary, _mode_for(target))  # mkstemp makes it 0600: give it the mode open() would have given
        with open(temporary, mode, **open_args) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException as e:  # Ctrl-C included: the partial file goes
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(e, OSError) and e.filename in (None, temporary):  # a full disk: name the file asked for
            e.filename = final
        raise


def _standard_output(mode: str) -> Iterator[IO[Any]]:
    """sys.stdout (its bytes for ``"wb"``), flushed at the end but left open for the rest of the program."""
    sys.stdout.flush()
    stream: IO[Any] = sys.stdout.buffer if mode == "wb" else sys.stdout
    yield stream
    stream.flush()


def _write_target(path: str) -> str | None:
    """The regular (or not yet existing) file a write to ``path`` lands in, symlinks followed; None when ``path`` is
    to be opened and written as it is: a FIFO, a device, a socket, or a descriptor alias under /proc, whose target
    (even a regular file, ``-o /dev/stdout >> log``) belongs to an open descriptor a rename would bypass."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of symlinks
        folder = os.path.realpath(os.path.dirname(current))
        if folder == "/proc" or folder.startswith("/proc/"):  # /dev/stdout, /dev/fd/N, /proc/self/fd/N
            return None
        current = os.path.join(folder, os.path.basename(current))
        if not os.path.islink(current):
            try:
                return current if stat.S_ISREG(os.stat(current).st_mode) else None
            except FileNotFoundError:
                return current  # created, atomically, where the link (if any) points
        current = os.path.join(folder, os.readlink(current))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


def _mode_for(path: str) -> int:
    """The permission bits of the file being replaced, else those a new file gets under the umask."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
