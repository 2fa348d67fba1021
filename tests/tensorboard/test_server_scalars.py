"""A real tensorboard server, in both loader modes, shows exactly the scalars we wrote."""
import math

import numpy as np
import pytest

from tbwriter import SummaryWriter
from tests.support.tbserver import TensorBoardServer

STEPS = [0, 1, 127, 128, 16384, 2**21 + 5, 2**40]
VALUES = [0.1, -2.5, 1e-30, 3.3e38, 123456.789, -0.0, 7.0]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("scalars")
    with SummaryWriter(root / "run") as w:
        for s, v in zip(STEPS, VALUES, strict=True):
            w.add_scalar("plain", v, s, walltime=1.7e9 + s % 1000)
            w.add_scalar("new_style", v, s, new_style=True)
        for s in range(50):
            w.log_metrics({"metrics/loss": 1 / (s + 1), "metrics/acc": s / 50, "ünï/cödé": float(s)}, step=s)
        w.add_scalar("nonfinite", math.inf, 1)
        w.add_scalar("nonfinite", -math.inf, 2)
        w.add_scalar("nonfinite", math.nan, 3)
    with SummaryWriter(root) as w:
        w.add_scalars("split", {"train": 1.0, "val": 2.0}, 3)
    return root


@pytest.fixture(scope="module", params=[False, True], ids=["python-loader", "rust-loader"])
def server(request, logdir):
    with TensorBoardServer(logdir, load_fast=request.param) as tb:
        yield tb


def test_runs_and_tags(server):
    tags = server.wait_for(lambda: (lambda t: t if {"run", "split_train", "split_val"} <= set(t)
                                    and len(t["run"]) == 6 else None)(server.get("/data/plugin/scalars/tags")))
    assert set(tags["run"]) == {"plain", "new_style", "metrics/loss", "metrics/acc", "ünï/cödé", "nonfinite"}
    assert set(tags["split_train"]) == {"split"}


@pytest.mark.parametrize("tag", ["plain", "new_style"])
def test_exact_values_and_steps(server, tag):
    points = server.scalars_when("run", tag, len(STEPS))
    assert [p[1] for p in points] == STEPS
    assert [p[2] for p in points] == [float(np.float32(v)) for v in VALUES]


def test_log_metrics_and_add_scalars(server):
    loss = server.scalars_when("run", "metrics/loss", 50)
    assert [(p[1], p[2]) for p in loss] == [(s, float(np.float32(1 / (s + 1)))) for s in range(50)]
    assert [p[1:] for p in server.scalars_when("run", "ünï/cödé", 50)] == [[s, float(s)] for s in range(50)]
    assert [p[1:] for p in server.scalars_when("split_val", "split", 1)] == [[3, 2.0]]


def test_non_finite_values_survive(server):
    # The server's JSON spells non-finite values as the strings "Infinity", "-Infinity", "NaN".
    values = [float(p[2]) for p in server.scalars_when("run", "nonfinite", 3)]
    assert values[:2] == [math.inf, -math.inf] and math.isnan(values[2])
