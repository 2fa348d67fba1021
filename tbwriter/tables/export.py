"""Scalars read from event files out as CSV: the mirror of :mod:`tbwriter.tables.convert` (CSV into event files).

    from tbwriter import read_scalars
    from tbwriter.tables.export import export_csv
    export_csv(read_scalars("runs"), "scalars.csv")               # run,tag,step,wall_time,value
    export_csv(read_scalars("runs", tags="^loss"), "wide.csv", wide=True)   # step, then a column per run/tag

Every point is written (no sampling), floats with every digit (``repr``), so ``convert`` then ``export`` gives the
CSV's numbers back. A file is written whole or not at all (:mod:`tbwriter.storage.atomicfile`). Run and tag
names that are not valid UTF-8 (a directory named in another encoding) are written back as the bytes they were
(``surrogateescape``), so nothing is refused half-way.
"""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Mapping
from typing import IO, Any

from tbwriter.storage.atomicfile import atomic_output

Progress = Callable[[int, int], None]
Series = Mapping[tuple[str, str], Any]  # (run, tag) -> ScalarSeries, as read_scalars returns


def export_csv(data: Series, output: str | os.PathLike[str] | IO[str], wide: bool = False,
               progress: Progress | None = None) -> None:
    """Write ``data`` as CSV: ``export_csv(read_scalars("runs"), "scalars.csv")``.

    Args:
        data: ``(run, tag) -> series`` with ``.step``, ``.wall_time`` and ``.value`` arrays, as
            :func:`tbwriter.read_scalars` returns.
        output: a file name (created or replaced only once every row is written; ``-``, a FIFO, a device or a
            symlink as :mod:`tbwriter.storage.atomicfile` says) or an open text file such as ``sys.stdout``.
        wide: False for the long layout (``run,tag,step,wall_time,value``, a row per point), True for the wide
            one (``step``, then a ``run/tag`` column per series, a row per step; see :func:`_write_wide`).
        progress: called as ``progress(done, total)`` while writing.
    """
    write = _write_wide if wide else _write_long
    if isinstance(output, (str, os.PathLike)):
        with atomic_output(output, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            write(data, f, progress)
    else:
        write(data, output, progress)


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def _write_long(data: Series, out: IO[str], progress: Progress | None = None) -> None:
    """``run,tag,step,wall_time,value``, series after series, points in file order.

    Args:
        data: ``(run, tag) -> series``, as :func:`tbwriter.read_scalars` returns.
        out: an open text file.
        progress: called as ``progress(series_done, series_total)``.
    """
    out.write("run,tag,step,wall_time,value\n")
    for i, ((run, tag), s) in enumerate(data.items()):
        prefix = _csv_line([run, tag]) + ","
        points = zip(s.step.tolist(), s.wall_time.tolist(), s.value.tolist(), strict=True)
        out.writelines(f"{prefix}{step},{wall!r},{value!r}\n" for step, wall, value in points)
        if progress:
            progress(i + 1, len(data))


def _write_wide(data: Series, out: IO[str], progress: Progress | None = None) -> None:
    """``step`` then one column per series named ``run/tag`` (just ``tag`` for the run ``.``).

    Rows are steps; a cell is empty where a series has no point, and the last value wins at a repeated step.
    Should two series share a column name (run ``a/b`` tag ``c``, run ``a`` tag ``b/c``), every column is named
    ``run|tag`` instead, so none is lost or mislabelled.

    Args:
        data: ``(run, tag) -> series``, as :func:`tbwriter.read_scalars` returns.
        out: an open text file.
        progress: called as ``progress(rows_done, rows_total)``.
    """
    import numpy as np

    steps = np.unique(np.concatenate([s.step for s in data.values()]))
    columns = []
    for s in data.values():
        cells = np.full(len(steps), "", dtype=object)
        cells[np.searchsorted(steps, s.step)] = [repr(v) for v in s.value.tolist()]  # last write wins
        columns.append(cells)
    names = [tag if run == "." else f"{run}/{tag}" for run, tag in data]
    if len(set(names)) < len(names):
        names = [f"{run}|{tag}" for run, tag in data]
    out.write(_csv_line(["step", *names]) + "\n")
    for i, step in enumerate(steps.tolist()):
        out.write(f"{step}," + ",".join(col[i] for col in columns) + "\n")
        if progress and i % 4096 == 0:
            progress(i, len(steps))
