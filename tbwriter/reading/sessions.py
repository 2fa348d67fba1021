"""Hyperparameter sessions read back: TensorBoard's HPARAMS table, one row per session.

    from tbwriter import read_hparams
    table = read_hparams("runs")
    table.to_pandas().sort_values("validation.epoch_accuracy")   # run, status, hparams..., metrics...

A session is a run holding a ``_hparams_/session_start_info`` summary, named by the run. The
table follows TensorBoard's hparams plugin (docs/formats.md, "How the HPARAMS table is built"):

- Metric columns come from the ``_hparams_/experiment`` summaries if any run has one (torch and
  tensorboardX write one per session; TensorBoard uses whichever it loads first, we take the
  union of their metrics), else from every scalar tag of the session runs and of their
  sub-runs: tag ``T`` of run ``<session>/G`` is metric ``(G, T)``.
- A metric's value is the last scalar of run ``<session>/G``, tag ``T``; it is named as the
  HPARAMS tab names it: its display name, else ``T`` for the session's own run, else ``G.T``.
- The status is that of the run's first ``_hparams_/session_end_info`` (TensorBoard keeps the
  first): ``SUCCESS``, ``FAILURE``, ``RUNNING``, else ``UNKNOWN``.
- Hparams keep their type: bool, str or float (numbers are stored as float64); NaN numbers are
  left out, as TensorBoard does.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tbwriter.format.record import RecordError

EXPERIMENT_TAG = "_hparams_/experiment"
START_TAG = "_hparams_/session_start_info"
END_TAG = "_hparams_/session_end_info"
STATUS_NAMES = {0: "UNKNOWN", 1: "SUCCESS", 2: "FAILURE", 3: "RUNNING"}
HParam = bool | str | float


@dataclass(frozen=True)
class Session:
    """One row of the HPARAMS table: ``metrics`` maps a column name to the last value of its scalar."""
    run: str
    status: str
    hparams: dict[str, HParam]
    metrics: dict[str, float]


@dataclass(frozen=True)
class MetricName:
    """A metric as TensorBoard names it: scalar tag ``tag`` of run ``<session>/<group>``."""
    group: str
    tag: str
    display_name: str = ""

    @property
    def column(self) -> str:
        """The HPARAMS tab's column title: ``"validation.epoch_accuracy"``, or just the tag."""
        if self.display_name:
            return self.display_name
        return self.tag if self.group in ("", ".") else f"{self.group}.{self.tag}"

    def run_of(self, session: str) -> str:
        """The run holding this metric for ``session`` (TensorBoard's ``run_tag_from_session_and_metric``)."""
        run = os.path.join(session, self.group)
        return run[:-1] if run.endswith("/") else run


@dataclass
class HParamsTable:
    """``read_hparams``'s result: ``sessions`` in run order, the hparam and metric column names."""
    sessions: list[Session] = field(default_factory=list)
    hparam_names: list[str] = field(default_factory=list)
    metric_names: list[str] = field(default_factory=list)
    damaged: list[RecordError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sessions)

    def to_pandas(self):
        """A DataFrame with a row per session: ``run``, ``status``, each hparam, each metric.

        A hparam column is bool when every session has it as a bool (pandas' nullable
        ``boolean`` when some lack it), float64 for numbers (NaN where missing), else object.
        """
        from tbwriter.extras import optional

        with optional("to_pandas"):
            import pandas as pd

        table: dict[str, object] = {"run": [s.run for s in self.sessions],
                                    "status": [s.status for s in self.sessions]}
        for name in self.hparam_names:
            values = [s.hparams.get(name) for s in self.sessions]
            present = {type(v) for v in values if v is not None}
            if present == {bool}:
                table[name] = pd.array(values, dtype="boolean") if None in values else np.array(values, bool)
            elif present == {float}:
                table[name] = np.array([np.nan if v is None else v for v in values], np.float64)
            else:
                table[name] = np.array(values, dtype=object)
        for name in self.metric_names:
            table[name] = np.array([s.metrics.get(name, np.nan) for s in self.sessions], np.float64)
        return pd.DataFrame(table)


