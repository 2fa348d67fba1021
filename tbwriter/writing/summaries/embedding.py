"""Embeddings: the files TensorBoard's projector reads, laid out as torch's writer lays them out.

    files, single = embedding_files(mat, metadata, label_img, None)                    # {"tensors.tsv": ...}
    subdir = embedding_subdir("default", 3)                                             # "00003/default"
    text = projector_config(old_text, "default", 3, subdir, set(files), single)        # projector_config.pbtxt

``tensors.tsv`` holds one row per point, each value with 9 significant digits (it reads back as
the same float32); ``metadata.tsv`` one label per point, or a header and rows of columns;
``sprite.png`` the label images on a square grid. ``projector_config.pbtxt`` at the run's root
lists every embedding the run has, across calls, steps and writers.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries import pixels
from tbwriter.writing.summaries.png import encode_png

CONFIG_NAME = "projector_config.pbtxt"


def embedding_subdir(tag: str, step: int) -> str:
    """``<step, 5 digits>/<tag>`` with ``%``, ``/`` and ``\\`` escaped as torch escapes them."""
    escaped = tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")
    return f"{step:05d}/{escaped}"


def _matrix(mat: object) -> np.ndarray:
    array = array_argument(mat, "mat")
    if array.ndim != 2 or not array.size:
        raise ArgumentError("mat", f"must be a non-empty 2-d (points, dimensions) array, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError("mat", f"must hold numbers, got dtype {array.dtype}")
    return array.astype(np.float32)


def _tsv_rows(rows: np.ndarray) -> bytes:
    line = "\t".join(["%.9g"] * rows.shape[1]) + "\n"
    return ((line * len(rows)) % tuple(rows.ravel().tolist())).encode()  # one formatting pass over every value


def _metadata_tsv(metadata: object, header: object, points: int) -> bytes:
    labels = list(metadata)  # type: ignore[call-overload]
    if len(labels) != points:
        raise ArgumentError("metadata", f"has {len(labels)} labels for {points} points")
    if not header:
        lines = [str(label) for label in labels]
    else:
        columns = list(header)  # type: ignore[call-overload]
        for i, row in enumerate(labels):
            if isinstance(row, str) or not hasattr(row, "__len__") or len(row) != len(columns):
                raise ArgumentError("metadata", f"with metadata_header of {len(columns)} columns, each metadata "
                                                f"row must have {len(columns)} values; row {i} is {row!r:.80}",
                                    sentence=True)
        lines = ["\t".join(str(v) for v in row) for row in [columns, *labels]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sprite(label_img: object, points: int) -> tuple[bytes, int, int]:
    """The sprite PNG (a square grid, ceil(sqrt(N)) images a row, torch's layout) and one image's width, height."""
    # A tensor on a device is made uint8 there and copied once, now: the files are written by the call.
    source: Any = label_img if pixels.made_on_device(label_img) else array_argument(label_img, "label_img")
    shape = tuple(source.shape)
    if len(shape) != 4 or shape[1] not in (1, 3) or shape[0] != points:
        raise ArgumentError("label_img", f"must be (points, 1 or 3, height, width) with {points} points, "
                                         f"got shape {shape}")
    images = pixels.on_host(pixels.uint8(source))
    n, c, h, w = images.shape  # grey stays one channel: a third of the PNG to compress (torch makes it RGB)
    cols = math.ceil(n ** 0.5)
    rows = math.ceil(n / cols)
    grid = np.zeros((rows * cols, h, w, c), np.uint8)
    grid[:n] = images.transpose(0, 2, 3, 1)
    grid = grid.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4).reshape(rows * h, cols * w, c)
    square = np.zeros((cols * w, cols * w, c), np.uint8)  # torch pads the grid to a square of its width
    square[: min(rows * h, cols * w)] = grid[: cols * w]
    return encode_png(square), w, h


def embedding_files(mat: object, metadata: object, label_img: object,
                    metadata_header: object) -> tuple[dict[str, bytes], tuple[int, int] | None]:
    """The files of one embedding by name, and a sprite image's (width, height) if ``label_img`` is given."""
    matrix = _matrix(mat)
    files = {"tensors.tsv": _tsv_rows(matrix)}
    if metadata is not None:
        files["metadata.tsv"] = _metadata_tsv(metadata, metadata_header, len(matrix))
    single = None
    if label_img is not None:
        files["sprite.png"], width, height = _sprite(label_img, len(matrix))
        single = (width, height)
    return files, single


def projector_config(existing: str | None, tag: str, step: int, subdir: str, names: set[str],
                     single_image: tuple[int, int] | None) -> str:
    """``projector_config.pbtxt`` text: the run's earlier embeddings (``existing``) plus this one.

    An earlier entry of the same tag and step is replaced; a file that is not a projector
    config raises ArgumentError rather than being overwritten.
    """
    from google.protobuf import text_format

    from tbwriter._proto import plugins_pb2

    config = plugins_pb2.ProjectorConfig()
    if existing:
        try:
            text_format.Parse(existing, config)
        except text_format.ParseError as e:
            raise ArgumentError(CONFIG_NAME, f"the run's {CONFIG_NAME} is not a projector config: {e}",
                                sentence=True) from None
    name = f"{tag}:{step:05d}"
    kept = [e for e in config.embeddings if e.tensor_name != name]
    del config.embeddings[:]
    config.embeddings.extend(kept)
    info = config.embeddings.add(tensor_name=name, tensor_path=f"{subdir}/tensors.tsv")
    if "metadata.tsv" in names:
        info.metadata_path = f"{subdir}/metadata.tsv"
    if single_image is not None:
        info.sprite.image_path = f"{subdir}/sprite.png"
        info.sprite.single_image_dim.extend(single_image)
    return text_format.MessageToString(config)
