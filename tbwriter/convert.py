"""CSV logs into event files: one tag per numeric column, written with tbwriter's SummaryWriter.

    report = convert_csv("training.log", "runs")        # Keras CSVLogger -> runs/training/
    report = convert_csv("metrics.csv", "runs", run="lightning")
    print(report.summary())

Understands Keras ``CSVLogger`` files (``epoch`` column, ``NA`` cells), Lightning's
``metrics.csv`` (``step`` column, sparse rows, an ``epoch`` column too) and generic CSV:
the step column is ``--step-column``, else ``step``, else ``epoch``, else the row number;
wall times come from ``wall_time``/``time``/``timestamp`` (epoch seconds or ISO 8601) when
present, else the time of conversion.  The separator is detected.
"""
from __future__ import annotations

import csv
import math
import os
import time
from dataclasses import dataclass
from datetime import datetime

from tbwriter.writer import SummaryWriter

STEP_COLUMNS = ("step", "epoch")
WALL_TIME_COLUMNS = ("wall_time", "time", "timestamp")
MISSING = {"", "na", "n/a", "null", "none"}


@dataclass
class ConvertReport:
    """What one conversion did: where, how many points, and how many cells it skipped."""
    csv_path: str
    run_dir: str
    tags: list[str]
    points: int
    rows: int
    skipped: int
    step_column: str | None
    wall_time_column: str | None

    def summary(self) -> str:
        """One line for the user: ``training.log -> runs/training: 3 tags, 30 points from 10 rows ...``."""
        step = f"step from '{self.step_column}'" if self.step_column else "step = row number"
        wall = f", wall time from '{self.wall_time_column}'" if self.wall_time_column else ""
        return (f"{self.csv_path} -> {self.run_dir}: {_count(len(self.tags), 'tag')}, {_count(self.points, 'point')}"
                f" from {_count(self.rows, 'row')} ({step}{wall}); {self.skipped} empty, NA or non-numeric "
                f"cells skipped")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def convert_csv(csv_path: str | os.PathLike, logdir: str | os.PathLike, run: str | None = None,
                step_column: str | None = None, wall_time_column: str | None = None) -> ConvertReport:
    """Write the numeric columns of ``csv_path`` as scalars under ``logdir/<run>`` (default: the file's stem).

    Raises FileNotFoundError, or ValueError for a file that is not a CSV, has no numeric
    column, or lacks a column named by ``step_column``/``wall_time_column``.
    """
    name = os.fspath(csv_path)
    header, rows = _read_table(name)
    step_col = _pick(header, step_column, STEP_COLUMNS, name, "--step-column")
    wall_col = _pick(header, wall_time_column, WALL_TIME_COLUMNS, name, "--wall-time-column")
    step_at = header.index(step_col) if step_col else None
    wall_at = header.index(wall_col) if wall_col else None
    value_cols = [i for i in range(len(header)) if i not in (step_at, wall_at)]
    parsed, skipped = [], 0
    for number, row in enumerate(rows):
        step = number if step_at is None else _integer(row[step_at])
        if step is None:  # a row without a usable step cannot be placed
            skipped += sum(1 for i in value_cols if row[i].strip().lower() not in MISSING)
            continue
        wall = _wall_time(row[wall_at]) if wall_at is not None else None
        if wall is None and wall_at is not None and row[wall_at].strip().lower() not in MISSING:
            skipped += 1  # an unreadable time: the point keeps the time of conversion
        values = {}
        for i in value_cols:
            value = _number(row[i])
            if value is None:
                skipped += 1
            else:
                values[header[i]] = value
        parsed.append((step, wall, values))
    tags = [header[i] for i in value_cols if any(header[i] in v for _, _, v in parsed)]
    if not tags:
        raise ValueError(f"no numeric column in {name} (columns: {', '.join(header)})")
    run_dir = os.path.join(os.fspath(logdir), run or os.path.splitext(os.path.basename(name))[0])
    points = 0
    now = time.time()
    with SummaryWriter(run_dir) as writer:
        for step, wall, values in parsed:
            if values:
                writer.log_metrics(values, step, now if wall is None else wall)
                points += len(values)
    return ConvertReport(name, run_dir, tags, points, len(rows), skipped, step_col, wall_col)


def _read_table(name: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows (padded to the header's width) of a CSV file with any common separator."""
    with open(name, newline="", encoding="utf-8-sig") as f:
        try:
            text = f.read()
        except UnicodeDecodeError:
            raise ValueError(f"not a CSV file (not UTF-8 text): {name}") from None
    if "\0" in text or not text.strip():
        raise ValueError(f"not a CSV file ({'empty' if not text.strip() else 'binary data'}): {name}")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel  # one column, or too irregular to guess: comma
    table = [row for row in csv.reader(text.splitlines(), dialect) if any(cell.strip() for cell in row)]
    header = []
    for i, cell in enumerate(table[0], 1):
        column = cell.strip() or f"column{i}"  # pandas writes its index column without a name
        while column in header:  # repeated names become name.1, name.2 ... as pandas reads them
            base, _, n = column.rpartition(".")
            column = f"{base}.{int(n) + 1}" if n.isdigit() and base else f"{column}.1"
        header.append(column)
    width = len(header)
    return header, [(row + [""] * width)[:width] for row in table[1:]]


def _pick(header: list[str], asked: str | None, usual: tuple[str, ...], name: str, option: str) -> str | None:
    """The column ``asked`` for (it must exist), else the first of ``usual`` present (any case)."""
    if asked is not None:
        if asked not in header:
            raise ValueError(f"{option} {asked!r} is not a column of {name} (columns: {', '.join(header)})")
        return asked
    lowered = {h.lower(): h for h in header}
    return next((lowered[u] for u in usual if u in lowered), None)


def _number(cell: str) -> float | None:
    text = cell.strip()
    if text.lower() in MISSING:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _integer(cell: str) -> int | None:
    value = _number(cell)
    if value is None or not math.isfinite(value) or value != int(value):
        return None
    return int(value)


def _wall_time(cell: str) -> float | None:
    """Epoch seconds from a number or an ISO 8601 date-time (naive ones are local time)."""
    value = _number(cell)
    if value is not None:
        return value if math.isfinite(value) else None
    text = cell.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None
