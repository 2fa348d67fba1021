"""What a plugin needs of a value to show it: a value of its tag that lacks it is damage, not a crash.

    reason = unreadable("images", point)   # None, or why the value cannot be shown as an image

A record can be sound (both CRCs hold, protobuf parses it) and still hold nonsense for its plugin: text
that is numbers, an image whose width is no number, an audio clip table without columns, hparams
metadata that is no ``HParamsPluginData``. Whether a value belongs to a plugin is known only once its
run is read (a tag's plugin is its first value's, and later values may carry no metadata), so the
reader asks here then, and reports each value that fails with the file and byte offset of its record
(:class:`~tbwriter.format.payloads.TensorPoint` keeps them).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tbwriter.format.payloads import TensorPoint

_INT64 = np.iinfo(np.int64)


def unreadable(plugin: str, point: TensorPoint) -> str | None:
    """Why ``point``, a value of a tag of ``plugin``, cannot be read as one; None when it can (or when
    the plugin asks nothing of its values): ``unreadable("text", point)``."""
    check = _CHECKS.get(plugin)
    if check is None:
        return point.problem
    return check(point)


def _strings(point: TensorPoint) -> str | None:
    """A tensor of strings, or no tensor at all (left out of the series as before)."""
    if point.problem:
        return point.problem
    if point.value is not None and point.value.dtype != object:
        return f"holds {point.value.dtype} numbers, not strings"
    return None


def _strings_shaped(shape_problem: Callable[[np.ndarray], str | None]) -> Callable[[TensorPoint], str | None]:
    """The check of a plugin whose values are tensors of strings of a shape that ``shape_problem`` checks."""
    def check(point: TensorPoint) -> str | None:
        problem = _strings(point)
        if problem or point.value is None:
            return problem
        return shape_problem(point.value)
    return check


def _image(v: np.ndarray) -> str | None:
    """``[b"<width>", b"<height>", encoded...]``, width and height decimal integers within int64."""
    if v.ndim != 1 or len(v) < 2:
        return f"shape {list(v.shape)} is not [2 + images]"
    for name, item in zip(("width", "height"), v[:2].tolist(), strict=True):
        try:
            number = int(item)
        except ValueError:
            return f"{name} {item[:24]!r} is no integer"
        if not _INT64.min <= number <= _INT64.max:
            return f"{name} {item[:24]!r} is out of range"
    return None


def _audio(v: np.ndarray) -> str | None:
    """Clips (one a row), alone or as the first column of ``[clips, labels]``."""
    if v.ndim not in (1, 2) or v.ndim == 2 and v.shape[1] == 0:
        return f"shape {list(v.shape)} is neither [clips] nor [clips, columns]"
    return None


def _hparams(point: TensorPoint) -> str | None:
    """Only the metadata counts (the tensor is empty): it must parse as ``HParamsPluginData``."""
    from tbwriter._proto import hparams_pb2  # protobuf: a required dependency

    try:
        hparams_pb2.HParamsPluginData.FromString(point.content or b"")
    except Exception:  # google.protobuf.message.DecodeError, or RecursionError on deep nesting
        return "plugin content is no HParamsPluginData"
    return None


_CHECKS: dict[str, Callable[[TensorPoint], str | None]] = {
    "text": _strings, "images": _strings_shaped(_image), "audio": _strings_shaped(_audio), "hparams": _hparams}
