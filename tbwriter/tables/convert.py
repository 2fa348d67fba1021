"""CSV logs into event files: one tag per numeric column, written with tbwriter's SummaryWriter.

    report = convert_csv("training.log", "runs")        # Keras CSVLogger -> runs/training/
    report = convert_csv("metrics.csv", "runs", run="lightning")
    print(report.summary())

Understands Keras ``CSVLogger`` files (``epoch`` column, ``NA`` cells), Lightning's
``metrics.csv`` (``step`` column, sparse rows, an ``epoch`` column too) and generic CSV:
the step column is ``--step-column``, else ``step``, else ``epoch``, else the row number;
wall times come from ``wall_time``/``time``/``timestamp`` (epoch seconds or ISO 8601) when
present, else the time of conversion.  The separator is detected.

All or nothing: every file is read and checked first, the event files are written aside and moved into their
runs at the end, so a failed or interrupted conversion leaves the logdir as it was.  A run that already holds
event files is refused unless ``if_exists="overwrite"`` or ``"append"`` says what to do (a second conversion of
the same CSV would otherwise repeat every point), and a run name must stay inside the logdir.
"""
from __future__ import annotations

import csv
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tbwriter import storage
from tbwriter.errors import ArgumentError
from tbwriter.writing.values import check_inside
from tbwriter.writing.writer import SummaryWriter

STEP_COLUMNS = ("step", "epoch")
WALL_TIME_COLUMNS = ("wall_time", "time", "timestamp")
MISSING = {"", "na", "n/a", "null", "none"}
IF_EXISTS = ("fail", "overwrite", "append")  # what convert_csv does with a run that already holds event files


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


def convert_csv(csv_path: str | os.PathLike[str], logdir: str | os.PathLike[str], run: str | None = None,
                step_column: str | None = None, wall_time_column: str | None = None,
                if_exists: str = "fail", storage_options: dict | None = None) -> ConvertReport:
    """The numeric columns of ``csv_path`` as scalars in ``logdir/<run>``: ``convert_csv("train.log", "runs")``.

    All or nothing: the event file is written aside and moved into the run only when complete, so a failed or
    interrupted conversion leaves the logdir as it was.

    Args:
        csv_path: the CSV file (any of the separators ``, ; tab |``; UTF-8).
        logdir: the directory runs are written under (created if missing).
        run: the run's name, a relative path inside ``logdir`` (default: the CSV's file name without extension).
        step_column: the column holding steps (default: ``step``, else ``epoch``, else the row number).
        wall_time_column: the column holding wall times, epoch seconds or ISO 8601 (default: ``wall_time``,
            ``time`` or ``timestamp`` when present, else the time of conversion).
        if_exists: what to do when the run already holds event files: ``"fail"`` (refuse: converting the same
            CSV twice would repeat every point), ``"overwrite"`` (replace them) or ``"append"`` (add a file beside
            them).
        storage_options: for a URL ``logdir``, options of its fsspec filesystem (credentials, endpoint...).

    Raises:
        FileNotFoundError: ``csv_path`` does not exist.
        ValueError: the file is not a CSV, has no numeric column, lacks a column asked for or has a fractional or
            negative step (named with its row and column); the run name leads
            outside ``logdir``; the run already holds event files and ``if_exists="fail"``.
    """
    return convert_csvs([csv_path], logdir, run, step_column, wall_time_column, if_exists,
                        storage_options=storage_options)[0]


def convert_csvs(csv_paths: Sequence[str | os.PathLike[str]], logdir: str | os.PathLike[str], run: str | None = None,
                 step_column: str | None = None, wall_time_column: str | None = None,
                 if_exists: str = "fail", progress: Callable[[int, int], None] | None = None,
                 storage_options: dict | None = None) -> list[ConvertReport]:
    """:func:`convert_csv` for several files, all or none: ``convert_csvs(["a.csv", "b.csv"], "runs")``.

    Every file is read and checked before anything is written, and the runs appear together at the end.

    Args:
        csv_paths: the CSV files; each becomes the run named after its file (two may not share a name).
        logdir: as for :func:`convert_csv`.
        run: the run's name; only with a single CSV.
        step_column: as for :func:`convert_csv`.
        wall_time_column: as for :func:`convert_csv`.
        if_exists: as for :func:`convert_csv`.
        progress: called as ``progress(files_written, files)``.
        storage_options: as for :func:`convert_csv`.
    """
    if if_exists not in IF_EXISTS:
        raise ValueError(f"convert_csv: if_exists must be one of {', '.join(map(repr, IF_EXISTS))}, got {if_exists!r}")
    if run is not None and len(csv_paths) != 1:
        raise ValueError("convert_csv: run names one run: give one CSV with it, or leave it out")
    root = os.fspath(logdir)
    tables = [_parse(os.fspath(path), step_column, wall_time_column) for path in csv_paths]
    run_dirs = [_run_dir(root, run if run is not None else _stem(table.csv_path)) for table in tables]
    for table, run_dir in zip(tables, run_dirs, strict=True):
        if run_dirs.count(run_dir) > 1:
            raise ValueError(f"convert_csv: {table.csv_path} and another CSV would both write the run {run_dir}; "
                             "convert them one at a time with different run names")
        if if_exists == "fail" and _event_files(run_dir, storage_options):
            raise ValueError(f"convert_csv: {run_dir} already holds event files: converting into it again would "
                             "repeat every point; choose another run, or pass if_exists='overwrite' or 'append' "
                             "(tbwriter convert --overwrite or --append)")
    if storage.is_url(root):
        return _convert_to_url(tables, run_dirs, if_exists, progress, storage_options)
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".tbwriter-convert-", dir=root)
    try:
        written = []
        for i, table in enumerate(tables):
            written.append(_write(table, os.path.join(staging, str(i))))
            if progress:
                progress(i + 1, len(tables))
        for run_dir, (event_file, _) in zip(run_dirs, written, strict=True):
            old = _event_files(run_dir) if if_exists == "overwrite" else []
            os.makedirs(run_dir, exist_ok=True)
            os.replace(event_file, os.path.join(run_dir, os.path.basename(event_file)))
            storage.remove(old)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [ConvertReport(table.csv_path, run_dir, table.tags, points, table.rows, table.skipped, table.step_column,
                          table.wall_time_column)
            for table, run_dir, (_, points) in zip(tables, run_dirs, written, strict=True)]


