"""Memory reused from one read to the next (reading/memory.py): never while anything still refers to it."""
import mmap
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_histograms, read_images, read_scalars, read_tensors, read_text
from tbwriter.reading import memory

pytestmark = pytest.mark.skipif(not hasattr(mmap, "MADV_HUGEPAGE"), reason="no huge pages here: nothing is reused")

SIZE = 3 << 20  # above the size from which memory is kept


def address(array: np.ndarray) -> int:
    return array.__array_interface__["data"][0]


def test_memory_still_referred_to_is_not_lent_again_and_free_memory_is(monkeypatch):
    monkeypatch.setattr(memory, "_kept", [])
    first = memory.empty((SIZE,), np.uint8)
    first[:] = 7
    where = address(first)
    view = first[100:200]  # a view keeps the memory in use after the array itself is gone
    del first
    second = memory.empty((SIZE // 8,), np.int64)
    second[:] = -1
    assert address(second) != where
    assert (view == 7).all()
    exported = memoryview(view)  # so does a buffer exported from a view
    del view, second
    third = memory.empty((SIZE,), np.uint8)
    assert address(third) != where
    del exported, third
    assert address(memory.empty((SIZE,), np.uint8)) == where  # nothing refers to it now: lent again


def write_log(directory, seed: int) -> None:
    rng = np.random.default_rng(seed)
    with SummaryWriter(directory) as w:
        for step in range(120):
            w.add_scalar("loss", float(rng.normal()), step)
            w.log_metrics({"a": float(rng.normal()), "b": float(rng.normal())}, step)
            w.add_histogram("weights", rng.normal(size=4000), step)
            w.add_image("noise", rng.integers(0, 255, (3, 96, 96), dtype=np.uint8), step)  # the bulk of the bytes
            if step % 20 == 0:
                w.add_text("note", f"step {step} of run {seed}", step)
                w.add_pr_curve("pr", rng.integers(0, 2, 50), rng.random(50), step)


READERS = [read_scalars, read_histograms, read_text, read_images, lambda path: read_tensors(path, plugin="pr_curves")]


@pytest.mark.parametrize("read", READERS, ids=["scalars", "histograms", "text", "images", "tensors"])
def test_what_a_read_returned_is_not_changed_by_later_reads(tmp_path, read):
    write_log(tmp_path / "a", 1)
    write_log(tmp_path / "b", 2)
    assert min(f.stat().st_size for f in tmp_path.glob("*/*tfevents*")) > SIZE  # so its memory is kept
    kept = read(tmp_path / "a")
    assert kept
    before = pickle.dumps(dict(kept))
    for _ in range(3):  # the same sizes: each read could take the memory the first one used
        assert pickle.dumps(dict(read(tmp_path / "b"))) != before
    assert pickle.dumps(dict(kept)) == before
    assert pickle.dumps(dict(read(tmp_path / "a"))) == before


def test_exact_mode_hands_out_plain_arrays_of_exactly_their_size_and_reads_the_same(tmp_path):
    # TBWRITER_EXACT_MEMORY=1 is how tools/c_loops.sh lets AddressSanitizer see the end of every buffer
    write_log(tmp_path, 3)
    probe = f"""
import pickle, sys
import numpy as np
from tbwriter import read_scalars, read_histograms
from tbwriter.reading import memory
array = memory.empty(({SIZE} // 8,), np.int64)
assert memory.EXACT and array.base is None and array.nbytes == {SIZE}, (memory.EXACT, array.base)
padded = np.zeros(100, np.uint8)
with memory.fenced(padded, 90):  # without ASan in the process: nothing to do, nothing refused
    assert padded[95] == 0
sys.stdout.buffer.write(pickle.dumps((dict(read_scalars(sys.argv[1])), dict(read_histograms(sys.argv[1])))))
"""
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, check=True,
                         env=dict(os.environ, TBWRITER_EXACT_MEMORY="1"))
    assert out.stdout == pickle.dumps((dict(read_scalars(tmp_path)), dict(read_histograms(tmp_path))))
