"""Read event files back: every scalar and histogram of a logdir, as numpy arrays.

    from tbwriter import read_scalars
    data = read_scalars("runs", runs="lr0\\.5", tags="loss")
    s = data[("lr0.5/seed0", "loss")]          # s.step, s.wall_time, s.value
    df = data.to_pandas()                      # long table: run, tag, step, wall_time, value

Runs are named as TensorBoard names them: the directory holding event files, relative to
``path`` (``"."`` for ``path`` itself, or when ``path`` is one event file).  Each run's files
are read in name order; both CRCs of every record are checked, and a torn or damaged record
is reported as a :class:`~tbwriter.record.DamagedRecordWarning` (file, byte offset) while the
other files are still read.  Every point is kept: no sampling, no cap.

The read path, one module a stage (the mirror of the write path, see README "Architecture"):
:mod:`tbwriter.reading.files` lists and loads the files, :mod:`tbwriter.reading.index` finds
the records and checks their CRCs, :mod:`tbwriter.reading.shapes` splits them into shapes,
decoded by :mod:`tbwriter.decode` (one record) and :mod:`tbwriter.reading.columns` (many),
and :mod:`tbwriter.reading.collect` gathers the points of a run; this module joins them up.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tbwriter.decode import MIGRATED_PLUGIN, ReadMode
from tbwriter.reading.collect import Chunk, RunCollector, merge
from tbwriter.reading.files import find_runs, list_runs, load_file
from tbwriter.reading.index import Rows, groups, index_records
from tbwriter.reading.shapes import GroupDecoder
from tbwriter.record import DamagedRecordWarning, Damage, Problem, RecordError

__all__ = ["HistogramSeries", "Histograms", "ScalarSeries", "Scalars", "Summaries", "TagSummary", "find_runs",
           "read_histograms", "read_scalars", "summarize"]

Progress = Callable[[int, int], None]
KINDS = {"scalars": "scalar", "histograms": "histogram", "text": "text", "images": "image", "hparams": "hparams"}


@dataclass(frozen=True)
class ScalarSeries:
    """One tag of one run: ``step`` (int64), ``wall_time`` and ``value`` (float64), in file order."""
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class HistogramSeries:
    """Histograms of one tag: ``buckets[i]`` is a ``[k, 3]`` float64 array of ``(left, right, count)`` rows."""
    step: np.ndarray
    wall_time: np.ndarray
    buckets: list

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class TagSummary:
    """What ``tbwriter ls`` shows for one tag: its kind, point count and step range."""
    kind: str
    count: int
    first_step: int
    last_step: int


class _Result(dict):
    """A dict ``(run, tag) -> series`` that also lists the damaged records met (``.damaged``)."""

    def __init__(self) -> None:
        super().__init__()
        self.damaged: list[RecordError] = []


R = TypeVar("R", bound=_Result)


class Scalars(_Result):
    """``read_scalars``'s result: ``data[(run, tag)]`` is a :class:`ScalarSeries`."""

    def to_pandas(self):
        """A long DataFrame with columns ``run, tag, step, wall_time, value`` (imports pandas)."""
        import pandas as pd

        parts = {"run": [], "tag": [], "step": [], "wall_time": [], "value": []}
        for (run, tag), s in self.items():
            parts["run"].append(np.full(len(s), run, dtype=object))
            parts["tag"].append(np.full(len(s), tag, dtype=object))
            parts["step"].append(s.step)
            parts["wall_time"].append(s.wall_time)
            parts["value"].append(s.value)
        dtypes = {"run": object, "tag": object, "step": np.int64, "wall_time": np.float64, "value": np.float64}
        return pd.DataFrame({k: np.concatenate(v) if v else np.empty(0, dtypes[k]) for k, v in parts.items()})


class Histograms(_Result):
    """``read_histograms``'s result: ``data[(run, tag)]`` is a :class:`HistogramSeries`."""


class Summaries(_Result):
    """``summarize``'s result: ``data[(run, tag)]`` is a :class:`TagSummary`."""


def read_scalars(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                 progress: Progress | None = None) -> Scalars:
    """Every scalar under ``path``: ``read_scalars("runs", tags="^loss$")[("seed0", "loss")].value``.

    ``runs`` and ``tags`` are regular expressions (``re.search``); what they exclude is not decoded.
    ``progress(bytes_done, bytes_total)`` is called after each file.
    """
    return _read(Scalars(), ScalarSeries, ReadMode.SCALARS, path, runs, tags, progress)


