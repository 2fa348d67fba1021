"""What the reading subcommands share: check the logdir, read it with a progress bar, report damage.

    data = read_logdir(read_scalars, "runs", runs="seed0")
"""
from __future__ import annotations

import re
import sys
import warnings

from tbwriter.cli import CommandError
from tbwriter.commands.printable import shown
from tbwriter.commands.progress import progress_bar
from tbwriter.record import DamagedRecordWarning
from tbwriter.reader import find_runs


def read_logdir(read, logdir: str, **filters):
    """``read(logdir, **filters, progress=...)`` after checking there are event files; damaged
    records become one ``warning:`` line each on stderr."""
    for option, pattern in filters.items():
        try:
            re.compile(pattern or "")
        except re.error as e:
            raise CommandError(f"bad regular expression for --{option.rstrip('s')} {pattern!r}: {e}") from None
    try:
        runs = find_runs(logdir)  # a local path or a URL
    except FileNotFoundError:
        raise CommandError(f"no such file or directory: {logdir}") from None
    if not runs:
        raise CommandError(f"no event files (names containing 'tfevents') under {logdir}")
    bar = progress_bar("reading")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DamagedRecordWarning)  # reported below, one line each
        try:
            data = read(logdir, **filters, progress=bar)
        finally:
            bar.close()
    for error in data.damaged:
        print(f"warning: damaged event file, read up to the damage: {shown(str(error))}", file=sys.stderr)
    return data
