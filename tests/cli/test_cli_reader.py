"""`tbwriter ls / export / convert` as a new user types them from the documentation, run as `python -m tbwriter`."""
import argparse
import csv
import io
import os
import re
import shlex
import signal
import subprocess
import sys

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_scalars
from tbwriter.tables.convert import convert_csv
from tests.support import docpages
from tests.support.cli import run_with_file_size_limit, tbwriter


def docs_block(page: str, heading: str, language: str) -> str:
    """The first ``language`` block of ``page`` under ``heading``."""
    return docpages.blocks(docpages.section(docpages.read(page), heading), language)[0].code


def keras_csv_logger_file(path):
    """A training.log written by Keras's own CSVLogger: a metric missing in an epoch is written as NA."""
    keras = pytest.importorskip("keras")
    logger = keras.callbacks.CSVLogger(str(path))
    logger.on_train_begin()
    logger.on_epoch_end(0, {"loss": 1.25, "accuracy": 0.5, "val_loss": 1.5})
    logger.on_epoch_end(1, {"loss": 0.75, "accuracy": 0.625})
    logger.on_epoch_end(2, {"loss": 0.5, "accuracy": 0.75, "val_loss": 0.875})
    logger.on_train_end()


# Lightning's CSVLogger layout: one column per metric, rows sparse, `epoch` logged as a metric too
LIGHTNING_CSV = """epoch,step,train_loss,val_loss
0,49,0.9,
0,99,0.8,
0,99,,0.85
1,149,0.7,
1,199,0.65,
1,199,,0.6
"""


def test_docs_reading_example_runs(tmp_path, root):
    code = docs_block("docs/reading.md", "# Reading logs back", "python")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[:4] == ["20000", "[0", "1", "2]"]


def test_docs_cli_examples_run(tmp_path):
    keras_csv_logger_file(tmp_path / "training.log")
    (tmp_path / "metrics.csv").write_text(LIGHTNING_CSV)
    for line in docs_block("docs/cli.md", "## `ls`, `export`", "bash").splitlines():
        argv = shlex.split(line, comments=True)
        assert argv[0] == "tbwriter"
        out = tbwriter(*argv[1:], cwd=tmp_path)
        assert out.returncode == 0, (line, out.stderr)
        assert "Traceback" not in out.stderr
        if argv[1] == "ls":
            assert re.search(r"lr0\.5/seed0\s+epoch/loss\s+scalar\s+5\s+0\.\.4", out.stdout), out.stdout
    with open(tmp_path / "scalars.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["run"] for r in rows} == {f"lr{lr}/seed{s}" for lr in ("0.05", "0.5") for s in range(3)}
    with open(tmp_path / "wide.csv", newline="") as f:
        wide = list(csv.reader(f))
    assert wide[0][0] == "step" and all(c.startswith("lr0.5/seed") and "/epoch/" in c for c in wide[0][1:])
    assert len(wide) == 6
    data = read_scalars(tmp_path / "runs/csv")
    assert data[("training", "val_loss")].step.tolist() == [0, 2]  # the NA epoch is skipped
    assert data[("lightning", "val_loss")].step.tolist() == [99, 199]
    assert data[("lightning", "train_loss")].step.tolist() == [49, 99, 149, 199]


def test_top_help_opens_with_what_users_need():
    out = tbwriter("--help")
    assert out.returncode == 0 and "tbwriter.cli" not in out.stdout and "``" not in out.stdout
    lines = out.stdout.splitlines()
    assert lines[2].startswith("TensorBoard logs in a terminal, without TensorFlow")
    examples = [line.split()[1] for line in lines if line.startswith("  tbwriter ")]
    assert examples == ["demo", "ls", "export", "plot", "report", "serve", "hparams", "tail"]


def test_every_subcommand_has_help_with_examples():
    from tbwriter.cli.main import build_parser

    (subcommands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"demo", "ls", "export", "convert", "plot"} <= set(subcommands.choices)
    for command in subcommands.choices:
        out = tbwriter(command, "--help")
        assert out.returncode == 0 and "examples:" in out.stdout and f"tbwriter {command} " in out.stdout


def test_export_long_matches_reader_exactly(tmp_path):
    with SummaryWriter(tmp_path / "a,b") as w:  # a run name that needs CSV quoting
        for i in range(30):
            w.add_scalar("x", 1 / 3 + i, i)
        w.add_scalar("odd", float("nan"), 3)
    out = tbwriter("export", str(tmp_path))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    s = read_scalars(tmp_path)[("a,b", "x")]
    got = [r for r in rows if r["tag"] == "x"]
    assert [int(r["step"]) for r in got] == s.step.tolist()
    assert [float(r["value"]) for r in got] == s.value.tolist()
    assert [float(r["wall_time"]) for r in got] == s.wall_time.tolist()
    assert [r["value"] for r in rows if r["tag"] == "odd"] == ["nan"]


def test_export_filters_and_wide_layout(tmp_path):
    for run in ("seed0", "seed1"):
        with SummaryWriter(tmp_path / run) as w:
            for i in range(0, 10, 1 if run == "seed0" else 2):
                w.log_metrics({"loss": i / 10, "acc": i}, i)
    out = tbwriter("export", str(tmp_path), "--tag", "^loss$", "--wide", "-o", str(tmp_path / "w.csv"))
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(open(tmp_path / "w.csv", newline="")))
    assert rows[0] == ["step", "seed0/loss", "seed1/loss"]
    assert rows[2] == ["1", "0.10000000149011612", ""] and rows[3][2] == "0.20000000298023224"
    out = tbwriter("export", str(tmp_path), "--run", "seed1", "--tag", "acc")
    assert {tuple(r[:2]) for r in csv.reader(io.StringIO(out.stdout))} == {("run", "tag"), ("seed1", "acc")}


