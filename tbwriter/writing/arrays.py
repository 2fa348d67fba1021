"""Arrays from what users hand us: numpy arrays, nested lists, torch tensors (torch is never imported).

    to_numpy(model.fc.weight)      # detached, on the CPU; bfloat16 becomes float32
    to_numpy([[1, 2], [3, 4]])

A tensor on a device is copied once: a dtype numpy lacks (bfloat16, float8) is made float32 on the device first,
so that nothing is converted after the copy. (Images, videos and embeddings' sprites make uint8 pixels on the
device instead: :mod:`tbwriter.writing.summaries.pixels`.)
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import ArgumentTypeError

_NUMPY_FLOATS = ("torch.float16", "torch.float32", "torch.float64")  # the float dtypes numpy has


def to_numpy(value: object) -> np.ndarray:
    """``value`` as a numpy array; a torch tensor on any device and of any dtype is recognised by duck typing."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        tensor = value.detach()
        if tensor.dtype.is_floating_point and str(tensor.dtype) not in _NUMPY_FLOATS:
            tensor = tensor.float()  # on its device, before the one copy
        tensor = tensor.cpu()
        try:
            return tensor.numpy()
        except TypeError:  # other dtypes numpy lacks (complex32)
            return tensor.float().numpy()
    return np.asarray(value)


def array_argument(value: object, name: str) -> np.ndarray:
    """``to_numpy(value)``, or an ArgumentTypeError naming the argument: ``array_argument(snd, "snd_tensor")``."""
    try:
        return to_numpy(value)
    except (TypeError, ValueError, RuntimeError) as e:  # ragged lists, objects numpy cannot take
        raise ArgumentTypeError(name, "must be a numpy array, torch tensor or list of numbers, "
                                      f"got {type(value).__name__}: {e}") from None
