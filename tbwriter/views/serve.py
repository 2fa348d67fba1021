"""The report's page served live from a local HTTP server: :func:`make_server` (``tbwriter serve PATH``).

    server = make_server("runs", "127.0.0.1", 6007)
    server.serve_forever()

Scalars are followed incrementally (:class:`~tbwriter.follow.Follower`): a background thread reads what was written
since its last look, every half second, so an update costs what was written, not the logdir. Every point is
kept and ``/api/scalars`` hands them all out; the page loads under the report's size budget. Histograms, images,
text and hparams are read when the page is loaded.

The server answers four GET endpoints and nothing else (no files, so no path to traverse): ``/`` (the page),
``/api/runs``, ``/api/data`` and ``/api/scalars?after=CURSOR``. It refuses a request whose Host header is a name
other than ``localhost`` or the address it is bound to (a DNS-rebinding page on another site would send its own).
"""
from __future__ import annotations

import ipaddress
import json
import threading
import warnings
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np

from tbwriter.views import data as viewdata

POLL_SECONDS = 0.5      # how often the follower looks for new points
PAGE_POLL_MS = 1000     # how often the page asks for them


class _Growing:
    """One series' points in arrays that grow by doubling, so appending costs what is appended."""

    def __init__(self) -> None:
        self.length = 0
        self.columns = [np.empty(0, np.float64) for _ in range(3)]  # step, wall time, value

    def append(self, step: np.ndarray, wall: np.ndarray, value: np.ndarray) -> None:
        new = self.length + len(step)
        if self.length == 0:  # the first read: its arrays are taken as they are (float64 already, but the steps)
            self.columns = [np.asarray(part, np.float64) for part in (step, wall, value)]
            self.length = new
            return
        if new > len(self.columns[0]):
            capacity = max(new, 2 * len(self.columns[0]))
            for i, column in enumerate(self.columns):
                grown = np.empty(capacity, np.float64)
                grown[:self.length] = column[:self.length]
                self.columns[i] = grown
        for column, part in zip(self.columns, (step, wall, value), strict=True):
            column[self.length:new] = part
        self.length = new

    def points(self, start: int = 0, end: int | None = None) -> viewdata.Points:
        end = self.length if end is None else end
        step, wall, value = (c[start:end] for c in self.columns)
        return viewdata.Points(step, wall, value)


class LiveScalars:
    """Every scalar under ``path`` so far, and what each poll added: ``LiveScalars("runs").since(0)``.

    A cursor counts polls that found points; :meth:`since` gives the points of the polls after a cursor.
    """

    def __init__(self, path: str, storage_options: dict | None = None) -> None:
        from tbwriter.reading.follow import Follower

        self.follower = Follower(path, storage_options=storage_options)
        self.name = viewdata.run_namer(path, several=False)
        self.lock = threading.Lock()
        self.series: dict[tuple[str, str], _Growing] = {}
        self.polls: list[list[tuple[tuple[str, str], int, int]]] = []  # per poll: (key, start, end) of what it added

    def poll(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged record ends its file; the page shows what was read
            new = self.follower.poll()
        if not new:
            return
        with self.lock:
            added = []
            for (run, tag), s in new.items():
                key = (self.name(run), tag)
                growing = self.series.setdefault(key, _Growing())
                start = growing.length
                growing.append(s.step, s.wall_time, s.value)
                added.append((key, start, growing.length))
            self.polls.append(added)

    def snapshot(self) -> tuple[int, dict]:
        """The cursor now and every series' points up to it."""
        with self.lock:
            return len(self.polls), {key: g.points() for key, g in self.series.items()}

    def since(self, cursor: int) -> tuple[int, list[tuple[str, str, viewdata.Points]]]:
        """The cursor now and, per series, the points added after ``cursor``: ``(run, tag, points)``."""
        with self.lock:
            spans: dict[tuple[str, str], list[int]] = {}
            for added in self.polls[cursor:]:
                for key, start, end in added:
                    span = spans.setdefault(key, [start, end])
                    span[0], span[1] = min(span[0], start), max(span[1], end)
            parts = {key: self.series[key].points(start, end) for key, (start, end) in spans.items()}
            now = len(self.polls)
        return now, [(run, tag, p) for (run, tag), p in sorted(parts.items())]


class ViewServer(ThreadingHTTPServer):
    """The HTTP server of :func:`make_server`; ``live`` holds the scalars, ``logdir`` is what it serves."""
    daemon_threads = True

    def __init__(self, path: str, host: str, port: int, title: str | None = None,
                 storage_options: dict | None = None) -> None:
        self.logdir = path
        self.title = title or path
        self.storage_options = storage_options
        self.live = LiveScalars(path, storage_options)
        self.live.poll()  # the first read before the first request: a page opened at once shows everything
        super().__init__((host, port), _Handler)
        self.host = host
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._follow, name="tbwriter-serve-poll", daemon=True)
        self._poller.start()

    @property
    def url(self) -> str:
        host, port = str(self.server_address[0]), self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.live.poll()

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()

    def _read(self, reader: Callable[..., Any], path: str, **filters: Any) -> Any:
        return reader(path, storage_options=self.storage_options, **filters)

    def host_allowed(self, header: str | None) -> bool:
        """A Host header names this server: an IP address literal (a rebinding attack needs a name it controls),
        ``localhost``, or the host it was bound to."""
        if not header:
            return False
        name = urlsplit(f"//{header}").hostname or ""
        if name in ("localhost", self.host.lower()):
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def page_data(self) -> dict:
        """What the page loads with: the report's data, under the report's size budget (a browser takes a page of
        25 MB well, not one of gigabytes); the points added later come whole, from /api/scalars."""
        from tbwriter.views.report import MAX_BYTES, page_html

        cursor, scalars = self.live.snapshot()
        logs = viewdata.read_logs([self.logdir], scalars=False, scalar_tags={tag for _, tag in scalars},
                                  read=self._read)
        logs.scalars = scalars
        budget = MAX_BYTES - len(page_html("", title=self.title).encode("utf-8"))
        return viewdata.payload(logs, budget=budget, title=self.title,
                                live={"cursor": cursor, "interval_ms": PAGE_POLL_MS})