def test_export_of_some_tags_in_every_way_of_reading(framing, tmp_path):
    with SummaryWriter(tmp_path / "mixed") as w:  # values of several tags a record, and of one
        for i in range(20):
            w.log_metrics({"loss": i / 10, "acc": i}, i)
            w.add_scalar("acc/val", i / 20, i)
    with SummaryWriter(tmp_path / "one") as w:  # a file-version record and one value
        w.add_scalar("acc", 0.5, 3)
    out = tbwriter("export", str(tmp_path), "--tag", "^acc", framing=framing)
    assert out.returncode == 0 and not out.stderr, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    everything = read_scalars(tmp_path)
    assert sorted({(r["run"], r["tag"]) for r in rows}) == [("mixed", "acc"), ("mixed", "acc/val"), ("one", "acc")]
    for (run, tag), series in everything.items():
        got = [r for r in rows if (r["run"], r["tag"]) == (run, tag)]
        assert [float(r["value"]) for r in got] == (series.value.tolist() if tag.startswith("acc") else [])


def test_wide_columns_never_share_a_name(tmp_path):
    with SummaryWriter(tmp_path / "a" / "b") as w:
        w.add_scalar("c", 1.0, 0)
    with SummaryWriter(tmp_path / "a") as w:
        w.add_scalar("b/c", 2.0, 0)
    out = tbwriter("export", str(tmp_path), "--wide")
    assert out.returncode == 0, out.stderr
    assert list(csv.reader(io.StringIO(out.stdout))) == [["step", "a|b/c", "a/b|c"], ["0", "2.0", "1.0"]]


