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

The read path, one module a stage (the mirror of the write path, see docs/development.md):
:mod:`tbwriter.reading.files` lists and loads the files, :mod:`tbwriter.reading.index` finds
the records and checks their CRCs, :mod:`tbwriter.reading.shapes` splits them into shapes,
decoded by :mod:`tbwriter.format.decode` (one record) and :mod:`tbwriter.reading.columns` (many),
and :mod:`tbwriter.reading.collect` gathers the points of a run; this module joins them up.
"""
from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np

from tbwriter.format.decode import DecodeError, ReadMode, parse_event
from tbwriter.format.payloads import MIGRATED_PLUGIN, TensorPoint
from tbwriter.format.record import FOOTER_SIZE, HEADER_SIZE, Damage, DamagedRecordWarning, Problem, RecordError
from tbwriter.reading import memory
from tbwriter.reading.collect import Chunk, RunCollector, merge, of_plugin
from tbwriter.reading.files import EventFile, find_runs, list_runs
from tbwriter.reading.index import Rows, groups, index_records
from tbwriter.reading.plain import decode_plain, reads_plain
from tbwriter.reading.plugins import unreadable
from tbwriter.reading.shapes import GroupDecoder
from tbwriter.reading.skim import unwanted

__all__ = ["HistogramSeries", "Histograms", "ImageSeries", "Images", "ScalarSeries", "Scalars", "Summaries",
           "TagSummary", "TensorSeries", "Tensors", "TextSeries", "Texts", "find_runs", "read_histograms",
           "read_images", "read_scalars", "read_tensors", "read_text", "summarize"]

Progress = Callable[[int, int], None]
KINDS = {"scalars": "scalar", "histograms": "histogram", "text": "text", "images": "image", "hparams": "hparams"}


class _Series:
    """What every series has: one point per entry of ``step``, so ``len(series)`` counts them."""
    step: np.ndarray

    def __len__(self) -> int:
        return len(self.step)


@dataclass(frozen=True)
class ScalarSeries(_Series):
    """One tag of one run: ``step`` (int64), ``wall_time`` and ``value`` (float64), in file order."""
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class HistogramSeries(_Series):
    """Histograms of one tag: ``buckets[i]`` is a ``[k, 3]`` float64 array of ``(left, right, count)`` rows."""
    step: np.ndarray
    wall_time: np.ndarray
    buckets: list


@dataclass(frozen=True)
class TensorSeries(_Series):
    """Values of one tag of one plugin: ``value[i]`` is a numpy array (numbers as float64, strings
    as bytes objects; None for a value without data) and ``content`` the plugin's metadata of
    the tag's first value (what TensorBoard keeps, e.g. a pr_curve's thresholds), or None."""
    step: np.ndarray
    wall_time: np.ndarray
    value: list
    content: bytes | None


@dataclass(frozen=True)
class TextSeries(_Series):
    """Text of one tag: ``text[i]`` a str (a one-element tensor: torch writes shape [1]), or an array of str
    (a table, as TensorBoard shows a tensor of several strings)."""
    step: np.ndarray
    wall_time: np.ndarray
    text: list


@dataclass(frozen=True)
class ImageSeries(_Series):
    """Images of one tag, one entry per image (a step of ``add_images`` holds several: ``sample``
    counts them from 0); ``image[i]`` the encoded bytes (PNG, JPEG...) as written, not decoded."""
    step: np.ndarray
    wall_time: np.ndarray
    sample: np.ndarray
    width: np.ndarray
    height: np.ndarray
    image: list


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

    def _table(self, columns: dict[str, type]):
        """A long DataFrame: categorical ``run`` and ``tag``, then ``columns`` (attribute -> dtype)
        of every series, each built in one allocation (imports pandas)."""
        from tbwriter.extras import optional

        with optional("to_pandas"):
            import pandas as pd

        lengths = np.fromiter((len(s) for s in self.values()), np.int64, len(self))
        table = {}
        for i, name in enumerate(("run", "tag")):
            names = [key[i] for key in self]
            categories = sorted(set(names))
            at = {c: n for n, c in enumerate(categories)}
            codes = np.repeat(np.array([at[n] for n in names], np.int32), lengths)
            table[name] = pd.Categorical.from_codes(codes, categories=categories)
        for name, dtype in columns.items():
            parts = [getattr(s, name) for s in self.values()]
            if dtype is object:
                column = np.empty(int(lengths.sum()), dtype=object)
                column[:] = [item for part in parts for item in part] if parts else []
            else:
                column = np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)
            table[name] = column
        return pd.DataFrame(table, copy=False)


R = TypeVar("R", bound=_Result)


class Scalars(_Result):
    """``read_scalars``'s result: ``data[(run, tag)]`` is a :class:`ScalarSeries`."""

    def to_pandas(self):
        """A long DataFrame with columns ``run, tag, step, wall_time, value`` (run and tag categorical)."""
        return self._table({"step": np.int64, "wall_time": np.float64, "value": np.float64})


