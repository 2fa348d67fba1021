"""Oracles for histogram tests: numpy's counts over TensorFlow's edges, and rows read back by TensorBoard.

    check_tf_rows(rows, values)   # rows as written for bins="tensorflow" agree with np.histogram
"""
import math

import numpy as np

from tests.support.eventcheck import raw_events

# TensorFlow's default edges as tensorboardX builds them, with infinite outer edges: numpy's
# np.histogram over these (bins [a, b), the last closed) is the oracle for bins="tensorflow".
_pos = [1e-12]
while _pos[-1] * 1.1 < 1e20:
    _pos.append(_pos[-1] * 1.1)
ORACLE_EDGES = np.array([-math.inf] + [-v for v in reversed(_pos)] + [0.0] + _pos + [math.inf])


def oracle_counts(values) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64).ravel()
    return np.histogram(x[np.isfinite(x)], ORACLE_EDGES)[0]


def rows_in(run_dir, tag: str) -> list[np.ndarray]:
    """The [k, 3] tensors written for ``tag``, read back with TensorBoard's own loader and tensor_util."""
    from tensorboard.util import tensor_util
    return [tensor_util.make_ndarray(v.tensor) for e in raw_events(run_dir) if e.HasField("summary")
            for v in e.summary.value if v.tag == tag]


def rows_of(w, tag: str) -> list[np.ndarray]:
    """``rows_in`` for a writer's run, after flushing it."""
    w.flush()
    return rows_in(w.get_logdir(), tag)


def check_tf_rows(rows: np.ndarray, values) -> None:
    """Rows are contiguous, every non-empty numpy bucket is a row with its exact count, gaps are single empty rows."""
    expected = oracle_counts(values)
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    assert rows.dtype == np.float64 and rows.shape[1] == 3
    assert (rows[1:, 0] == rows[:-1, 1]).all()
    assert rows[:, 2].sum() == x.size == expected.sum()
    full = rows[rows[:, 2] > 0]
    lefts, rights = ORACLE_EDGES[:-1][expected > 0], ORACLE_EDGES[1:][expected > 0]
    lefts[0] = max(lefts[0], x.min()) if lefts[0] == -math.inf else lefts[0]
    rights[-1] = x.max() if rights[-1] == math.inf else rights[-1]
    np.testing.assert_array_equal(full, np.column_stack([lefts, rights, expected[expected > 0]]))
    empty = rows[:, 2] == 0
    assert not empty[0] and not empty[-1] and not (empty[1:] & empty[:-1]).any()


