"""`tbwriter report` and `tbwriter.views.write_report`: the page, opened in headless Chromium with every network
request failing, shows what the logdir holds, exactly, and runs nothing a log wrote."""
from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_scalars
from tbwriter.plot import plotdata
from tbwriter.views import write_report
from tbwriter.views.data import numbers
from tests.support.browser import chromium, console_errors, fetched, near, open_page, screenshot, wait_for
from tests.support.viewnumbers import decoded

EVIL_RUN = "evil<img src=x onerror=window.pwned=4>"
EVIL_TEXT = ("<script>window.pwned = 1</script>\n\n<img src=x onerror=\"window.pwned = 2\">\n\n"
             "[click](javascript:window.pwned=3) and **bold**")
EVIL_TAG = "notes<b onmouseover=window.pwned=5>"


def loss(run: int, n: int = 200) -> np.ndarray:
    """Values that print with every digit (no round decimals), different per run, apart on the y axis."""
    return 1.0 + 2.0 * run + np.random.default_rng(run).random(n) / 3


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    for k, (run, lr, opt) in enumerate((("alpha", 0.1, "adam"), ("beta", 0.01, "sgd"))):
        with SummaryWriter(root / run) as w:
            for step, value in enumerate(loss(k)):
                w.add_scalar("loss", value, step, walltime=1_700_000_000 + 10 * step)
                if step % 10 == 0:
                    w.add_scalar("acc/train", value / 4, step)
                    w.add_scalar("acc/val", value / 5, step)
            for step in range(5):
                w.add_histogram("weights", np.random.default_rng(step).normal(step, 1, 1000), step)
            for step in range(2):
                w.add_image("samples", np.full((8, 8, 3), 60 * step + 40 * k, np.uint8), step, dataformats="HWC")
            w.add_hparams({"lr": lr, "opt": opt}, {"hp/score": 0.5 + k})
    with SummaryWriter(root / EVIL_RUN) as w:
        w.add_text(EVIL_TAG, EVIL_TEXT, 0)
        w.add_scalar("loss", 0.5, 0)
    return root


@pytest.fixture(scope="module")
def driver():
    d = chromium()
    yield d
    d.quit()


