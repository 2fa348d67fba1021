"""What the readers return: a dict ``(run, tag) -> series`` per kind of value, with the damage met.

    data = read_scalars("runs")                # a Scalars
    s = data[(".", "loss")]                    # a ScalarSeries: s.step, s.wall_time, s.value
    df = data.to_pandas()                      # long table: run, tag, step, wall_time, value

Each series holds one tag of one run, its points in file order (:mod:`tbwriter.reading.reader` fills them).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from tbwriter.format.record import RecordError


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
