"""MkDocs hooks for the documentation site (mkdocs.yml's ``hooks``; ``./dev docs`` builds it).

The docstrings name other objects with Sphinx's roles, ``:class:`~tbwriter.format.record.Problem```, which
mkdocstrings leaves as they are: ``:class:<code>~tbwriter.format.record.Problem</code>`` in the page. This turns each
into a cross-reference for mkdocs-autorefs (a link where the object has a page, plain code where not), its
title the last name with ``~`` as in Sphinx, else the name as written.
"""
from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):<code>(~?)([\w.]+)</code>")


def _reference(match: re.Match[str]) -> str:
    short, name = match.group(1), match.group(2)
    title = name.rsplit(".", 1)[-1] if short else name
    return f'<autoref identifier="{name}" optional><code>{title}</code></autoref>'


def on_page_content(html: str, **kwargs: Any) -> str:
    """``:class:`~a.b.C``` → ``C``, linked to ``a.b.C``'s entry of the API reference when it has one."""
    return _ROLE.sub(_reference, html)