@pytest.mark.parametrize("argv, message", [
    (["ls", "{tmp}/nope"], r"^tbwriter ls: error: no such file or directory: .*nope$"),
    (["export", "{tmp}"], r"^tbwriter export: error: no event files .* under "),
    (["export", "{tmp}", "--tag", "("], r"^tbwriter export: error: bad regular expression for --tag '\('"),
    (["convert", "{tmp}/missing.csv", "--logdir", "{tmp}/out"], r"^tbwriter convert: error: .*No such file"),
    (["convert", "{tmp}/binary.csv", "--logdir", "{tmp}/out"], r"^tbwriter convert: error: not a CSV file"),
    (["convert", "{tmp}/words.csv", "--logdir", "{tmp}/out"], r"^tbwriter convert: error: no numeric column in "),
    (["convert", "{tmp}/words.csv", "--logdir", "{tmp}/out", "--step-column", "iter"],
     r"^tbwriter convert: error: --step-column 'iter' is not a column of "),
    (["convert", "{tmp}/fraction.csv", "--logdir", "{tmp}/out"],
     r"^tbwriter convert: error: fractional step 1.5 in data row 2, column 'step', of .*fraction\.csv: steps are "),
    (["convert", "{tmp}/negative.csv", "--logdir", "{tmp}/out"],
     r"^tbwriter convert: error: negative step -1 in data row 3, column 'epoch', of .*negative\.csv: steps start"),
])
def test_errors_are_one_line_and_nonzero(tmp_path, argv, message):
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)))
    (tmp_path / "words.csv").write_text("name,comment\nalice,hello\nbob,NA\n")
    (tmp_path / "fraction.csv").write_text("step,loss\n1,0.5\n1.5,0.4\n")
    (tmp_path / "negative.csv").write_text("epoch,loss\n1,0.5\nNA,0.4\n-1,0.3\n")
    out = tbwriter(*[a.format(tmp=tmp_path) for a in argv])
    assert out.returncode == 1
    assert out.stdout == ""
    assert len(out.stderr.splitlines()) == 1 and re.search(message, out.stderr.strip()), out.stderr


@pytest.mark.parametrize("argv, message", [
    (["nope"], r"^tbwriter: error: argument COMMAND: invalid choice: 'nope' .*\(see tbwriter --help\)$"),
    (["convert"], r"^tbwriter convert: error: the following arguments are required: CSV, --logdir "),
    (["plot", "runs", "-o", "x.png", "--cols", "x"], r"^tbwriter plot: error: argument --cols: invalid int value"),
    (["export", "runs", "--bogus"], r"^tbwriter: error: unrecognized arguments: --bogus"),
])
def test_usage_errors_are_one_line_too(argv, message):
    out = tbwriter(*argv)
    assert out.returncode == 2 and out.stdout == "" and len(out.stderr.splitlines()) == 1, out.stderr
    assert re.search(message, out.stderr), out.stderr


def test_ls_kinds_counts_and_damage(tmp_path):
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    w = torch_tb.SummaryWriter(str(tmp_path / "torch"))
    for i in range(3):
        w.add_scalar("loss", 1.0, i * 10)
        w.add_histogram("weights", np.arange(10.0), i)
    w.add_text("note", "hello", 0)
    w.add_image("img", np.zeros((3, 4, 4)), 0)
    w.add_hparams({"lr": 0.1}, {"hp/acc": 1.0}, run_name=".")
    w.close()
    with SummaryWriter(tmp_path / "broken") as bw:
        for i in range(12_000):
            bw.add_scalar("x", i, i)
    broken = next((tmp_path / "broken").iterdir())
    broken.write_bytes(broken.read_bytes()[:-7])
    out = tbwriter("ls", str(tmp_path))
    assert out.returncode == 0, out.stderr
    table = {tuple(line.split()[:3]): line.split()[3:] for line in out.stdout.splitlines()}
    assert table[("torch", "loss", "scalar")] == ["3", "0..20"]
    assert table[("torch", "weights", "histogram")] == ["3", "0..2"]
    assert ("torch", "note/text_summary", "text") in table and ("torch", "img", "image") in table
    assert ("torch", "_hparams_/experiment", "hparams") in table
    assert table[("broken", "x", "scalar")] == ["11999", "0..11998"]
    assert "damaged files (1)" in out.stdout and f"{broken}: torn record" in out.stdout
    assert out.stderr.startswith("warning: damaged event file") and str(broken) in out.stderr


