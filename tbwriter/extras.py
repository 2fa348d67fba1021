"""What to install when an optional package is missing: one message for every optional import of tbwriter.

    with optional("plot_scalars"):
        import matplotlib.style
    # without matplotlib: ModuleNotFoundError("plot_scalars needs matplotlib: pip install 'tbwriter[plot]'")

Each optional package comes with one of the extras in pyproject.toml; the message names the ``pip install`` that
brings it, rather than Python's bare "No module named 'PIL'".
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

# top-level module -> (the name pip knows it by, the extra of pyproject.toml that installs it)
PACKAGES = {
    "matplotlib": ("matplotlib", "plot"),
    "PIL": ("Pillow", "media"),
    "onnx": ("onnx", "onnx"),
    "pandas": ("pandas", "pandas"),
    "markdown_it": ("markdown-it-py", "view"),
    "fsspec": ("fsspec", "remote"),
    "s3fs": ("s3fs", "s3"),
    "gcsfs": ("gcsfs", "gcs"),
    "adlfs": ("adlfs", "azure"),
    "lightning": ("lightning", "lightning"),
    "transformers": ("transformers", "transformers"),
    "accelerate": ("accelerate", "accelerate"),
}


def missing(module: str, what: str, extra: str | None = None) -> str:
    """The message for a missing optional ``module``: ``missing("PIL", "add_video")`` is
    ``"add_video needs Pillow: pip install 'tbwriter[media]'"``; ``extra`` names another extra that brings it."""
    package, default = PACKAGES[module]
    return f"{what} needs {package}: pip install 'tbwriter[{extra or default}]'"


@contextlib.contextmanager
def optional(what: str, extra: str | None = None) -> Iterator[None]:
    """Imports in this block that fail for want of an optional package raise ModuleNotFoundError with
    :func:`missing`'s message; ``what`` is what needs it (``"plot_scalars"``, ``"tbwriter.integrations.lightning"``),
    ``extra`` another extra that brings it. A missing module of no extra (a broken installation of the package
    itself) is raised as it is."""
    try:
        yield
    except ModuleNotFoundError as e:
        top = (e.name or "").partition(".")[0]
        if top not in PACKAGES:
            raise
        raise ModuleNotFoundError(missing(top, what, extra), name=e.name) from e