def read_histograms(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                    progress: Progress | None = None) -> Histograms:
    """Every histogram under ``path``: ``read_histograms("runs")[(".", "weights")].buckets[0]``."""
    return _read(Histograms(), HistogramSeries, ReadMode.HISTOGRAMS, path, runs, tags, progress)


def _read(out: R, series, mode: ReadMode, path, runs: str | None, tags: str | None,
          progress: Progress | None) -> R:
    for run, tag, tag_plugin, chunks in _scan(path, runs, tags, mode, out.damaged, progress):
        chunks = [c for c in chunks if c.payload is not None]
        if tag_plugin == mode.value and chunks:
            _, step, wall, payload = merge(chunks)
            out[(run, tag)] = series(step, wall, payload)
    return out


def summarize(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
              progress: Progress | None = None) -> Summaries:
    """Kind, point count and step range of every tag: ``summarize("runs")[(".", "loss")].count``."""
    out = Summaries()
    for run, tag, plugin, chunks in _scan(path, runs, tags, ReadMode.STEPS, out.damaged, progress):
        steps = np.concatenate([c.step for c in chunks])
        out[(run, tag)] = TagSummary(KINDS.get(plugin or "", "other"), len(steps), int(steps.min()), int(steps.max()))
    return out


def _scan(path, runs: str | None, tags: str | None, mode: ReadMode, damaged: list[RecordError],
          progress: Progress | None = None) -> Iterator[tuple[str, str, str | None, list[Chunk]]]:
    """Yield ``(run, tag, plugin, chunks)`` for each tag kept by the filters."""
    run_re = re.compile(runs) if runs else None
    tag_re = re.compile(tags) if tags else None
    tag_ok = (lambda t: tag_re.search(t) is not None) if tag_re else None
    found, skipped = list_runs(path)
    for error in skipped:
        _report(error, damaged)
    chosen = {r: f for r, f in found.items() if run_re is None or run_re.search(r)}
    sizes = {f: _size(f) for files in chosen.values() for f in files} if progress else {}
    total, done = sum(sizes.values()), 0
    for run, files in chosen.items():
        collector = RunCollector()
        for name in files:
            for error in read_file(name, collector, tag_ok, mode):
                _report(error, damaged)
            if progress:
                done += sizes[name]
                progress(done, total)
        by_tag = collector.tags()
        firsts = {tag: min(chunks, key=lambda c: c.seq.min()) for tag, chunks in by_tag.items()}
        for tag, chunks in sorted(by_tag.items(), key=lambda item: firsts[item[0]].seq.min()):  # as logged
            first = firsts[tag]
            # TensorBoard takes a tag's plugin from its first value; v1 values are migrated on read
            yield run, tag, MIGRATED_PLUGIN.get(first.kind) or first.plugin, chunks


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:  # gone, or a dangling link: reported when read
        return 0


def _report(error: RecordError, damaged: list[RecordError]) -> None:
    damaged.append(error)
    warnings.warn(str(error), DamagedRecordWarning, stacklevel=4)


def read_file(name: str, run: RunCollector, tag_ok, mode: ReadMode) -> list[RecordError]:
    """Decode every sound record of file ``name`` into ``run``; return the damage found, in file order.

    ``tag_ok(tag)`` filters tags (None keeps all); ``mode`` says what to decode.  Like
    TensorBoard, reading stops at the first torn or damaged record; a record whose checksums
    hold but which is no Event is skipped and reported too.
    """
    try:
        padded, buf = load_file(name)
    except RecordError as e:
        return [e]
    offsets, lengths, runs, problem = index_records(buf)
    cutoff, damage = len(offsets), []
    for idx, length in groups(lengths, runs):  # one group at a time, so only its rows are in memory
        group = Rows(buf, padded, offsets, idx, length)
        bad = group.first_bad_crc()
        if bad is not None and bad < cutoff:
            cutoff = bad
        damage += GroupDecoder(group, run.records, run, tag_ok, mode).decode_before(cutoff)
    if cutoff < len(offsets):
        problem = Damage(int(offsets[cutoff]), Problem.DATA_CHECKSUM)
        run.drop_from(run.records + cutoff)  # decoded by groups that came before the damage was found
    run.records += cutoff
    end = int(offsets[cutoff]) if cutoff < len(offsets) else len(buf)  # nothing past the damage counts
    errors = [RecordError(name, *d) for d in sorted(damage) if d.offset < end]
    return errors + ([RecordError(name, *problem)] if problem else [])
