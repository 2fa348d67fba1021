"""The ``add_*`` methods of what TensorBoard draws from numbers: histograms, precision-recall curves, raw tensors
and custom scalar layouts. A part of :class:`~tbwriter.SummaryWriter` (see :mod:`~tbwriter.writing.calls`).

    w.add_histogram("weights", model.fc.weight, step)
    w.add_pr_curve("pr", labels, predictions, step)

The summaries modules import numpy and protobuf, so they are imported on first use: ``import tbwriter`` stays
fast for those who only log scalars.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping

from tbwriter.errors import WriterWarning
from tbwriter.writing.calls import MAKER_STACKLEVEL, SummaryCalls, names_errors
from tbwriter.writing.values import to_float


class ChartCalls(SummaryCalls):
    """Histograms, precision-recall curves, raw tensors and custom scalar layouts: a part of ``SummaryWriter``."""

    @names_errors
    def add_histogram(self, tag: str, values: object, global_step: int | None = None,
                      bins: object = "tensorflow", walltime: float | None = None,
                      max_bins: int | None = None) -> None:
        """Log the distribution of ``values``: ``w.add_histogram("weights", model.fc.weight, step)``.

        ``values``: numpy array, nested list or torch tensor (any device or dtype). ``bins``:
        "tensorflow" (default), an int, a numpy strategy name ("auto", "fd", ...) or a
        sequence of edges. Every finite value is counted (outer buckets catch values beyond
        the edges); NaN/inf are left out with one warning. See tbwriter.writing.summaries.histogram.

        Args:
            tag: the histogram's name.
            values: the numbers to count (numpy, nested list or torch tensor).
            global_step: see *Common arguments* above.
            bins: "tensorflow", an int, a numpy strategy name or a sequence of edges.
            walltime: see *Common arguments* above.
            max_bins: merge neighbouring buckets into at most this many rows.
        """
        self._write(tag, global_step, walltime, _histogram, tag, values, bins, max_bins)

    @names_errors
    def add_histogram_raw(self, tag: str, min: object, max: object, num: object, sum: object,
                          sum_squares: object, bucket_limits: object, bucket_counts: object,
                          global_step: int | None = None, walltime: float | None = None) -> None:
        """Log a histogram you have already bucketed (torch's arguments: right edges and counts).

            w.add_histogram_raw("h", min=0.5, max=3.5, num=6, sum=12.0, sum_squares=28.5,
                                bucket_limits=[1, 2, 4], bucket_counts=[1, 2, 3], global_step=0)

        Stored as TensorBoard's Python loader reads torch's form (empty end buckets dropped,
        ``min``/``max`` as the outer edges); ``sum`` and ``sum_squares`` are checked but not
        stored: TensorBoard 2 shows neither.

        Args:
            tag: the histogram's name.
            min: the smallest value counted.
            max: the largest value counted.
            num: how many values; must equal ``sum(bucket_counts)``.
            sum: checked as a number, not stored.
            sum_squares: checked as a number, not stored.
            bucket_limits: the right edge of each bucket.
            bucket_counts: the count of each bucket.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        self._write(tag, global_step, walltime, _raw_histogram, tag, min, max, num, sum, sum_squares, bucket_limits,
                    bucket_counts)

    @names_errors
    def add_pr_curve(self, tag: str, labels: object, predictions: object, global_step: int | None = None,
                     num_thresholds: int = 127, weights: object = None, walltime: float | None = None) -> None:
        """Log a precision-recall curve of ``predictions`` against true/false ``labels``.

            w.add_pr_curve("pr", labels=np.array([0, 1, 1]), predictions=np.array([0.1, 0.6, 0.9]), global_step=0)

        Args:
            tag: the curve's name.
            labels: the true classes, bool or 0/1 (numpy, torch or list), one per prediction.
            predictions: probabilities in [0, 1]; values outside it count nowhere, as in torch.
            global_step: see *Common arguments* above.
            num_thresholds: thresholds from 0 to 1 (at least 2; torch's cap of 127 applies).
            weights: one weight per prediction, or one for all; None weighs each 1.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import pr_curve

        def value() -> bytes:
            n = pr_curve.thresholds(num_thresholds)
            return pr_curve.pr_curve_value(tag, pr_curve.curve_from_predictions(labels, predictions, n, weights), n)

        self._write(tag, global_step, walltime, value)

    @names_errors
    def add_pr_curve_raw(self, tag: str, true_positive_counts: object, false_positive_counts: object,
                         true_negative_counts: object, false_negative_counts: object, precision: object,
                         recall: object, global_step: int | None = None, num_thresholds: int = 127,
                         weights: object = None, walltime: float | None = None) -> None:
        """Log a precision-recall curve you have computed: six sequences, one value per threshold.

            w.add_pr_curve_raw("pr_raw", [3, 2, 0], [2, 1, 0], [0, 1, 2], [0, 1, 3], [0.6, 0.67, 0], [1, 0.67, 0])

        Args:
            tag: the curve's name.
            true_positive_counts: one value per threshold, as all six sequences (all of one length).
            false_positive_counts: one value per threshold.
            true_negative_counts: one value per threshold.
            false_negative_counts: one value per threshold.
            precision: one value per threshold.
            recall: one value per threshold.
            global_step: see *Common arguments* above.
            num_thresholds: recorded in the metadata as torch records it (capped at 127).
            weights: accepted for torch's signature; torch ignores it too.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import pr_curve

        rows = [true_positive_counts, false_positive_counts, true_negative_counts, false_negative_counts, precision,
                recall]
        self._write(tag, global_step, walltime, lambda: pr_curve.pr_curve_value(
            tag, pr_curve.curve_from_counts(rows), pr_curve.thresholds(num_thresholds)))

    @names_errors
    def add_tensor(self, tag: str, tensor: object, global_step: int | None = None,
                   walltime: float | None = None) -> None:
        """Log a raw tensor (plugin ``tensor``): ``w.add_tensor("weights", model.fc.weight, step)``.

        Args:
            tag: the tensor's name.
            tensor: a numpy array or torch tensor of floats, ints or complex numbers, any shape.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import tensor as tensors

        self._write(tag, global_step, walltime, tensors.tensor_value, tag, tensor)

    @names_errors(tag=None)
    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, list]]) -> None:
        """Lay out charts of scalar tags in the CUSTOM SCALARS tab.

            w.add_custom_scalars({"Loss": {"train and val": ["Multiline", ["loss/train", "loss/val"]],
                                           "band": ["Margin", ["loss", "loss_low", "loss_high"]]}})

        Args:
            layout: ``{category: {chart title: [kind, tags]}}``; kind ``"Multiline"`` draws the tags
                (regular expressions) in one chart, ``"Margin"`` a value with its lower and upper tags.
        """
        from tbwriter.writing.summaries import custom_scalars

        self._write(custom_scalars.TAG, 0, None, custom_scalars.layout_value, layout)

    def add_custom_scalars_multilinechart(self, tags: list[str], category: str = "default",
                                          title: str = "untitled") -> None:
        """One multiline chart: ``w.add_custom_scalars_multilinechart(["loss/train", "loss/val"], "Loss", "both")``.

        Args:
            tags: the scalar tags (regular expressions) drawn in the chart.
            category: the section the chart goes in.
            title: the chart's title.
        """
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags: list[str], category: str = "default",
                                       title: str = "untitled") -> None:
        """One margin chart: ``w.add_custom_scalars_marginchart(["loss", "loss_low", "loss_high"], "Loss", "band")``.

        Args:
            tags: three scalar tags: the value, its lower and its upper bound.
            category: the section the chart goes in.
            title: the chart's title.
        """
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    @property
    def default_bins(self) -> list[float]:
        """torch's default histogram edges (``±1e-12·1.1^k`` up to 1e20, and 0): what ``bins="tensorflow"`` uses."""
        from tbwriter.writing.summaries.buckets import TF_EDGES

        return TF_EDGES.tolist()


# Summary values whose making warns or takes several steps; _write calls them once the tag, step and wall time are
# checked. A warning names the public call and comes before anything is written: a warnings filter set to "error"
# refuses the call cleanly.


def _histogram(tag: str, values: object, bins: object, max_bins: object) -> bytes:
    from tbwriter.writing.summaries import histogram  # imports numpy on first use: `import tbwriter` stays quick

    if getattr(getattr(values, "device", None), "type", "cpu") != "cpu" and hasattr(values, "detach"):
        from tbwriter.writing.summaries import device_histogram  # counted on the device: only counts come back

        rows, nonfinite = device_histogram.device_histogram_rows(values, bins, max_bins)
    else:
        rows, nonfinite = histogram.histogram_rows(values, bins, max_bins)
    if nonfinite:
        warnings.warn(f"add_histogram(tag={tag!r}): left out {nonfinite} non-finite value(s) (NaN/inf) "
                      f"of {int(rows[:, 2].sum()) + nonfinite}", WriterWarning, stacklevel=MAKER_STACKLEVEL)
    return histogram.tensor_value(tag, rows)


def _raw_histogram(tag: str, min: object, max: object, num: object, sum: object, sum_squares: object,
                   bucket_limits: object, bucket_counts: object) -> bytes:
    from tbwriter.writing.summaries import histogram

    lo, hi, n, _, _ = (to_float(v, name) for v, name in (
        (min, "min"), (max, "max"), (num, "num"), (sum, "sum"), (sum_squares, "sum_squares")))
    return histogram.tensor_value(tag, histogram.raw_rows(lo, hi, n, bucket_limits, bucket_counts))


