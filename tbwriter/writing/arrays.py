"""Arrays from what users hand us: numpy arrays, nested lists, torch tensors (torch is never imported).

    to_numpy(model.fc.weight)      # detached, on the CPU; bfloat16 becomes float32
    to_numpy([[1, 2], [3, 4]])
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import ArgumentTypeError


def to_numpy(value: object) -> np.ndarray:
    """``value`` as a numpy array; a torch tensor on any device and of any dtype is recognised by duck typing."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        tensor = value.detach().cpu()
        try:
            return tensor.numpy()
        except TypeError:  # bfloat16 and other dtypes numpy lacks
            return tensor.float().numpy()
    return np.asarray(value)


def array_argument(value: object, name: str) -> np.ndarray:
    """``to_numpy(value)``, or an ArgumentTypeError naming the argument: ``array_argument(snd, "snd_tensor")``."""
    try:
        return to_numpy(value)
    except (TypeError, ValueError, RuntimeError) as e:  # ragged lists, objects numpy cannot take
        raise ArgumentTypeError(name, "must be a numpy array, torch tensor or list of numbers, "
                                      f"got {type(value).__name__}: {e}") from None