class Histograms(_Result):
    """``read_histograms``'s result: ``data[(run, tag)]`` is a :class:`HistogramSeries`."""


class Tensors(_Result):
    """``read_tensors``'s result: ``data[(run, tag)]`` is a :class:`TensorSeries`."""

    def to_pandas(self):
        """A long DataFrame with columns ``run, tag, step, wall_time, value`` (one array per row)."""
        return self._table({"step": np.int64, "wall_time": np.float64, "value": object})


class Texts(_Result):
    """``read_text``'s result: ``data[(run, tag)]`` is a :class:`TextSeries`."""

    def to_pandas(self):
        """A long DataFrame with columns ``run, tag, step, wall_time, text``."""
        return self._table({"step": np.int64, "wall_time": np.float64, "text": object})


class Images(_Result):
    """``read_images``'s result: ``data[(run, tag)]`` is an :class:`ImageSeries`."""

    def to_pandas(self):
        """A long DataFrame with columns ``run, tag, step, wall_time, sample, width, height, image``."""
        return self._table({"step": np.int64, "wall_time": np.float64, "sample": np.int64, "width": np.int64,
                            "height": np.int64, "image": object})


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


def read_tensors(path: str | os.PathLike, plugin: str, runs: str | None = None, tags: str | None = None, *,
                 progress: Progress | None = None) -> Tensors:
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
    for run, tag, tag_plugin, chunks in _scan(path, runs, tags, ReadMode.TENSORS, out.damaged, progress):
        chunks[:] = [c for c in chunks if c.payload is not None]  # in place: merge lets each go once copied
        if tag_plugin == plugin and chunks:
            step, wall, points = merge(chunks)
            keep = _readable(plugin, tag, points, out.damaged)
            if not keep.any():
                continue
            points = [p for p, k in zip(points, keep.tolist(), strict=True) if k]
            values = [p.value for p in points]
            if plugin == "audio":  # TensorBoard keeps the clips, the first column of [clips, labels]
                values = [v[:, 0] if v is not None and v.ndim == 2 else v for v in values]
            out[(run, tag)] = TensorSeries(step[keep], wall[keep], values, points[0].content)
    return out


def _readable(plugin: str, tag: str, points: list[TensorPoint], damaged: list[RecordError]) -> np.ndarray:
    """Which of the ``points`` of ``tag`` its ``plugin`` can read; the others are reported with their file and
    offset."""
    keep = np.ones(len(points), bool)
    for i, point in enumerate(points):
        reason = unreadable(plugin, point)
        if reason is not None:
            keep[i] = False
            name, offset = point.where or ("", None)
            _report(RecordError(name, offset, Problem.UNREADABLE_VALUE, f"{plugin} {tag!r}: {reason}"), damaged)
    return keep


class SessionInputs(NamedTuple):
    """What the HPARAMS table is made of (:func:`tbwriter.reading.sessions.read_hparams`): per run, the plugin
    content of each ``_hparams_/`` summary; the last value of every scalar tag; the damage found."""
    contents: dict[str, dict[str, bytes | None]]
    last_scalars: dict[tuple[str, str], float]
    damaged: list[RecordError]


def read_session_inputs(path: str | os.PathLike, runs: str | None = None, *,
                        progress: Progress | None = None) -> SessionInputs:
    """The sessions' summaries and every tag's last scalar under ``path``, in one pass over the files.

    ``runs`` is a regular expression searched in run names; ``progress(bytes_done, bytes_total)`` is
    called after each file.
    """
    inputs = SessionInputs({}, {}, [])
    for run, tag, tag_plugin, chunks in _scan(path, runs, None, ReadMode.HPARAMS, inputs.damaged, progress):
        if tag_plugin == "hparams" and tag.startswith("_hparams_/"):
            with_points = [c for c in chunks if isinstance(c.payload, list)]
            if with_points:
                points = merge(with_points)[2]
                keep = np.flatnonzero(_readable("hparams", tag, points, inputs.damaged))
                if len(keep):  # TensorBoard keeps the first value's metadata
                    inputs.contents.setdefault(run, {})[tag] = points[keep[0]].content
        elif tag_plugin == "scalars":
            numbers = [c for c in chunks if isinstance(c.payload, np.ndarray)]
            if numbers:
                inputs.last_scalars[(run, tag)] = float(merge(numbers)[2][-1])
    return inputs


