"""Argument checks shared by the callbacks: clear errors naming the callback, the argument and the value.

    count(patience, "EarlyStopping", "patience")          # an int >= 0, else TypeError/ValueError
    real_number(lr, "LearningRateScheduler", "schedule(3) result")
"""
from __future__ import annotations

import math
import operator

from tbwriter.callbacks.adapters import number


def count(value: object, who: str, name: str) -> int:
    """``value`` if it is an int >= 0 (bools refused)."""
    if type(value) is not int and not (hasattr(value, "__index__") and not isinstance(value, bool)):
        raise TypeError(f"{who}: {name} must be an int >= 0, got {type(value).__name__} {value!r:.80}")
    index = operator.index(value)  # numpy and torch integers too
    if index < 0:
        raise ValueError(f"{who}: {name} must be an int >= 0, got {value}")
    return index


def real_number(value: object, who: str, what: str) -> float:
    """``value`` as a finite float (ints, numpy and torch scalars too), else ValueError naming ``who``."""
    try:
        result = number(value)
    except (TypeError, ValueError):
        raise ValueError(f"{who}: {what} must be a real number, got {type(value).__name__} {value!r:.80}") from None
    if isinstance(value, (str, bytes)) or not math.isfinite(result):
        raise ValueError(f"{who}: {what} must be a finite real number, got {value!r:.80}")
    return result


def optional_real(value: object, who: str, name: str) -> float | None:
    return None if value is None else real_number(value, who, name)
