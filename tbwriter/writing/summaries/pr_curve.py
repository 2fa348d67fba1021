"""Precision-recall curves: plugin ``pr_curves``, a ``[6, num_thresholds]`` DT_FLOAT tensor.

    n = thresholds(127)
    curve = curve_from_predictions(labels, predictions, n, None)   # float64 (6, 127)
    curve = curve_from_counts([tp, fp, tn, fn, precision, recall])
    value_bytes = pr_curve_value("pr", curve, n)

Rows: true/false positive and true/false negative counts, precision, recall at each threshold
``i / (num_thresholds - 1)`` — the numbers torch's writer computes, bucketed with one
``np.bincount`` instead of two weighted ``np.histogram`` passes.
"""
from __future__ import annotations

import numpy as np

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataType
from tbwriter.writing.arrays import array_argument
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

MAX_THRESHOLDS = 127  # torch caps num_thresholds here
_MINIMUM_COUNT = 1e-7  # torch's and TensorBoard's floor of the precision and recall denominators


def _array(value: object, name: str) -> np.ndarray:
    array = array_argument(value, name)
    if array.dtype.kind not in "biuf":
        raise ArgumentTypeError(name, f"must hold numbers, got dtype {array.dtype}")
    return array


def thresholds(num_thresholds: object) -> int:
    """``num_thresholds`` as torch uses it: an int >= 2, capped at 127."""
    if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)):
        raise ArgumentTypeError("num_thresholds", f"must be an int, got {type(num_thresholds).__name__}")
    if num_thresholds < 2:
        raise ArgumentError("num_thresholds", f"must be at least 2, got {num_thresholds}")
    return min(int(num_thresholds), MAX_THRESHOLDS)


def curve_from_predictions(labels: object, predictions: object, num_thresholds: int, weights: object) -> np.ndarray:
    """The ``(6, num_thresholds)`` float64 curve of ``predictions`` in [0, 1] against true/false ``labels``.

    A prediction ``p`` falls in bucket ``floor(p * (num_thresholds - 1))``, computed in the
    predictions' own dtype as torch computes it; predictions outside [0, 1] and NaN count
    nowhere, as in torch. ``weights`` (one per prediction, or a scalar) weigh each count.
    """
    labels_array = _array(labels, "labels").reshape(-1)
    predictions_array = _array(predictions, "predictions").reshape(-1)
    if labels_array.shape != predictions_array.shape:
        raise ArgumentError("labels and predictions", "must have as many elements, got "
                                                      f"{labels_array.size} and {predictions_array.size}")
    weight = None if weights is None else _array(weights, "weights").astype(np.float64)
    if weight is not None and weight.size != 1 and weight.size != labels_array.size:
        raise ArgumentError("weights", "must be one number or one per prediction, "
                                       f"got {weight.size} for {labels_array.size} predictions")
    top = num_thresholds - 1
    scaled = predictions_array * top
    lowest, highest = scaled.min(initial=0), scaled.max(initial=0)
    with np.errstate(invalid="ignore"):
        if not (lowest >= 0 and highest <= top):  # some prediction outside [0, 1], or NaN
            scaled = np.floor(scaled)
            inside = (scaled >= 0) & (scaled <= top)  # NaN compares False: left out
            scaled, labels_array = scaled[inside], labels_array[inside]
            if weight is not None and weight.size > 1:
                weight = weight.reshape(-1)[inside]
    indices = scaled.astype(np.intp)  # truncation: the floor of these non-negative values
    kind = labels_array.dtype.kind
    tp_buckets: np.ndarray
    fp_buckets: np.ndarray
    if weight is None and (kind == "b" or kind in "iu" and 0 <= labels_array.min(initial=0)
                           and labels_array.max(initial=0) <= 1):
        # 0/1 labels without weights: one integer count over (bucket, label) pairs
        indices *= 2
        indices += labels_array
        pairs = np.bincount(indices, minlength=2 * num_thresholds).astype(np.float64)
        tp_buckets, fp_buckets = pairs[1::2], pairs[0::2]
    else:
        positive = labels_array.astype(np.float64)
        w = 1.0 if weight is None else weight.reshape(-1) if weight.size > 1 else weight.reshape(())
        tp_buckets = np.bincount(indices, weights=np.broadcast_to(positive * w, indices.shape),
                                 minlength=num_thresholds)
        fp_buckets = np.bincount(indices, weights=np.broadcast_to((1.0 - positive) * w, indices.shape),
                                 minlength=num_thresholds)
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def curve_from_counts(rows: list[object]) -> np.ndarray:
    """The six rows of ``add_pr_curve_raw`` (tp, fp, tn, fn, precision, recall) stacked; each is one per threshold."""
    names = ("true_positive_counts", "false_positive_counts", "true_negative_counts", "false_negative_counts",
             "precision", "recall")
    arrays = [_array(row, name).reshape(-1).astype(np.float64)
              for row, name in zip(rows, names, strict=True)]
    lengths = {a.size for a in arrays}
    if len(lengths) != 1 or not arrays[0].size:
        raise ArgumentError("the six rows", f"must have one (non-zero) length, got {[a.size for a in arrays]}")
    return np.stack(arrays)


def pr_curve_value(tag: str, curve: np.ndarray, num_thresholds: int) -> bytes:
    """A ``Summary.Value`` holding the curve as TensorBoard's pr_curves plugin reads it."""
    from tbwriter._proto import plugins_pb2

    content = plugins_pb2.PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    tensor = tensor_proto(DataType.DT_FLOAT, curve.shape, curve.astype("<f4").tobytes())
    return summary_value(tag, metadata("pr_curves", content), tensor=tensor)
