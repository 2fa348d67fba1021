"""A progress bar on stderr, drawn only when stderr is a terminal.

    bar = progress_bar("reading")
    bar(done_bytes, total_bytes)   # call as often as you like
    bar.close()
"""
from __future__ import annotations

import sys
import time


class progress_bar:
    """Callable ``bar(done, total)``; a no-op unless stderr is a terminal (so pipes and logs stay clean)."""

    def __init__(self, label: str):
        self.label = label
        self.active = sys.stderr.isatty()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.active or (now - self._last < 0.1 and done < total):
            return
        self._last = now
        frac = done / total if total else 1.0
        bar = "#" * int(frac * 30)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {frac:4.0%}")
        sys.stderr.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            sys.stderr.write("\r" + " " * (len(self.label) + 40) + "\r")
            sys.stderr.flush()
