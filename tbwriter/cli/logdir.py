"""What the reading subcommands share: check the logdir, read it with a progress bar, report damage.

    data = read_logdir(read_scalars, "runs", runs="seed0")
"""
from __future__ import annotations

import re
import sys
import warnings

from tbwriter.cli.printable import shown
from tbwriter.cli.progress import progress_bar
from tbwriter.errors import CommandError
from tbwriter.format.record import DamagedRecordWarning, Problem
from tbwriter.reading.filters import TagFilter
from tbwriter.reading.reader import find_runs


def read_logdir(read, logdir: str, storage_options: dict | None = None, **filters):
    """``read(logdir, **filters, progress=..., storage_options=...)`` after checking there are event files; damaged
    records become one ``warning:`` line each on stderr, and files that are no event files at all an error."""
    for option, pattern in filters.items():
        try:
            TagFilter(pattern)
        except re.error as e:
            raise CommandError(f"bad regular expression for --{option.rstrip('s')} {pattern!r}: {e}") from None
    try:
        runs = find_runs(logdir, storage_options)  # a local path or a URL
    except FileNotFoundError:
        raise CommandError(f"no such file or directory: {logdir}") from None
    if not runs:
        raise CommandError(f"no event files (names containing 'tfevents') under {logdir}")
    bar = progress_bar("reading")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedRecordWarning)  # reported below, one line each
        try:
            data = read(logdir, **filters, progress=bar, storage_options=storage_options)
        finally:
            bar.close()
    _check_some_are_event_files(logdir, [name for names in runs.values() for name in names], data.damaged)
    for error in data.damaged:
        print(f"warning: damaged event file, read up to the damage: {shown(str(error))}", file=sys.stderr)
    return data


def _check_some_are_event_files(logdir: str, files: list[str], damaged: list) -> None:
    """An error when every file read fails at its first byte: ``tbwriter ls /etc/passwd`` is a mistake to say so,
    not a damaged event file to list. (A first record that is only torn may be one being written: not this.)"""
    foreign = {e.path for e in damaged if e.offset == 0 and e.problem is Problem.LENGTH_CHECKSUM}
    if not files or not foreign.issuperset(files):
        return
    if len(files) == 1:
        raise CommandError(f"not an event file (no TFRecord at byte 0): {files[0]}")
    raise CommandError(f"no event files under {logdir}: none of the {len(files)} files named like one holds "
                       f"TFRecords, e.g. {files[0]}")
