"""The one place where the command line's strings become numbers: a clear one-line error for anything else.

    number("--smoothing", "0.9", 0, 1)              # -> 0.9; "nan", "inf", "2" and "x" are refused
    limits("--ylim", "0.8,", dates=False)           # -> (0.8, None)
    size("--size", "10x6")                          # -> (10.0, 6.0)

Every failure is a :class:`~tbwriter.cli.main.CommandError` naming the option and the text it got. Non-finite numbers
are refused everywhere: Python's ``float()`` takes ``nan`` and ``inf``, which no option means.
"""
from __future__ import annotations

import argparse
import json
import math

from tbwriter.errors import CommandError


def number(option: str, text: str, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite number in ``[low, high]`` from ``text``.

    Args:
        option: the option's name, for the message (``"--smoothing"``).
        text: what the user typed.
        low: the smallest value allowed.
        high: the largest value allowed.
    """
    value = _finite(text)
    if value is None or not low <= value <= high:
        span = f" in [{low:g}, {high:g}]" if math.isfinite(low) or math.isfinite(high) else ""
        raise CommandError(f"{option} {text!r}: expected a number{span}")
    return value


def limits(option: str, text: str | None, dates: bool = False) -> tuple[float | None, float | None] | None:
    """``"0,1"`` -> (0.0, 1.0); ``",5"`` -> (None, 5.0); None -> None.

    Args:
        option: the option's name, for the message.
        text: ``LO,HI``, either side may be empty.
        dates: also accept ISO 8601 dates (UTC), returned as seconds since the epoch.
    """
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise CommandError(f"{option} {text!r}: expected LO,HI (either may be empty)")
    low, high = (_limit(option, text, part.strip(), dates) for part in parts)
    return low, high


def _limit(option: str, text: str, part: str, dates: bool) -> float | None:
    if not part:
        return None
    value = _finite(part)
    if value is not None:
        return value
    if dates:
        import numpy as np
        try:
            return float(np.datetime64(part, "us").astype("int64")) / 1e6
        except ValueError:
            pass
    kind = "a number or an ISO date" if dates else "a number"
    raise CommandError(f"{option} {text!r}: {part!r} is not {kind}")


def size(option: str, text: str | None, largest: float = 100.0) -> tuple[float, float] | None:
    """``"10x6"`` -> (10.0, 6.0) inches; None -> None.

    Args:
        option: the option's name, for the message.
        text: ``WxH``.
        largest: the largest width or height allowed.
    """
    if text is None:
        return None
    sides = [_finite(side) for side in text.lower().split("x")]
    if len(sides) != 2 or None in sides:
        raise CommandError(f"{option} {text!r}: expected WxH in inches, e.g. 10x6")
    width, height = (float(side) for side in sides if side is not None)
    if not (0 < width <= largest and 0 < height <= largest):
        raise CommandError(f"{option} {text!r}: width and height must be in (0, {largest:g}] inches")
    return width, height


def _finite(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def add_storage_option(parser: argparse.ArgumentParser) -> None:
    """``--storage-option KEY=VALUE`` (repeatable) on a command that reads or writes a URL; read it with
    ``storage_options(args.storage_options)``."""
    parser.add_argument("--storage-option", dest="storage_options", action="append", metavar="KEY=VALUE",
                        help="an fsspec option for a URL logdir (VALUE read as JSON when it is, e.g. anon=true); "
                             "repeatable")


def storage_options(texts: list[str] | None) -> dict | None:
    """``--storage-option KEY=VALUE`` (repeatable) as fsspec's ``storage_options``: each VALUE read as JSON when it
    is JSON (``anon=true``, ``client_kwargs={"region_name": "eu-west-1"}``), else kept as a string.

        storage_options(["anon=true", "endpoint_url=http://127.0.0.1:9000"])
        # -> {"anon": True, "endpoint_url": "http://127.0.0.1:9000"}
    """
    if not texts:
        return None
    options = {}
    for text in texts:
        key, equals, value = text.partition("=")
        if not equals or not key.strip():
            raise CommandError(f"--storage-option {text!r}: expected KEY=VALUE (e.g. anon=true)")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options