def _convert_to_url(tables: list[_Table], run_dirs: list[str], if_exists: str,
                    progress: Callable[[int, int], None] | None, storage_options: dict | None) -> list[ConvertReport]:
    """Object storage has no rename: each run's file is written in place, where every put is atomic (a reader
    never sees a torn record), and the files it replaces are deleted only once it is complete."""
    reports = []
    for i, (table, run_dir) in enumerate(zip(tables, run_dirs, strict=True)):
        old = _event_files(run_dir, storage_options) if if_exists == "overwrite" else []
        _, points = _write(table, run_dir, storage_options)
        storage.remove(old, storage_options)
        reports.append(ConvertReport(table.csv_path, run_dir, table.tags, points, table.rows, table.skipped,
                                     table.step_column, table.wall_time_column))
        if progress:
            progress(i + 1, len(tables))
    return reports


@dataclass
class _Table:
    """A CSV parsed into points: ``(step, wall time or None, {column: value})`` per usable row."""
    csv_path: str
    points: list[tuple[int, float | None, dict[str, float]]]
    tags: list[str]
    rows: int
    skipped: int
    step_column: str | None
    wall_time_column: str | None


def _parse(name: str, step_column: str | None, wall_time_column: str | None) -> _Table:
    header, rows = _read_table(name)
    step_col = _pick(header, step_column, STEP_COLUMNS, name, "--step-column")
    wall_col = _pick(header, wall_time_column, WALL_TIME_COLUMNS, name, "--wall-time-column")
    step_at = header.index(step_col) if step_col else None
    wall_at = header.index(wall_col) if wall_col else None
    value_cols = [i for i in range(len(header)) if i not in (step_at, wall_at)]
    parsed, skipped = [], 0
    for number, row in enumerate(rows):
        step = number if step_at is None else _step(row[step_at], number, step_col, name)
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
    return _Table(name, parsed, tags, len(rows), skipped, step_col, wall_col)


def _write(table: _Table, directory: str, storage_options: dict | None = None) -> tuple[str, int]:
    """Writes the table's points as one event file in ``directory``; returns the file and the point count."""
    points = 0
    now = time.time()
    before = set(_event_files(directory, storage_options))
    # a conversion writes wherever it runs, even under torchrun
    writer = SummaryWriter(directory, ranks="any", storage_options=storage_options)
    try:
        for step, wall, values in table.points:
            if values:
                writer.log_metrics(values, step, now if wall is None else wall)
                points += len(values)
        writer.close()
    except OSError as e:
        # The staging file is deleted with its folder: nothing is left to retry at exit, and the
        # user hears of the CSV, not of a hidden temporary path.
        writer._file.discard()
        raise OSError(e.errno, os.strerror(e.errno) if e.errno else str(e), table.csv_path) from None
    new = [path for path in _event_files(directory, storage_options) if path not in before]
    return new[-1], points


def _stem(csv_path: str) -> str:
    return os.path.splitext(os.path.basename(csv_path))[0]


def _run_dir(logdir: str, run: str) -> str:
    """``logdir/run``, refusing a run name that is empty or leads outside ``logdir`` (absolute, or with ``..``)."""
    try:
        return storage.join(logdir, check_inside(run, "run", f"the logdir {logdir}"))
    except ArgumentError as e:
        raise e.in_call("convert_csv") from None


def _event_files(directory: str, storage_options: dict | None = None) -> list[str]:
    """The run's own event files (names containing ``tfevents``, as TensorBoard finds them); none if no directory."""
    return [path for path in storage.files_in(directory, storage_options) if "tfevents" in os.path.basename(path)]


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
    reader = csv.reader(text.splitlines(), dialect)
    limit = csv.field_size_limit(max(len(text), csv.field_size_limit()))  # a long text cell is no error: it is skipped
    try:
        table = [row for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as e:
        raise ValueError(f"not a CSV file ({e} on line {reader.line_num}): {name}") from None
    finally:
        csv.field_size_limit(limit)
    if not table:
        raise ValueError(f"not a CSV file (only separators, no cell has a value): {name}")
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


def _step(cell: str, number: int, column: str | None, name: str) -> int | None:
    """The step in ``cell``, None where there is none (empty, NA, text); an error for one no event can hold, rather
    than a row silently skipped (``number``: the row's index among the data rows)."""
    value = _number(cell)
    if value is None or not math.isfinite(value):
        return None
    where = f"step {cell.strip()} in data row {number + 1}, column {column!r}, of {name}"
    if value != int(value):
        raise ValueError(f"fractional {where}: steps are whole numbers (--step-column picks another column)")
    if value < 0:
        raise ValueError(f"negative {where}: steps start at 0 (--step-column picks another column)")
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