def read_text(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
              progress: Progress | None = None) -> Texts:
    """Every text summary under ``path``: ``read_text("runs")[(".", "notes")].text[0]`` is a str.

    Args:
        path: a logdir or one event file.
        runs: a regular expression searched in run names.
        tags: a regular expression searched in tag names.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
    """
    return _from_tensors(Texts(), _text_series, read_tensors(path, "text", runs, tags, progress=progress))


def read_images(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
                progress: Progress | None = None) -> Images:
    """Every image under ``path``, still encoded: ``read_images("runs")[(".", "noise")].image[0][:8]``
    is a PNG signature; decode with Pillow, matplotlib or any library.

    Args:
        path: a logdir or one event file.
        runs: a regular expression searched in run names.
        tags: a regular expression searched in tag names.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
    """
    return _from_tensors(Images(), _image_series, read_tensors(path, "images", runs, tags, progress=progress))


def _from_tensors(out: R, series_of: Callable[[TensorSeries], object], tensors: Tensors) -> R:
    """``out`` filled with ``series_of`` each series of ``tensors``, and their damage."""
    out.damaged = tensors.damaged
    for key, s in tensors.items():
        out[key] = series_of(s)
    return out


def _text_series(s: TensorSeries) -> TextSeries:
    keep = [i for i, v in enumerate(s.value) if v is not None]
    text = [v.item().decode("utf-8", "replace") if v.size == 1 else
            np.vectorize(lambda b: b.decode("utf-8", "replace"), otypes=[object])(v)
            for v in (s.value[i] for i in keep)]
    return TextSeries(s.step[keep], s.wall_time[keep], text)


def _image_series(s: TensorSeries) -> ImageSeries:
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


def _read(out: R, series, mode: ReadMode, path, runs: str | None, tags: str | None,
          progress: Progress | None) -> R:
    for run, tag, tag_plugin, chunks in _scan(path, runs, tags, mode, out.damaged, progress):
        chunks[:] = [c for c in chunks if c.payload is not None]  # in place: merge lets each go once copied
        if tag_plugin == mode.value and chunks:
            step, wall, payload = merge(chunks)
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
            for error in read_file(name, collector, tag_ok, mode).errors:
                _report(error, damaged)
            if progress:
                done += sizes[name]
                progress(done, total)
        by_tag = collector.tags()
        firsts = {tag: min(int(c.seq.min()) for c in chunks) for tag, chunks in by_tag.items()}
        for tag, chunks in sorted(by_tag.items(), key=lambda item: firsts[item[0]]):  # as logged
            plugin = collector.first_plugin(tag, chunks)
            yield run, tag, plugin, of_plugin(chunks, plugin)


def _size(name: str) -> int:
    try:
        return os.path.getsize(name)
    except OSError:  # gone, or a dangling link: reported when read
        return 0


def _report(error: RecordError, damaged: list[RecordError]) -> None:
    damaged.append(error)
    warnings.warn(str(error), DamagedRecordWarning, stacklevel=4)


def _note_unread(buf: memoryview, offsets: np.ndarray, lengths: np.ndarray, records: np.ndarray,
                 run: RunCollector) -> None:
    """Tell ``run`` the tag and plugin of each of ``records`` (the first of their tags that the read leaves
    undecoded): a tag's first value decides its kind, decoded or not."""
    for i in records.tolist():
        start = int(offsets[i]) + HEADER_SIZE
        try:
            layout = parse_event(bytes(buf[start:start + int(lengths[i])]))
        except DecodeError:  # not an Event: it is skipped unread, as before
            continue
        for v in layout.values:
            run.add_unread(v.tag, run.records + i, MIGRATED_PLUGIN.get(v.kind) or v.plugin)


class FileScan(NamedTuple):
    """What :func:`read_file` found: the damage (in file order), the byte offset just past the last
    sound record read, and whether reading stopped at a torn last record (one still being written,
    when the file is the newest of a live run)."""
    errors: list[RecordError]
    end: int
    torn: bool


_WINDOW = 16 << 20  # bytes of a file read at once (a record that is longer is read whole)