@pytest.fixture(scope="module")
def report(logdir, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    write_report(logdir, out, title="a <i>title</i>")
    return out


@pytest.fixture
def page(driver, report):
    open_page(driver, report.as_uri())
    console_errors(driver)  # start each test with an empty console log
    return driver


def set_control(driver, selector: str, value) -> None:
    """Set a control as a user would leave it, and tell the page (the events a user's change fires)."""
    driver.execute_script("""
        const e = document.querySelector(arguments[0]);
        if (e.type === 'checkbox') e.checked = arguments[1]; else e.value = arguments[1];
        e.dispatchEvent(new Event('input', {bubbles: true}));
        e.dispatchEvent(new Event('change', {bubbles: true}));""", selector, value)


def show_chart(driver, tag: str) -> dict:
    """Scroll ``tag``'s chart into view and return its plot area (client pixels) once drawn."""
    driver.execute_script("""for (const h of document.querySelectorAll('.card h3'))
                               if (h.textContent === arguments[0]) h.scrollIntoView();""", tag)
    return wait_for(driver, "return window.tbwriterView.plotArea(arguments[0])", tag)


def hover(driver, x: float, y: float) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    actions = ActionChains(driver)
    actions.w3c_actions.pointer_action.move_to_location(int(round(x)), int(round(y)))
    actions.perform()


def test_the_page_fetches_nothing_and_logs_no_error(page, driver, report):
    assert fetched(driver) == []
    assert console_errors(driver) == []
    size = report.stat().st_size
    assert size < 1_000_000 and b"http://" not in report.read_bytes().replace(b"http://www.w3.org", b"")


def test_every_tag_run_and_hparam_is_on_the_page(page, driver):
    text = driver.find_element("tag name", "body").text
    for tag in ("loss", "acc/train", "acc/val", "weights — alpha", "samples — beta", EVIL_TAG):
        assert tag in text, tag
    for run in ("alpha", "beta", EVIL_RUN):
        assert run in text, run
    for column in ("lr", "opt", "hp/score", "adam", "sgd", "0.01"):
        assert column in text, column
    assert driver.title == "a <i>title</i>"


def test_the_hovered_point_shows_the_logged_step_time_and_value(page, driver, logdir):
    set_control(driver, "#smoothing", "0")
    show_chart(driver, "loss")
    logged = read_scalars(logdir)[("beta", "loss")]
    for i in (0, 57, 199):
        at = driver.execute_script("return window.tbwriterView.pointAt('loss', 'beta', arguments[0])", i)
        hover(driver, at["x"], at["y"])
        shown = wait_for(driver, """const t = document.getElementById('tooltip');
            return !t.hidden && Array.from(t.children, e => e.textContent)""")
        assert shown[0] == "beta"
        assert f"step: {logged.step[i]}" in shown
        assert float(next(r for r in shown if r.startswith("value: "))[7:]) == logged.value[i]  # every bit
        assert "wall time: 2023-11-14 22:" in next(r for r in shown if r.startswith("wall time"))


def test_the_smoothing_slider_draws_plotdata_smooth(page, driver, logdir):
    show_chart(driver, "loss")
    values = read_scalars(logdir)[("alpha", "loss")].value
    for weight in ("0.6", "0.93", "0.999", "0"):
        set_control(driver, "#smoothing", weight)
        drawn = driver.execute_script("return window.tbwriterView.line('loss', 'alpha').y")
        np.testing.assert_array_max_ulp(np.array(drawn), plotdata.smooth(values, float(weight)), maxulp=4)
    set_control(driver, "#smoothing", "0.6")


NUMBERS = {  # each form of tbwriter.views.data.numbers (its key; None: a string), with the numbers that tempt an
    # encoding to lose a bit
    "range": ([0.0, 3.0, 6.0, 9.0], "from"), "range of tenths": ([0.1, 0.2, 0.30000000000000004], "from"),
    "i4": ([5.0, -3.0, 2.0 ** 31 - 1, -(2.0 ** 31) + 1], "i4"),
    "f4": ([0.5, np.float32(0.1), -0.0, np.inf, np.nan, 3e38], "f4"), "one": ([7.25], "f4"), "none": ([], "f4"),
    "f8": ([0.1, 1e300, -0.0, 2.0 ** 31, np.nan], None),
}


@pytest.mark.parametrize("name", list(NUMBERS))
def test_every_number_form_decodes_to_the_numbers_in_the_page_and_as_documented(page, driver, name):
    values, key = np.array(NUMBERS[name][0], np.float64), NUMBERS[name][1]
    form = numbers(values)
    assert isinstance(form, str) if key is None else key in form
    for back in (decoded(form), np.array(driver.execute_script(
            "return Array.from(decodeNumbers(arguments[0]), v => Number.isNaN(v) ? 'NaN' : "
            "Object.is(v, -0) ? '-0' : v === Infinity ? 'inf' : v)", form), dtype=object)):
        back = np.array([{"NaN": np.nan, "-0": -0.0, "inf": np.inf}.get(v, v) if isinstance(v, str) else v
                         for v in back], np.float64)
        np.testing.assert_array_equal(back, values)
        assert np.array_equal(np.signbit(back), np.signbit(values))


def test_the_x_axis_shows_steps_relative_or_wall_time(page, driver, logdir):
    show_chart(driver, "loss")
    logged = read_scalars(logdir)[("alpha", "loss")]
    for axis, expected in (("relative", logged.wall_time - logged.wall_time[0]), ("wall", logged.wall_time),
                           ("step", logged.step)):
        set_control(driver, "#x-axis", axis)
        assert driver.execute_script("return window.tbwriterView.line('loss', 'alpha').x") == expected.tolist()
    set_control(driver, "#log-y", True)
    assert driver.execute_script("return window.tbwriterView.drawn('loss')") == ["alpha", "beta", EVIL_RUN]
    assert console_errors(driver) == []


def drag(driver, tag: str, x0: float, x1: float) -> None:
    """Drag the mouse across ``tag``'s chart from x0 to x1 (data units), as a user zooms."""
    from selenium.webdriver.common.action_chains import ActionChains

    area = show_chart(driver, tag)
    shown = driver.execute_script("return window.tbwriterView.zoom(arguments[0])", tag) or [0, 999_999]
    actions = ActionChains(driver)
    pointer = actions.w3c_actions.pointer_action
    for i, x in enumerate((x0, x1)):
        pointer.move_to_location(int(area["left"] + (x - shown[0]) / (shown[1] - shown[0]) * area["width"]),
                                 int(area["top"] + 50))
        pointer.pointer_up() if i else pointer.pointer_down()
    actions.perform()


def test_smoothing_passes_non_finite_values_and_constant_series_as_plotdata_does(tmp_path, driver):
    series = {"gappy": [1.0, float("nan"), 3.0, float("inf"), 0.5, 2.0], "flat": [2.0, 2.0, float("nan"), 2.0]}
    with SummaryWriter(tmp_path / "logs" / "run") as w:
        for tag, values in series.items():
            for step, value in enumerate(values):
                w.add_scalar(tag, value, step)
    write_report(tmp_path / "logs", tmp_path / "r.html")
    open_page(driver, (tmp_path / "r.html").as_uri())
    for weight in ("0.6", "0.95"):
        set_control(driver, "#smoothing", weight)
        for tag, values in series.items():
            drawn = driver.execute_script("return window.tbwriterView.series(arguments[0], 'run').smoothed", tag)
            ours = np.array([np.nan if v is None else v for v in drawn])  # webdriver hands NaN and inf as null
            expected = plotdata.smooth(np.array(values, np.float32).astype(np.float64), float(weight))
            finite = np.isfinite(expected)
            assert list(np.isfinite(ours)) == list(finite)
            np.testing.assert_array_max_ulp(ours[finite], expected[finite], maxulp=4)


def test_a_run_toggled_off_disappears_from_the_chart(page, driver):
    area = show_chart(driver, "loss")
    color = driver.execute_script("return window.tbwriterView.color('alpha')")

    def pixels_of_alpha() -> int:
        box = screenshot(driver)[int(area["top"]):int(area["top"] + area["height"]),
                                 int(area["left"]):int(area["left"] + area["width"])]
        return int(near(box, color, 12).sum())

    assert pixels_of_alpha() > 100
    driver.execute_script("""for (const li of document.querySelectorAll('#runs li'))
                               if (li.textContent === 'alpha') li.click();""")
    assert pixels_of_alpha() == 0
    assert "alpha" not in driver.execute_script("return window.tbwriterView.drawn('loss')")
    driver.find_element("id", "runs-all").click()
    assert pixels_of_alpha() > 100


def test_the_run_filter_and_the_tag_filter_hide_what_does_not_match(page, driver):
    set_control(driver, "#run-filter", "^be")
    show_chart(driver, "loss")
    assert driver.execute_script("return window.tbwriterView.drawn('loss')") == ["beta"]
    set_control(driver, "#run-filter", "")
    set_control(driver, "#tag-filter", "^acc/")
    shown = driver.execute_script("""return Array.from(document.querySelectorAll('#scalars .card'))
        .filter(c => c.style.display !== 'none').map(c => c.querySelector('h3').textContent)""")
    assert shown == ["acc/train", "acc/val"]
    set_control(driver, "#tag-filter", "")


def test_text_and_names_from_a_log_run_nothing_and_show_literally(page, driver):
    driver.execute_script("document.getElementById('text').scrollIntoView()")
    hover(driver, 700, 300)
    body = driver.find_element("id", "text").text
    assert "<script>window.pwned = 1</script>" in body
    assert '<img src=x onerror="window.pwned = 2">' in body
    assert driver.execute_script("return document.querySelector('#text strong').textContent") == "bold"
    link = driver.execute_script("return document.querySelector('#text a')")
    assert link is None  # markdown-it refuses javascript: links, leaving the text
    assert driver.execute_script("return document.querySelectorAll('main img:not([src^=\"data:\"]), main script')"
                                 ".length") == 0
    assert driver.execute_script("return window.pwned") is None
    assert fetched(driver) == []


def test_hparams_table_sorts_by_a_column_and_filters(page, driver):
    def column(name):
        return driver.execute_script("""const t = document.querySelector('table.hparams');
            const i = Array.from(t.rows[0].cells).findIndex(c => c.textContent.startsWith(arguments[0]));
            return Array.from(t.rows).slice(1).map(r => r.cells[i].textContent)""", name)

    driver.execute_script("""Array.from(document.querySelectorAll('table.hparams th'))
                               .find(th => th.textContent === 'lr').click()""")
    assert column("lr") == ["0.01", "0.1"]
    driver.execute_script("""Array.from(document.querySelectorAll('table.hparams th'))
                               .find(th => th.textContent.startsWith('lr')).click()""")
    assert column("lr") == ["0.1", "0.01"]
    set_control(driver, ".hparams-controls input", "sgd")
    assert column("run") == ["beta"]
    set_control(driver, ".hparams-controls input", "")
    assert sorted(column("hp/score")) == ["0.5", "1.5"]


def test_images_have_a_step_slider(page, driver):
    card = driver.execute_script("""return Array.from(document.querySelectorAll('#images .card'))
                                      .find(c => c.querySelector('h3').textContent === 'samples — alpha')""")
    driver.execute_script("arguments[0].scrollIntoView()", card)
    src = wait_for(driver, "const i = arguments[0].querySelector('img'); return i && i.src", card)
    assert src.startswith("data:image/png;base64,")
    driver.execute_script("""const s = arguments[0].querySelector('input[type=range]'); s.value = 0;
                             s.dispatchEvent(new Event('input'))""", card)
    assert driver.execute_script("return arguments[0].querySelector('.step').textContent", card) == "step 0 (1 of 2)"
    assert driver.execute_script("return arguments[0].querySelector('img').src", card) != src


def test_seed_groups_draw_plotdata_aggregate(tmp_path, driver):
    for seed in range(3):
        with SummaryWriter(tmp_path / "logs" / f"lr0.1_seed{seed}") as w:
            for step in range(0, 50 + 10 * seed, 1 + seed):
                w.add_scalar("loss", np.sin(step / 7 + seed) + seed, step)
    write_report(tmp_path / "logs", tmp_path / "r.html", group=r"seed\d+")
    open_page(driver, (tmp_path / "r.html").as_uri())
    show_chart(driver, "loss")
    assert driver.execute_script("return window.tbwriterView.drawn('loss')") == ["lr0.1"]
    data = read_scalars(tmp_path / "logs")
    for band in ("std", "minmax"):
        set_control(driver, "#band", band)
        drawn = driver.execute_script("return window.tbwriterView.line('loss', 'lr0.1')")
        curves = [(s.step.astype(float), plotdata.smooth(s.value, 0.6)) for _, s in sorted(data.items())]
        x, mean, lo, hi, _ = plotdata.aggregate(curves, band)
        np.testing.assert_array_equal(drawn["x"], x)
        for ours, theirs in ((drawn["y"], mean), (drawn["lo"], lo), (drawn["hi"], hi)):
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    assert "lr0.1 (3 runs)" in driver.find_element("css selector", ".legend").text
    set_control(driver, "#group", "")
    assert sorted(driver.execute_script("return window.tbwriterView.drawn('loss')")) == \
        [f"lr0.1_seed{k}" for k in range(3)]
    assert console_errors(driver) == []


@pytest.fixture(scope="module")
def spiky(tmp_path_factory):
    """One run of a million points of low noise, with one spike."""
    root = tmp_path_factory.mktemp("spiky")
    values = np.random.default_rng(0).random(1_000_000).astype(np.float32)
    values[654_321] = 100.0
    with SummaryWriter(root / "run") as w:
        for step, value in enumerate(values.tolist()):
            w.add_scalar("spiky", value, step, walltime=1_700_000_000.0)
    return root


def spike_peak(driver, color: str) -> tuple[float, np.ndarray]:
    """Where the run's colour reaches highest in the plot area: that height as a fraction of the area's (0 at
    the top), and the x offsets of the columns reaching it."""
    area = show_chart(driver, "spiky")
    box = near(screenshot(driver)[int(area["top"]):int(area["top"] + area["height"]),
                                  int(area["left"]):int(area["left"] + area["width"])], color, 40)
    row = int(np.flatnonzero(box.any(axis=1))[0])
    return row / area["height"], np.flatnonzero(box[row])


@pytest.mark.parametrize("max_bytes", [10_000_000, 25_000_000], ids=["downsampled", "every-point"])
def test_a_spike_in_a_million_points_is_visible_at_every_zoom(spiky, tmp_path, driver, max_bytes):
    write_report(spiky, tmp_path / "r.html", max_bytes=max_bytes)
    assert (tmp_path / "r.html").stat().st_size <= max_bytes
    open_page(driver, (tmp_path / "r.html").as_uri())
    set_control(driver, "#smoothing", "0")
    series = driver.execute_script("return window.tbwriterView.series('spiky', 'run')")
    # whole, the points take 16 characters each: float32 values, float64 wall times, steps a range
    assert series["downsampled"] == (max_bytes < 16_500_000) and series["points"] == 1_000_000
    assert 100.0 in series["value"]
    color = driver.execute_script("return window.tbwriterView.color('run')")
    area = show_chart(driver, "spiky")
    # the y axis runs to 100 and 5% beyond: the spike's top is 1/21 of the height down, the noise near the bottom
    height, columns = spike_peak(driver, color)
    assert height < 0.06 and all(abs(columns - 654_321 / 999_999 * area["width"]) <= 3)
    # drag over 60,000 steps around the spike, then 2,000, then 300: still there, and every point of it drawn
    for half in (30_000, 1_000, 150):
        drag(driver, "spiky", 654_321 - half, 654_321 + half)
    zoomed = driver.execute_script("return window.tbwriterView.zoom('spiky')")
    assert zoomed is not None and zoomed[1] - zoomed[0] < 400
    height, columns = spike_peak(driver, color)
    assert height < 0.06 and all(abs(columns - (654_321 - zoomed[0]) / (zoomed[1] - zoomed[0]) * area["width"]) <= 3)
    if max_bytes > 16_500_000:  # zoomed to fewer points than columns: each point is its own vertex
        assert driver.execute_script("return window.tbwriterView.vertices('spiky', 'run')") == \
            int(np.floor(zoomed[1]) - np.ceil(zoomed[0]) + 1) + 2  # and one beyond each side
    assert console_errors(driver) == []


def test_the_size_budget_holds_on_noisy_float32_and_the_page_says_what_is_downsampled(tmp_path, driver):
    rng = np.random.default_rng(7)
    for run in ("a", "b", "c"):
        with SummaryWriter(tmp_path / "logs" / run) as w:
            for step, (x, y) in enumerate(rng.standard_normal((100_000, 2)).astype(np.float32).tolist()):
                w.add_scalar("noise/x", x, step)
                if step < 1_000:
                    w.add_scalar("noise/y", y, step)
    out = tmp_path / "r.html"
    result = subprocess.run([sys.executable, "-m", "tbwriter", "report", str(tmp_path / "logs"), "-o", str(out),
                             "--max-bytes", "1500000"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size <= 1_500_000  # where every point would take 4.8 MB (one series of x 1.6 MB)
    open_page(driver, out.as_uri())
    data = read_scalars(tmp_path / "logs")
    for run in ("a", "b", "c"):
        x = driver.execute_script("return window.tbwriterView.series('noise/x', arguments[0])", run)
        y = driver.execute_script("return window.tbwriterView.series('noise/y', arguments[0])", run)
        assert x["downsampled"] and not y["downsampled"]
        assert 4_000 < len(x["step"]) <= 4 * 2_000  # first, last, min and max of 2,000 columns
        logged = data[(run, "noise/x")]
        np.testing.assert_array_equal(logged.value[x["step"]], x["value"])  # kept points are exact
        assert max(x["value"]) == logged.value.max() and min(x["value"]) == logged.value.min()
        np.testing.assert_array_equal(y["value"], data[(run, "noise/y")].value)
    assert "3 of 6 scalar series are downsampled" in driver.find_element("id", "notes").text
    show_chart(driver, "noise/x")
    note = driver.find_element("css selector", "#scalars .card .note").text
    assert re.search(r"downsampled .*columns.*a \(100000 points, \d+ kept\)", note), note
    assert console_errors(driver) == []


def test_report_command_errors_are_one_line(tmp_path, logdir):
    with SummaryWriter(tmp_path / "noise") as w:  # a PNG of noise: 200 kB that do not compress
        w.add_image("noise", np.random.default_rng(0).integers(0, 256, (256, 256, 3), np.uint8), 0, dataformats="HWC")
    def report(*args):
        return subprocess.run([sys.executable, "-m", "tbwriter", "report", *args], capture_output=True, text=True)

    for args, message in (
            ([str(tmp_path / "none"), "-o", str(tmp_path / "r.html")], "no such file or directory"),
            ([str(logdir), "-o", str(tmp_path / "no" / "r.html")], "no such directory"),
            ([str(logdir), "-o", str(tmp_path / "r.html"), "--group", "seed("], "--group: bad regular expression"),
            ([str(logdir), "-o", str(tmp_path / "r.html"), "--tag", "("], "bad regular expression for --tag"),
            ([str(logdir), "-o", str(tmp_path / "r.html"), "--max-bytes", "lots"], "--max-bytes must be"),
            ([str(tmp_path / "noise"), "-o", str(tmp_path / "r.html"), "--max-bytes", "150000"],
             "--max-bytes: the histograms, images, text and hparams alone take")):
        result = report(*args)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr.startswith("tbwriter report: error: ") and result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("tags", [None, "^notes", "(?i)NOTES<B", "b on|zzz"])
def test_text_is_read_whatever_the_tag_filter(logdir, tags):
    from tbwriter.views.data import read_logs

    logs = read_logs([logdir], tags=tags)
    assert list(logs.texts) == [(EVIL_RUN, EVIL_TAG)]
    assert {tag for _, tag in logs.scalars} == ({"loss", "acc/train", "acc/val", "hp/score"} if tags is None else set())
    assert sorted(logs.images) == ([("alpha", "samples"), ("beta", "samples")] if tags is None else [])


def test_write_report_refuses_a_bad_regex_naming_it(tmp_path, logdir):
    with pytest.raises(ValueError, match="runs: bad regular expression"):
        write_report(logdir, tmp_path / "r.html", runs="a[")
