"""One HTML file that shows a logdir in any browser, offline: :func:`write_report`.

The page (``tbwriter/views/page``: HTML, CSS and JavaScript of our own, no third-party code) and the data are
inlined into the file, so it can be mailed, committed or put on any static host; opening it fetches nothing.
"""
from __future__ import annotations

import base64
import hashlib
import html
import os
import re
from collections.abc import Sequence
from importlib import resources

from tbwriter.views import data as viewdata

MAX_BYTES = 25_000_000
# the page's scripts, in the order they load: each one uses what the ones before it define
SCRIPTS = ("series.js", "chart.js", "media.js", "hparams.js", "page.js")


def write_report(paths: str | os.PathLike | Sequence[str | os.PathLike], output: str | os.PathLike, *,
                 tags: str | None = None, runs: str | None = None, group: str | None = None,
                 title: str | None = None, max_bytes: int = MAX_BYTES) -> int:
    """Write ``output``, one HTML file showing every scalar, distribution, image, text and hparams session under
    ``paths``; returns its size in bytes.

        write_report("runs/demo", "report.html", group=r"seed\\d+")

    Args:
        paths: a logdir or event file, local or a URL, or several (their runs are then named ``<path>/<run>``).
        output: the HTML file to write (replaced whole once complete; ``-`` is standard output).
        tags: a regular expression searched in tag names: only those tags are shown.
        runs: a regular expression searched in run names: only those runs are shown.
        group: a regular expression removed from run names, e.g. ``r"seed\\d+"``: runs left with the same name are
            drawn as one mean line with a band (the page can change it).
        title: the page's title (default: the paths).
        max_bytes: the most the file may take (a point of a float32 scalar takes about 16 bytes). Scalars are
            stored exactly while they fit; past that the largest series keep the first, last, lowest and highest
            point of each of 2,000 columns (fewer if need be), and the page says which.

    Raises:
        ValueError: a bad regular expression, or the data cannot fit in ``max_bytes``.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for name, pattern in (("tags", tags), ("runs", runs), ("group", group)):
        check_regex(name, pattern)
    logs = viewdata.read_logs(paths, tags=tags, runs=runs)
    page = report_html(logs, title=title if title is not None else ", ".join(os.fspath(p) for p in paths), group=group,
                       max_bytes=max_bytes)
    return write_page(output, page)


def report_html(logs: viewdata.Logs, *, title: str, group: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """The report's HTML for logs already read: ``report_html(read_logs(["runs"]), title="runs")``."""
    empty = page_html("", title=title)
    data = viewdata.payload(logs, budget=max_bytes - len(empty.encode("utf-8")), title=title, group=group)
    return page_html(viewdata.to_json(data), title=title)


def page_html(data_json: str, *, title: str, connect: str = "'none'") -> str:
    """The page with ``data_json`` inlined; ``connect`` is what the page may fetch (CSP ``connect-src``)."""
    from tbwriter import __version__

    page = resources.files("tbwriter.views") / "page"
    script = "\n".join((page / name).read_text("utf-8") for name in SCRIPTS)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    values = {"TITLE": html.escape(title), "VERSION": __version__, "STYLE": (page / "style.css").read_text("utf-8"),
              "SCRIPT_HASH": f"sha256-{digest}", "CONNECT": connect, "DATA": data_json, "SCRIPT": script}
    # one pass over the template: nothing inserted (a log's strings in DATA) is searched for placeholders again
    return re.sub(r"\{([A-Z_]+)\}", lambda m: values[m.group(1)], (page / "index.html").read_text("utf-8"))


def write_page(output: str | os.PathLike, page: str) -> int:
    """``page`` to ``output`` as ``>`` would (``-`` is stdout, a symlink's target is written), whole or not at all;
    returns its size in bytes: ``write_page("report.html", report_html(logs, title="runs"))``."""
    from tbwriter.storage.atomicfile import atomic_output

    encoded = page.encode("utf-8")
    with atomic_output(output, "wb") as f:
        f.write(encoded)
    return len(encoded)


def check_regex(name: str, pattern: str | None) -> None:
    """ValueError naming ``name`` if ``pattern`` is not a regular expression: ``check_regex("group", "seed(")``."""
    if pattern is None:
        return
    try:
        re.compile(pattern)
    except re.error as e:
        raise ValueError(f"{name}: bad regular expression {pattern!r}: {e}") from None