def test_generic_csv_separator_time_and_skipped_counts(tmp_path):
    path = tmp_path / "log.tsv"
    path.write_text("iter\ttimestamp\tloss\tnote\n"
                    "10\t2024-01-01T00:00:00Z\t0.5\tok\n"
                    "20\t2024-01-01T00:01:00+00:00\tNA\tok\n"
                    "30\t1704067300.5\t0.25\t\n")
    out = tbwriter("convert", str(path), "--logdir", str(tmp_path / "runs"), "--step-column", "iter")
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().endswith("1 tag, 2 points from 3 rows (step from 'iter', wall time from "
                                       "'timestamp'); 4 empty, NA or non-numeric cells skipped")
    s = read_scalars(tmp_path / "runs")[("log", "loss")]
    assert s.step.tolist() == [10, 30] and s.wall_time.tolist() == [1704067200.0, 1704067300.5]


def test_generic_csv_without_step_column_uses_row_number(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("a;b\n1;2\n3;x\n5;6\n")
    report = convert_csv(path, tmp_path / "runs", run="r")
    assert (report.step_column, report.skipped, report.points) == (None, 1, 5)
    data = read_scalars(tmp_path / "runs")
    assert data[("r", "a")].step.tolist() == [0, 1, 2] and data[("r", "b")].step.tolist() == [0, 2]


def test_round_trip_convert_then_export(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(200, 3)) * [1, 1e-6, 1e6]
    lines = ["step,wall_time,loss,grad,big"] + [f"{i * 5},{1.7e9 + i},{a},{b},{c}"
                                               for i, (a, b, c) in enumerate(values.tolist())]
    (tmp_path / "run.csv").write_text("\n".join(lines) + "\n")
    assert tbwriter("convert", str(tmp_path / "run.csv"), "--logdir", str(tmp_path / "logs")).returncode == 0
    out = tbwriter("export", str(tmp_path / "logs"), "--wide")
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["step", "run/loss", "run/grad", "run/big"]
    assert [int(r[0]) for r in rows[1:]] == list(range(0, 1000, 5))
    got = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    np.testing.assert_array_equal(got, values.astype(np.float32).astype(np.float64))
    long = list(csv.DictReader(io.StringIO(tbwriter("export", str(tmp_path / "logs")).stdout)))
    assert [float(r["wall_time"]) for r in long if r["tag"] == "loss"] == [1.7e9 + i for i in range(200)]


def test_pandas_csv_with_unnamed_index_and_repeated_names(tmp_path):
    pd = pytest.importorskip("pandas")
    pd.DataFrame({"step": [0, 10, 20], "loss": [0.5, 0.25, 0.125]}).to_csv(tmp_path / "df.csv")  # unnamed index
    (tmp_path / "rep.csv").write_text("step,x,x\n1,2,3\n")
    convert_csv(tmp_path / "df.csv", tmp_path / "runs")
    convert_csv(tmp_path / "rep.csv", tmp_path / "runs")
    data = read_scalars(tmp_path / "runs")
    assert data[("df", "loss")].step.tolist() == [0, 10, 20]
    assert data[("df", "column1")].value.tolist() == [0, 1, 2]
    assert data[("rep", "x")].value.tolist() == [2] and data[("rep", "x.1")].value.tolist() == [3]


def event_files(root) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root)
                  for f in files if "tfevents" in f)


def assert_one_line_error(out, command: str, message: str) -> None:
    assert out.returncode == 1 and out.stdout == "", (out.returncode, out.stdout)
    assert len(out.stderr.splitlines()) == 1 and out.stderr.startswith(f"tbwriter {command}: error: "), out.stderr
    assert re.search(message, out.stderr), out.stderr


@pytest.mark.parametrize("text, message", [
    (",,,\n,,,\n", r"not a CSV file \(only separators, no cell has a value\): .*seps\.csv"),
    ("|||\n| | |\n", r"not a CSV file \(only separators, no cell has a value\): .*seps\.csv"),
])
def test_convert_refuses_a_csv_without_cells_in_one_line(tmp_path, text, message):
    (tmp_path / "seps.csv").write_text(text)
    out = tbwriter("convert", str(tmp_path / "seps.csv"), "--logdir", str(tmp_path / "runs"))
    assert_one_line_error(out, "convert", message)
    assert event_files(tmp_path) == []


