"""Custom scalar layouts: plugin ``custom_scalars``, a ``Layout`` in a rank-0 DT_STRING tensor.

    value_bytes = layout_value({"Loss": {"train vs val": ["Multiline", ["loss/train", "loss/val"]],
                                         "band": ["Margin", ["loss", "loss_low", "loss_high"]]}})

TensorBoard's CUSTOM SCALARS tab draws each chart from the scalar tags it names (regular
expressions for a multiline chart; value, lower and upper tags for a margin chart).
"""
from __future__ import annotations

from collections.abc import Mapping

from tbwriter.errors import ArgumentError, ArgumentTypeError
from tbwriter.format.wire import DataType
from tbwriter.writing.summaries.metadata import metadata, summary_value, tensor_proto

TAG = "custom_scalars__config__"  # the tag TensorBoard reads a run's layout from
_METADATA = metadata("custom_scalars")
KINDS = ("Multiline", "Margin")


def layout_value(layout: object) -> bytes:
    """A ``Summary.Value`` holding ``layout``: ``{category: {chart title: [kind, tags]}}`` as torch takes it."""
    from tbwriter._proto import plugins_pb2

    if not isinstance(layout, Mapping) or not layout:
        raise ArgumentTypeError("layout", "must be a non-empty dict of category -> {title: [kind, tags]}, "
                                          f"got {type(layout).__name__}")
    message = plugins_pb2.Layout()
    for category, charts in layout.items():
        if not isinstance(category, str) or not isinstance(charts, Mapping):
            raise ArgumentTypeError(f"layout[{category!r}]", "must map chart titles to [kind, tags]")
        section = message.category.add(title=category)
        for title, spec in charts.items():
            where = f"layout[{category!r}][{title!r}]"
            if not isinstance(title, str) or not isinstance(spec, (list, tuple)) or len(spec) != 2:
                raise ArgumentTypeError(where, f"must be [kind, tags] under a str title, got {spec!r:.80}")
            kind, tags = spec
            if not isinstance(tags, (list, tuple)) or not all(isinstance(t, str) for t in tags):
                raise ArgumentTypeError("layout", f"{where}: tags must be a list of str, got {tags!r:.80}",
                                        sentence=True)
            chart = section.chart.add(title=title)
            if kind == "Margin":
                if len(tags) != 3:
                    raise ArgumentError("layout", f"{where}: a Margin chart takes 3 tags (value, lower, upper), "
                                                  f"got {len(tags)}", sentence=True)
                chart.margin.series.add(value=tags[0], lower=tags[1], upper=tags[2])
            elif kind == "Multiline":
                chart.multiline.tag.extend(tags)
            else:
                raise ArgumentError("layout", f"{where}: kind must be 'Multiline' or 'Margin', got {kind!r}",
                                    sentence=True)
    tensor = tensor_proto(DataType.DT_STRING, (), string_val=[message.SerializeToString()])
    return summary_value(TAG, _METADATA, tensor=tensor)
