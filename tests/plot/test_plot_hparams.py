"""plot_hparams / `tbwriter plot --kind hparams`: one line per session through one axis per hparam and the metric."""
import math
import warnings

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_hparams
from tbwriter.plot.plotdata import parallel_axis
from tests.support.cli import tbwriter

pytest.importorskip("matplotlib")
from tbwriter.plot import NothingToPlot, PlotNote, plot_hparams  # noqa: E402

SESSIONS = [  # lr, optimizer, batch_norm, accuracy (None: never logged)
    (0.1, "sgd", True, 0.7), (0.01, "adam", False, 0.9), (0.001, "adam", True, 0.8), (0.0001, "rmsprop", False, None),
]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    for i, (lr, optimizer, bn, acc) in enumerate(SESSIONS):
        with SummaryWriter(root / f"trial{i}") as w:
            w.add_hparams({"lr": lr, "optimizer": optimizer, "batch_norm": bn}, {})
            if acc is not None:
                w.add_scalar("val/accuracy", acc, 10)
    return root


def test_axes_numbers_log_and_categories():
    lr = parallel_axis("lr", [0.1, 0.001, None, 0.01])
    assert lr.title == "lr (log)" and lr.positions[:2] == [1.0, 0.0] and math.isnan(lr.positions[2])
    assert lr.positions[3] == pytest.approx(0.5) and lr.tick_labels == ["0.001", "0.01", "0.1"]
    layers = parallel_axis("layers", [2.0, 4.0, 3.0])
    assert layers.title == "layers" and layers.positions == [0.0, 1.0, 0.5] and layers.tick_labels == ["2", "3", "4"]
    opt = parallel_axis("optimizer", ["sgd", "adam", "rmsprop", "adam"])
    assert opt.positions == [1.0, 0.0, 0.5, 0.0] and opt.tick_labels == ["adam", "rmsprop", "sgd"]
    assert parallel_axis("bn", [True, False]).tick_labels == ["False", "True"]
    assert parallel_axis("one", [3.0, 3.0]).positions == [0.5, 0.5]


def test_a_line_per_session_through_every_axis(sweep):
    with pytest.warns(PlotNote, match="left out 1 of 4 sessions"):
        fig = plot_hparams(read_hparams(sweep), metric="val/accuracy")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["batch_norm", "lr (log)", "optimizer", "val/accuracy"]
    lines = sorted(tuple(line.get_ydata()) for line in ax.get_lines() if len(line.get_xdata()) == 4)
    # (batch_norm, lr on log10 from 1e-3 to 1e-1, optimizer of adam/sgd, accuracy from 0.7 to 0.9)
    expected = sorted([(1.0, 1.0, 1.0, 0.0), (0.0, 0.5, 0.0, 1.0), (1.0, 0.0, 0.0, 0.5)])
    np.testing.assert_allclose(lines, expected, atol=1e-6)  # accuracies are float32
    colours = {round(line.get_ydata()[-1], 3): line.get_color() for line in ax.get_lines()
               if len(line.get_xdata()) == 4}
    import matplotlib
    assert np.allclose(matplotlib.colors.to_rgba(colours[1.0]), matplotlib.colormaps["viridis"](1.0))
    assert np.allclose(matplotlib.colors.to_rgba(colours[0.0]), matplotlib.colormaps["viridis"](0.0))


def test_unknown_metric_and_empty_selection(sweep):
    table = read_hparams(sweep)
    with pytest.raises(NothingToPlot, match="no metric 'loss'; metrics: val/accuracy"):
        plot_hparams(table, metric="loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlotNote)
        with pytest.raises(NothingToPlot, match="no session matching 'trial3'"):
            plot_hparams(table, metric="val/accuracy", runs="trial3")


def test_command_writes_the_figure(sweep, tmp_path):
    out = tbwriter("plot", str(sweep), "-o", str(tmp_path / "sweep.png"), "--kind", "hparams", "--metric",
                   "val/accuracy")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "left out 1 of 4 sessions" in out.stderr
    out = tbwriter("plot", str(sweep), "-o", str(tmp_path / "x.png"), "--kind", "hparams")
    assert out.returncode == 1 and "needs --metric; metrics: val/accuracy" in out.stderr
    assert len(out.stderr.splitlines()) == 1