def test_convert_skips_a_text_cell_longer_than_csvs_field_limit(tmp_path):
    note = "x" * (csv.field_size_limit() + 1)  # 128 KiB + 1: csv.reader's default limit
    (tmp_path / "log.csv").write_text(f"step,loss,note\n0,0.5,{note}\n1,0.25,short\n")
    out = tbwriter("convert", str(tmp_path / "log.csv"), "--logdir", str(tmp_path / "runs"))
    assert out.returncode == 0, out.stderr
    assert "1 tag, 2 points from 2 rows" in out.stderr and "2 empty, NA or non-numeric cells skipped" in out.stderr
    assert read_scalars(tmp_path / "runs")[("log", "loss")].value.tolist() == [0.5, 0.25]
    assert csv.field_size_limit() == len(note) - 1  # the process-wide limit is left as it was


def test_failed_convert_leaves_nothing(tmp_path):
    rows = "\n".join(f"{i},{i / 7},{i / 11},{i / 13}" for i in range(40_000))
    (tmp_path / "big.csv").write_text("step,a,b,c\n" + rows + "\n")
    out = run_with_file_size_limit(500_000, "convert", str(tmp_path / "big.csv"), "--logdir",
                                   str(tmp_path / "runs"))
    assert_one_line_error(out, "convert", r"\[Errno 27\] File too large: '.*big\.csv'")
    assert event_files(tmp_path) == [] and os.listdir(tmp_path / "runs") == []
    out = tbwriter("convert", str(tmp_path / "big.csv"), "--logdir", str(tmp_path / "runs"))
    assert out.returncode == 0, out.stderr  # nothing half-written stands in the way of trying again
    assert len(read_scalars(tmp_path / "runs")[("big", "a")]) == 40_000


def test_convert_of_several_csvs_is_all_or_nothing(tmp_path):
    (tmp_path / "a.csv").write_text("step,loss\n0,1\n")
    (tmp_path / "b.csv").write_text("name\nalice\n")
    out = tbwriter("convert", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "--logdir", str(tmp_path / "runs"))
    assert_one_line_error(out, "convert", r"no numeric column in .*b\.csv")
    assert event_files(tmp_path) == []
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "a.csv").write_text("step,loss\n0,2\n")
    out = tbwriter("convert", str(tmp_path / "a.csv"), str(tmp_path / "other" / "a.csv"), "--logdir",
                   str(tmp_path / "runs"))
    assert_one_line_error(out, "convert", r"and another CSV would both write the run .*runs/a")
    assert event_files(tmp_path) == []


def test_converting_into_a_run_again_is_refused_unless_asked(tmp_path):
    (tmp_path / "train.csv").write_text("epoch,loss\n0,1.5\n1,0.5\n")
    convert = ("convert", str(tmp_path / "train.csv"), "--logdir", str(tmp_path / "runs"))
    assert tbwriter(*convert).returncode == 0
    first = event_files(tmp_path / "runs")
    out = tbwriter(*convert)
    assert_one_line_error(out, "convert", r"runs/train already holds event files: converting into it again would "
                                          r"repeat every point; .*--overwrite or --append")
    assert event_files(tmp_path / "runs") == first
    assert read_scalars(tmp_path / "runs")[("train", "loss")].step.tolist() == [0, 1]
    out = tbwriter(*convert, "--overwrite")
    assert out.returncode == 0, out.stderr
    replaced = event_files(tmp_path / "runs")
    assert len(replaced) == 1 and replaced != first
    assert read_scalars(tmp_path / "runs")[("train", "loss")].step.tolist() == [0, 1]
    assert tbwriter(*convert, "--append").returncode == 0
    assert len(event_files(tmp_path / "runs")) == 2
    assert read_scalars(tmp_path / "runs")[("train", "loss")].step.tolist() == [0, 1, 0, 1]
    out = tbwriter(*convert, "--append", "--overwrite")
    assert out.returncode == 2 and "not allowed with argument" in out.stderr
    with pytest.raises(ValueError, match="if_exists must be one of 'fail', 'overwrite', 'append', got 'replace'"):
        convert_csv(tmp_path / "train.csv", tmp_path / "runs", if_exists="replace")


