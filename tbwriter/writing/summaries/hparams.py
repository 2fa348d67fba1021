"""Hyperparameter sessions: plugin ``hparams``, the session's start and end written into a run.

    hparams = check_hparams({"lr": 0.1, "opt": "adam", "bn": True}, None)
    start = session_start_value(hparams, time.time())   # tag _hparams_/session_start_info
    end = session_end_value("SUCCESS", time.time())      # tag _hparams_/session_end_info

No ``_hparams_/experiment`` summary is written: TensorBoard reads only one per logdir, which
would hide the columns of every other run. Without one, it derives the columns from the start
infos of all runs and the metrics from the scalar tags of the session runs.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataType
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tbwriter.writing.values import check_utf8

START_TAG, END_TAG = "_hparams_/session_start_info", "_hparams_/session_end_info"
STATUSES = {"SUCCESS": 1, "FAILURE": 2}  # SessionEndInfo.Status values a session can end with
_EMPTY_TENSOR = tensor_proto(DataType.DT_FLOAT, (0,))  # what TensorBoard's own hparams summaries carry

HParam = bool | str | float


def _hparam(value: object, key: str) -> HParam:
    """bool, str or float from Python, numpy or torch scalars; ArgumentTypeError for anything else."""
    if not isinstance(value, (bool, str, int, float)) and hasattr(value, "item") and not getattr(value, "ndim", 0):
        value = value.item()  # numpy scalars, 0-d arrays and tensors
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        if not math.isfinite(number):
            raise ArgumentError(f"hparam {key!r}", f"must be finite, got {value!r}")
        return number
    raise ArgumentTypeError(f"hparam {key!r}", "must be a bool, str, int, float or numpy scalar, "
                                              f"got {type(value).__name__} {value!r:.80}")


def check_hparams(hparam_dict: object, domain_discrete: object) -> dict[str, HParam]:
    """The hparams as bool/str/float by name, names and texts encodable as UTF-8; each value must lie in its
    ``domain_discrete`` list if one is given."""
    if not isinstance(hparam_dict, Mapping) or not hparam_dict:
        raise ArgumentTypeError("hparam_dict", "must be a non-empty mapping of name to value, "
                                               f"got {type(hparam_dict).__name__} {hparam_dict!r:.80}")
    hparams = {}
    for key, value in hparam_dict.items():
        if not isinstance(key, str) or not key:
            raise ArgumentTypeError("hparam names", f"must be non-empty str, got {key!r}")
        hparams[key] = _hparam(value, key)
    for key, value in hparams.items():
        check_utf8(key, f"hparam name {key!r}")
        if isinstance(value, str):
            check_utf8(value, f"hparam {key!r} value {value!r}")
    if domain_discrete is None:
        return hparams
    if not isinstance(domain_discrete, Mapping):
        raise ArgumentTypeError("hparam_domain_discrete", "must be a mapping of name to list of values, "
                                                          f"got {type(domain_discrete).__name__}")
    for key, values in domain_discrete.items():
        if key not in hparams:
            raise ArgumentError("hparam_domain_discrete", f"names {key!r}, which is not in hparam_dict")
        if not isinstance(values, (list, tuple)) or not values:
            raise ArgumentTypeError(f"hparam_domain_discrete[{key!r}]", f"must be a non-empty list, got {values!r:.80}")
        allowed = [_hparam(v, key) for v in values]
        if hparams[key] not in allowed or any(type(a) is not type(hparams[key]) for a in allowed):
            raise ArgumentError(f"hparam {key!r}", f"= {hparam_dict[key]!r} is not one of its "
                                                   f"hparam_domain_discrete values {list(values)!r:.200}")
    return hparams


def _plugin_value(tag: str, plugin_data) -> bytes:
    return summary_value(tag, metadata("hparams", plugin_data.SerializeToString()), tensor=_EMPTY_TENSOR)


def session_start_value(hparams: Mapping[str, HParam], start_time: float) -> bytes:
    """A ``Summary.Value`` with the ``SessionStartInfo`` of a session with these (checked) hparams."""
    from tbwriter._proto import hparams_pb2  # protobuf is only needed here, off the import path

    data = hparams_pb2.HParamsPluginData(version=0)
    start = data.session_start_info
    start.start_time_secs = start_time
    for key, value in hparams.items():
        if isinstance(value, bool):
            start.hparams[key].bool_value = value
        elif isinstance(value, str):
            start.hparams[key].string_value = value
        else:
            start.hparams[key].number_value = value
    return _plugin_value(START_TAG, data)


def session_end_value(status: str, end_time: float) -> bytes:
    """A ``Summary.Value`` with the ``SessionEndInfo``: ``session_end_value("FAILURE", time.time())``."""
    from tbwriter._proto import hparams_pb2

    data = hparams_pb2.HParamsPluginData(version=0)
    data.session_end_info.status = STATUSES[status]
    data.session_end_info.end_time_secs = end_time
    return _plugin_value(END_TAG, data)
