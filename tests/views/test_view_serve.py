"""`tbwriter serve`: the page live in headless Chromium while a run grows; the server's refusals (other Host
headers, paths outside its endpoints); its JSON endpoints, on local and s3:// logdirs."""
from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import uuid

import numpy as np
import pytest

from tbwriter import SummaryWriter, read_scalars
from tbwriter.views import write_report
from tbwriter.views.serve import make_server
from tests.support.browser import chromium, console_errors, open_page, wait_for
from tests.support.viewnumbers import decoded

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Served:
    """`tbwriter serve PATH --port 0 ARGS...` as a user runs it; ``url`` is the one it prints."""

    def __init__(self, path, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "tbwriter", "serve", str(path), "--port", "0", *args],
                                     stderr=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=ROOT))
        self.lines = [self.proc.stderr.readline() for _ in range(1 + sum(a == "--host" for a in args))]
        found = re.search(r"at (http://\S+/) \(Ctrl-C stops\)", self.lines[-1])
        assert found, self.lines
        self.url = found.group(1)
        self.port = int(self.url.rsplit(":", 1)[1].rstrip("/"))

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as in a terminal: the exit status and what it printed after the URL."""
        self.proc.send_signal(signal.SIGINT)
        rest = self.proc.stderr.read()
        return self.proc.wait(30), rest


def get(port: int, path: str, host: str | None = "127.0.0.1", method: str = "GET") -> tuple[int, bytes]:
    """A raw request: ``path`` sent as given (no normalising of ``..``), ``host`` as the Host header."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest(method, path, skip_host=True)
    if host is not None:
        connection.putheader("Host", host)
    connection.endheaders()
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    return answer.status, body


@pytest.fixture(scope="module")
def driver():
    d = chromium()
    yield d
    d.quit()


def test_points_written_while_the_page_is_open_appear_in_it(tmp_path, driver):
    writer = SummaryWriter(tmp_path / "logs" / "train")
    for step in range(10):
        writer.add_scalar("loss", 1 / (step + 1), step)
    writer.flush()
    served = Served(tmp_path / "logs")
    try:
        open_page(driver, served.url)
        wait_for(driver, "return window.tbwriterView.plotArea('loss')")
        assert driver.execute_script("return window.tbwriterView.series('loss', 'train').step.length") == 10
        for step in range(10, 25):
            writer.add_scalar("loss", 1 / (step + 1), step)
        writer.flush()
        with SummaryWriter(tmp_path / "logs" / "eval") as other:  # a new run, and a new tag, while it is open
            other.add_scalar("loss", 0.25, 3)
            other.add_scalar("eval/accuracy", 0.5, 3)
        steps = wait_for(driver, """const s = window.tbwriterView.series('loss', 'train');
                                    return s.step.length === 25 && s.step""", timeout=60)
        assert steps == list(range(25))
        assert driver.execute_script("return window.tbwriterView.series('loss', 'train').value") == \
            read_scalars(tmp_path / "logs")[("train", "loss")].value.tolist()
        wait_for(driver, "return window.tbwriterView.series('eval/accuracy', 'eval') !== null", timeout=60)
        assert "eval" in driver.find_element("id", "runs").text
        assert "eval/accuracy" in driver.find_element("id", "scalars").text
        assert console_errors(driver) == []
    finally:
        writer.close()
        status, rest = served.stop()
    assert status == 0 and rest == ""  # Ctrl-C ends it quietly


def test_the_server_answers_its_endpoints_only_and_only_to_its_own_host_names(tmp_path):
    with SummaryWriter(tmp_path / "logs" / "run") as w:
        w.add_scalar("loss", 0.5, 1)
    (tmp_path / "secret.txt").write_text("not for the browser")
    served = Served(tmp_path / "logs")
    port = served.port
    try:
        for host in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", "localhost"):
            assert get(port, "/", host)[0] == 200, host
        for host in ("evil.example", f"evil.example:{port}", f"localhost.evil.example:{port}", None, ""):
            assert get(port, "/", host) == (403, b"forbidden: unknown Host header"), host
            assert get(port, "/api/scalars?after=0", host)[0] == 403, host
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/api/../../secret.txt", "/run", "/run/",
                     "/secret.txt", "/api", "/api/", "/api/nothing", "//etc/passwd", "/index.html"):
            assert get(port, path) == (404, b"not found"), path
        assert get(port, "/", method="POST")[0] == 501
        assert get(port, "/api/scalars?after=-1")[0] == 400
        assert json.loads(get(port, "/api/runs")[1]) == {"runs": {"run": ["loss"]}}
    finally:
        assert served.stop()[0] == 0


