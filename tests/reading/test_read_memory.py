"""Memory of a read: reused from one read to the next (reading/memory.py), never while anything still refers to it;
and what it peaks at, beyond the arrays it returns."""
import json
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


PEAK = """
import json, sys
import numpy as np
from tbwriter import read_scalars
from tbwriter.reading import filescan

def status(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(key + ":"))

filescan._WINDOW = int(sys.argv[2])
base = status("VmRSS")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM starts again from what is in memory now
data = read_scalars(sys.argv[1])
kept = sum(s.step.nbytes + s.wall_time.nbytes + s.value.nbytes for s in data.values())
print(json.dumps({"peak": status("VmHWM") - base, "result": kept, "points": sum(len(s) for s in data.values())}))
"""
MiB = 1 << 20


def write_large(directory, kind: str, size: int) -> int:
    """A log of ``size`` bytes or a little more: one ``add_scalar`` tag, or ``log_metrics`` of ten tags (long
    names, or short ones: the most values a byte). Returns how many points it holds."""
    tags = {"metrics": ["loss", "accuracy", "lr", "train/grad_norm", "val/loss_ema", "x", "epoch_time_seconds",
                        "a/b/c", "metric_9", "zz_top"], "dense": [f"m{i}" for i in range(10)]}.get(kind)
    step = 0
    with SummaryWriter(directory) as w:
        while sum(f.stat().st_size for f in directory.glob("*tfevents*")) < size:
            for _ in range(20000):
                if tags is None:
                    w.add_scalar("loss", step * 0.001, step)
                else:
                    w.log_metrics({t: step * 0.001 + i for i, t in enumerate(tags)}, step)
                step += 1
            w.flush()
    return step * (1 if tags is None else len(tags))


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux's per-process peak (VmHWM)")
@pytest.mark.parametrize("kind", ["one_tag", "metrics", "dense"])
def test_peak_memory_of_a_read_beyond_its_result_stays_under_twice_the_file(tmp_path, kind):
    """README "Reading logs back": memory peaks below twice the largest file, beyond the arrays returned. The
    window is made small so that a small file shows it: its scratch is then a constant of a few MiB."""
    points = write_large(tmp_path, kind, 24 * MiB)
    size = max(f.stat().st_size for f in tmp_path.glob("*tfevents*"))
    out = subprocess.run([sys.executable, "-c", PEAK, str(tmp_path), str(MiB)], capture_output=True, text=True,
                         check=True, timeout=300)
    found = json.loads(out.stdout)
    assert found["points"] == points
    assert found["peak"] - found["result"] <= 2 * size + 8 * MiB, (found, size)


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
