"""``CSVLogger``: one CSV row per epoch, Keras's format, on disk as soon as the epoch ends.

    CSVLogger("training.csv")                 # header: epoch,<sorted keys>
    CSVLogger("training.csv", append=True)    # later runs add rows under the same header
    CSVLogger("s3://bucket/runs/exp1/training.csv")   # any fsspec URL

Keys that first appear in a later epoch get a column too: the header is rewritten and earlier rows
read ``NA`` there. Missing values are ``NA``; NaN is ``nan``.

A URL's CSV is kept in a local temporary file and put whole after every epoch (object stores cannot append):
the object is always a complete CSV, at a cost of one request per epoch and bytes sent growing with the
square of the epochs (1,000 epochs of 100-byte rows: 50 MB sent in all, for a 100 kB file). Rows in separate
objects would send each byte once but leave no one file to open. A failed put is warned of and made again,
with every row, at the next epoch; ``on_train_end`` raises if the last one failed.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from typing import IO, Any

from tbwriter import storage
from tbwriter.callbacks.callback import Callback
from tbwriter.errors import StorageError, WriterWarning


def _cell(value: object) -> object:
    """What Keras writes: strings and numbers as they are, sequences as a quoted ``[a, b]``."""
    if isinstance(value, str) or getattr(value, "ndim", None) == 0 or not isinstance(value, Iterable):
        return value
    return f'"[{", ".join(map(str, value))}]"'


class CSVLogger(Callback):
    """Streams epoch logs to a CSV file; see the module docstring for a call.

    Args:
        filename: the CSV file; missing parent folders are created.
        separator: the one character between cells.
        append: add to an existing file, under its header, rather than starting anew.
        storage_options: for a URL ``filename``, passed to fsspec's filesystem (credentials, endpoint...).

    Raises:
        TypeError: a separator that is not one character (Keras fails later, at the first row).
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False,
                 storage_options: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.filename = os.fspath(filename)
        self.storage_options = storage_options
        self._remote = storage.is_url(self.filename)
        self._local = self.filename  # the file written: for a URL, a temporary copy put after each epoch
        self._put_failed: StorageError | None = None
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
        if self._remote:
            self._local_copy()
        if self.append and os.path.exists(self._local):
            with open(self._local, newline="") as f:
                header = next(csv.reader(f, self._dialect()), None)
            if header:
                self._has_header = True
                self.keys = header[1:]
        folder = os.path.dirname(self._local)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self._local, "a" if self.append else "w", newline="")

    def _local_copy(self) -> None:
        """A fresh temporary file for the URL's CSV, holding the object's rows when they are appended to."""
        from tbwriter.storage.transfer import download

        self._drop_local_copy()
        folder = tempfile.mkdtemp(prefix="tbwriter-csv-")
        self._local = os.path.join(folder, "log.csv")
        if self.append:
            download(self.filename, self._local, self.storage_options)

    def _drop_local_copy(self) -> None:
        if self._remote and self._local != self.filename:
            shutil.rmtree(os.path.dirname(self._local), ignore_errors=True)
            self._local = self.filename

    def _put(self) -> None:
        """Put the whole CSV at the URL; a failure is warned of once and kept for ``on_train_end``."""
        from tbwriter.storage.transfer import upload

        try:
            upload(self._local, self.filename, self.storage_options)
        except StorageError as e:
            if self._put_failed is None:
                warnings.warn(f"CSVLogger: {e}; every row is put again after the next epoch", WriterWarning,
                              stacklevel=3)
            self._put_failed = e
        else:
            self._put_failed = None

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
        if self._remote:
            self._put()

    def _widen(self, keys: list[str]) -> None:
        """Rewrite the file under a header with ``keys``, earlier rows reading NA in the new columns."""
        self._close()
        with open(self._local, newline="") as f:
            rows = list(csv.DictReader(f, dialect=self._dialect()))
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, ["epoch", *keys], dialect=self._dialect(), restval="NA")
        writer.writeheader()
        writer.writerows(rows)
        tmp = self._local + ".tmp"
        try:
            try:
                with open(tmp, "w", newline="") as f:
                    f.write(out.getvalue())
                os.replace(tmp, self._local)  # a crash mid-rewrite leaves the old file whole
            except OSError:  # no new file may be made beside it (a read-only folder): rewrite it in place
                with contextlib.suppress(OSError):
                    os.remove(tmp)
                with open(self._local, "r+", newline="") as f:
                    f.write(out.getvalue())
                    f.truncate()
            self.keys = keys
            self._has_header = True
        finally:
            self.csv_file = open(self._local, "a", newline="")  # the next epochs still get their rows

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self._writer = None

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()
        self.csv_file = None
        if self._remote:
            if self._put_failed is not None:
                self._put()  # a last try
            self._drop_local_copy()
            if self._put_failed is not None:
                raise self._put_failed
