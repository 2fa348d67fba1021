"""The hand-written encoder must give exactly the bytes protobuf gives for the same event."""
import math
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from tbwriter._proto import event_pb2
from tbwriter.format import encode
from tbwriter.writing.summaries import scalar

tags = st.text(min_size=1, max_size=40)
steps = st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 3_000_000),
                  st.sampled_from([0, 127, 128, 16383, 16384, 2**21 - 1, 2**21]))
walls = st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, -0.0, 1.7e9]))
values = st.one_of(st.floats(), st.floats(width=32), st.sampled_from([1e39, -1e300, 3.4028235e38, -0.0]))


def reference(wall, step, items, new_style=False, double=False):
    ev = event_pb2.Event(wall_time=wall, step=step)
    for tag, v in items:
        if new_style:
            val = ev.summary.value.add(tag=tag)
            val.metadata.plugin_data.plugin_name = "scalars"
            val.metadata.data_class = event_pb2.DATA_CLASS_SCALAR
            val.tensor.dtype = event_pb2.DT_DOUBLE if double else event_pb2.DT_FLOAT
            val.tensor.tensor_shape.SetInParent()
            val.tensor.tensor_content = struct.pack("<d", v) if double else encode.float32(v)
        else:
            ev.summary.value.add(tag=tag, simple_value=v)
    return ev.SerializeToString()


@settings(max_examples=400, deadline=None)
@given(walls, steps, tags, values)
def test_scalar_event_matches_protobuf(wall, step, tag, value):
    assert encode.ScalarEncoder().event(wall, step, tag, value) == reference(wall, step, [(tag, value)])


@settings(max_examples=200, deadline=None)
@given(walls, steps, st.dictionaries(tags, values, min_size=1, max_size=8))
def test_dict_event_matches_protobuf(wall, step, metrics):
    assert encode.ScalarEncoder().events_dict(wall, step, metrics) == reference(wall, step, metrics.items())


@settings(max_examples=200, deadline=None)
@given(walls, steps, tags, values, st.booleans())
def test_new_style_event_matches_protobuf(wall, step, tag, value, double):
    got = encode.summary_event(wall, step, scalar.tensor_value(tag, value, double))
    assert got == reference(wall, step, [(tag, value)], new_style=True, double=double)


def test_encoder_cache_gives_same_bytes_on_reuse():
    enc = encode.ScalarEncoder()
    first = [enc.event(1.5, s, "t", 0.25) for s in (0, 5, 300, 20000, 2**30)]
    again = [enc.event(1.5, s, "t", 0.25) for s in (0, 5, 300, 20000, 2**30)]
    assert first == again == [reference(1.5, s, [("t", 0.25)]) for s in (0, 5, 300, 20000, 2**30)]


def test_float32_overflow_becomes_signed_infinity():
    assert encode.float32(1e39) == struct.pack("<f", math.inf)
    assert encode.float32(-1e300) == struct.pack("<f", -math.inf)
