"""Images: plugin ``images``, a rank-1 DT_STRING tensor ``[b"<width>", b"<height>", png, png, ...]``.

    batch = to_batch(img, "CHW", batched=False)            # -> uint8 array (N, H, W, C)
    batch = batch_of(cuda_img, "CHW", batched=False)        # -> DevicePixels: made uint8 on the GPU, copied later
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
from tbwriter.writing.summaries import pixels
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto
from tbwriter.writing.summaries.pixels import DevicePixels
from tbwriter.writing.summaries.png import encode_png

_IMAGES_METADATA = metadata("images", data_class=DataClass.BLOB_SEQUENCE)
_CHANNELS = (1, 3, 4)


def batch_of(img_tensor: object, dataformats: object, batched: bool) -> np.ndarray | DevicePixels:
    """uint8 ``(N, H, W, C)`` pixels of an image (or batch) laid out as ``dataformats``, checked now; for a tensor
    on a device (:func:`pixels.made_on_device`), :class:`~tbwriter.writing.summaries.pixels.DevicePixels` made
    there, its shape checked from its metadata (nothing waits for the device).

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
    source: Any = img_tensor
    if not pixels.made_on_device(img_tensor):
        try:
            source = to_numpy(img_tensor)
        except (TypeError, ValueError, RuntimeError) as e:
            raise ArgumentTypeError("img_tensor", "must be a numpy array or torch tensor, "
                                                  f"got {type(img_tensor).__name__}: {e}") from None
    return pixels.uint8(_nhwc(source, axes, dataformats))


def to_batch(img_tensor: object, dataformats: object, batched: bool) -> np.ndarray:
    """:func:`batch_of` on the host: a tensor on a device is copied now, once (as uint8)."""
    return pixels.on_host(batch_of(img_tensor, dataformats, batched))


def _nhwc(source: Any, axes: str, dataformats: str) -> Any:
    """``source`` (a numpy array or a torch tensor: only its shape is read) as (N, H, W, C), checked."""
    shape = tuple(source.shape)
    if len(shape) != len(axes):
        raise ArgumentError("dataformats", f"{dataformats!r} needs a {len(axes)}-d array, got shape {shape}")
    given = f"shape {shape} read as {dataformats!r}"
    if "C" not in axes:  # greyscale
        source, axes = source[..., None], axes + "C"
    if "N" not in axes:  # add_image: a batch of one
        source, axes = source[None], "N" + axes
    order = [axes.index(a) for a in "NHWC"]
    source = source.transpose(order) if isinstance(source, np.ndarray) else source.permute(order)
    n, height, width, channels = tuple(source.shape)
    if channels not in _CHANNELS:
        raise ArgumentError("images", f"need 1, 3 or 4 channels, got {channels} from {given}; is dataformats right?")
    if not (n and height and width):
        raise ArgumentError("img_tensor", f"is empty: {given}")
    return source


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
