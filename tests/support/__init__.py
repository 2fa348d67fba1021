"""What the tests share: the repository's root, TensorBoard's loaders as the oracle (eventcheck, histcheck), servers
on 127.0.0.1 (tbserver, stores), the command line run as a user runs it (cli), the documentation's pages (docpages),
the reader's ways of framing (framings) and the scripts that training runs execute in their own processes
(distributed_run, hf_run, lightning_run).

    from tests.support import ROOT, eventcheck
    eventcheck.accumulated_scalars(run_dir)
"""
from __future__ import annotations

import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the repository: tests/support/__init__.py is two folders down
