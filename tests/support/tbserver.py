"""A real ``tensorboard`` server on 127.0.0.1 for tests, in either loader mode.

    with TensorBoardServer(logdir, load_fast=True) as tb:
        tb.wait_for(lambda: "loss" in tb.get("/data/plugin/scalars/tags").get("run", {}))
        points = tb.scalars("run", "loss")      # [[wall_time, step, value], ...]

``load_fast=False`` is TensorBoard's Python loader (data loaded before serving);
``load_fast=True`` is the Rust data server (data appears progressively: poll with wait_for).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import pytest


def tensorboard_binary() -> str:
    exe = shutil.which("tensorboard", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        pytest.skip("tensorboard is not installed (pip install tbwriter[test])")
    return exe


class TensorBoardServer:
    def __init__(self, logdir: str, load_fast: bool, samples: int = 10**7, timeout: float = 60.0):
        self.logdir = str(logdir)
        self.load_fast = load_fast
        self.samples = samples
        self.timeout = timeout
        self.port: int | None = None
        self._tmp = tempfile.mkdtemp(prefix="tbserver-")
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> TensorBoardServer:
        kinds = ",".join(f"{k}={self.samples}" for k in ("scalars", "histograms", "images", "text", "tensors"))
        cmd = [tensorboard_binary(), "--logdir", self.logdir, "--host", "127.0.0.1", "--port", "0",
               f"--load_fast={'true' if self.load_fast else 'false'}", "--reload_interval", "0",
               "--samples_per_plugin", kinds]
        if not self.load_fast:
            cmd += ["--reload_task", "blocking"]
        env = dict(os.environ, TMPDIR=self._tmp)
        self._log = open(os.path.join(self._tmp, "server.log"), "w+")
        self._proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        info = os.path.join(self._tmp, ".tensorboard-info", f"pid-{self._proc.pid}.info")
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"tensorboard exited early:\n{self.output()}")
            if os.path.exists(info):
                try:
                    with open(info) as f:
                        self.port = json.load(f)["port"]
                    self.get("/data/runs")
                    return self
                except (ValueError, KeyError, OSError):
                    pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"tensorboard did not start in {self.timeout}s:\n{self.output()}")

    def __exit__(self, *exc) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._log.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def output(self) -> str:
        self._log.flush()
        with open(self._log.name) as f:
            return f.read()[-4000:]

    def _url(self, path: str, **query: str) -> str:
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return f"http://127.0.0.1:{self.port}{path}{q}"

    def get_bytes(self, path: str, **query: str) -> bytes:
        with urllib.request.urlopen(self._url(path, **query), timeout=30) as r:
            return r.read()

    def get(self, path: str, **query: str):
        return json.loads(self.get_bytes(path, **query))

    def post(self, path: str, body: dict):
        req = urllib.request.Request(self._url(path), data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def wait_for(self, condition, timeout: float | None = None, interval: float = 0.2):
        """Poll ``condition()`` until it returns something truthy (the Rust loader loads progressively)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        last_error = None
        while time.monotonic() < deadline:
            try:
                result = condition()
                if result:
                    return result
            except (OSError, ValueError, KeyError) as e:
                last_error = e
            time.sleep(interval)
        raise AssertionError(f"condition not met within {timeout or self.timeout}s "
                             f"(last error: {last_error}); server output:\n{self.output()}")

    def scalars(self, run: str, tag: str) -> list:
        return self.get("/data/plugin/scalars/scalars", run=run, tag=tag)

    def scalars_when(self, run: str, tag: str, count: int) -> list:
        """The scalar series once it holds ``count`` points."""
        return self.wait_for(lambda: (lambda pts: pts if len(pts) >= count else None)(self.scalars(run, tag)))