@pytest.mark.parametrize("run", ["../escaped", "/tmp/absolute_run", "a/../../escaped", "", ".."])
def test_run_names_must_stay_inside_the_logdir(tmp_path, run):
    (tmp_path / "train.csv").write_text("epoch,loss\n0,1.5\n")
    (tmp_path / "logs").mkdir()
    if run.startswith("/"):
        run = str(tmp_path / "absolute_run")
    out = tbwriter("convert", str(tmp_path / "train.csv"), "--logdir", str(tmp_path / "logs"), "--run", run)
    assert_one_line_error(out, "convert", r"must be a relative name inside the logdir .*logs \(no absolute path, "
                                          r"no '\.\.', no NUL, not '\.'\)")
    assert event_files(tmp_path) == []
    assert convert_csv(tmp_path / "train.csv", tmp_path / "logs", run="nested/run").run_dir == \
        str(tmp_path / "logs" / "nested" / "run")


def test_failed_export_leaves_no_partial_file(tmp_path):
    with SummaryWriter(tmp_path / "logs") as w:
        for i in range(50_000):
            w.add_scalar("loss", 1 / (i + 1), i)
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")
    out = run_with_file_size_limit(200_000, "export", str(tmp_path / "logs"), "-o", str(target))
    assert_one_line_error(out, "export", rf"File too large: '{re.escape(str(target))}'$")
    assert target.read_text() == "the previous export\n" and sorted(os.listdir(tmp_path)) == ["logs", "out.csv"]
    out = run_with_file_size_limit(200_000, "export", str(tmp_path / "logs"), "--wide", "-o", str(tmp_path / "w.csv"))
    assert_one_line_error(out, "export", r"File too large")
    assert sorted(os.listdir(tmp_path)) == ["logs", "out.csv"]
    assert tbwriter("export", str(tmp_path / "logs"), "-o", str(target)).returncode == 0
    assert len(target.read_text().splitlines()) == 50_001 and oct(target.stat().st_mode & 0o777) != "0o600"


def test_interrupted_export_leaves_no_partial_file(tmp_path, root):
    with SummaryWriter(tmp_path / "logs") as w:
        for i in range(200_000):
            w.log_metrics({"a": i, "b": -i, "c": i / 3, "d": i / 7, "e": i / 11}, i)
    target = tmp_path / "out.csv"
    proc = subprocess.Popen([sys.executable, "-m", "tbwriter", "export", str(tmp_path / "logs"), "-o", str(target)],
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(root)))
    writing: list[str] = []
    while not writing and proc.poll() is None:  # wait until the export has written some rows, wherever it writes
        writing = [f for f in os.listdir(tmp_path) if f != "logs" and os.path.getsize(tmp_path / f)]
    proc.send_signal(signal.SIGSTOP)  # held mid-write (a million rows take seconds): the Ctrl-C lands there
    assert proc.poll() is None, "the export ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGCONT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and err == "tbwriter export: interrupted\n", (proc.returncode, err)
    assert sorted(os.listdir(tmp_path)) == ["logs"]


def test_export_into_a_missing_directory_names_the_file_asked_for(tmp_path):
    with SummaryWriter(tmp_path / "runs") as w:
        w.add_scalar("x", 1.0, 0)
    out = tbwriter("export", str(tmp_path / "runs"), "-o", str(tmp_path / "nodir" / "out.csv"))
    assert_one_line_error(out, "export", rf"\[Errno 2\] No such file or directory: "
                                         rf"'{re.escape(str(tmp_path / 'nodir' / 'out.csv'))}'$")


