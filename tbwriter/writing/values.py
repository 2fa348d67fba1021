"""Turn what users pass (Python, numpy, torch values) into plain Python numbers, or refuse clearly.

Nothing here imports numpy or torch: their objects are recognised by ``.item()``.

    to_float(np.float32(0.5))        # -> 0.5
    to_step(torch.tensor(3))         # -> 3
    to_step(1.5)                     # ArgumentTypeError: global_step must be an integer or a whole-number float, ...

The checks raise :class:`~tbwriter.errors.ArgumentError` (or ``ArgumentTypeError``) with the argument's name
and the reason only; the public method the user called adds its own name once (:mod:`~tbwriter.writing.calls`):
``add_scalar(tag='loss'): global_step must be an integer, got bool True``.
"""
from __future__ import annotations

import math
import numbers
import operator
import os
import re

from tbwriter.errors import ArgumentError, ArgumentTypeError

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
NAME_MAX = 255  # bytes in one file or directory name: the limit of ext4, APFS, NTFS and most others


def check_tag(tag: object) -> str:
    """``tag`` if it is a non-empty str that UTF-8 can encode, else ArgumentTypeError/ArgumentError."""
    if not isinstance(tag, str):
        raise ArgumentTypeError("tag", f"must be a str, got {type(tag).__name__} {tag!r}")
    if not tag:
        raise ArgumentError("tag", "must not be empty")
    check_utf8(tag, "tag")
    return tag


def check_utf8(text: str, what: str) -> None:
    """ArgumentError unless UTF-8 can encode ``text``: a lone surrogate (``"\\udc80"``) cannot, so no event holds it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _not_utf8(what, e) from None


def unencodable_tag(error: UnicodeEncodeError) -> ArgumentError:
    """The ArgumentError for the tag an encoder could not encode: ``raise unencodable_tag(e)``."""
    return _not_utf8("tag", error)


def _not_utf8(what: str, error: UnicodeEncodeError) -> ArgumentError:
    return ArgumentError(what, f"must be valid Unicode text, but character {error.object[error.start]!r} at "
                               f"position {error.start} is a lone surrogate, which UTF-8 cannot encode")


def check_inside(name: str, what: str, root: str) -> str:
    """``name`` if it is a relative path that stays inside directory ``root``, else an ArgumentError naming it.

        check_inside("nested/run", "run", "the logdir runs")   # -> "nested/run"

    Refused: empty, absolute, a ``..`` part (``/`` and ``\\`` both separate), NUL, the root itself
    (``.``), a lone surrogate (no file name holds one), and a part longer than ``NAME_MAX`` bytes, which the
    file system would refuse only after earlier files were written. One check for every name that becomes a
    path under a run directory.
    """
    parts = re.split(r"[\\/]", name)
    if not name or os.path.isabs(name) or ".." in parts or "\0" in name or not set(parts) - {"", "."}:
        raise ArgumentError(what, f"{name!r} must be a relative name inside {root} "
                                  "(no absolute path, no '..', no NUL, not '.')")
    try:
        longest = max(len(os.fsencode(part)) for part in parts)
    except UnicodeEncodeError as e:  # a lone surrogate that is no escaped byte of a file name
        raise ArgumentError(what, f"{name!r:.80} cannot be a file name inside {root}: character "
                                  f"{e.object[e.start]!r} is a lone surrogate, which no file name holds") from None
    if longest > NAME_MAX:
        raise ArgumentError(what, f"{name!r:.80} would make a file name of {longest} bytes inside {root}, "
                                  f"beyond the {NAME_MAX} bytes file systems allow; use a shorter one")
    return name


def to_seconds(value: object, name: str) -> float:
    """A positive, finite number of seconds (``flush_secs``); ArgumentTypeError/ArgumentError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(name, f"must be a positive number of seconds, got {type(value).__name__} "
                                      f"{value!r:.80}")
    seconds = float(value)
    if not 0 < seconds < math.inf:
        raise ArgumentError(name, f"must be a positive number of seconds, got {value!r}")
    return seconds


def to_float(value: object, name: str = "scalar_value") -> float:
    """A real number from Python/numpy/torch ``value``; NaN and ±inf pass as they are."""
    if isinstance(value, (int, float)):  # bool and numpy float64 included
        try:
            return float(value)
        except OverflowError:
            raise ArgumentError(name, f"{value} is too large for a float") from None
    if not isinstance(value, (str, bytes, complex)) and hasattr(value, "item"):
        try:
            item = value.item()
        except (ValueError, RuntimeError):  # numpy/torch: more than one element
            shape = tuple(getattr(value, "shape", ()))
            raise ArgumentError(name, f"must hold exactly one value, got {type(value).__name__} of shape {shape}"
                                ) from None
        if isinstance(item, (int, float)):
            return float(item)
        value = item
    elif isinstance(value, numbers.Real):
        return float(value)
    raise ArgumentTypeError(name, "must be a real number (int, float, numpy or torch scalar), "
                                  f"got {type(value).__name__} {value!r:.80}")


def to_step(step: object, name: str = "global_step") -> int:
    """An int64 step from ``step`` (None → 0, ints, numpy/torch integers, whole-number floats); 1.5 is refused."""
    if step is None:
        return 0
    if isinstance(step, bool):
        raise ArgumentTypeError(name, f"must be an integer, got {type(step).__name__} {step!r}")
    try:
        n = operator.index(step)  # type: ignore[arg-type]  # anything else raises TypeError
    except TypeError:
        item = getattr(step, "item", None) if not isinstance(step, float) else None
        number = item() if item is not None else step
        if isinstance(number, float) and number.is_integer():  # 3.0, np.float32(3), torch.tensor(3.0), as torch
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            raise ArgumentTypeError(name, "must be an integer or a whole-number float, "
                                          f"got {type(step).__name__} {step!r:.80}") from None
        n = number
    if not INT64_MIN <= n <= INT64_MAX:
        raise ArgumentError(name, f"{n} is outside the int64 range")
    return n


def to_walltime(walltime: object) -> float:
    """Seconds since the epoch as a float; ``None`` is handled by the caller (now)."""
    t = to_float(walltime, "walltime")
    if not math.isfinite(t):
        raise ArgumentError("walltime", f"must be finite, got {t}")
    return t
