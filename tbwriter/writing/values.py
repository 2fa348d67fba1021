"""Turn what users pass (Python, numpy, torch values) into plain Python numbers, or refuse clearly.

Nothing here imports numpy or torch: their objects are recognised by ``.item()``.

    to_float(np.float32(0.5), "add_scalar", "loss")   # -> 0.5
    to_step(torch.tensor(3), "add_scalar", "loss")    # -> 3
"""
from __future__ import annotations

import math
import numbers
import operator
import os
import re

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
NAME_MAX = 255  # bytes in one file or directory name: the limit of ext4, APFS, NTFS and most others


def _where(method: str, tag: object) -> str:
    return f"{method}(tag={tag!r})"


def check_tag(tag: object, method: str) -> str:
    """``tag`` if it is a non-empty str that UTF-8 can encode, else TypeError/ValueError naming ``method``."""
    if not isinstance(tag, str):
        raise TypeError(f"{method}: tag must be a str, got {type(tag).__name__} {tag!r}")
    if not tag:
        raise ValueError(f"{method}: tag must not be empty")
    check_utf8(tag, f"{method}(tag={tag!r})", "tag")
    return tag


def check_utf8(text: str, where: str, what: str) -> None:
    """ValueError unless UTF-8 can encode ``text``: a lone surrogate (``"\\udc80"``) cannot, so no event holds it."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise _not_utf8(where, what, e) from None


def unencodable_tag(method: str, error: UnicodeEncodeError) -> ValueError:
    """The ValueError for the tag an encoder could not encode: ``raise unencodable_tag("add_scalar", e)``."""
    return _not_utf8(f"{method}(tag={error.object!r})", "tag", error)


def _not_utf8(where: str, what: str, error: UnicodeEncodeError) -> ValueError:
    return ValueError(f"{where}: {what} must be valid Unicode text, but character {error.object[error.start]!r} "
                      f"at position {error.start} is a lone surrogate, which UTF-8 cannot encode")


def check_inside(name: str, where: str, what: str, root: str) -> str:
    """``name`` if it is a relative path that stays inside directory ``root``, else a ValueError naming it.

        check_inside("nested/run", "convert_csv", "run", "the logdir runs")   # -> "nested/run"

    Refused: empty, absolute, a ``..`` part (``/`` and ``\\`` both separate), NUL, the root itself
    (``.``), a lone surrogate (no file name holds one), and a part longer than ``NAME_MAX`` bytes, which the
    file system would refuse only after earlier files were written. One check for every name that becomes a
    path under a run directory.
    """
    parts = re.split(r"[\\/]", name)
    if not name or os.path.isabs(name) or ".." in parts or "\0" in name or not set(parts) - {"", "."}:
        raise ValueError(f"{where}: {what} {name!r} must be a relative name inside {root} "
                         "(no absolute path, no '..', no NUL, not '.')")
    try:
        longest = max(len(os.fsencode(part)) for part in parts)
    except UnicodeEncodeError as e:  # a lone surrogate that is no escaped byte of a file name
        raise ValueError(f"{where}: {what} {name!r:.80} cannot be a file name inside {root}: character "
                         f"{e.object[e.start]!r} is a lone surrogate, which no file name holds") from None
    if longest > NAME_MAX:
        raise ValueError(f"{where}: {what} {name!r:.80} would make a file name of {longest} bytes inside {root}, "
                         f"beyond the {NAME_MAX} bytes file systems allow; use a shorter one")
    return name


def to_seconds(value: object, method: str, name: str) -> float:
    """A positive, finite number of seconds (``flush_secs``); TypeError/ValueError naming ``method`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{method}: {name} must be a positive number of seconds, got {type(value).__name__} "
                        f"{value!r:.80}")
    seconds = float(value)
    if not 0 < seconds < math.inf:
        raise ValueError(f"{method}: {name} must be a positive number of seconds, got {value!r}")
    return seconds


def to_float(value: object, method: str, tag: object, name: str = "scalar_value") -> float:
    """A real number from Python/numpy/torch ``value``; NaN and ±inf pass as they are."""
    if isinstance(value, (int, float)):  # bool and numpy float64 included
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"{_where(method, tag)}: {name} {value} is too large for a float") from None
    if not isinstance(value, (str, bytes, complex)) and hasattr(value, "item"):
        try:
            item = value.item()
        except (ValueError, RuntimeError):  # numpy/torch: more than one element
            shape = tuple(getattr(value, "shape", ()))
            raise ValueError(f"{_where(method, tag)}: {name} must hold exactly one value, "
                             f"got {type(value).__name__} of shape {shape}") from None
        if isinstance(item, (int, float)):
            return float(item)
        value = item
    elif isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{_where(method, tag)}: {name} must be a real number "
                    f"(int, float, numpy or torch scalar), got {type(value).__name__} {value!r:.80}")


def to_step(step: object, method: str, tag: object) -> int:
    """An int64 step from ``step`` (None → 0, ints, numpy/torch integers, whole-number floats); 1.5 is refused."""
    if step is None:
        return 0
    if isinstance(step, bool):
        raise TypeError(f"{_where(method, tag)}: global_step must be an integer, got {type(step).__name__} {step!r}")
    try:
        n = operator.index(step)  # type: ignore[arg-type]  # anything else raises TypeError
    except TypeError:
        item = getattr(step, "item", None) if not isinstance(step, float) else None
        number = item() if item is not None else step
        if isinstance(number, float) and number.is_integer():  # 3.0, np.float32(3), torch.tensor(3.0), as torch
            number = int(number)
        if not isinstance(number, int) or isinstance(number, bool):
            raise TypeError(f"{_where(method, tag)}: global_step must be an integer or a whole-number float, "
                            f"got {type(step).__name__} {step!r:.80}") from None
        n = number
    if not INT64_MIN <= n <= INT64_MAX:
        raise ValueError(f"{_where(method, tag)}: global_step {n} is outside the int64 range")
    return n


def to_walltime(walltime: object, method: str, tag: object) -> float:
    """Seconds since the epoch as a float; ``None`` is handled by the caller (now)."""
    t = to_float(walltime, method, tag, "walltime")
    if not math.isfinite(t):
        raise ValueError(f"{_where(method, tag)}: walltime must be finite, got {t}")
    return t
