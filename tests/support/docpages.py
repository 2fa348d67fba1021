"""The documentation as the tests read it: README.md and the pages under docs/, their sections and code blocks.

    page = read("docs/writing.md")
    code = blocks(section(page, "## Histograms"), "python")[0].code

A block's ``skip`` is the reason of a ``<!-- skip: reason -->`` comment on the line before it (the reason names
the test that runs the block instead); its ``output`` is the text of a ```` ```text ```` block right after it,
what the block prints.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from tests.support import ROOT

PAGES = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").rglob("*.md"))]

_FENCE = re.compile(r"^```([\w-]*)[ \t]*([^\n]*)\n(.*?)^```[ \t]*$", re.S | re.M)
_SKIP = re.compile(r"<!--\s*skip:\s*(.+?)\s*-->\s*$")


@dataclass
class Block:
    language: str      # python, bash, text...
    info: str          # what follows the language on the fence line (``s3`` in ```` ```python s3 ````)
    code: str
    line: int          # of the fence, 1-based
    skip: str | None   # the reason of a <!-- skip: ... --> marker on the line before
    output: str | None  # the ```text block right after, if any


def read(page: str) -> str:
    return (ROOT / page).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """From the line that starts with ``heading`` to the next heading of the same or a higher level."""
    start = next((m for m in re.finditer(rf"^{re.escape(heading)}", text, re.M)), None)
    assert start is not None, f"no heading {heading!r}"
    level = len(heading) - len(heading.lstrip("#"))
    rest = text[start.end():]
    end = re.search(rf"^#{{1,{level}}} ", without_code(rest), re.M)
    return text[start.start():start.end() + (end.start() if end else len(rest))]


def without_code(text: str) -> str:
    """``text`` with its code blocks blanked (same length), so a ``# comment`` line in one is no heading."""
    return _FENCE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def blocks(text: str, language: str | None = None) -> list[Block]:
    """The fenced code blocks of ``text`` in order (only those of ``language`` when given)."""
    found: list[Block] = []
    matches = list(_FENCE.finditer(text))
    for i, m in enumerate(matches):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _SKIP.search(before)
        after = matches[i + 1] if i + 1 < len(matches) else None
        output = None
        if after is not None and after.group(1) == "text" and not text[m.end():after.start()].strip():
            output = after.group(3)
        found.append(Block(m.group(1), m.group(2).strip(), m.group(3), text.count("\n", 0, m.start()) + 1,
                           skip.group(1) if skip else None, output))
    return [b for b in found if language is None or b.language == language]
