"""Which rank this process is, and the few collectives that keep callbacks in step across ranks.

    from tbwriter.writing import distributed
    me = distributed.detect()          # Ranks(rank=0, world_size=1, source='single process') alone
    if me.rank == 0:
        ...                            # what only one process should do
    stop = distributed.any_rank(stop, "fit")                                   # true everywhere if anywhere
    means = distributed.mean_over_ranks({"val_loss": 0.31}, "on_epoch_end")   # the same dict on every rank

The rank comes from ``torch.distributed`` when its process group is initialised, else from ``RANK`` /
``WORLD_SIZE`` (torchrun, Lightning, Accelerate), else from ``SLURM_PROCID`` / ``SLURM_NTASKS``; a single
process is rank 0 of 1. torch is never imported here: a process whose ``torch`` module is not loaded yet
cannot have initialised ``torch.distributed``, so the module is looked up, not imported.

Collectives run on the default process group, on the device its backend wants: CPU tensors for gloo
(and any backend that takes CPU tensors), the current CUDA device for NCCL.

Once this process is seen in an initialised process group, an exit hook frees a default group that
``destroy_process_group()`` destroyed but torch still references (see :func:`_free_destroyed_groups`), so
that its threads end before the interpreter finalizes, not during it.
"""
from __future__ import annotations

import atexit
import gc
import os
import sys
from types import FunctionType
from typing import Any, NamedTuple


class Ranks(NamedTuple):
    """This process's place in the job: ``rank`` of ``world_size``, and where that was read."""

    rank: int
    world_size: int
    source: str  # "torch.distributed", "RANK", "SLURM_PROCID" or "single process": for error messages


_ENV = (("RANK", "WORLD_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS"))


def detect() -> Ranks:
    """This process's rank and the number of ranks (see the module docstring for the order of sources).

        distributed.detect().rank == 0       # true in a single process and on the main rank
    """
    dist = _initialised()
    if dist is not None:
        return Ranks(dist.get_rank(), dist.get_world_size(), "torch.distributed")
    for rank_name, size_name in _ENV:
        if rank_name in os.environ:
            rank = _env_int(rank_name, 0)
            world = _env_int(size_name, 1) if size_name in os.environ else rank + 1
            if rank >= world:
                raise ValueError(f"tbwriter: {rank_name}={rank} is not below {size_name}={world}")
            return Ranks(rank, world, rank_name)
    return Ranks(0, 1, "single process")


def _env_int(name: str, lowest: int) -> int:
    text = os.environ[name]
    try:
        value = int(text)
    except ValueError:
        value = lowest - 1
    if value < lowest:
        raise ValueError(f"tbwriter: environment variable {name}={text!r} is not an integer >= {lowest}")
    return value


_exit_hooked = False  # whether _free_destroyed_groups is registered in this process


def _initialised() -> Any:
    """``torch.distributed`` if its default process group is initialised, else None; never imports torch."""
    global _exit_hooked
    torch = sys.modules.get("torch")
    dist = getattr(torch, "distributed", None)
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return None
    if not _exit_hooked:
        _exit_hooked = True
        atexit.register(_free_destroyed_groups)
    return dist


def _free_destroyed_groups() -> None:
    """At exit, once the default process group is destroyed: free it now, while the interpreter is intact.

    A destroyed group still referenced keeps its gloo threads into interpreter finalization, where one that
    finishes a collective late needs the GIL to free its tensors' Python objects: CPython ends it with
    ``pthread_exit`` inside a C++ destructor, which aborts the process ("terminate called without an active
    exception", issue 25). Two references outlive ``destroy_process_group()`` in ordinary scripts:
    ``torch.distributed.nn.functional``'s ``group=group.WORLD`` defaults, evaluated when it is first
    imported, which is after ``init_process_group`` when the first optimizer imports it (through
    torch._dynamo); and a DDP model no longer used, which is cyclic garbage. Such defaults become None
    (what these functions take for the default group) and a collection frees the garbage, so the group's
    threads are joined here. A group still initialised is the program's: left alone.
    """
    dist = sys.modules.get("torch.distributed")
    if dist is None or dist.is_initialized():
        return

    def held(value: object) -> bool:  # type() only: isinstance() reads __class__, which some aliases warn on
        return issubclass(type(value), dist.ProcessGroup)

    for name, module in list(sys.modules.items()):
        if name.startswith("torch.distributed."):
            for function in _functions(module):
                defaults, keywords = function.__defaults__ or (), function.__kwdefaults__ or {}
                if any(map(held, defaults)):
                    function.__defaults__ = tuple(None if held(d) else d for d in defaults)
                if any(map(held, keywords.values())):
                    function.__kwdefaults__ = {key: None if held(d) else d for key, d in keywords.items()}
    gc.collect()


