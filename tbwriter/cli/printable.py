"""Names from a logdir made safe to print: ``print(shown(run))``.

Run, tag and hparam names come from files that may have been downloaded; printed raw, a name holding an escape
sequence could retitle the window, clear the screen or hide lines of the output, and one holding a bidirectional
override could show as another name. Every text printer of the command
line (tables, errors, notes) passes names through :func:`shown`; CSV output stays the data as it is.
"""
from __future__ import annotations

import unicodedata

# categories a terminal acts on rather than draws: C0/C1 controls and DEL (Cc), line and paragraph separators
_ACTING = frozenset({"Cc", "Zl", "Zp"})
# a byte of a name that was not UTF-8 comes back from os.listdir as U+DC80..U+DCFF (surrogateescape); 0x80..0x9F
# are the C1 controls of 8-bit terminals
_RAW_C1 = range(0xDC80, 0xDCA0)
# bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069): they reorder what follows on
# the screen, so a name could pass for another; format characters (Cf) as the joiners of emoji are, which stay
_BIDI_CONTROLS = frozenset({"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"})


def shown(text: str) -> str:
    """``text`` with control characters (bidirectional overrides too) written as Python writes them in a repr:
    ``shown("a\\x1b]0;x\\x07")`` is ``'a\\\\x1b]0;x\\\\x07'`` (printed: ``a\\x1b]0;x\\x07``); other characters, any
    script, stay as they are."""
    if text.isprintable():  # the common case, in one C loop
        return text
    return "".join(_escaped(c) for c in text)


def few(names: list[str], limit: int = 12) -> str:
    """Names for a one-line message, the first ``limit`` of them: ``few(["a", "b"])`` is ``'a, b'``."""
    more = f" … ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _escaped(char: str) -> str:
    if ord(char) in _RAW_C1:
        return f"\\x{ord(char) - 0xDC00:02x}"
    if unicodedata.category(char) in _ACTING or unicodedata.bidirectional(char) in _BIDI_CONTROLS:
        return repr(char)[1:-1]  # \t, \n, \x1b, \x9b, \u2028, \u202e
    return char
