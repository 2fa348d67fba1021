"""The plotter on real logs, written by tbwriter (the demo) and by torch.utils.tensorboard.

What a figure shows is checked against TensorBoard's own EventAccumulator (values, wall times, its distribution
compressor) and numpy; the command line is run with every option, and every error case must be one line and exit 1.
"""
from __future__ import annotations

import io
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("matplotlib")


from tbwriter import SummaryWriter, read_histograms, read_scalars  # noqa: E402
from tbwriter.cli import main as cli
from tbwriter.cli.demo_training import run_demo  # noqa: E402
from tbwriter.plot import plotdata
from tbwriter.plot import NothingToPlot, PlotNote, PlotSettings, plot_histograms, plot_scalars  # noqa: E402
from tests.support import docpages  # noqa: E402
from tests.support.cli import run_with_file_size_limit  # noqa: E402
from tests.support.eventcheck import accumulator  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::tbwriter.errors.PlotNote")
MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> str:
    logdir = str(tmp_path_factory.mktemp("demo"))
    run_demo(logdir, epochs=4)
    return logdir


@pytest.fixture(scope="module")
def torchlogs(tmp_path_factory) -> str:
    """Two runs by torch's SummaryWriter: scalars (one NaN, one inf) and histograms, plus an all-NaN tag."""
    tensorboard = pytest.importorskip("torch.utils.tensorboard")
    logdir = str(tmp_path_factory.mktemp("torch"))
    rng = np.random.default_rng(0)
    for run in ("a", "b"):
        w = tensorboard.SummaryWriter(os.path.join(logdir, run))
        for step in range(1, 41):
            loss = math.exp(-step / 10) + 0.02 * rng.normal()
            if run == "a" and step in (7, 8):
                loss = math.nan if step == 7 else math.inf
            w.add_scalar("train/loss", loss, step)
            w.add_scalar("lr", 0.1 / step, step)
            w.add_scalar("broken", math.nan, step)
            if step % 2 == 0:
                w.add_histogram("weights", rng.normal(loc=step / 20, scale=1 + step / 40, size=400), step)
        w.close()
    return logdir


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> str:
    """One run, 10,000 points with a spike in the middle: decimation must keep it."""
    logdir = str(tmp_path_factory.mktemp("big"))
    values = np.sin(np.arange(10_000) / 100)
    values[4567] = 25.0
    with SummaryWriter(logdir) as w:
        for step, v in enumerate(values.tolist()):
            w.add_scalar("signal", v, step)
    return logdir


def lines_by_run(ax) -> dict[str, list]:
    """Drawn lines of a panel grouped by colour, raw first."""
    out: dict = {}
    for line in ax.get_lines():
        out.setdefault(line.get_color(), []).append(line)
    return out


# -- the Python API on real logs ------------------------------------------------------------------------------------

