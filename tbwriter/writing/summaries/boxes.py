"""Images with boxes: the image with each box (and its label) drawn in red by Pillow, as torch's writer draws them.

    drawn = boxed_image(image_hwc_uint8, boxes, ["cat", "dog"], 1)
    value_bytes = boxed_value("detections", drawn)     # a v1 Summary.Image, as torch writes it

Boxes are ``(xmin, ymin, xmax, ymax)`` in pixels; each label sits in a red patch inside the
bottom left corner of its box, in Pillow's default font. Pillow is the ``media`` extra, imported here only.
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import ArgumentError
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries.metadata import image_proto, summary_value
from tbwriter.writing.summaries.png import encode_png


def _boxes(box_tensor: object) -> np.ndarray:
    boxes = array_argument(box_tensor, "box_tensor")
    if boxes.ndim == 1 and boxes.size == 4:
        boxes = boxes[np.newaxis]
    if boxes.ndim != 2 or boxes.shape[1] != 4 or boxes.dtype.kind not in "iuf" or not np.isfinite(boxes).all():
        raise ArgumentError("box_tensor", "must be finite numbers shaped (boxes, 4) as (xmin, ymin, xmax, ymax), "
                                          f"got {boxes.dtype} of shape {boxes.shape}")
    return boxes


def boxed_image(image: np.ndarray, box_tensor: object, labels: object, rescale: object) -> np.ndarray:
    """uint8 ``(H', W', C)``: ``image`` (uint8 ``(H, W, C)``) with the boxes drawn, then scaled by ``rescale``."""
    from tbwriter.extras import optional

    with optional("add_image_with_boxes"):  # the only call that draws boxes
        from PIL import Image, ImageDraw, ImageFont

    boxes = _boxes(box_tensor)
    if isinstance(labels, str):
        labels = [labels]
    if labels is not None:
        labels = [str(label) for label in labels]  # type: ignore[attr-defined]
        if len(labels) != len(boxes):
            raise ArgumentError("labels", f"{len(labels)} labels for {len(boxes)} boxes", sentence=True)
    if isinstance(rescale, bool) or not isinstance(rescale, (int, float)) or not rescale > 0:
        raise ArgumentError("rescale", f"must be a positive number, got {rescale!r}")
    height, width, channels = image.shape
    canvas = Image.fromarray(image[..., 0] if channels == 1 else image).convert("RGBA" if channels == 4 else "RGB")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default()
    for i, (left, top, right, bottom) in enumerate(boxes.tolist()):
        draw.line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)], width=2, fill="Red")
        if labels is not None and labels[i]:
            x0, y0, x1, y1 = font.getbbox(labels[i])
            margin = np.ceil(0.05 * (y1 - y0))
            draw.rectangle([(left, bottom - (y1 - y0) - 2 * margin), (left + x1 - x0, bottom)], fill="Red")
            draw.text((left + margin, bottom - (y1 - y0) - margin), labels[i], fill="black", font=font)
    if rescale != 1:
        canvas = canvas.resize((int(width * rescale), int(height * rescale)), Image.Resampling.LANCZOS)
    return np.asarray(canvas)


def boxed_value(tag: str, drawn: np.ndarray) -> bytes:
    """A ``Summary.Value`` holding the drawn image as a v1 ``Summary.Image`` PNG."""
    height, width, channels = drawn.shape
    return summary_value(tag, image=image_proto(height, width, channels, encode_png(drawn)))
