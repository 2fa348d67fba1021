"""Histograms of tensors on a device (CUDA, ...), counted there: only a few hundred numbers come back.

    rows, nonfinite = device_histogram_rows(weight, "tensorflow", None)

Copying a 10M-element CUDA tensor to the host costs ~50 ms; counting its buckets on the GPU with torch
ops (``searchsorted`` against the edges, ``bincount``) and copying the counts, the min and the max is
work of about a millisecond (``python tools/bench.py gpu`` measures it). The rows are those
:func:`histogram.histogram_rows` makes of the same values, exactly (edges, counts, min and max): the
same edges, the same edge convention (a value equal to an edge goes to the bucket on its right; numpy's
last bin is closed), NaN and inf left out, -0.0 counted as 0.0.

Exact on a device without float64 compares: values whose dtype float32 holds exactly (float32,
float16, bfloat16, bool, 8- and 16-bit ints) are compared in float32 against each float64 edge
rounded *up* to float32; for a float32 ``v``, ``v >= e`` exactly when ``v >= ceil32(e)``. Wider
values (float64, int32, int64) are compared in float64, as the host path compares them.

Not on the device: numpy's data-dependent strategies (``"fd"``, ``"auto"``, ``"scott"``...) need
statistics (percentiles, standard deviations) whose float rounding depends on the order values
are added in, and ``torch.quantile`` refuses more than 16M elements, so they take the host path
(the tensor is copied); so do dtypes the device path does not handle (unsigned ints wider than
8 bits, complex, which the host path refuses) and empty tensors (refused there too).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tbwriter.writing.summaries import histogram
from tbwriter.writing.summaries.buckets import N_BUCKETS, TF_EDGES

_CHUNK = 1 << 24  # elements counted at a time: the temporaries of 50M floats would be ~1 GB of the GPU


def device_histogram_rows(values: Any, bins: object, max_bins: object) -> tuple[np.ndarray, int]:
    """``histogram.histogram_rows`` of torch tensor ``values``, counted on its device (any device, the CPU
    included, which the tests use): the same rows and non-finite count, or the same error.

        rows, nonfinite = device_histogram_rows(model.fc.weight, 64, None)
    """
    limit = histogram.max_bins_argument(max_bins)
    work = _work_dtype(values)
    if work is None or values.numel() == 0 or (isinstance(bins, str) and bins in histogram.STRATEGIES):
        return histogram.histogram_rows(values, bins, max_bins)
    flat = values.detach().reshape(-1)
    size = flat.numel()
    if isinstance(bins, str) and bins == "tensorflow":
        counts = _bucket_counts(flat, work, TF_EDGES, tf=True)
        nonfinite = int(counts[-1])
        histogram.check_some_finite(size, nonfinite)
        rows = histogram.tf_rows(counts[:N_BUCKETS], lambda: _finite_range(flat, work))
    else:
        lo, hi = _finite_range(flat, work)
        histogram.check_some_finite(size, size if lo > hi else 0)  # lo > hi: no finite value
        edges = histogram.bin_edges(bins, np.array([lo, hi]), limit)
        counts = _bucket_counts(flat, work, edges, tf=False)
        nonfinite = int(counts[-1])
        rows = histogram.edge_rows(edges, counts[1:-2], int(counts[0]), int(counts[-2]), lambda: (lo, hi))
    return (rows if limit is None else histogram.merge_rows(rows, limit)), nonfinite


def _work_dtype(values: Any) -> Any:
    """The dtype values are compared in (float32 where it holds them exactly, else float64), or None for
    the host path: dtypes it handles otherwise, and float64 on a device that has none (Apple's MPS)."""
    import torch
    dtype = values.dtype
    if dtype in (torch.float32, torch.float16, torch.bfloat16, torch.bool, torch.int8, torch.uint8, torch.int16):
        return torch.float32
    if dtype in (torch.float64, torch.int32, torch.int64) and values.device.type != "mps":
        return torch.float64
    return None


def _comparable(edges: np.ndarray, work: Any) -> tuple[np.ndarray, float]:
    """(edges to compare ``work`` values with, the value equal to the last edge or NaN if none can be).

    For float32 each edge is rounded up to a float32: a float32 ``v`` is ``>= e`` exactly when it is
    ``>= ceil32(e)`` (an edge beyond float32's range becomes ±inf or the largest float32, which keeps
    that true), so searchsorted finds the host path's bucket. Two edges may round to one float32:
    the bucket between them is empty, as it is for the host path.
    """
    import torch
    if work == torch.float64:
        return edges, float(edges[-1])
    with np.errstate(over="ignore"):
        up = edges.astype(np.float32)
        low = up.astype(np.float64) < edges
        up[low] = np.nextafter(up[low], np.float32(np.inf))
        last = up[-1] if float(up[-1]) == edges[-1] else np.float32(np.nan)
    return up, float(last)


def _finite_range(flat: Any, work: Any) -> tuple[float, float]:
    """(min, max) of the finite values of ``flat`` (inf, -inf if there is none), computed on its device."""
    import torch
    lows, highs = [], []
    for start in range(0, flat.numel(), _CHUNK):
        x = flat[start:start + _CHUNK].to(work)
        finite = torch.isfinite(x)
        lows.append(torch.where(finite, x, torch.inf).amin())
        highs.append(torch.where(finite, x, -torch.inf).amax())
    lo, hi = torch.stack([torch.stack(lows).amin(), torch.stack(highs).amax()]).tolist()  # waits for the device
    return lo, hi


def _bucket_counts(flat: Any, work: Any, edges: np.ndarray, tf: bool) -> np.ndarray:
    """Counts of ``flat`` over ``edges``, counted on its device; the last one is the non-finite values'.

    With ``tf``: the ``N_BUCKETS`` TF buckets ([-inf, e0) ... [e_last, inf)) before it. Else: the values
    below e0, np.histogram's bins (the last one closed), the values above e_last.
    """
    import torch
    compare, last = _comparable(edges, work)
    boundaries = torch.as_tensor(compare, device=flat.device).to(work)
    n = len(edges)
    counts = torch.zeros(n + 2, dtype=torch.int64, device=flat.device)
    for start in range(0, flat.numel(), _CHUNK):
        x = flat[start:start + _CHUNK].to(work)
        # How many edges are <= x: TF's bucket number, and for numpy's bins the bin number + 1.
        slot = torch.searchsorted(boundaries, x, right=True, out_int32=True)
        if not tf and last == last:  # a value equal to the last edge is in the last (closed) bin
            slot = torch.where(x == last, n - 1, slot)
        slot = torch.where(torch.isfinite(x), slot, n + 1)
        counts += torch.bincount(slot, minlength=n + 2)
    return counts.cpu().numpy()