def test_export_and_ls_keep_run_names_that_are_not_utf8(tmp_path, root):
    name = b"r\xe9sultats"  # a Latin-1 directory name, as made on another system
    os.mkdir(os.path.join(os.fsencode(tmp_path), name))
    with SummaryWriter(os.path.join(tmp_path, os.fsdecode(name))) as w:
        for i in range(3):
            w.add_scalar("loss", i / 2, i)
    with SummaryWriter(tmp_path / "zz_plain") as w:
        w.add_scalar("loss", 1.0, 0)
    out = subprocess.run([sys.executable, "-m", "tbwriter", "export", str(tmp_path)], capture_output=True,
                         env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == b"run,tag,step,wall_time,value"
    assert [line.split(b",")[0] for line in out.stdout.splitlines()[1:]] == [name] * 3 + [b"zz_plain"]
    assert tbwriter("export", str(tmp_path), "--wide", "-o", str(tmp_path / "w.csv")).returncode == 0
    assert (tmp_path / "w.csv").read_bytes().splitlines()[0] == b"step," + name + b"/loss,zz_plain/loss"
    out = subprocess.run([sys.executable, "-m", "tbwriter", "ls", str(tmp_path)], capture_output=True,
                         env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    assert out.returncode == 0 and out.stdout.splitlines()[1].startswith(name + b" "), out


OUT_OF_MEMORY = """
import resource, sys
import tbwriter.cli.main, tbwriter.cli.ls, tbwriter.reading.reader  # imported before the limit: only the read is short

with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
limit = size + (24 << 20)  # far less than reading the log takes
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.exit(tbwriter.cli.main.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux's /proc for the process's size")
def test_running_out_of_memory_while_reading_is_one_line_naming_the_file(tmp_path, root):
    with SummaryWriter(tmp_path) as w:
        for step in range(400_000):  # about 17 MB
            w.add_scalar("loss", step * 0.5, step)
    name = event_files(tmp_path)[0]
    for args, hint in ((["ls", str(tmp_path)], "tags="), (["export", str(tmp_path)], "--tag REGEX")):
        out = subprocess.run([sys.executable, "-c", OUT_OF_MEMORY, *args], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
        assert_one_line_error(out, args[0], f"out of memory reading .*{re.escape(name)}.*{re.escape(hint)}.*memory")


def test_export_matching_nothing_is_an_error_listing_what_is_there(tmp_path):
    for run in ("a", "b"):
        with SummaryWriter(tmp_path / run) as w:
            w.add_scalar("loss", 1.0, 0)
            w.add_scalar(f"only_{run}", 1.0, 0)
            w.add_histogram("weights", np.arange(3.0), 0)
    out = tbwriter("export", str(tmp_path), "--tag", "nosuch")
    assert_one_line_error(out, "export", rf"no scalars under {re.escape(str(tmp_path))} match --tag 'nosuch'; "
                                         r"scalar tags there: loss, only_a, only_b$")
    out = tbwriter("export", str(tmp_path), "--tag", "nosuch", "--run", "^a")
    assert_one_line_error(out, "export", r"match --tag 'nosuch'; scalar tags there \(in runs matching --run '\^a'\): "
                                         r"loss, only_a$")
    out = tbwriter("export", str(tmp_path), "--run", "c")
    assert_one_line_error(out, "export", rf"no run under {re.escape(str(tmp_path))} matches --run 'c'; runs: a, b$")


def test_a_file_that_is_no_event_file_is_an_error_not_damage(tmp_path):
    text = tmp_path / "passwd"
    text.write_text("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    for command in ("ls", "export", "hparams"):
        out = tbwriter(command, str(text))
        assert_one_line_error(out, command, rf"not an event file \(no TFRecord at byte 0\): {re.escape(str(text))}$")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "events.out.tfevents.1.host").write_bytes(text.read_bytes())
    out = tbwriter("ls", str(tmp_path / "run"))
    assert_one_line_error(out, "ls", r"not an event file \(no TFRecord at byte 0\): .*events.out.tfevents.1.host$")
    with SummaryWriter(tmp_path / "run" / "good") as w:  # beside a real run it is one damaged file among others
        w.add_scalar("loss", 1.0, 0)
    out = tbwriter("ls", str(tmp_path / "run"))
    assert out.returncode == 0 and "damaged files (1)" in out.stdout and "good" in out.stdout, out.stderr
