"""`tbwriter hparams`: the sessions table sorted best first, its CSV equal to read_hparams, one-line errors."""
import csv
import math

import pytest

from tbwriter import SummaryWriter, read_hparams
from tests.support.cli import tbwriter


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    for lr, acc, loss in [(0.1, 0.7, 0.4), (0.01, 0.9, 0.2), (0.001, 0.8, 0.3)]:
        with SummaryWriter(root / f"lr{lr}") as w:
            w.add_hparams({"lr": lr, "optimizer": "adam" if lr < 0.05 else "sgd", "bn": lr > 0.005}, {})
            w.add_scalar("val/accuracy", acc, 10)
            w.add_scalar("loss", loss, 10)
    with SummaryWriter(root / "no_metrics") as w:
        w.add_hparams({"lr": 1.0}, {})
    return root


def table_rows(stdout):
    return [line.split() for line in stdout.splitlines()]


def test_sorted_best_first_and_marked(sweep):
    out = tbwriter("hparams", str(sweep), "--sort", "val/accuracy")
    assert out.returncode == 0, out.stderr
    rows = table_rows(out.stdout)
    assert rows[0][:2] == ["run", "status"]
    assert [r[1] if r[0] == "*" else r[0] for r in rows[1:]] == ["lr0.01", "lr0.001", "lr0.1", "no_metrics"]
    assert rows[1][0] == "*" and all(r[0] != "*" for r in rows[2:])


def test_loss_sorts_ascending_and_order_overrides(sweep):
    runs = [r[1] if r[0] == "*" else r[0] for r in table_rows(tbwriter("hparams", str(sweep), "--sort", "loss").stdout)]
    assert runs[1:] == ["lr0.01", "lr0.001", "lr0.1", "no_metrics"]
    out = tbwriter("hparams", str(sweep), "--sort", "lr", "--order", "desc", "--run", "^lr")
    assert [r[1] if r[0] == "*" else r[0] for r in table_rows(out.stdout)][1:] == ["lr0.1", "lr0.01", "lr0.001"]


def test_csv_equals_read_hparams(sweep, tmp_path):
    out = tbwriter("hparams", str(sweep), "-o", str(tmp_path / "table.csv"))
    assert out.returncode == 0 and out.stdout == "", out.stderr
    with open(tmp_path / "table.csv", newline="") as f:
        rows = {r["run"]: r for r in csv.DictReader(f)}
    table = read_hparams(sweep)
    assert rows.keys() == {s.run for s in table.sessions}
    for s in table.sessions:
        row = rows[s.run]
        assert row["status"] == s.status
        for name in table.hparam_names:
            value = s.hparams.get(name)
            assert row[name] == ("" if value is None else repr(value) if isinstance(value, float) else str(value))
        for name in table.metric_names:
            value = s.metrics.get(name, math.nan)
            assert (row[name] == "" and math.isnan(value)) or float(row[name]) == value
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("argv, message", [
    (["--sort", "nope"], "--sort 'nope': no such column"),
    (["--run", "("], "bad regular expression for --run"),
    (["--run", "zzz"], "no hparams sessions under"),
    (["-o", "/no/such/dir/t.csv"], "no such directory"),
])
def test_errors_are_one_line(sweep, argv, message):
    out = tbwriter("hparams", str(sweep), *argv)
    assert out.returncode == 1 and message in out.stderr and len(out.stderr.splitlines()) == 1, out.stderr


def test_stderr_names_the_sort_column_as_the_help_describes(sweep, tmp_path):
    out = tbwriter("hparams", str(sweep))  # "loss" comes first, but a validation metric is preferred
    assert out.returncode == 0 and out.stderr == "tbwriter hparams: sorted by val/accuracy, descending, best first\n"
    out = tbwriter("hparams", str(sweep), "--sort", "lr")
    assert out.stderr == "tbwriter hparams: sorted by lr, ascending\n"
    out = tbwriter("hparams", str(sweep), "--sort", "loss", "--order", "desc")
    assert out.stderr == "tbwriter hparams: sorted by loss, descending\n"
    help_text = " ".join(tbwriter("hparams", "--help").stdout.split())
    assert "default: the first validation metric whose name says which way is better, else the first such" \
           in help_text
    with SummaryWriter(tmp_path / "run") as w:
        w.add_hparams({"lr": 0.1}, {})
        w.add_scalar("speed", 1.0, 1)
    out = tbwriter("hparams", str(tmp_path / "run"))
    assert out.returncode == 0 and out.stderr.startswith("tbwriter hparams: not sorted: no metric's name says")


def test_a_run_folder_gets_a_hint_to_pass_its_parent(sweep):
    out = tbwriter("hparams", str(sweep / "lr0.1"))
    assert out.returncode == 0 and out.stdout.splitlines()[1].split()[0] == "."
    assert out.stderr.splitlines()[-1] == (f"tbwriter hparams: hint: {sweep / 'lr0.1'} is a run folder: pass the "
                                           f"folder above it to see its metrics beside the other runs' "
                                           f"(tbwriter hparams {sweep})")
    (event_file,) = (sweep / "lr0.1").glob("*tfevents*")
    out = tbwriter("hparams", str(event_file))
    assert out.returncode == 0 and out.stderr.splitlines()[-1].endswith(f"(tbwriter hparams {sweep})"), out.stderr


def test_no_best_mark_unless_sorted_best_first_by_a_metric(sweep):
    # worst loss first, or sorted by a hparam: the first row is no best one, so it is not marked
    for options in (("--sort", "loss", "--order", "desc"), ("--sort", "lr")):
        out = tbwriter("hparams", str(sweep), *options)
        assert out.returncode == 0, out.stderr
        assert all(r[0] != "*" for r in table_rows(out.stdout)[1:]), options
        assert "best first" not in out.stderr
    out = tbwriter("hparams", str(sweep), "--sort", "loss", "--order", "asc")  # the order the name says: best first
    assert table_rows(out.stdout)[1][0] == "*" and "ascending, best first" in out.stderr
