"""Every kind of data under a path in one pass over its files: what a view of a whole logdir needs.

    from tbwriter import read_all
    logs = read_all("runs")
    logs.scalars[("seed0", "loss")].value, logs.histograms, logs.images, logs.texts, logs.hparams.sessions

Each reader of :mod:`tbwriter.reading.reader` reads the files once for its own kind; reading them for all five
took five times as long (most of it checking CRCs and finding records again). Here each value is decoded as what
it is (:data:`~tbwriter.format.decode.ReadMode.ALL`), and each tag goes to the kind of its plugin, its first
value's, as the one-kind readers decide it: the results are the same as theirs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tbwriter.format.decode import ReadMode
from tbwriter.format.record import RecordError
from tbwriter.reading.filters import TagFilter
from tbwriter.reading.reader import (
    add_series,
    add_session_content,
    histogram_series,
    image_series,
    scalar_series,
    tensor_series,
    text_series,
)
from tbwriter.reading.results import Histograms, Images, Scalars, Texts
from tbwriter.reading.scan import Progress, scan_logdir
from tbwriter.reading.sessions import HParamsTable, build_table, read_hparams


@dataclass
class AllKinds:
    """What :func:`read_all` found, each kind as its own reader returns it; ``damaged`` lists the damage met, once
    each (every kind's ``damaged`` is this list, but for the HPARAMS table's of a second pass)."""
    scalars: Scalars = field(default_factory=Scalars)
    histograms: Histograms = field(default_factory=Histograms)
    images: Images = field(default_factory=Images)
    texts: Texts = field(default_factory=Texts)
    hparams: HParamsTable = field(default_factory=HParamsTable)
    damaged: list[RecordError] = field(default_factory=list)


def read_all(path: str | os.PathLike, runs: str | None = None, tags: str | None = None, *,
             progress: Progress | None = None, storage_options: dict[str, Any] | None = None) -> AllKinds:
    """Scalars, histograms, images, text and the HPARAMS table under ``path``, as ``read_scalars``,
    ``read_histograms``, ``read_images``, ``read_text`` and ``read_hparams`` give them, in one pass:
    ``read_all("runs").histograms[("seed0", "weights")]``.

    Args:
        path: a logdir or one event file, local or a URL.
        runs: a regular expression searched in run names; runs it excludes are not read.
        tags: a regular expression searched in tag names; what it excludes is not decoded. The HPARAMS table is
            still the whole one of the runs (its metrics are the last values of every scalar tag), read in a
            second pass when ``tags`` is given.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
        storage_options: for fsspec's filesystem when ``path`` is a URL.
    """
    out = AllKinds()
    for kind in (out.scalars, out.histograms, out.images, out.texts):
        kind.damaged = out.damaged
    contents: dict[str, dict[str, bytes | None]] = {}
    for run, (tag, plugin, chunks) in scan_logdir(path, TagFilter(runs), TagFilter(tags), ReadMode.ALL, out.damaged,
                                                  progress, storage_options):
        if plugin == "scalars":
            add_series(out.scalars, run, tag, scalar_series(chunks))
        elif plugin == "histograms":
            add_series(out.histograms, run, tag, histogram_series(chunks))
        elif plugin == "images" and (tensors := tensor_series(plugin, tag, chunks, out.damaged)) is not None:
            out.images[(run, tag)] = image_series(tensors)
        elif plugin == "text" and (tensors := tensor_series(plugin, tag, chunks, out.damaged)) is not None:
            out.texts[(run, tag)] = text_series(tensors)
        elif plugin == "hparams":
            add_session_content(contents, run, tag, chunks, out.damaged)
    if tags is None:
        last = {key: float(s.value[-1]) for key, s in out.scalars.items()}
        out.hparams = build_table(contents, last)
        out.hparams.damaged = out.damaged
    else:  # damage met again (and warned of again: Python shows a warning once per line) is listed once
        out.hparams = read_hparams(path, runs, progress=progress, storage_options=storage_options)
        listed = {str(e) for e in out.damaged}
        out.damaged += [e for e in out.hparams.damaged if str(e) not in listed]
    return out
