"""``CSVLogger``: one CSV row per epoch, Keras's format, on disk as soon as the epoch ends.

    CSVLogger("training.csv")                 # header: epoch,<sorted keys>
    CSVLogger("training.csv", append=True)    # later runs add rows under the same header

Keys that first appear in a later epoch get a column too: the header is rewritten and earlier rows
read ``NA`` there. Missing values are ``NA``; NaN is ``nan``.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
from collections.abc import Iterable
from typing import IO

from tbwriter.callbacks.callback import Callback


def _cell(value: object) -> object:
    """What Keras writes: strings and numbers as they are, sequences as a quoted ``[a, b]``."""
    if isinstance(value, str) or getattr(value, "ndim", None) == 0 or not isinstance(value, Iterable):
        return value
    return f'"[{", ".join(map(str, value))}]"'


class CSVLogger(Callback):
    """Streams epoch logs to a CSV file; see the module docstring for a call."""

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(f"CSVLogger: separator must be a one-character str, got {separator!r}")
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.csv_file: IO[str] | None = None
        self._writer: csv.DictWriter | None = None

    def _dialect(self):
        class Dialect(csv.excel):
            delimiter = self.sep
        return Dialect

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._close()
        self.keys = None
        self._has_header = False
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, self._dialect()), None)
            if header:
                self._has_header = True
                self.keys = header[1:]
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.csv_file is None:  # a loop that skipped on_train_begin
            self.on_train_begin()
        new = sorted(k for k in logs if k not in (self.keys or ()))
        if self.keys is None:
            self.keys = new
        elif new:
            self._widen(sorted([*self.keys, *new]))
        csv_file = self.csv_file
        assert csv_file is not None  # on_train_begin and _widen open it
        if self._writer is None:
            self._writer = csv.DictWriter(csv_file, ["epoch", *self.keys], dialect=self._dialect())
            if not self._has_header:
                self._writer.writeheader()
                self._has_header = True
        row: dict[str, object] = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self._writer.writerow(row)
        csv_file.flush()

    def _widen(self, keys: list[str]) -> None:
        """Rewrite the file under a header with ``keys``, earlier rows reading NA in the new columns."""
        self._close()
        with open(self.filename, newline="") as f:
            rows = list(csv.DictReader(f, dialect=self._dialect()))
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, ["epoch", *keys], dialect=self._dialect(), restval="NA")
        writer.writeheader()
        writer.writerows(rows)
        tmp = self.filename + ".tmp"
        try:
            try:
                with open(tmp, "w", newline="") as f:
                    f.write(out.getvalue())
                os.replace(tmp, self.filename)  # a crash mid-rewrite leaves the old file whole
            except OSError:  # no new file may be made beside it (a read-only folder): rewrite it in place
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                with open(self.filename, "r+", newline="") as f:
                    f.write(out.getvalue())
                    f.truncate()
            self.keys = keys
            self._has_header = True
        finally:
            self.csv_file = open(self.filename, "a", newline="")  # the next epochs still get their rows

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self._writer = None

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self.csv_file = None