def read_hparams(path: str | os.PathLike, runs: str | None = None, *,
                 progress: Callable[[int, int], None] | None = None,
                 storage_options: dict[str, Any] | None = None) -> HParamsTable:
    """TensorBoard's HPARAMS table of the sessions under ``path``: ``read_hparams("runs").to_pandas()``.

    Args:
        path: a logdir (a session is a run, i.e. a directory of event files, holding hparams) or one event file.
        runs: a regular expression searched in run names; sessions and metric runs it excludes are left out.
        progress: called as ``progress(bytes_done, bytes_total)`` after each file.
        storage_options: for a URL ``path``, passed to fsspec's filesystem (credentials, endpoint...).
    """
    from tbwriter.reading.reader import read_session_inputs

    inputs = read_session_inputs(path, runs, progress=progress, storage_options=storage_options)
    table = build_table(inputs.contents, inputs.last_scalars)
    table.damaged = inputs.damaged
    return table


def build_table(contents: Mapping[str, Mapping[str, bytes | None]],
                last_scalars: Mapping[tuple[str, str], float]) -> HParamsTable:
    """The HPARAMS table from each run's hparams plugin contents (``{run: {tag: content}}``, the
    first value's) and the last value of each scalar series (``{(run, tag): value}``)."""
    from tbwriter._proto import hparams_pb2  # protobuf parses the plugin's payloads

    def parse(content: bytes | None):
        return hparams_pb2.HParamsPluginData.FromString(content or b"")

    experiments = [parse(tags[EXPERIMENT_TAG]).experiment for tags in contents.values() if EXPERIMENT_TAG in tags]
    starts = {run: parse(tags[START_TAG]).session_start_info for run, tags in contents.items() if START_TAG in tags}
    if experiments:  # TensorBoard picks one of them, whichever it loaded first; the union loses no column
        found: dict[tuple[str, str], MetricName] = {}
        for m in (m for e in experiments for m in e.metric_infos):
            found.setdefault((m.name.group, m.name.tag), MetricName(m.name.group, m.name.tag, m.display_name))
        metrics = list(found.values())
        names = list(dict.fromkeys(h.name for e in experiments for h in e.hparam_infos))
    else:
        metrics = _metrics_of_runs(set(starts), last_scalars)
        names = []
    hparams = {run: {k: v for k, v in ((k, _python(v)) for k, v in start.hparams.items()) if v is not None}
               for run, start in starts.items()}
    names += sorted({k for values in hparams.values() for k in values} - set(names))
    columns = _unique([m.column for m in metrics], taken={"run", "status", *names})
    table = HParamsTable(hparam_names=names, metric_names=columns)
    for run in starts:
        status = STATUS_NAMES.get(parse(contents[run].get(END_TAG)).session_end_info.status, "UNKNOWN")
        values = {column: value for column, value in
                  ((c, last_scalars.get((m.run_of(run), m.tag))) for m, c in zip(metrics, columns, strict=True))
                  if value is not None}
        table.sessions.append(Session(run, status, hparams[run], values))
    return table


def _metrics_of_runs(session_runs: set[str], last_scalars: Mapping[tuple[str, str], float]) -> list[MetricName]:
    """Every scalar tag of a session run or its sub-runs, as ``(group, tag)`` sorted (``_compute_metric_names``)."""
    found = set()
    for run, tag in last_scalars:
        session = _longest_parent(session_runs, run)
        if session is None:
            continue
        group = os.path.relpath(run, session)
        if group == "." and not run.endswith("."):
            group = ""
        found.add((tag, group))
    return [MetricName(group, tag) for tag, group in sorted(found)]


def _longest_parent(paths: set[str], path: str) -> str | None:
    """The longest of ``paths`` that is ``path`` or one of its parents (by name, as TensorBoard matches them)."""
    while path not in paths:
        if not path:
            return None
        path = os.path.dirname(path)
    return path


def _python(value) -> HParam | None:
    """A ``google.protobuf.Value`` as bool, str or float; None for NaN and kinds TensorBoard does not type."""
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        return value.bool_value
    if kind == "string_value":
        return value.string_value
    if kind == "number_value" and not np.isnan(value.number_value):
        return value.number_value
    return None


def _unique(names: list[str], taken: set[str]) -> list[str]:
    """``names`` with any that is already ``taken`` (or repeated) suffixed ``" (metric)"``, ``" (metric 2)"``..."""
    out, seen = [], set(taken)
    for name in names:
        new, n = name, 1
        while new in seen:
            new = f"{name} (metric)" if n == 1 else f"{name} (metric {n})"
            n += 1
        seen.add(new)
        out.append(new)
    return out
