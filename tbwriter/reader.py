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
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from tbwriter import bulk, storage
from tbwriter.decode import MIGRATED_PLUGIN
from tbwriter.record import DamagedRecordWarning, RecordError

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
    return _read(Scalars(), ScalarSeries, "scalars", path, runs, tags, progress)


def read_histograms(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                    progress: Progress | None = None) -> Histograms:
    """Every histogram under ``path``: ``read_histograms("runs")[(".", "weights")].buckets[0]``."""
    return _read(Histograms(), HistogramSeries, "histograms", path, runs, tags, progress)


def _read(out: _Result, series, plugin: str, path, runs: str | None, tags: str | None, progress):
    for run, tag, tag_plugin, chunks in _scan(path, runs, tags, plugin, out.damaged, progress):
        chunks = [c for c in chunks if c.payload is not None]
        if tag_plugin == plugin and chunks:
            _, step, wall, payload = _merge(chunks)
            out[(run, tag)] = series(step, wall, payload)
    return out


def summarize(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
              progress: Progress | None = None) -> Summaries:
    """Kind, point count and step range of every tag: ``summarize("runs")[(".", "loss")].count``."""
    out = Summaries()
    for run, tag, plugin, chunks in _scan(path, runs, tags, None, out.damaged, progress):
        steps = np.concatenate([c.step for c in chunks])
        out[(run, tag)] = TagSummary(KINDS.get(plugin, "other"), len(steps), int(steps.min()), int(steps.max()))
    return out


def find_runs(path: str | os.PathLike) -> dict[str, list[str]]:
    """Run name -> its event files in reading order: ``find_runs("runs") == {".": [...], "a": [...]}``.

    ``path`` may be a URL (``s3://bucket/runs``). Raises FileNotFoundError when ``path`` does not exist.
    """
    return {run: list(files) for run, files in _find_runs(path).items()}


def _find_runs(path: str | os.PathLike) -> dict[str, dict[str, int]]:
    """Run name -> ``{event file: size}`` in reading order, from one listing of ``path``."""
    root = os.fspath(path)
    listed = storage.list_files(root)
    if list(listed) == [root]:
        return {".": listed}
    found: dict[str, dict[str, int]] = {}
    for name, size in sorted(listed.items()):
        directory, _, base = name[len(root):].replace(os.sep, "/").strip("/").rpartition("/")
        if "tfevents" in base:
            found.setdefault(directory or ".", {})[name] = size
    return dict(sorted(found.items()))


def _scan(path, runs: str | None, tags: str | None, decode: str | None, damaged: list[RecordError],
          progress: Progress | None = None) -> Iterator[tuple]:
    """Yield ``(run, tag, plugin, chunks)`` for each tag kept by the filters."""
    run_re = re.compile(runs) if runs else None
    tag_re = re.compile(tags) if tags else None
    tag_ok = (lambda t: tag_re.search(t) is not None) if tag_re else None
    chosen = {r: f for r, f in _find_runs(path).items() if run_re is None or run_re.search(r)}
    total = sum(size for files in chosen.values() for size in files.values())
    done = 0
    for run, files in chosen.items():
        sink = bulk.Sink()
        for name in files:
            for error in bulk.scan_file(name, sink, tag_ok, decode):
                damaged.append(error)
                warnings.warn(str(error), DamagedRecordWarning, stacklevel=3)
            if progress:
                done += files[name]
                progress(done, total)
        by_tag = sink.tags()
        firsts = {tag: min(chunks, key=lambda c: c.seq.min()) for tag, chunks in by_tag.items()}
        for tag, chunks in sorted(by_tag.items(), key=lambda item: firsts[item[0]].seq.min()):  # as logged
            first = firsts[tag]
            # TensorBoard takes a tag's plugin from its first value; v1 values are migrated on read
            yield run, tag, MIGRATED_PLUGIN.get(first.kind) or first.plugin, chunks


def _merge(chunks: list[bulk.Chunk]) -> tuple:
    """Concatenate a tag's chunks into arrays in file order."""
    def join(arrays):
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)

    seq, step, wall = (join([getattr(c, name) for c in chunks]) for name in ("seq", "step", "wall"))
    if isinstance(chunks[0].payload, list):
        payload = [b for c in chunks for b in c.payload]
    else:
        payload = join([c.payload for c in chunks])
    if len(seq) > 1 and not (np.diff(seq) >= 0).all():
        order = np.argsort(seq, kind="stable")
        seq, step, wall = seq[order], step[order], wall[order]
        payload = [payload[i] for i in order] if isinstance(payload, list) else payload[order]
    return seq, step, wall, payload