def read_file(name: str, run: RunCollector, tag_ok, mode: ReadMode, start: int = 0) -> FileScan:
    """Decode every sound record of file ``name`` from byte ``start`` on into ``run``.

    ``tag_ok(tag)`` filters tags (None keeps all); ``mode`` says what to decode.  Like
    TensorBoard, reading stops at the first torn or damaged record; a record whose checksums
    hold but which is no Event is skipped and reported too.  The file is read a window at a time:
    the memory a read takes beyond its result does not grow with the file.  Raises MemoryError naming
    the file when memory runs out.
    """
    try:
        file = EventFile(name, start)
    except RecordError as e:
        return FileScan([e], start, False)
    errors: list[RecordError] = []
    with file:
        pos, size = start, _WINDOW
        while True:
            try:
                window = _read_window(file, pos, size, run, tag_ok, mode)
            except RecordError as e:  # the file could not be read on
                return FileScan(errors + [e], pos, False)
            except MemoryError as e:
                raise MemoryError(f"out of memory reading {name} (at byte {pos})") from e
            errors += window.errors
            if window.next is None:
                return FileScan(errors, window.end, window.torn)
            pos, size = window.next, window.size


class _WindowScan(NamedTuple):
    errors: list[RecordError]
    end: int  # past the last sound record
    torn: bool
    next: int | None  # where the next window starts; None: the file is done
    size: int  # how many bytes it takes


def _read_window(file: EventFile, start: int, size: int, run: RunCollector, tag_ok, mode: ReadMode) -> _WindowScan:
    """Decode the sound records of up to ``size`` bytes of ``file`` from byte ``start`` on into ``run``; a record
    that the window cuts is left to the next one. Its scratch memory is let go on return, for the next window."""
    name = file.name
    padded, buf = file.read(start, size)
    last = len(buf) < size or start + len(buf) >= file.size  # the end of the file (or of what is left of it)
    run.file = (name, start)
    with memory.fenced(padded, len(buf)):  # in a sanitizer run, the C loops may not read the padding
        index = index_records(buf, plain=reads_plain(mode))
        offsets, lengths, runs, problem, checked = index[:5]
        # the scan checked every CRC up to the problem: no point of a plain record is cut later
        plain = decode_plain(buf, index, run, run.records, tag_ok, mode, file.size / max(start + len(buf), 1))
        unread, firsts = unwanted(padded, offsets, lengths, mode, tag_ok, among=~plain)
    _note_unread(buf, offsets, lengths, firsts, run)
    skip = plain | unread
    cutoff, damage = len(offsets), []
    # one group at a time, so only its rows are in memory; with the CRCs checked, only wanted records count
    for idx, length in groups(lengths, runs, ~skip if checked else None):
        group = None
        if not checked:
            group = Rows(buf, padded, offsets, idx, length)
            bad = group.first_bad_crc()  # of the skipped records too: damage ends the file, as in TensorBoard
            if bad is not None and bad < cutoff:
                cutoff = bad
        wanted = ~skip[idx]
        if not wanted.any():
            continue
        if group is None or not wanted.all():
            group = Rows(buf, padded, offsets, idx[wanted], length)
        damage += GroupDecoder(group, run.records, run, tag_ok, mode).decode_before(cutoff)
    torn = problem is not None and problem.problem in (Problem.TORN_HEADER, Problem.TORN_RECORD)
    if cutoff < len(offsets):
        problem, torn = Damage(int(offsets[cutoff]), Problem.DATA_CHECKSUM), False
        run.drop_from(run.records + cutoff)  # decoded by groups that came before the damage was found
    run.records += cutoff
    stop = int(offsets[cutoff]) if cutoff < len(offsets) else len(buf)  # nothing past the damage counts
    errors = [RecordError(name, start + d.offset, d.problem, d.detail) for d in sorted(damage) if d.offset < stop]
    end = start + (int(offsets[cutoff - 1] + lengths[cutoff - 1]) + HEADER_SIZE + FOOTER_SIZE if cutoff else 0)
    if problem and torn and not last:  # cut by the window, not torn: the next window starts with that record
        whole = HEADER_SIZE if problem.problem is Problem.TORN_HEADER else \
            HEADER_SIZE + int.from_bytes(buf[problem.offset:problem.offset + 8], "little") + FOOTER_SIZE
        return _WindowScan(errors, end, False, end, max(_WINDOW, whole))
    if problem:
        errors.append(RecordError(name, start + problem.offset, problem.problem, problem.detail))
    elif not last and len(buf):  # ended with a whole record: read on
        return _WindowScan(errors, end, False, end, _WINDOW)
    return _WindowScan(errors, end, torn, None, 0)
