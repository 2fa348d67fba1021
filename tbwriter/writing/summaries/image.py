"""Images: plugin ``images``, a rank-1 DT_STRING tensor ``[b"<width>", b"<height>", png, png, ...]``.

    batch = to_batch(img, "CHW", batched=False)            # -> uint8 array (N, H, W, C)
    value_bytes = image_value("photo", batch)               # one PNG per image of the batch
    batch = figure_batch(fig, True, "curve")                # matplotlib figure(s), rendered by Agg, closed

TensorBoard shows a tensor holding several PNGs as one card with a slider over the samples.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataClass, DataType
from tbwriter.writing.arrays import to_numpy
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tbwriter.writing.summaries.png import encode_png

_IMAGES_METADATA = metadata("images", data_class=DataClass.BLOB_SEQUENCE)
_CHANNELS = (1, 3, 4)


def to_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 pixels: floats are read as [0, 1] (clipped, rounded), bools as 0/255, integers must be 0..255."""
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array
    if kind == "f":
        if not np.isfinite(array).all():
            raise ArgumentError("float pixels", "must be finite, got NaN or inf")
        if array.dtype.itemsize < 4:  # float16 arithmetic would be off by one for some pixels
            array = array.astype(np.float32)
        return np.rint(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
    if kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if kind in "iu":
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ArgumentError("integer pixels", f"must lie in 0..255, got {array.dtype} from {array.min()} to "
                                                  f"{array.max()}")
        return array.astype(np.uint8)
    raise ArgumentTypeError("img_tensor", f"must hold uint8 [0, 255] or float [0, 1] pixels, got dtype {array.dtype}")


def to_batch(img_tensor: object, dataformats: object, batched: bool) -> np.ndarray:
    """uint8 ``(N, H, W, C)`` pixels from an image (or batch) laid out as ``dataformats``.

    ``dataformats`` names each axis once: N (batch, only when ``batched``: ``add_images``), C (channels:
    1, 3 or 4; left out for greyscale), H and W, in any order, e.g. "CHW", "HWC", "HW", "NCHW".
    """
    if not isinstance(dataformats, str):
        raise ArgumentTypeError("dataformats", f"must be a str such as 'CHW', got {type(dataformats).__name__}")
    axes = dataformats.upper()
    allowed = "NCHW" if batched else "CHW"
    if sorted(set(axes)) != sorted(axes) or not set("HW") <= set(axes) <= set(allowed) or (batched and "N" not in axes):
        need = "N, H and W, and optionally C" if batched else "H and W, and optionally C (use add_images for a batch)"
        raise ArgumentError("dataformats", f"must name {need}, each once; got {dataformats!r}")
    try:
        array = to_numpy(img_tensor)
    except (TypeError, ValueError, RuntimeError) as e:
        raise ArgumentTypeError("img_tensor", "must be a numpy array or torch tensor, "
                                              f"got {type(img_tensor).__name__}: {e}") from None
    if array.ndim != len(axes):
        raise ArgumentError("dataformats", f"{dataformats!r} needs a {len(axes)}-d array, got shape {array.shape}")
    given = f"shape {array.shape} read as {dataformats!r}"
    if "C" not in axes:  # greyscale
        array, axes = array[..., np.newaxis], axes + "C"
    if "N" not in axes:  # add_image: a batch of one
        array, axes = array[np.newaxis], "N" + axes
    array = array.transpose([axes.index(a) for a in "NHWC"])
    n, height, width, channels = array.shape
    if channels not in _CHANNELS:
        raise ArgumentError("images", f"need 1, 3 or 4 channels, got {channels} from {given}; is dataformats right?")
    if not (n and height and width):
        raise ArgumentError("img_tensor", f"is empty: {given}")
    return np.ascontiguousarray(to_uint8(array))


def image_value(tag: str, batch: np.ndarray) -> bytes:
    """A ``Summary.Value`` holding each image of a uint8 ``(N, H, W, C)`` batch as a PNG."""
    _, height, width, _ = batch.shape
    pngs = [encode_png(image) for image in batch]
    tensor = tensor_proto(DataType.DT_STRING, (2 + len(pngs),),
                          string_val=[str(width).encode(), str(height).encode(), *pngs])
    return summary_value(tag, _IMAGES_METADATA, tensor=tensor)


def _render(figure: Any) -> np.ndarray:
    """RGBA pixels of a matplotlib figure drawn by Agg; the figure keeps its own canvas."""
    from tbwriter.extras import optional

    with optional("add_figure"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

    previous = figure.canvas
    try:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        pixels = np.array(canvas.buffer_rgba())
    finally:
        figure.set_canvas(previous)  # an interactive figure stays interactive
    return pixels


def figure_batch(figure: Any, close: bool) -> np.ndarray:
    """uint8 ``(N, H, W, C)`` pixels of one matplotlib figure or a list of them (all of one size)."""
    figures = list(figure) if isinstance(figure, (list, tuple)) else [figure]
    if not figures or not all(hasattr(f, "canvas") and hasattr(f, "set_canvas") for f in figures):
        raise ArgumentTypeError("figure", "must be a matplotlib Figure or a non-empty list of them, "
                                          f"got {type(figure).__name__}")
    images = [_render(f) for f in figures]
    if len({im.shape for im in images}) > 1:
        sizes = ", ".join(f"{im.shape[1]}x{im.shape[0]}" for im in images)
        raise ArgumentError("figure", f"the figures of a list must have one size in pixels, got {sizes}",
                            sentence=True)
    batch = np.stack(images)
    if (batch[..., 3] == 255).all():  # opaque, as figures mostly are: RGB makes smaller PNGs
        batch = batch[..., :3]
    if close:
        pyplot = sys.modules.get("matplotlib.pyplot")  # only pyplot-managed figures need closing
        for f in figures:
            if pyplot is not None and getattr(f.canvas, "manager", None) is not None:
                pyplot.close(f)
    return batch
