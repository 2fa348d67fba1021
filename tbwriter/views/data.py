"""A logdir as the page reads it: one JSON-able dict of runs, scalars, distributions, images, text and hparams.

    logs = read_logs(["runs/demo"])
    data = payload(logs, budget=20_000_000)     # scalars downsampled only where the budget binds

Numbers travel exactly (the page shows the logged value to the last bit) in the smallest of four forms
(:func:`numbers`): steps that go up by one stride as ``{"from", "by", "count"}``, whole numbers as base64 of
int32, values that float32 holds exactly (every scalar logged as a float32, as TensorBoard's are) as base64 of
float32, anything else as base64 of float64: a logged point takes 16 characters where decimal JSON takes up to 60.
Strings from a log stay data: text summaries are rendered to HTML here, with markdown-it's raw HTML off, so no
markup or script of a log reaches the page; the page inserts every other string as text.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tbwriter.plot import plotdata

COLUMNS = 2000      # the resolution a downsampled series keeps: first, last, min and max of each of this many columns
MIN_COLUMNS = 16    # below this a chart says too little: the budget is refused instead
SERIES_BYTES = 200  # a series' names and keys in the JSON, about (and base64's padding)

Read = Callable[..., Any]  # read(reader, path, **filters) -> the reader's result


def _read_plain(reader: Callable[..., Any], path: str, **filters: Any) -> Any:
    return reader(path, **filters)


@dataclass
class Logs:
    """What a page shows, read from one or several logdirs; runs already named as the page names them."""
    scalars: dict
    histograms: dict
    images: dict
    texts: dict
    hparams: list  # of (run prefix, HParamsTable)


def read_logs(paths: Sequence[str | os.PathLike], *, tags: str | None = None, runs: str | None = None,
              read: Read = _read_plain, scalars: bool = True, scalar_tags: Collection[str] = ()) -> Logs:
    """Every kind of data under ``paths``: ``read_logs(["runs/a", "runs/b"], tags="loss")``.

    With several paths, runs are named ``<path>/<run>``; with one, a run that is the path itself (TensorBoard's
    ``"."``) is named after the path's last part. ``read`` calls a reader (``read_all``) on one path; the command
    line passes one that draws progress and reports damage. ``scalars=False`` leaves the scalars out (``tbwriter
    serve`` follows them itself, and names their tags in ``scalar_tags``, which are then not decoded again).
    """
    from tbwriter.reading.every_kind import read_all

    logs = Logs({}, {}, {}, {}, [])
    for path in (os.fspath(p) for p in paths):
        name = run_namer(path, several=len(paths) > 1)
        found = read(read_all, path, runs=runs, tags=tags if scalars else _other_than(tags, scalar_tags))
        kinds = [(found.histograms, logs.histograms), (found.images, logs.images), (found.texts, logs.texts)]
        if scalars:
            kinds.insert(0, (found.scalars, logs.scalars))
        for series_of, into in kinds:
            for (run, tag), series in series_of.items():
                into[(name(run), tag)] = series
        if found.hparams.sessions:
            logs.hparams.append((name, found.hparams))
    return logs


def _other_than(tags: str | None, known: Collection[str]) -> str | None:
    """A pattern searching as ``tags`` does, that matches none of the ``known`` tag names.

    (A tag that is a scalar in one run and text in another is then left out of the text: a rare log, and the
    price of not decoding every scalar a second time.)
    """
    if not known:
        return tags
    pattern = "^(?!(?:" + "|".join(re.escape(t) for t in sorted(known)) + ")$)"
    if tags:
        pattern += f"(?=[\\s\\S]*?(?:{tags}))"  # re.search(tags) anywhere in the name
    try:
        re.compile(pattern)
    except re.error:  # e.g. a global flag (?i) that must stay at the start of the user's pattern
        return tags
    return pattern


def run_namer(path: str, several: bool) -> Callable[[str], str]:
    """How the page names the runs of ``path``: ``run_namer("runs/a", several=True)("seed0") == "runs/a/seed0"``;
    with one path, only the path's own run (``"."``) is renamed, after the path's last part."""
    path = path.rstrip("/") or path
    if several:
        return lambda run: path if run == "." else f"{path}/{run}"
    own = os.path.basename(path) or path
    return lambda run: own if run == "." else run


@dataclass(frozen=True)
class Points:
    """Scalar points as the page takes them (what ``read_scalars`` gives has the same fields)."""
    step: np.ndarray
    wall_time: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.step)


def payload(logs: Logs, *, budget: int, title: str = "", group: str | None = None, live: dict | None = None) -> dict:
    """The page's data, its JSON at most ``budget`` characters: ``payload(read_logs(["runs"]), budget=10**7)``.

    Scalars are kept exactly while they fit. Past that, the largest series are cut, one after the other, to the
    first, last, lowest and highest point of each of :data:`COLUMNS` columns (``plotdata.decimate``), or of as
    many as let all of them cut fit surely (down to :data:`MIN_COLUMNS`, else ValueError).
    """
    data: dict[str, Any] = {
        "title": title, "group": group, "columns": None, "live": live,
        "histograms": [_histogram(run, tag, s) for (run, tag), s in sorted(logs.histograms.items()) if len(s)],
        "images": [_images(run, tag, s) for (run, tag), s in sorted(logs.images.items()) if len(s)],
        "texts": _texts(logs.texts),
        "hparams": _hparams(logs.hparams),
    }
    scalars = sorted((key, s) for key, s in logs.scalars.items() if len(s))
    names = {run for (run, _), _ in scalars} | {e["run"] for kind in ("histograms", "images", "texts")
                                                for e in data[kind]}
    names |= {s["run"] for s in data["hparams"]["sessions"]}
    data["runs"] = sorted(names)
    left = budget - len(to_json(data))
    if left < 0:
        raise ValueError(f"max_bytes: the histograms, images, text and hparams alone take {budget - left:,} bytes, "
                         f"over the {budget:,} left for data; allow more, or select fewer tags or runs")
    kept, columns = _fit([s for _, s in scalars], left)
    data["columns"] = columns
    data["scalars"] = [_scalar(run, tag, s, keep) for ((run, tag), s), keep in zip(scalars, kept, strict=True)]
    return data


def to_json(data: dict) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<`` at all (so no ``</script>`` or ``<!--``)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def floats(values: Any) -> str:
    """Numbers as base64 of little-endian float64, as the page decodes them: ``floats([1.0, 2.5])``."""
    return _base64(values, "<f8")


def numbers(values: Any) -> str | dict:
    """Numbers in the smallest form that keeps each exactly, as the page decodes them: ``numbers([0, 1, 2]) ==
    {"from": 0.0, "by": 1.0, "count": 3}``; ``numbers([3, 1, 4]) == {"i4": "AwAAAAEAAAAEAAAA"}``; ``{"f4": base64}`` for
    values a float32 holds; else :func:`floats`."""
    v = np.asarray(values, np.float64)
    kind = _kind(v)
    if kind == "range":
        return {"from": float(v[0]), "by": float(v[1] - v[0]), "count": len(v)}
    return floats(v) if kind == "f8" else {kind: _base64(v, "<" + kind)}


def _kind(v: np.ndarray) -> str:
    """Which form :func:`numbers` gives ``v`` (float64)."""
    if len(v) >= 2 and np.isfinite(v[0]) and _same(v, v[0] + (v[1] - v[0]) * np.arange(len(v))):
        return "range"  # computed the same way in the page: v[0] + i * (v[1] - v[0]), in float64
    if len(v) and np.all(np.abs(v) < 2 ** 31) and _same(v, np.trunc(v).astype(np.int32)):
        return "i4"
    if _same(v, v.astype(np.float32)):  # infinities and NaN too
        return "f4"
    return "f8"


def _same(v: np.ndarray, other: np.ndarray) -> bool:
    """Whether ``other`` gives back every number of ``v``, the sign of a zero included."""
    back = other.astype(np.float64)
    return bool(np.array_equal(v, back, equal_nan=True) and np.array_equal(np.signbit(v), np.signbit(back)))


_CHARS = {"range": 0.0, "i4": 16 / 3, "f4": 16 / 3, "f8": 32 / 3}  # base64 characters a number takes


def _point_chars(s) -> tuple[float, float]:
    """Characters a point of series ``s`` takes in the page, kept whole and cut (its steps then no longer a range:
    int32 at most); never less cut than whole."""
    step = _kind(np.asarray(s.step, np.float64))
    rest = _CHARS["f8"] + _CHARS[_kind(np.asarray(s.value, np.float64))]  # wall time and value
    return _CHARS[step] + rest, _CHARS["i4" if step == "range" else step] + rest


def _base64(values: Any, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode("ascii")


def _fit(series: list, budget: int) -> tuple[list[np.ndarray | None], int | None]:
    """Which points of each series to keep (None: all) so they take at most ``budget`` bytes, and the columns
    of the downsampled ones (None when none is)."""
    sizes = np.array([len(s) for s in series], np.int64)
    whole, cut = np.array([_point_chars(s) for s in series]).reshape(-1, 2).T
    overhead = len(series) * SERIES_BYTES
    exact = float(sizes @ whole) + overhead
    kept: list[np.ndarray | None] = [None] * len(series)
    if exact <= budget:
        return kept, None
    # the finest resolution at which every series cut would surely fit (a column keeps at most 4 points)
    def fits(columns: int) -> bool:
        return float(np.minimum(sizes, 4 * columns) @ cut) + overhead <= budget

    if not fits(MIN_COLUMNS):
        raise ValueError(f"max_bytes: the scalars do not fit in the {budget:,} bytes left for them even with "
                         f"{MIN_COLUMNS} columns per series; allow more, or select fewer tags or runs")
    low, high = MIN_COLUMNS, COLUMNS  # fits(low); the answer is the largest that fits, up to high
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    columns = low
    total = exact
    for i in np.argsort(-sizes * whole, kind="stable"):  # largest first, only as many as it takes
        if total <= budget:
            break
        keep = kept[i] = _downsample(series[i], columns)
        total -= sizes[i] * whole[i] - len(keep) * cut[i]
    return kept, columns


def _downsample(s, columns: int) -> np.ndarray:
    """Indices of ``s``'s points to keep: per column the first, last, lowest and highest (``plotdata.decimate``);
    a series whose steps go back (a restarted run) is cut by position instead. Non-finite values are kept as the
    first and last of theirs in each column, so a NaN stretch still shows."""
    steps = s.step
    x = steps if len(steps) < 2 or bool(np.all(steps[1:] >= steps[:-1])) else np.arange(len(steps))
    finite = np.isfinite(s.value)
    good, bad = np.flatnonzero(finite), np.flatnonzero(~finite)
    parts = [good[plotdata.decimate(x[good], s.value[good], columns)]] if len(good) else []
    if len(bad):
        parts.append(bad[plotdata.decimate(x[bad], np.zeros(len(bad)), columns)])
    return np.unique(np.concatenate(parts))


def _scalar(run: str, tag: str, s, keep: np.ndarray | None) -> dict:
    step, wall, value = (s.step, s.wall_time, s.value) if keep is None else \
        (s.step[keep], s.wall_time[keep], s.value[keep])
    return {"run": run, "tag": tag, "points": len(s), "downsampled": keep is not None,
            "step": numbers(step), "wall": floats(wall), "value": numbers(value)}


def _histogram(run: str, tag: str, s) -> dict:
    """TensorBoard's distribution: the nine percentiles of each step (``plotdata.percentiles``), row after row."""
    bands = np.array([plotdata.percentiles(b) for b in s.buckets], np.float64).reshape(-1)
    return {"run": run, "tag": tag, "step": floats(s.step), "wall": floats(s.wall_time), "percentiles": floats(bands),
            "basis_points": list(plotdata.DIST_BASIS_POINTS)}


