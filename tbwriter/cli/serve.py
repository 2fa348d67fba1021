"""Serve the report's page live: new scalar points appear as training writes them. Ctrl-C stops it.

examples:
  tbwriter serve runs                         # then open http://127.0.0.1:6007/
  tbwriter serve runs --port 0                # any free port (the URL is printed)
  tbwriter serve s3://bucket/runs
  curl -s 'http://127.0.0.1:6007/api/scalars?after=0'    # every point so far, and a cursor for what comes next

It binds 127.0.0.1, so only this machine can connect; --host 0.0.0.0 lets anyone who can reach the machine read
the logs. Endpoints: / (the page), /api/runs, /api/data, /api/scalars?after=CURSOR (docs/views.md).
"""
from __future__ import annotations

import argparse
import ipaddress
import sys
from types import SimpleNamespace

from tbwriter.cli.arguments import add_storage_option, storage_options
from tbwriter.cli.printable import shown
from tbwriter.errors import CommandError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a logdir or event file, local or a URL")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this "
                                                            "machine only)")
    parser.add_argument("--port", type=int, default=6007, help="the port (default 6007; 0: any free port)")
    parser.add_argument("--title", help="the page's title (default: PATH)")
    add_storage_option(parser)


def run(args: argparse.Namespace) -> int:
    from tbwriter.cli.logdir import read_logdir
    from tbwriter.views.serve import make_server

    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be from 0 to 65535, got {args.port}")
    options = storage_options(args.storage_options)
    read_logdir(_nothing, args.path, options)  # the checks every reading command makes: PATH holds event files
    if not _loopback(args.host):
        print(f"tbwriter serve: warning: --host {shown(args.host)}: anyone who can reach this machine can read the "
              f"logs", file=sys.stderr)
    try:
        server = make_server(args.path, args.host, args.port, args.title, options)
    except OSError as e:
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    print(f"tbwriter serve: {shown(args.path)} at {server.url} (Ctrl-C stops)", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass  # the way to stop it: quietly
    finally:
        server.server_close()
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _nothing(path: str, progress=None, storage_options=None) -> SimpleNamespace:
    """A reader that reads nothing: read_logdir's checks of the path without its reading."""
    return SimpleNamespace(damaged=[])
