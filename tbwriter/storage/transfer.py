"""Whole files between local disk and object storage: what callbacks that write with local tools (torch.save,
Keras, csv) need to put their file beside a URL log_dir.

    upload("/tmp/x/best.pt", "s3://bucket/ckpt/best.pt")           # one put: the object appears whole
    found = download("s3://bucket/logs/training.csv", "/tmp/x/training.csv")   # False when there is none

A put replaces the whole object at once on S3, GCS and Azure (a large file goes up in parts, committed together),
so a reader sees the old object or the new one, never a part of it.
"""
from __future__ import annotations

from typing import Any

from tbwriter.storage.objects import failure, filesystem


def upload(local: str, url: str, storage_options: dict[str, Any] | None = None) -> None:
    """Put file ``local`` at ``url`` (raises :class:`~tbwriter.errors.StorageError` naming the URL)."""
    fs, path = filesystem(url, storage_options)
    try:
        fs.put_file(local, path)
    except Exception as e:  # any backend error
        raise failure("write", url, e) from e


def download(url: str, local: str, storage_options: dict[str, Any] | None = None) -> bool:
    """Copy the object at ``url`` to file ``local``; False when there is no such object."""
    fs, path = filesystem(url, storage_options)
    try:
        fs.get_file(path, local)
    except FileNotFoundError:
        return False
    except Exception as e:
        raise failure("read", url, e) from e
    return True
