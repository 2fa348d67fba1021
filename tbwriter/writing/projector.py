"""The projector's files of ``add_embedding``, written beside the run's event files.

    write_embedding("/abs/runs/exp1", "runs/exp1", "default", 3, features, labels, None, None)
    # runs/exp1/00003/default/{tensors,metadata}.tsv and runs/exp1/projector_config.pbtxt

Files go to ``<run>/<step:05d>/<tag>/`` as torch puts them; ``projector_config.pbtxt`` at the run's root lists
every embedding of the run, including earlier writers'. Each file is written whole
(:func:`~tbwriter.storage.atomicfile.atomic_output`; on a URL, one put per file through fsspec): TensorBoard's
projector reads the old file or the new one, never a part. What the files hold is made by
:mod:`tbwriter.writing.summaries.embedding`.
"""
from __future__ import annotations

import os
from typing import Any

from tbwriter import storage
from tbwriter.storage.atomicfile import atomic_output
from tbwriter.storage.objects import failure
from tbwriter.writing.values import check_inside


def write_embedding(run_dir: str, log_dir: str, tag: str, step: int, mat: object, metadata: object,
                    label_img: object, metadata_header: object, writes: bool = True,
                    storage_options: dict[str, Any] | None = None) -> None:
    """Check an embedding and, if ``writes``, write its files into ``run_dir`` (the run's absolute path or URL;
    ``storage_options`` go to fsspec's filesystem for a URL).

    ``log_dir`` is the run directory as the user gave it, for messages. Raises ArgumentError (or
    ArgumentTypeError) naming the argument before any file is written.
    """
    from tbwriter.writing.summaries import embedding

    files, single_image = embedding.embedding_files(mat, metadata, label_img, metadata_header)
    subdir = embedding.embedding_subdir(tag, step)
    # The tag is one directory name ("/" is escaped): "." or ".." would put the files in the run's root.
    check_inside(subdir.split("/", 1)[1], "tag", f"log_dir {log_dir}")
    existing = _read_text(storage.join(run_dir, embedding.CONFIG_NAME), storage_options)
    config = embedding.projector_config(existing, tag, step, subdir, set(files), single_image)
    if not writes:  # write_to_disk=False, or a rank that does not write
        return
    written = {f"{subdir}/{name}": data for name, data in files.items()}
    written[embedding.CONFIG_NAME] = config.encode("utf-8")  # last: it names the files above
    for name, data in written.items():
        _write(storage.join(run_dir, name), data, storage_options)


def _read_text(location: str, storage_options: dict[str, Any] | None) -> str | None:
    """The text of file ``location`` (a path or a URL), None when there is none."""
    if storage.is_url(location):
        fs, path = storage.filesystem(location, storage_options)
        try:
            return fs.cat_file(path).decode("utf-8")
        except FileNotFoundError:
            return None
        except Exception as e:  # any backend error
            raise failure("read", location, e) from e
    if not os.path.exists(location):
        return None
    with open(location, encoding="utf-8") as f:
        return f.read()


def _write(location: str, data: bytes, storage_options: dict[str, Any] | None) -> None:
    """File ``location`` (a path or a URL) made to hold ``data``, whole: a reader sees the old content or this."""
    if storage.is_url(location):
        fs, path = storage.filesystem(location, storage_options)
        try:
            fs.pipe_file(path, data)  # one put: atomic on S3, GCS and Azure
        except Exception as e:
            raise failure("write", location, e) from e
        return
    os.makedirs(os.path.dirname(location), exist_ok=True)
    with atomic_output(location, "wb") as out:
        out.write(data)
