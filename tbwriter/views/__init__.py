"""Logdirs in a web browser: :func:`write_report` writes one self-contained HTML file of a logdir's scalars,
distributions, images, text and hparams.

    from tbwriter.views import write_report
    write_report(["runs/demo"], "report.html", group=r"seed\\d+")
"""
from __future__ import annotations

from tbwriter.views.report import write_report

__all__ = ["write_report"]
