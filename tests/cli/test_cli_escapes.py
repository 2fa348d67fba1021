"""A logdir's names cannot drive the terminal: `ls`, `hparams`, `tail` and error lines print control characters
escaped (as a repr does), and keep every other character, any script, as it is."""
import os
import signal
import subprocess
import sys

import pytest

from tbwriter import SummaryWriter
from tbwriter.cli.printable import shown
from tests.support.cli import Lines, tbwriter

RUN = "evil\x1b]0;pwned\x07"          # sets the window title
TAG = "loss\x1b[2J\u2028été"         # clears the screen, then a line separator
HPARAM = "lr\x1b[31m"               # turns the rest red
VALUE = "adam\x9b2J"                # C1 CSI, as 8-bit terminals read it


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    with SummaryWriter(root / RUN) as w:
        w.add_hparams({HPARAM: 0.1, "optimizer": VALUE}, {})
        w.add_scalar(TAG, 0.5, 1)
    return str(root)


def test_shown_escapes_controls_only():
    assert shown("plain/ünïcödé 日本") == "plain/ünïcödé 日本"
    assert shown(RUN) == "evil\\x1b]0;pwned\\x07"
    assert shown("a\tb\nc\x7fd\x85\u2029") == "a\\tb\\nc\\x7fd\\x85\\u2029"
    assert shown("r\udce9s\udc9b") == "r\udce9s\\x9b"  # a non-UTF-8 byte stays the byte, unless it is a C1 control
    # bidirectional overrides and isolates reorder the screen ("lr0.1" + RLO + "1e-3" shows as "lr0.13-e1");
    # the zero-width joiner of an emoji stays
    assert shown("lr0.1\u202e1e-3\u2066x\u2069") == "lr0.1\\u202e1e-3\\u2066x\\u2069"
    assert shown("\U0001f469\u200d\U0001f52c") == "\U0001f469\u200d\U0001f52c"


def assert_escaped(output: str, *names: str) -> None:
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0 or c == "\u2028" for c in output), output
    for name in names:
        assert shown(name) in output, (name, output)


def test_ls_escapes_run_and_tag(logdir):
    out = tbwriter("ls", logdir)
    assert out.returncode == 0, out.stderr
    assert_escaped(out.stdout, RUN, TAG)
    assert "été" in out.stdout


def test_hparams_table_escapes_names_and_values(logdir):
    out = tbwriter("hparams", logdir)
    assert out.returncode == 0, out.stderr
    assert_escaped(out.stdout, RUN, HPARAM, VALUE)


def test_error_lines_escape_names(logdir):
    out = tbwriter("hparams", logdir, "--sort", "nosuch")
    assert out.returncode == 1 and "no such column" in out.stderr, out.stderr
    assert_escaped(out.stderr, HPARAM)


def test_tail_escapes_run_and_tag(logdir, root):
    tail = subprocess.Popen([sys.executable, "-m", "tbwriter", "tail", logdir, "--all"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(root)))
    try:
        line = Lines(tail.stdout).next(60)
        tail.send_signal(signal.SIGINT)
        assert tail.wait(30) == 0
    finally:
        tail.kill()
    assert_escaped(line, RUN, TAG)
    assert line.endswith("step 1  0.5")
