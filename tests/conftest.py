import functools
import os

import hypothesis
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")

# Every property test is reproducible: the same examples on every run and machine, and no example database
# carried from one run to the next (a failure replayed from it made CI fail at random on code that was right).
hypothesis.settings.register_profile("tbwriter", derandomize=True, database=None)
hypothesis.settings.load_profile("tbwriter")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(params=["kernel", "kernel-table", "numpy"])
def framing(request, monkeypatch):
    """Read with each way of finding records and checking their CRCs: the C scan with the CRC instruction
    and with its table, and numpy (what runs without a compiler)."""
    from tbwriter import reader
    from tbwriter.reading import index

    if request.param == "numpy":  # as without a compiler: no C at all (framing, skim, plain scalars)
        monkeypatch.setattr(index, "KERNEL", None)
    elif index.KERNEL is None:
        pytest.skip("the C scan was not built (no compiler at install)")
    elif request.param == "kernel-table":
        monkeypatch.setattr(reader, "index_records", functools.partial(index.index_with_kernel, hardware=False))
    elif not index.KERNEL.HARDWARE:
        pytest.skip("this CPU has no CRC-32C instruction")
    return request.param