# what an image's first bytes say it is; anything else is not shown (an SVG could carry script)
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"))


def _images(run: str, tag: str, s) -> dict:
    items = []
    for i, encoded in enumerate(s.image):
        mime = next((m for head, m in _SIGNATURES if encoded.startswith(head)), None)
        if mime is None and encoded[:4] == b"RIFF" and encoded[8:12] == b"WEBP":
            mime = "image/webp"
        items.append({"step": int(s.step[i]), "wall": float(s.wall_time[i]), "sample": int(s.sample[i]),
                      "width": int(s.width[i]), "height": int(s.height[i]),
                      "src": f"data:{mime};base64,{base64.b64encode(encoded).decode('ascii')}" if mime else None})
    return {"run": run, "tag": tag, "items": items}


def _texts(texts: dict) -> list:
    if not texts:
        return []
    from tbwriter.extras import optional

    with optional("a report of text summaries"):
        from markdown_it import MarkdownIt
    # raw HTML off: a log's <script> or <img onerror> comes out as text; markdown-it also refuses javascript:
    # and similar link targets
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

    def rendered(text) -> str:
        if isinstance(text, str):
            return markdown.render(text)
        cells = np.atleast_2d(np.asarray(text, dtype=object).reshape(len(text), -1) if np.ndim(text) == 1 else text)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in cells)
        return f"<table>{rows}</table>"

    return [{"run": run, "tag": tag, "items": [{"step": int(step), "wall": float(wall), "html": rendered(text)}
                                              for step, wall, text in zip(s.step, s.wall_time, s.text, strict=True)]}
            for (run, tag), s in sorted(texts.items()) if len(s)]


def _hparams(tables: list) -> dict:
    """The sessions of every path in one table, and an axis per column for the parallel-coordinates view
    (``plotdata.parallel_axis``)."""
    hparams: list[str] = []
    metrics: list[str] = []
    sessions = []
    for name, table in tables:
        hparams += [h for h in table.hparam_names if h not in hparams]
        metrics += [m for m in table.metric_names if m not in metrics]
        for s in table.sessions:
            values = {**s.hparams, **s.metrics}
            sessions.append({"run": name(s.run), "status": s.status,
                             "values": {k: _json_value(v) for k, v in values.items()}})
    axes = [plotdata.parallel_axis(column, [s["values"].get(column) for s in sessions])._asdict()
            for column in hparams + metrics]
    for axis in axes:
        axis["positions"] = [p if math.isfinite(p) else None for p in axis["positions"]]
    return {"hparams": hparams, "metrics": metrics, "sessions": sessions, "axes": axes}


def _json_value(value: Any) -> Any:
    """None for a missing or non-finite number (JSON has no NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
