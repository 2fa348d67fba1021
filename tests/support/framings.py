"""The ways the reader finds records and checks their CRCs: for the ``framing`` fixture (tests/conftest.py)
and for a CLI run in a subprocess that is to read the same way.

    reason = unavailable("kernel")             # why this machine cannot read that way, or None
    for target, name, value in patches("numpy"): ...
    python -c "from tests.support.framings import use; use('numpy'); ..."   # a subprocess, for good
"""
from __future__ import annotations

import functools

WAYS = ("kernel", "kernel-table", "numpy")  # the C scan with the CRC instruction, with its table, numpy


def unavailable(way: str) -> str | None:
    """Why this machine cannot read ``way``, or None when it can."""
    from tbwriter.reading import index

    if way == "numpy":
        return None
    if index.KERNEL is None:
        return "the C scan was not built (no compiler at install)"
    if way == "kernel" and not index.KERNEL.HARDWARE:
        return "this CPU has no CRC-32C instruction"
    return None


def patches(way: str) -> list[tuple[object, str, object]]:
    """``(module, attribute, value)`` to set so that reading goes ``way``."""
    from tbwriter.reading import filescan, index

    if way == "numpy":  # as without a compiler: no C at all (framing, skim, plain scalars)
        return [(index, "KERNEL", None)]
    if way == "kernel-table":
        return [(filescan, "index_records", functools.partial(index.index_with_kernel, hardware=False))]
    return []


def use(way: str) -> None:
    """Read ``way`` from now on in this process (a subprocess of a test)."""
    for target, name, value in patches(way):
        setattr(target, name, value)
