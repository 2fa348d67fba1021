"""Read event files back: scalars, histograms, text, images and any plugin's tensors, as numpy arrays.

    from tbwriter import read_scalars
    data = read_scalars("runs", runs="lr0\\.5", tags="loss")
    s = data[("lr0.5/seed0", "loss")]          # s.step, s.wall_time, s.value
    df = data.to_pandas()                      # long table: run, tag, step, wall_time, value

``read_text``, ``read_images`` and ``read_tensors(path, plugin=...)`` return the same
``{(run, tag): series}`` shape; :func:`tbwriter.reading.sessions.read_hparams` builds the HPARAMS table.

Runs are named as TensorBoard names them: the directory holding event files, relative to
``path`` (``"."`` for ``path`` itself, or when ``path`` is one event file).  Each run's files
are read in name order; both CRCs of every record are checked, and a torn or damaged record
is reported as a :class:`~tbwriter.format.record.DamagedRecordWarning` (file, byte offset) while the
other files are still read.  Every point is kept: no sampling, no cap.

This module is the public face of the read path (its stages: :mod:`tbwriter.reading`): each function reads
every run with a fresh :class:`~tbwriter.reading.scan.RunScan` and turns the chunks of the tags it wants into
the series of :mod:`tbwriter.reading.results`.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from tbwriter.format.decode import ReadMode
from tbwriter.format.payloads import TensorPoint
from tbwriter.format.record import Problem, RecordError
from tbwriter.reading.collect import Chunk, merge_items, merge_numbers
from tbwriter.reading.files import find_runs
from tbwriter.reading.filters import TagFilter
from tbwriter.reading.plugins import unreadable
from tbwriter.reading.results import (
    Histograms,
    HistogramSeries,
    Images,
    ImageSeries,
    R,
    Scalars,
    ScalarSeries,
    Summaries,
    TagSummary,
    Tensors,
    TensorSeries,
    Texts,
    TextSeries,
)
from tbwriter.reading.scan import Progress, TagChunks, report, scan_logdir

__all__ = ["HistogramSeries", "Histograms", "ImageSeries", "Images", "ScalarSeries", "Scalars", "Summaries",
           "TagSummary", "TensorSeries", "Tensors", "TextSeries", "Texts", "find_runs", "read_histograms",
           "read_images", "read_scalars", "read_tensors", "read_text", "summarize"]

KINDS = {"scalars": "scalar", "histograms": "histogram", "text": "text", "images": "image", "hparams": "hparams"}


def read_scalars(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                 progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Scalars:
    """Every scalar under ``path``: ``read_scalars("runs", tags="^loss$")[("seed0", "loss")].value``.

    ``runs`` and ``tags`` are regular expressions (``re.search``); what they exclude is not decoded.
    ``progress(bytes_done, bytes_total)`` is called after each file. ``storage_options`` go to fsspec's filesystem
    when ``path`` is a URL (credentials, endpoint...); every reader takes them.
    """
    out = Scalars()
    for run, (tag, plugin, chunks) in _scan(path, runs, tags, ReadMode.SCALARS, out.damaged, progress, storage_options):
        if plugin == "scalars":
            add_series(out, run, tag, scalar_series(chunks))
    return out


def read_histograms(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                    progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Histograms:
    """Every histogram under ``path``: ``read_histograms("runs")[(".", "weights")].buckets[0]``."""
    out = Histograms()
    for run, (tag, plugin, chunks) in _scan(path, runs, tags, ReadMode.HISTOGRAMS, out.damaged, progress,
                                            storage_options):
        if plugin == "histograms":
            add_series(out, run, tag, histogram_series(chunks))
    return out


def scalar_series(chunks: list[Chunk]) -> ScalarSeries | None:
    """The scalars of a tag of plugin ``scalars`` from its chunks (emptied), or None when it has none."""
    numbers = [c for c in chunks if c.numbers is not None]
    chunks.clear()  # merge lets each go once copied
    return ScalarSeries(*merge_numbers(numbers)) if numbers else None


def histogram_series(chunks: list[Chunk]) -> HistogramSeries | None:
    """The histograms of a tag of plugin ``histograms`` from its chunks (emptied), or None when it has none."""
    buckets = [c for c in chunks if c.buckets is not None]
    chunks.clear()
    return HistogramSeries(*merge_items(buckets)) if buckets else None


def add_series(out: dict, run: str, tag: str, series: object | None) -> None:
    """``out[(run, tag)] = series`` unless it is None."""
    if series is not None:
        out[(run, tag)] = series


def read_tensors(path: str | os.PathLike, plugin: str, runs: str | None = None, tags: str | None = None, *,
                 progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Tensors:
    """Every value of one plugin under ``path``, as TensorBoard's loaders hold them.

    Args:
        path: a logdir (runs are its directories holding event files) or one event file.
        plugin: the plugin name in the values' metadata: ``"pr_curves"``, ``"audio"``, ``"mesh"``,
            ``"hparams"``, ``"text"``, ``"images"``... (v1 images and audio count as ``"images"``/``"audio"``).
        runs: a regular expression searched in run names; runs it excludes are not read.
        tags: a regular expression searched in tag names; what it excludes is not decoded.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.

    ``read_tensors("runs", "pr_curves")[("run", "pr/curve")].value[0]`` is a ``[6, thresholds]`` array.
    """
    out = Tensors()
    for run, (tag, tag_plugin, chunks) in _scan(path, runs, tags, ReadMode.TENSORS, out.damaged, progress,
                                                storage_options):
        if tag_plugin == plugin:
            add_series(out, run, tag, tensor_series(plugin, tag, chunks, out.damaged))
    return out


def tensor_series(plugin: str, tag: str, chunks: list[Chunk], damaged: list[RecordError]) -> TensorSeries | None:
    """The values of a tag of ``plugin`` from its chunks (emptied) that the plugin can read (the others reported
    into ``damaged``), or None when none is left."""
    points = [c for c in chunks if c.points is not None]
    chunks.clear()
    if not points:
        return None
    step, wall, items = merge_items(points)
    keep = _readable(plugin, tag, items, damaged)
    if not keep.any():
        return None
    items = [p for p, k in zip(items, keep.tolist(), strict=True) if k]
    values = [p.value for p in items]
    if plugin == "audio":  # TensorBoard keeps the clips, the first column of [clips, labels]
        values = [v[:, 0] if v is not None and v.ndim == 2 else v for v in values]
    return TensorSeries(step[keep], wall[keep], values, items[0].content)


def _readable(plugin: str, tag: str, points: list[TensorPoint], damaged: list[RecordError]) -> np.ndarray:
    """Which of the ``points`` of ``tag`` its ``plugin`` can read; the others are reported with their file and
    offset."""
    keep = np.ones(len(points), bool)
    for i, point in enumerate(points):
        reason = unreadable(plugin, point)
        if reason is not None:
            keep[i] = False
            name, offset = point.where or ("", None)
            report(RecordError(name, offset, Problem.UNREADABLE_VALUE, f"{plugin} {tag!r}: {reason}"), damaged)
    return keep


class SessionInputs(NamedTuple):
    """What the HPARAMS table is made of (:func:`tbwriter.reading.sessions.read_hparams`): per run, the plugin
    content of each ``_hparams_/`` summary; the last value of every scalar tag; the damage found."""
    contents: dict[str, dict[str, bytes | None]]
    last_scalars: dict[tuple[str, str], float]
    damaged: list[RecordError]


def read_session_inputs(path: str | os.PathLike, runs: str | None = None, *,
                        progress: Progress | None = None,
                        storage_options: dict[str, Any] | None = None) -> SessionInputs:
    """The sessions' summaries and every tag's last scalar under ``path``, in one pass over the files.

    ``runs`` is a regular expression searched in run names; ``progress(bytes_done, bytes_total)`` is
    called after each file.
    """
    inputs = SessionInputs({}, {}, [])
    for run, (tag, tag_plugin, chunks) in _scan(path, runs, None, ReadMode.HPARAMS, inputs.damaged, progress,
                                                storage_options):
        if tag_plugin == "hparams":
            add_session_content(inputs.contents, run, tag, chunks, inputs.damaged)
        elif tag_plugin == "scalars" and (series := scalar_series(chunks)) is not None:
            inputs.last_scalars[(run, tag)] = float(series.value[-1])
    return inputs


def add_session_content(contents: dict[str, dict[str, bytes | None]], run: str, tag: str, chunks: list[Chunk],
                        damaged: list[RecordError]) -> None:
    """``contents[run][tag]``: the plugin content of a ``_hparams_/`` summary (a tag of plugin ``hparams``) from its
    chunks (emptied): TensorBoard keeps its first value's; values it cannot read are reported into ``damaged``."""
    if tag.startswith("_hparams_/"):
        series = tensor_series("hparams", tag, chunks, damaged)
        if series is not None:
            contents.setdefault(run, {})[tag] = series.content


