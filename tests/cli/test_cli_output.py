"""Every `-o` of the command line (export, hparams, plot) writes where shell redirection would: through a symlink to
its target, straight into a FIFO or a descriptor alias, and `-` to stdout; a regular file still appears whole."""
import os
import stat
import subprocess
import sys

import pytest

from tbwriter import SummaryWriter
from tests.support.cli import tbwriter

# command -> (arguments before the logdir's output, a file name it accepts, the first bytes of what it writes)
COMMANDS = {
    "export": (["export"], "out.csv", b"run,tag,step,wall_time,value"),
    "hparams": (["hparams"], "out.csv", b"run,status,lr"),
    "plot": (["plot", "--format", "svg"], "out.svg", b"<?xml"),
    "report": (["report"], "out.html", b"<!DOCTYPE html>"),
}


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    with SummaryWriter(root / "lr0.1") as w:
        w.add_hparams({"lr": 0.1}, {})
        for step in range(3):
            w.add_scalar("loss", 1 / (step + 1), step)
    return str(root)


def argv(command: str, logdir: str, output: str) -> list[str]:
    before, _, _ = COMMANDS[command]
    return [before[0], logdir, "-o", output, *before[1:]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_symlink_stays_a_link_and_its_target_gets_the_output(command, logdir, tmp_path):
    _, name, start = COMMANDS[command]
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / name
    target.write_bytes(b"old content")
    os.chmod(target, 0o640)
    link = tmp_path / name
    link.symlink_to(os.path.join("data", name))  # relative, as `ln -s` makes them
    out = tbwriter(*argv(command, logdir, str(link)))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and os.readlink(link) == os.path.join("data", name)
    assert target.read_bytes().startswith(start)
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path / "data")) == [name]  # no temporary file left beside the target


@pytest.mark.parametrize("command", COMMANDS)
def test_a_dangling_symlink_creates_its_target(command, logdir, tmp_path):
    _, name, start = COMMANDS[command]
    link = tmp_path / name
    link.symlink_to(tmp_path / "made")
    out = tbwriter(*argv(command, logdir, str(link)))
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and (tmp_path / "made").read_bytes().startswith(start)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_is_written_into_not_replaced(command, logdir, tmp_path):
    _, name, start = COMMANDS[command]
    fifo = tmp_path / name
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    out = tbwriter(*argv(command, logdir, str(fifo)))
    if not fifo.is_fifo():  # replaced: the reader would wait for ever on the FIFO nobody can reach now
        reader.kill()
        reader.wait()
        pytest.fail(f"-o replaced the FIFO with a {'file' if fifo.exists() else 'nothing'}")
    received = reader.communicate(timeout=60)[0]
    assert out.returncode == 0, out.stderr
    assert received.startswith(start)


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_and_a_descriptor_alias_write_to_stdout(command, logdir, tmp_path, root):
    _, name, start = COMMANDS[command]
    file_output = tbwriter(*argv(command, logdir, str(tmp_path / name)))
    assert file_output.returncode == 0, file_output.stderr
    expected = (tmp_path / name).read_bytes()
    dash = subprocess.run([sys.executable, "-m", "tbwriter", *argv(command, logdir, "-")], capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(root)), timeout=120)
    assert dash.returncode == 0, dash.stderr
    assert dash.stdout.startswith(start) and dash.stdout.endswith(expected[-20:])  # a figure's dates may differ
    # `-o /dev/fd/1 >> log` (what `-o /dev/stdout` and `-o >(cmd)` are): appended to the open file, which a rename
    # would have cut loose from the shell's descriptor
    log = tmp_path / "log"
    log.write_bytes(b"earlier lines\n")
    with open(log, "ab") as appended:
        alias = subprocess.run([sys.executable, "-m", "tbwriter", *argv(command, logdir, "/dev/fd/1")],
                               stdout=appended, stderr=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=str(root)),
                               timeout=120)
    assert alias.returncode == 0, alias.stderr
    written = log.read_bytes()
    assert written.startswith(b"earlier lines\n" + start) and written.endswith(expected[-20:])


def test_a_character_device_is_written_into_not_replaced(logdir, tmp_path):
    null = tmp_path / "null.csv"
    try:  # a node of its own, so that even a wrong rename could not replace the machine's /dev/null
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    out = tbwriter("export", logdir, "-o", str(null))
    assert out.returncode == 0, out.stderr
    assert null.is_char_device() and sorted(os.listdir(tmp_path)) == ["null.csv"]


def test_a_directory_is_refused_in_one_line(logdir, tmp_path):
    out = tbwriter("export", logdir, "-o", str(tmp_path))
    assert out.returncode == 1 and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith("tbwriter export: error: ") and "Is a directory" in out.stderr
