"""uint8 pixels from numbers: on the host for numpy arrays, on the device for a tensor there (one copy, 1 byte a pixel).

    batch = uint8(array_nhwc)            # numpy in: uint8 numpy out, checked
    pixels = uint8(cuda_images_nhwc)     # a tensor on a device: DevicePixels, made there
    packed = pixels.packed()             # on the device: uint8 pixels + what the host needs to check them
    batch = pixels.unpack(packed.cpu().numpy())    # or on_host(pixels): the same bytes as for numpy

Floats are read as [0, 1] (clipped, scaled by 255, rounded half to even), bools as 0/255, integers must
lie in 0..255. The device makes the host path's bytes exactly: the same operations in the same precision
(float16 and bfloat16 in float32, as on the host, whose float16 arithmetic would be off by one for some
pixels; float64 in float64). What the host path refuses by looking at the values (NaN or inf pixels,
integers outside 0..255) cannot be seen on the device without waiting for it, so the packed tensor carries
it after the pixels (a flag for floats, the minimum and maximum for integers) and :meth:`DevicePixels.unpack`
raises the host path's error, word for word, once the copy has landed: at the call when the caller copies
at once, else where the event is finished (:mod:`tbwriter.writing.deferred` then warns and drops it).

Dtypes made on the device: uint8, bool, int8 to int64, float16, bfloat16, float32, float64; others (unsigned
ints wider than 8 bits, float8, complex) are copied as they are and read on the host.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.writing import deferred

_INTS = ("int8", "int16", "int32", "int64")
_FLOATS = ("float16", "bfloat16", "float32", "float64")
_ON_DEVICE = frozenset(("uint8", "bool", *_INTS, *_FLOATS))
_RANGE_BYTES = 16  # an int tensor's minimum and maximum, as two int64


def to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 pixels of a numpy array: floats are read as [0, 1] (clipped, rounded), bools as 0/255, integers must
    be 0..255."""
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array
    if kind == "f":
        if not np.isfinite(array).all():
            raise _nonfinite()
        if array.dtype.itemsize < 4:  # float16 arithmetic would be off by one for some pixels
            array = array.astype(np.float32)
        return np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    if kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if kind in "iu":
        if array.size:
            _check_range(array.min(), array.max(), array.dtype)
        return array.astype(np.uint8)
    raise ArgumentTypeError("img_tensor", f"must hold uint8 [0, 255] or float [0, 1] pixels, got dtype {array.dtype}")


def _nonfinite() -> ArgumentError:
    return ArgumentError("float pixels", "must be finite, got NaN or inf")


def _check_range(low: object, high: object, dtype: object) -> None:
    if low < 0 or high > 255:  # type: ignore[operator]
        raise ArgumentError("integer pixels", f"must lie in 0..255, got {dtype} from {low} to {high}")


def made_on_device(value: object) -> bool:
    """Whether ``value`` is a tensor whose pixels :func:`uint8` makes on its device: one that
    :func:`deferred.on_device` names, of a dtype handled there."""
    return deferred.on_device(value) and _dtype_name(value) in _ON_DEVICE


def _dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).removeprefix("torch.")  # torch.int64 -> "int64", numpy's name for it


def uint8(source: Any) -> np.ndarray | DevicePixels:
    """uint8 pixels of a numpy array (checked now), or of a tensor :func:`made_on_device` (made there when
    asked: :meth:`DevicePixels.packed`, or :func:`on_host`). Either is C-contiguous, of ``source``'s shape."""
    if made_on_device(source):
        return DevicePixels(source)
    return np.ascontiguousarray(to_uint8(source))


def on_host(pixels: np.ndarray | DevicePixels) -> np.ndarray:
    """:func:`uint8`'s pixels as a numpy array; for a tensor on a device, one copy made now (it waits)."""
    return pixels if isinstance(pixels, np.ndarray) else pixels.unpack(pixels.packed().cpu().numpy())


class DevicePixels:
    """A tensor's pixels to be made uint8 on its device; ``shape`` is the shape :meth:`unpack` returns.

        pixels = DevicePixels(video)               # (N, T, C, H, W) floats on the GPU
        frames = pixels.unpack(pixels.packed().cpu().numpy())
    """

    def __init__(self, tensor: Any) -> None:
        self._tensor = tensor
        self.shape = tuple(tensor.shape)
        self._dtype = _dtype_name(tensor)

    def packed(self) -> Any:
        """A new 1-d uint8 tensor on the device: the pixels in C order, then the values' check. Queues the work
        on the current stream and never waits; the result sees the tensor as it is now (a later in-place change
        does not reach it). Called once: the tensor is let go, as its event may wait a while to be written."""
        import torch

        x, self._tensor = self._tensor.detach(), None
        tail = []
        if self._dtype == "bool":
            pixels = x.to(torch.uint8) * 255
        elif self._dtype in _FLOATS:
            if x.dtype.itemsize < 4:
                x = x.float()
            tail.append((~torch.isfinite(x)).any().to(torch.uint8).reshape(1))
            pixels = torch.round(x.clamp(0.0, 1.0) * 255.0).to(torch.uint8)  # half to even, as np.rint
        elif self._dtype in _INTS:
            low, high = torch.aminmax(x)
            tail.append(torch.stack([low, high]).to(torch.int64).view(torch.uint8))
            pixels = x.to(torch.uint8)  # wraps outside 0..255, which unpack refuses
        else:  # uint8
            pixels = x
        return torch.cat([pixels.reshape(-1), *tail])  # cat makes a new tensor: the snapshot

    def unpack(self, host: np.ndarray) -> np.ndarray:
        """The uint8 pixels, shaped ``shape``, from the host copy of :meth:`packed`; the host path's
        ArgumentError for NaN or inf pixels, or integers outside 0..255."""
        size = int(np.prod(self.shape))
        if self._dtype in _FLOATS and host[size]:
            raise _nonfinite()
        if self._dtype in _INTS:
            low, high = np.frombuffer(host[size:size + _RANGE_BYTES].tobytes(), np.int64).tolist()
            _check_range(low, high, self._dtype)
        return host[:size].reshape(self.shape)
