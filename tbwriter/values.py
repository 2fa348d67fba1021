"""Turn what users pass (Python, numpy, torch values) into plain Python numbers, or refuse clearly.

Nothing here imports numpy or torch: their objects are recognised by ``.item()``.

    to_float(np.float32(0.5), "add_scalar", "loss")   # -> 0.5
    to_step(torch.tensor(3), "add_scalar", "loss")    # -> 3
"""
from __future__ import annotations

import math
import numbers
import operator

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1


def _where(method: str, tag: object) -> str:
    return f"{method}(tag={tag!r})"


def check_tag(tag: object, method: str) -> str:
    """``tag`` if it is a non-empty str, else TypeError/ValueError naming ``method``."""
    if not isinstance(tag, str):
        raise TypeError(f"{method}: tag must be a str, got {type(tag).__name__} {tag!r}")
    if not tag:
        raise ValueError(f"{method}: tag must not be empty")
    return tag


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
