"""A small PNG encoder (8-bit grey, grey+alpha, RGB, RGBA) on the stdlib's zlib: no Pillow needed.

    png_bytes = encode_png(pixels)          # pixels: uint8 array of shape (H, W, C), C in 1..4

Every row uses the "Up" filter (the byte-wise difference to the row above): numpy computes it
for the whole image in one subtraction, and it compresses smooth images and plots nearly as
well as PNG's per-row adaptive filtering, which would cost a Python loop over rows.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+alpha, RGB, RGBA)
_FILTER_UP = 2
ZLIB_LEVEL = 6  # zlib's default: level 1 saves little time on images this size and compresses worse


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 ``(height, width, channels)`` array: ``encode_png(np.zeros((2, 3, 3), np.uint8))``."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in _COLOR_TYPE:
        raise ValueError(f"encode_png: expected a uint8 (H, W, 1..4) array, got {pixels.dtype} {pixels.shape}")
    height, width, channels = pixels.shape
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), np.uint8)
    filtered[:, 0] = _FILTER_UP
    filtered[0, 1:] = rows[0]  # the row above the first is taken as zeros
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # uint8 arithmetic wraps modulo 256, as PNG wants
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    return (_SIGNATURE + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(filtered.tobytes(), ZLIB_LEVEL)) + _chunk(b"IEND", b""))