class _Handler(BaseHTTPRequestHandler):
    server: ViewServer
    server_version = "tbwriter"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class names it so)
        pass  # quiet: the terminal shows the URL, not every poll of the page

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if not self.server.host_allowed(self.headers.get("Host")):
            return self._send(HTTPStatus.FORBIDDEN, "text/plain", b"forbidden: unknown Host header")
        url = urlsplit(self.path)
        endpoint = ENDPOINTS.get(url.path)
        if endpoint is None:
            return self._send(HTTPStatus.NOT_FOUND, "text/plain", b"not found")
        try:
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            kind, parts = endpoint(self.server, query)
        except ValueError as e:
            return self._send(HTTPStatus.BAD_REQUEST, "text/plain", str(e).encode("utf-8"))
        self._send(HTTPStatus.OK, kind, parts)

    def _send(self, status: HTTPStatus, kind: str, body: bytes | Iterator[str]) -> None:
        """A whole body, or one made as it is sent (every point of a sweep: never the whole answer in memory at
        once); then without a length, the end of the connection marking its end (HTTP/1.0, as http.server
        speaks)."""
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        if isinstance(body, bytes):
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.end_headers()
        for part in [body] if isinstance(body, bytes) else body:
            self.wfile.write(part if isinstance(part, bytes) else part.encode("utf-8"))


def _page(server: ViewServer, query: dict) -> tuple[str, bytes]:
    from tbwriter.views.report import page_html

    page = page_html(viewdata.to_json(server.page_data()), title=server.title, connect="'self'")
    return "text/html", page.encode("utf-8")


def _runs(server: ViewServer, query: dict) -> tuple[str, bytes]:
    _, scalars = server.live.snapshot()
    runs: dict[str, list[str]] = {}
    for run, tag in sorted(scalars):
        runs.setdefault(run, []).append(tag)
    return "application/json", json.dumps({"runs": runs}).encode("utf-8")


def _data(server: ViewServer, query: dict) -> tuple[str, bytes]:
    return "application/json", viewdata.to_json(server.page_data()).encode("utf-8")


def _scalars(server: ViewServer, query: dict) -> tuple[str, Iterator[str]]:
    after = query.get("after", "0")
    if not after.isdigit():
        raise ValueError(f"after: a cursor from an earlier answer (a whole number), got {after!r}")
    cursor, series = server.live.since(int(after))

    def parts() -> Iterator[str]:  # {"cursor": N, "series": [...]}, a series at a time
        yield f'{{"cursor":{cursor},"series":['
        for i, (run, tag, p) in enumerate(series):
            yield ("," if i else "") + json.dumps(
                {"run": run, "tag": tag, "step": viewdata.numbers(p.step), "wall": viewdata.floats(p.wall_time),
                 "value": viewdata.numbers(p.value)}, separators=(",", ":"))
        yield "]}"

    return "application/json", parts()


ENDPOINTS: dict[str, Callable[[ViewServer, dict], tuple[str, bytes | Iterator[str]]]] = {
    "/": _page, "/api/runs": _runs, "/api/data": _data, "/api/scalars": _scalars}


def make_server(path: str, host: str = "127.0.0.1", port: int = 6007, title: str | None = None,
                storage_options: dict | None = None) -> ViewServer:
    """A server of ``path``'s page, bound but not yet serving: ``make_server("runs").serve_forever()``.

    ``port=0`` takes a free port (``server.url`` says which). Reads the scalars once before returning.
    ``storage_options`` go to fsspec when ``path`` is a URL (``{"anon": True}``...), as for the readers.
    """
    return ViewServer(path, host, port, title, storage_options)