def test_another_host_than_loopback_is_served_with_a_warning(tmp_path):
    with SummaryWriter(tmp_path / "run") as w:
        w.add_scalar("loss", 0.5, 1)
    served = Served(tmp_path, "--host", "0.0.0.0")
    try:
        assert "warning: --host 0.0.0.0: anyone who can reach this machine can read the logs" in served.lines[0]
        assert get(served.port, "/api/runs", f"127.0.0.1:{served.port}")[0] == 200
        assert get(served.port, "/api/runs", "attacker.example")[0] == 403
    finally:
        assert served.stop()[0] == 0


def test_serve_errors_are_one_line(tmp_path):
    for args, message in (([str(tmp_path / "none")], "no such file or directory"),
                          ([str(tmp_path)], "no event files"),
                          ([str(tmp_path), "--port", "70000"], "--port must be from 0 to 65535")):
        done = subprocess.run([sys.executable, "-m", "tbwriter", "serve", *args], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=ROOT), timeout=60)
        assert done.returncode == 1 and done.stderr.startswith("tbwriter serve: error: ")
        assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr


def run_server(path):
    server = make_server(str(path), port=0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server


def scalars_after(server, cursor: int) -> dict:
    status, body = get(server.server_address[1], f"/api/scalars?after={cursor}")
    assert status == 200
    return json.loads(body)


def test_api_scalars_gives_every_point_then_only_new_ones(tmp_path):
    writer = SummaryWriter(tmp_path / "run")
    for step in range(1000):
        writer.add_scalar("loss", np.sin(step), step)
    writer.flush()
    server = run_server(tmp_path)
    try:
        first = scalars_after(server, 0)
        (series,) = first["series"]
        assert (series["run"], series["tag"]) == ("run", "loss")
        logged = read_scalars(tmp_path)[("run", "loss")]
        np.testing.assert_array_equal(decoded(series["value"]), logged.value)  # every point, exactly
        np.testing.assert_array_equal(decoded(series["wall"]), logged.wall_time)
        for step in range(1000, 1005):
            writer.add_scalar("loss", -1.0, step)
        writer.flush()
        server.live.poll()  # what the server's thread does every half second, now
        update = scalars_after(server, first["cursor"])
        assert decoded(update["series"][0]["step"]).tolist() == list(range(1000, 1005))
        assert scalars_after(server, update["cursor"])["series"] == []
        assert decoded(scalars_after(server, 0)["series"][0]["step"]).tolist() == list(range(1005))
    finally:
        writer.close()
        server.shutdown()
        server.server_close()


def test_an_s3_logdir_is_served_and_reported(s3_server, tmp_path):
    bucket = f"logs-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(bucket)
    with SummaryWriter(f"s3://{bucket}/runs/a") as w:
        for step in range(50):
            w.add_scalar("loss", 1 / (step + 1), step)
        w.add_text("notes", "*hello*", 0)
    server = run_server(f"s3://{bucket}/runs")
    try:
        (series,) = scalars_after(server, 0)["series"]
        assert (series["run"], series["tag"]) == ("a", "loss")
        np.testing.assert_array_equal(decoded(series["value"]), (1 / (np.arange(50) + 1)).astype(np.float32))
        data = json.loads(get(server.server_address[1], "/api/data")[1])
        assert data["texts"][0]["items"][0]["html"] == "<p><em>hello</em></p>\n"
        assert data["live"]["cursor"] == 1
    finally:
        server.shutdown()
        server.server_close()
    write_report(f"s3://{bucket}/runs", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text("utf-8")
    assert '"run":"a","tag":"loss","points":50' in page and "\\u003cem>hello\\u003c/em>" in page


def test_storage_options_reach_the_server(s3_server):
    """make_server (and so ``tbwriter serve --storage-option``) hands its storage options to what it reads: an
    endpoint where nothing listens, given only there, is the one it tries."""
    bucket = f"logs-{uuid.uuid4().hex[:12]}"
    s3_server.make_bucket(bucket)
    with SummaryWriter(f"s3://{bucket}/runs/a") as w:
        w.add_scalar("loss", 0.5, 0)
    with pytest.raises(OSError, match=f"s3://{bucket}/runs"):
        make_server(f"s3://{bucket}/runs", port=0, storage_options={"endpoint_url": "http://127.0.0.1:9"})
