"""Video: an animated GIF in a v1 ``Summary.Image``, which TensorBoard's images tab shows playing.

    frames = to_frames(vid)                          # (N, T, C, H, W) -> uint8 (T, H', W', C), N tiled as torch
    clips = clips_of(cuda_vid)                       # DevicePixels: made uint8 on the GPU; tiled(...) once copied
    value_bytes = video_value("clip", frames, fps=4)

The GIF is encoded by Pillow (the ``media`` extra, imported here only) with one palette for
all frames, so colours do not flicker from frame to frame. A clip of at most 256 colours gets
exactly its colours; a richer one gets Pillow's fast-octree palette over every frame (median cut
came out as close, within 1%, but 1000x slower on noise: seconds for 16 frames of 64x64).
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np

from tbwriter.errors import ArgumentError
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries import pixels
from tbwriter.writing.summaries.metadata import image_proto, summary_value
from tbwriter.writing.summaries.pixels import DevicePixels


def clips_of(vid_tensor: object) -> np.ndarray | DevicePixels:
    """uint8 pixels of a ``(N, T, C, H, W)`` batch of clips (C: 1, 3 or 4), checked now; for a tensor on a device
    (:func:`pixels.made_on_device`), :class:`~tbwriter.writing.summaries.pixels.DevicePixels` made there, its
    shape checked from its metadata. uint8 pixels are taken as they are, floats are read as [0, 1] (clipped,
    rounded), as ``add_image`` reads them."""
    source: Any = vid_tensor if pixels.made_on_device(vid_tensor) else array_argument(vid_tensor, "vid_tensor")
    shape = tuple(source.shape)
    if len(shape) != 5 or 0 in shape:
        raise ArgumentError("vid_tensor", f"must be a non-empty (N, T, C, H, W) array, got shape {shape}")
    if shape[2] not in (1, 3, 4):
        raise ArgumentError("vid_tensor", f"needs 1, 3 or 4 channels on axis 2 (N, T, C, H, W), got shape {shape}")
    return pixels.uint8(source)


def tiled(clips: np.ndarray) -> np.ndarray:
    """uint8 frames ``(T, H, W, C)`` of uint8 clips ``(N, T, C, H, W)``, tiled as torch tiles them: N is padded
    with black clips to a power of two, laid out in ``2 ** ((N.bit_length() - 1) // 2)`` rows."""
    n, t, c, h, w = clips.shape
    padded = 1 << (n - 1).bit_length()
    if padded != n:
        clips = np.concatenate([clips, np.zeros((padded - n, t, c, h, w), np.uint8)])
    rows = 2 ** ((n.bit_length() - 1) // 2)
    tiles = clips.reshape(rows, padded // rows, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return np.ascontiguousarray(tiles.reshape(t, rows * h, padded // rows * w, c))


def to_frames(vid_tensor: object) -> np.ndarray:
    """uint8 frames ``(T, H, W, C)`` of a ``(N, T, C, H, W)`` batch of clips: :func:`clips_of`, on the host (a
    tensor on a device is copied now, once, as uint8), :func:`tiled`."""
    return tiled(pixels.on_host(clips_of(vid_tensor)))


def need_pillow() -> None:
    """Raise now, at the call, if Pillow is missing: a clip copied later is encoded where nobody can be told."""
    from tbwriter.extras import optional

    with optional("add_video"):
        import PIL.Image  # noqa: F401


def check_fps(fps: object) -> float:
    """Frames per second: a positive number."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float, np.integer, np.floating)) or not 0 < fps < 1e4:
        raise ArgumentError("fps", f"must be a positive number, got {fps!r}")
    return float(fps)


def gif_bytes(frames: np.ndarray, fps: float) -> bytes:
    """An animated GIF of uint8 ``(T, H, W, C)`` frames that loops forever (imports Pillow, for _indexed too)."""
    from tbwriter.extras import optional

    with optional("add_video"):
        from PIL import Image

    t, h, w, c = frames.shape
    if c == 1:
        images = [Image.fromarray(frame[..., 0], "L") for frame in frames]
    else:  # GIF has no alpha: RGBA keeps its RGB
        codes, palette = _indexed(np.ascontiguousarray(frames[..., :3]))
        images = []
        for frame in codes:
            image = Image.fromarray(frame, "P")
            image.putpalette(palette)
            images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps),
                   loop=0, optimize=False)
    return out.getvalue()


def _indexed(rgb: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Palette indices ``(T, H, W)`` of RGB frames and the one palette (flat RGB list) they share."""
    from PIL import Image

    t, h, w, _ = rgb.shape
    wide = rgb.reshape(-1, 3).astype(np.uint32)
    colours, codes = np.unique(wide[:, 0] << 16 | wide[:, 1] << 8 | wide[:, 2], return_inverse=True)
    if colours.size <= 256:  # exact
        palette = np.stack([colours >> 16, colours >> 8 & 255, colours & 255], axis=1).astype(np.uint8)
        return codes.reshape(t, h, w).astype(np.uint8), palette.reshape(-1).tolist()
    strip = Image.fromarray(rgb.reshape(t * h, w, 3), "RGB")
    indexed = strip.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    return np.asarray(indexed).reshape(t, h, w), indexed.getpalette() or []


def video_value(tag: str, frames: np.ndarray, fps: float) -> bytes:
    """A ``Summary.Value`` holding the GIF in ``Summary.Image`` (height, width, channels as torch records them)."""
    _, h, w, c = frames.shape
    return summary_value(tag, image=image_proto(h, w, c, gif_bytes(frames, fps)))
