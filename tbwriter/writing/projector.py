"""The projector's files of ``add_embedding``, written beside the run's event files.

    write_embedding("/abs/runs/exp1", "runs/exp1", "default", 3, features, labels, None, None)
    # runs/exp1/00003/default/{tensors,metadata}.tsv and runs/exp1/projector_config.pbtxt

Files go to ``<run>/<step:05d>/<tag>/`` as torch puts them; ``projector_config.pbtxt`` at the run's root lists
every embedding of the run, including earlier writers'. Each file is written whole
(:func:`~tbwriter.storage.atomicfile.atomic_output`): TensorBoard's projector reads the old file or the new one,
never a part. What the files hold is made by :mod:`tbwriter.writing.summaries.embedding`.
"""
from __future__ import annotations

import os

from tbwriter import storage
from tbwriter.errors import ArgumentError
from tbwriter.storage.atomicfile import atomic_output
from tbwriter.writing.values import check_inside


def write_embedding(run_dir: str, log_dir: str, tag: str, step: int, mat: object, metadata: object,
                    label_img: object, metadata_header: object, writes: bool = True) -> None:
    """Check an embedding and, if ``writes``, write its files into ``run_dir`` (the run's absolute path).

    ``log_dir`` is the run directory as the user gave it, for messages. Raises ArgumentError (or
    ArgumentTypeError) naming the argument before any file is written.
    """
    from tbwriter.writing.summaries import embedding

    if storage.is_url(run_dir):  # the projector reads plain files beside the run, not event records
        raise ArgumentError("the projector files", f"can only be written to a local log_dir, not to {log_dir}")
    files, single_image = embedding.embedding_files(mat, metadata, label_img, metadata_header)
    subdir = embedding.embedding_subdir(tag, step)
    # The tag is one directory name ("/" is escaped): "." or ".." would put the files in the run's root.
    check_inside(subdir.split("/", 1)[1], "tag", f"log_dir {log_dir}")
    config_path = os.path.join(run_dir, embedding.CONFIG_NAME)
    existing = None
    if os.path.exists(config_path):
        with open(config_path, encoding="utf-8") as f:
            existing = f.read()
    config = embedding.projector_config(existing, tag, step, subdir, set(files), single_image)
    if not writes:  # write_to_disk=False, or a rank that does not write
        return
    os.makedirs(os.path.join(run_dir, subdir), exist_ok=True)
    written = {os.path.join(subdir, name): data for name, data in files.items()}
    written[embedding.CONFIG_NAME] = config.encode("utf-8")  # last: it names the files above
    for name, data in written.items():
        with atomic_output(os.path.join(run_dir, name), "wb") as out:
            out.write(data)