def read_text(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
              progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Texts:
    """Every text summary under ``path``: ``read_text("runs")[(".", "notes")].text[0]`` is a str.

    Args:
        path: a logdir or one event file.
        runs: a regular expression searched in run names.
        tags: a regular expression searched in tag names.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
    """
    return _from_tensors(Texts(), text_series, read_tensors(path, "text", runs, tags, progress=progress,
                                                                 storage_options=storage_options))


def read_images(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Images:
    """Every image under ``path``, still encoded: ``read_images("runs")[(".", "noise")].image[0][:8]``
    is a PNG signature; decode with Pillow, matplotlib or any library.

    Args:
        path: a logdir or one event file.
        runs: a regular expression searched in run names.
        tags: a regular expression searched in tag names.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
    """
    return _from_tensors(Images(), image_series, read_tensors(path, "images", runs, tags, progress=progress,
                                                                    storage_options=storage_options))


def _from_tensors(out: R, series_of: Callable[[TensorSeries], object], tensors: Tensors) -> R:
    """``out`` filled with ``series_of`` each series of ``tensors``, and their damage."""
    out.damaged = tensors.damaged
    for key, s in tensors.items():
        out[key] = series_of(s)
    return out


def text_series(s: TensorSeries) -> TextSeries:
    """The texts of a tag of plugin ``text`` (from :func:`tensor_series`): a str a value, or an array of str."""
    keep = [i for i, v in enumerate(s.value) if v is not None]
    text = [v.item().decode("utf-8", "replace") if v.size == 1 else
            np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(v)
            for v in (s.value[i] for i in keep)]
    return TextSeries(s.step[keep], s.wall_time[keep], text)


def image_series(s: TensorSeries) -> ImageSeries:
    """One entry per image: a value ``[b"<width>", b"<height>", encoded, encoded...]`` holds several."""
    rows: list[list] = [[], [], [], [], [], []]
    for step, wall, v in zip(s.step.tolist(), s.wall_time.tolist(), s.value, strict=True):
        if v is None or v.ndim != 1 or len(v) < 2:
            continue
        width, height = int(v[0]), int(v[1])
        for sample, encoded in enumerate(v[2:].tolist()):
            for column, item in zip(rows, (step, wall, sample, width, height, encoded), strict=True):
                column.append(item)
    return ImageSeries(np.array(rows[0], np.int64), np.array(rows[1], np.float64), np.array(rows[2], np.int64),
                       np.array(rows[3], np.int64), np.array(rows[4], np.int64), rows[5])


def summarize(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
              progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> Summaries:
    """Kind, point count and step range of every tag: ``summarize("runs")[(".", "loss")].count``."""
    out = Summaries()
    for run, (tag, plugin, chunks) in _scan(path, runs, tags, ReadMode.STEPS, out.damaged, progress, storage_options):
        steps = np.concatenate([c.step for c in chunks])
        out[(run, tag)] = TagSummary(KINDS.get(plugin or "", "other"), len(steps), int(steps.min()), int(steps.max()))
    return out


def _scan(path: str | os.PathLike, runs: str | None, tags: str | None, mode: ReadMode, damaged: list[RecordError],
          progress: Progress | None, storage_options: dict[str, Any] | None) -> Iterator[tuple[str, TagChunks]]:
    """``(run, tag)`` of every tag of the runs under ``path`` that the regular expressions keep."""
    return scan_logdir(path, TagFilter(runs), TagFilter(tags), mode, damaged, progress, storage_options)