def test_smoothed_lines_are_tensorboards_values_smoothed(torchlogs):
    fig = plot_scalars(read_scalars(torchlogs), tags=["loss$", "^lr$"], smoothing=0.8)
    assert [ax.get_title() for ax in fig.axes] == ["lr", "train/loss"]
    acc = accumulator(os.path.join(torchlogs, "b"))
    expected = np.array([e.value for e in acc.Scalars("train/loss")])
    colours = [{line.get_color() for line in ax.get_lines()} for ax in fig.axes]
    assert colours[0] == colours[1] and len(colours[0]) == 2   # one colour per run, the same in both panels
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["a", "b"]
    b_colour = legend.get_lines()[1].get_color()
    raw, smoothed = lines_by_run(fig.axes[1])[b_colour]
    assert raw.get_alpha() < 1 and smoothed.get_alpha() is None
    np.testing.assert_array_equal(raw.get_ydata(), expected.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(smoothed.get_ydata(), plotdata.smooth(expected.astype(np.float32), 0.8))


def test_non_finite_points_are_skipped_and_noted(torchlogs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plot_scalars(read_scalars(torchlogs), tags=["train/loss"], runs="^a$", smoothing=0)
    assert [str(w.message) for w in caught if w.category is PlotNote] == ["skipped 2 points (non-finite) in train/loss"]
    (line,) = fig.axes[0].get_lines()
    assert len(line.get_xdata()) == 38 and 7 not in line.get_xdata() and 8 not in line.get_xdata()


def test_all_nan_selection_is_an_error_not_an_empty_picture(torchlogs):
    with pytest.raises(NothingToPlot, match="nothing to draw.*80 non-finite"):
        plot_scalars(read_scalars(torchlogs), tags=["broken"])


def test_group_band_is_numpy_mean_and_std_over_seeds(demo):
    data = read_scalars(demo)
    fig = plot_scalars(data, tags=["epoch/loss"], group=r"seed\d+", smoothing=0)
    ax = fig.axes[0]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["lr0.05 (3 runs)", "lr0.5 (3 runs)"]
    assert fig.legends[0].get_title().get_text() == "mean ± 1 std"
    values = np.array([data[(f"lr0.5/seed{k}", "epoch/loss")].value for k in range(3)])
    mean_line = ax.get_lines()[1]
    np.testing.assert_allclose(mean_line.get_ydata(), values.mean(axis=0), rtol=1e-12)
    band = ax.collections[1].get_paths()[0].vertices[:, 1]
    spread = values.std(axis=0)
    assert math.isclose(band.min(), (values.mean(axis=0) - spread).min(), rel_tol=1e-12)
    assert math.isclose(band.max(), (values.mean(axis=0) + spread).max(), rel_tol=1e-12)
    fig = plot_scalars(data, tags=["epoch/loss"], group=r"seed\d+", band="minmax", smoothing=0)
    band = fig.axes[0].collections[1].get_paths()[0].vertices[:, 1]
    assert band.min() == values.min() and band.max() == values.max()


def test_wall_and_relative_axes_use_the_logged_times(torchlogs):
    acc = accumulator(os.path.join(torchlogs, "a"))
    walls = np.array([e.wall_time for e in acc.Scalars("lr")])
    fig = plot_scalars(read_scalars(torchlogs), tags=["^lr$"], runs="^a$", x="wall", smoothing=0)
    drawn = fig.axes[0].get_lines()[0].get_xdata()
    assert drawn.dtype.kind == "M"
    np.testing.assert_allclose(drawn.astype("int64") / 1e6, walls, atol=1e-6)
    fig = plot_scalars(read_scalars(torchlogs), tags=["^lr$"], runs="^a$", x="relative", smoothing=0)
    assert fig.axes[0].get_xlabel() == "time since start (seconds)"
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_xdata(), walls - walls[0], atol=1e-6)


def test_log_axes_and_limits(torchlogs):
    fig = plot_scalars(read_scalars(torchlogs), tags=["^lr$"], logx=True, logy=True, xlim=(2, None), ylim=(1e-3, 1))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert ax.get_xlim()[0] == 2 and ax.get_ylim() == (1e-3, 1)


def test_long_series_are_decimated_and_keep_their_spike(big):
    fig = plot_scalars(read_scalars(big), smoothing=0)
    (line,) = fig.axes[0].get_lines()
    columns = fig.axes[0].get_position().width * fig.get_figwidth() * fig.dpi
    assert len(line.get_ydata()) <= 4 * columns + 4 and max(line.get_ydata()) == 25.0
    fig = plot_scalars(read_scalars(big))
    assert fig.axes[0].get_lines()[0].get_rasterized()  # the faint raw line: an image inside PDF/SVG
    pdf = io.BytesIO()
    fig.savefig(pdf, format="pdf")
    assert b"/Subtype /Image" in pdf.getvalue()


def test_distribution_matches_tensorboards_compressed_histograms(torchlogs):
    fig = plot_histograms(read_histograms(torchlogs), runs="^a$")
    acc = accumulator(os.path.join(torchlogs, "a"))
    compressed = acc.CompressedHistograms("weights")
    median = fig.axes[0].get_lines()[0]
    np.testing.assert_array_equal(median.get_xdata(), [e.step for e in compressed])
    expected = [dict(e.compressed_histogram_values)[5000] for e in compressed]
    np.testing.assert_allclose(median.get_ydata(), expected, rtol=1e-9)
    outer = fig.axes[0].collections[0].get_paths()[0].vertices[:, 1]
    lowest = min(dict(e.compressed_histogram_values)[0] for e in compressed)
    highest = max(dict(e.compressed_histogram_values)[10000] for e in compressed)
    assert math.isclose(outer.min(), lowest, rel_tol=1e-9) and math.isclose(outer.max(), highest, rel_tol=1e-9)


def test_stacked_histograms_one_ridge_per_step(torchlogs):
    fig = plot_histograms(read_histograms(torchlogs), kind="hist")
    assert len(fig.axes) == 2 and [len(ax.get_lines()) for ax in fig.axes] == [20, 20]
    assert fig.axes[0].get_yticklabels()[0].get_text() == "2"
    with pytest.raises(ValueError, match="kind='hist' stacks histograms by step"):
        plot_histograms(read_histograms(torchlogs), kind="hist", logy=True)


def test_non_finite_smoothing_weight_draws_raw_as_tensorboard_does(torchlogs):
    fig = plot_scalars(read_scalars(torchlogs), tags=["^lr$"], smoothing=math.nan)
    assert len(fig.axes[0].get_lines()) == 2 and all(line.get_alpha() is None for line in fig.axes[0].get_lines())


def test_bad_arguments_name_the_method(torchlogs):
    data = read_scalars(torchlogs)
    for kwargs, message in [({"smoothing": 2}, "plot_scalars: smoothing must be in"),
                            ({"x": "epoch"}, "plot_scalars: x must be one of"),
                            ({"cols": 0}, "plot_scalars: cols must be a positive integer"),
                            ({"tags": ["("]}, "plot_scalars: tags '\\(' is not a regular expression"),
                            ({"group": "seed", "x": "wall"}, "plot_scalars: group needs")]:
        with pytest.raises(ValueError, match=message):
            plot_scalars(data, **kwargs)


def test_settings_object_is_shared_and_single_options_override_it(torchlogs):
    data = read_scalars(torchlogs)
    paper = PlotSettings(size=(6, 3), dpi=50, logy=True, title="Paper")
    fig = plot_scalars(data, paper, tags=["^lr$"])
    assert tuple(fig.get_size_inches()) == (6, 3) and fig.dpi == 50 and fig.axes[0].get_yscale() == "log"
    assert fig._suptitle.get_text() == "Paper"
    fig = plot_scalars(data, paper, tags=["^lr$"], logy=False, dpi=60)
    assert fig.axes[0].get_yscale() == "linear" and fig.dpi == 60 and tuple(fig.get_size_inches()) == (6, 3)
    fig = plot_histograms(read_histograms(torchlogs), paper, runs="^a$", logy=False, x="relative")
    assert tuple(fig.get_size_inches()) == (6, 3) and fig.axes[0].get_xlabel() == "time since start (seconds)"
    with pytest.raises(TypeError, match="plot_scalars: unexpected keyword argument 'colour'; the appearance"):
        plot_scalars(data, colour="red")
    with pytest.raises(ValueError, match="plot_histograms: dpi must be between 10 and 1200"):
        plot_histograms(read_histograms(torchlogs), PlotSettings(dpi=5))


def test_figures_too_large_for_memory_are_refused_before_drawing(torchlogs):
    data = read_scalars(torchlogs)
    with pytest.raises(ValueError, match=r"plot_scalars: a 60x60-inch figure at 1000 dpi would be 60,000x60,000 "
                                         r"pixels, over the limit of 100 megapixels; lower the dpi or the size"):
        plot_scalars(data, size=(60, 60), dpi=1000)
    many = {(f"run{i}", f"tag{i}"): s for i, s in enumerate(list(data.values()) * 40)}  # a grid grown to 80 rows
    with pytest.raises(ValueError, match=r"plot_scalars: a 12.6x[0-9.]+-inch figure at 1200 dpi would be"):
        plot_scalars(many, dpi=1200)
    assert plot_scalars(data, tags=["^lr$"], size=(10, 10), dpi=1000).dpi == 1000  # exactly at the limit


def test_plot_notes_point_at_the_callers_line(torchlogs, tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(120):  # more steps than a stacked view or a small distribution panel draws
            w.add_histogram("h", np.arange(10.0) + step, step)
    hist = read_histograms(tmp_path)
    with warnings.catch_warnings(record=True) as notes:
        warnings.simplefilter("always")
        plot_scalars(read_scalars(torchlogs), tags=["train/loss"])
        plot_histograms(hist, kind="hist")
        plot_histograms(hist, kind="dist", size=(1, 1), dpi=10)
    messages = sorted(str(n.message).split(":")[0] for n in notes if issubclass(n.category, PlotNote))
    assert messages == ["histograms", "histograms", "skipped 2 points (non-finite) in train/loss"], messages
    assert all(n.filename == __file__ for n in notes), [(n.filename, str(n.message)) for n in notes]


# -- the command line -----------------------------------------------------------------------------------------------

def run_cli(capsys, *argv) -> tuple[int, str]:
    status = cli.main(["plot", *map(str, argv)])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("extension, options", [
    ("png", ["--tag", "batch/loss", "--tag", "epoch/val", "--cols", "2", "--title", "Demo", "--dpi", "60"]),
    ("svg", ["--run", "lr0\\.5", "--smoothing", "0", "--x", "relative", "--size", "6x4"]),
    ("pdf", ["--tag", "epoch/", "--group", "seed\\d+", "--band", "minmax", "--logy", "--ylim", "0.2,"]),
    ("png", ["--tag", "epoch/loss", "--x", "wall", "--dark", "--xlim", "2000-01-01T00:00,", "--ylim=-1,2"]),
    ("png", ["--tag", "loss", "--logx", "--xlim", "1,1e4", "--style", "ggplot", "--smoothing", "0.95"]),
])
def test_cli_options_on_demo_logs(demo, tmp_path, capsys, extension, options):
    out = tmp_path / f"figure.{extension}"
    status, err = run_cli(capsys, demo, "-o", out, *options)
    assert status == 0, err
    assert out.read_bytes().startswith(MAGIC[extension]) and out.stat().st_size > 5000
    assert f"tbwriter plot: wrote {out}" in err


@pytest.mark.parametrize("options, note", [
    (["--tag", "train/loss", "--tag", "^lr$", "--logy"], "note: skipped 2 points (non-finite) in train/loss\n"),
    (["--kind", "dist", "--x", "relative", "--logx"],
     "note: skipped 2 points (x ≤ 0 on the log x axis) in weights\n"),
    (["--kind", "hist", "--run", "b", "--cols", "1"], None),
    (["--tag", "weights"], None),   # only histogram tags match: drawn as distributions
])
def test_cli_options_on_torch_logs(torchlogs, tmp_path, capsys, options, note):
    out = tmp_path / "figure.png"
    status, err = run_cli(capsys, torchlogs, "-o", out, *options)
    assert status == 0, err
    assert out.read_bytes().startswith(MAGIC["png"])
    assert ((note in err) if note else "note:" not in err), err


def test_cli_notes_damaged_records_and_still_draws(torchlogs, tmp_path, capsys):
    damaged = tmp_path / "damaged"
    shutil.copytree(os.path.join(torchlogs, "a"), damaged)
    (event_file,) = damaged.glob("*tfevents*")
    event_file.write_bytes(event_file.read_bytes()[:-7])  # a torn last record, as after a crash
    status, err = run_cli(capsys, damaged, "-o", tmp_path / "x.png", "--tag", "^lr$")
    assert status == 0 and "warning: damaged event file" in err and str(event_file) in err, err


def test_cli_several_paths_keep_runs_apart(demo, torchlogs, tmp_path, capsys):
    from tbwriter.cli.plot import _read
    merged = _read("read_scalars", [demo, torchlogs])
    assert (os.path.join(torchlogs, "a"), "lr") in merged
    assert (os.path.join(demo, "lr0.5", "seed0"), "epoch/loss") in merged
    status, err = run_cli(capsys, demo, torchlogs, "-o", tmp_path / "both.png", "--tag", "loss")
    assert status == 0, err
    assert ("a", "lr") in _read("read_scalars", [os.path.join(torchlogs, "a")])  # not ".": the legend names it


@pytest.mark.parametrize("argv, message", [
    (["{demo}", "-o", "{tmp}/x.png", "--tag", "nope"], "no scalar tag matches 'nope'; scalar tags: batch/loss"),
    (["{demo}", "-o", "{tmp}/x.png", "--tag", "("], "tags '(' is not a regular expression"),
    (["{demo}", "-o", "{tmp}/x.png", "--run", "nomatch"], "no scalar series has both"),
    (["{demo}", "-o", "{tmp}/x.png", "--group", "seed("], "group 'seed(' is not a regular expression"),
    (["{tmp}/missing", "-o", "{tmp}/x.png"], "no such file or directory: "),
    (["{tmp}", "-o", "{tmp}/x.png"], "no event files (names containing 'tfevents') under"),
    (["{demo}", "-o", "{tmp}/x.gif"], "the extension must be one of .png, .svg, .pdf"),
    (["{demo}", "-o", "{tmp}/no/dir/x.png"], "no such directory"),
    (["{demo}", "-o", "{tmp}/x.png", "--size", "big"], "--size 'big': expected WxH"),
    (["{demo}", "-o", "{tmp}/x.png", "--xlim", "1"], "--xlim '1': expected LO,HI"),
    (["{demo}", "-o", "{tmp}/x.png", "--ylim", "a,b"], "'a' is not a number"),
    (["{demo}", "-o", "{tmp}/x.png", "--style", "nostyle"], "style 'nostyle' is not a matplotlib style"),
    (["{demo}", "-o", "{tmp}/x.png", "--dpi", "0"], "--dpi '0': expected a number in [10, 1200]"),
    (["{demo}", "-o", "{tmp}/x.png", "--dpi", "nan"], "--dpi 'nan': expected a number in [10, 1200]"),
    (["{demo}", "-o", "{tmp}/x.png", "--smoothing", "-1"], "--smoothing '-1': expected a number in [0, 1]"),
    (["{demo}", "-o", "{tmp}/x.png", "--smoothing", "nan"], "--smoothing 'nan': expected a number in [0, 1]"),
    (["{demo}", "-o", "{tmp}/x.png", "--ylim", "nan,1"], "--ylim 'nan,1': 'nan' is not a number"),
    (["{demo}", "-o", "{tmp}/x.png", "--size", "60x60", "--dpi", "1000"],
     "a 60x60-inch figure at 1000 dpi would be 60,000x60,000 pixels, over the limit of 100 megapixels"),
    (["{big}", "-o", "{tmp}/x.png", "--kind", "dist"], "there are no histogram series"),
    (["{demo}", "-o", "{tmp}/x.png", "--kind", "dist", "--tag", "loss"], "no histogram tag matches 'loss'; histogram"),
    (["{demo}", "-o", "{tmp}/x.png", "--kind", "dist", "--group", "s"], "--group draws scalars"),
    (["{demo}", "-o", "{tmp}/x.png", "--x", "wall", "--group", "seed"], "group needs x='step'"),
    (["{demo}", "-o", "{tmp}/x.png", "--x", "wall", "--logx"], "logx needs x='step' or x='relative'"),
    (["{torch}", "-o", "{tmp}/x.png", "--tag", "broken"], "nothing to draw"),
    (["{torch}", "-o", "{tmp}/x.png", "--kind", "hist", "--x", "wall"], "kind='hist' stacks histograms"),
])
def test_cli_errors_are_one_line(demo, torchlogs, big, tmp_path, capsys, argv, message):
    argv = [a.format(demo=demo, torch=torchlogs, big=big, tmp=tmp_path) for a in argv]
    status, err = run_cli(capsys, *argv)
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("tbwriter plot: error: ") and message in err, err
    assert not (tmp_path / "x.png").exists()


def test_cli_process_exit_status_and_stderr(tmp_path, root):
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.run([sys.executable, "-m", "tbwriter", "plot", str(tmp_path / "nothing"), "-o",
                           str(tmp_path / "x.png")], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"tbwriter plot: error: no such file or directory: {tmp_path / 'nothing'}\n"


def test_failed_plot_leaves_the_old_figure_and_no_partial_one(demo, tmp_path):
    figure = tmp_path / "curves.png"
    figure.write_bytes(b"the previous figure")
    out = run_with_file_size_limit(20_000, "plot", demo, "-o", str(figure), "--dpi", "300")
    assert out.returncode == 1 and out.stderr.splitlines()[-1].startswith("tbwriter plot: error: [Errno 27] File "
                                                                          "too large"), out.stderr
    assert "Traceback" not in out.stderr
    assert os.listdir(tmp_path) == ["curves.png"] and figure.read_bytes() == b"the previous figure"
    assert run_with_file_size_limit(10**8, "plot", demo, "-o", str(figure)).returncode == 0
    assert figure.read_bytes().startswith(MAGIC["png"]) and os.listdir(tmp_path) == ["curves.png"]


def test_docs_plotting_examples_run(tmp_path, monkeypatch, capsys, root):
    page = docpages.read("docs/plotting.md")
    commands = [line for block in docpages.blocks(page, "bash") for line in block.code.splitlines()]
    (python,) = [block.code for block in docpages.blocks(page, "python")]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    for line in commands:
        argv = shlex.split(line)
        assert argv[0] == "tbwriter" and cli.main(argv[1:]) == 0, capsys.readouterr().err
        if argv[1] == "plot":
            out = argv[argv.index("-o") + 1]
            assert (tmp_path / out).read_bytes().startswith(MAGIC[out.rsplit(".", 1)[1]])
    exec(compile(python, "docs/plotting.md", "exec"), {})
    assert (tmp_path / "val.pdf").stat().st_size > 0 and (tmp_path / "weights.svg").stat().st_size > 0
    for image in re.findall(r"!\[[^]]*\]\(([^)]+)\)", page):  # the committed pictures the page shows
        assert os.path.exists(os.path.join(root, "docs", image)) and (tmp_path / "docs" / image).exists()


def test_distribution_of_tbwriter_histograms_matches_tensorboards_compressor(demo):
    from tensorboard.plugins.distribution.compressor import compress_histogram
    from tensorboard.util.tensor_util import make_ndarray

    fig = plot_histograms(read_histograms(demo), runs="lr0.5/seed1")
    events = accumulator(os.path.join(demo, "lr0.5", "seed1")).Tensors("weights")  # v2 histogram tensors
    median = fig.axes[0].get_lines()[0]
    assert median.get_xdata().tolist() == [e.step for e in events]
    expected = [dict(compress_histogram(make_ndarray(e.tensor_proto)))[5000] for e in events]
    np.testing.assert_allclose(median.get_ydata(), expected, rtol=1e-9)


@pytest.mark.parametrize("options", [{"tags": ["epoch/loss"]}, {"tags": ["epoch/"], "cols": 2, "title": "All"}])
def test_legend_never_covers_a_panel(demo, options):
    data = read_scalars(demo)
    renamed = {(f"experiments/logistic_regression/{run}/with_a_long_description", tag): s
               for (run, tag), s in data.items()}
    fig = plot_scalars(renamed, **options)
    fig.savefig(io.BytesIO(), format="png")  # lays the figure out
    (legend,) = fig.legends
    box = legend.get_window_extent()
    assert box.y0 >= 0 and box.x0 >= 0 and box.x1 <= fig.bbox.width
    for ax in fig.axes:
        assert not box.overlaps(ax.get_tightbbox()), ax.get_title()



def test_names_with_dollars_are_drawn_as_written_not_as_math(tmp_path):
    import matplotlib as mpl

    from tbwriter import read_hparams
    from tbwriter.plot.hparams import plot_hparams

    run, tags, hparam, value = "lr$LR_bs$BS", ["payoff $$", r"cost in $\USD$"], "fee $", "a$b$c"
    histogram = "weights $w$"  # a tag of its own: a tag's kind is that of its first value
    with SummaryWriter(tmp_path / run) as w:
        w.add_hparams({hparam: value}, {})
        for step in range(1, 4):
            for tag in tags:
                w.add_scalar(tag, step / 3, step)
            w.add_histogram(histogram, np.arange(10.0) * step, step)
    figures = {  # each figure, and the names it must show as they are written
        plot_scalars(read_scalars(tmp_path), logy=True): [run, *tags],
        plot_histograms(read_histograms(tmp_path)): [run, histogram],
        plot_hparams(read_hparams(tmp_path), metric=tags[1]): [hparam, value, tags[1]],
    }
    for fig, names in figures.items():
        svg = io.BytesIO()
        with mpl.rc_context({"svg.fonttype": "none"}):  # text stays text in the SVG, as the figure shows it
            fig.savefig(svg, format="svg")
        for name in names:
            assert name in svg.getvalue().decode(), name