def _functions(module: object) -> list[FunctionType]:
    """The functions of a module, its classes' methods included."""
    found = []
    for value in list(getattr(module, "__dict__", {}).values()):
        for member in list(vars(value).values()) if issubclass(type(value), type) else [value]:
            if type(member) is FunctionType:
                found.append(member)
    return found


def _group(who: str, me: Ranks) -> Any:
    """``torch.distributed`` for a collective among ``me.world_size`` ranks, or a clear error why not."""
    dist = _initialised()
    if dist is None:
        raise RuntimeError(f"{who}: {me.source} says this is rank {me.rank} of {me.world_size}, but "
                           "torch.distributed is not initialised: call torch.distributed.init_process_group() "
                           "before training, or pass sync='none' to CallbackList if your logs are already global")
    return dist


def collective_device(backend: str) -> Any:
    """Where a backend wants its tensors: CPU when it takes CPU tensors (gloo), else its current accelerator.

        collective_device("gloo")    # device(type='cpu')
        collective_device("nccl")    # device(type='cuda', index=torch.cuda.current_device())
    """
    import torch  # only called with a process group initialised, so torch is already imported

    devices = torch.distributed.Backend.backend_capability.get(backend, ["cpu"])  # "cpu:gloo,cuda:nccl" too
    if "cpu" in devices:
        return torch.device("cpu")
    accelerator = devices[0]  # "cuda" for nccl, "xpu" for xccl
    return torch.device(accelerator, getattr(torch, accelerator).current_device())


def _key_digest(keys: list[str]) -> int:
    """The same 64-bit number in every process for the same keys (``hash()`` of a str differs per process)."""
    import hashlib  # only under many ranks: `import tbwriter` stays quick

    # 63 bits: minus any of them is an int64 too
    return int.from_bytes(hashlib.blake2b("\0".join(keys).encode(), digest_size=8).digest(), "big") >> 1


def mean_over_ranks(values: dict[str, float], who: str) -> dict[str, float]:
    """The mean over all ranks of each value, the same on every rank; every rank must pass the same keys.

        means = mean_over_ranks({"loss": 0.3, "val_loss": 0.41}, "on_epoch_end")

    Two all_reduces whatever the number of keys: the largest and smallest digest of the key names (ranks
    that logged different keys get a ``ValueError`` naming them on every rank, not a hang in mismatched
    collectives), then the sum of the values packed in one float64 tensor.

    Args:
        values: metric name -> Python number, on this rank.
        who: the caller, named in errors (e.g. ``"CallbackList.on_epoch_end"``).
    """
    me = detect()
    if me.world_size == 1:
        return dict(values)
    dist = _group(who, me)
    import torch

    device = collective_device(str(dist.get_backend()))
    keys = sorted(values)
    digest = _key_digest(keys)
    extremes = torch.tensor([digest, -digest], dtype=torch.int64, device=device)
    dist.all_reduce(extremes, op=dist.ReduceOp.MAX)  # the largest digest and minus the smallest: equal if all are
    if extremes.tolist() != [digest, -digest]:
        every: list[Any] = [None] * me.world_size
        dist.all_gather_object(every, keys)  # every rank sees the mismatch, so every rank joins this one too
        listed = "; ".join(f"rank {r}: {', '.join(k) or '(none)'}" for r, k in enumerate(every))
        raise ValueError(f"{who}: the ranks logged different metrics, so they cannot be averaged ({listed}); "
                         "log the same keys on every rank")
    if not keys:
        return {}
    packed = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(packed)  # SUM; divided here so two ranks give exactly (a + b) / 2
    return dict(zip(keys, (packed / me.world_size).tolist(), strict=True))


def any_rank(flag: bool, who: str) -> bool:
    """True on every rank if ``flag`` is true on any rank (one all_reduce): ``stop = any_rank(stop, "fit")``.

    Args:
        flag: this rank's decision.
        who: the caller, named in errors.
    """
    me = detect()
    if me.world_size == 1:
        return bool(flag)
    dist = _group(who, me)
    import torch

    packed = torch.tensor([1.0 if flag else 0.0], dtype=torch.float64,
                          device=collective_device(str(dist.get_backend())))
    dist.all_reduce(packed, op=dist.ReduceOp.MAX)
    return bool(packed.item())


def barrier(who: str) -> None:
    """Wait until every rank gets here (one process: return at once).

        if distributed.detect().rank == 0:
            save(path)
        distributed.barrier("save")      # path is complete before any rank goes on to read it

    Args:
        who: the caller, named in errors.
    """
    me = detect()
    if me.world_size == 1:
        return
    dist = _group(who, me)
    if str(dist.get_backend()) == "nccl":  # NCCL's barrier must be told the device, or it guesses
        import torch
        dist.barrier(device_ids=[torch.cuda.current_device()])
    else:
        dist.barrier()
