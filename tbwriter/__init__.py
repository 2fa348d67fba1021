"""tbwriter: fast TensorBoard event files without TensorFlow, Keras-style callbacks, a reader and a plotter.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/demo") as w:
        w.add_scalar("loss", 0.5, global_step=1)
"""
from __future__ import annotations

from tbwriter.writing.writer import SummaryWriter

__version__ = "0.1.0"
__all__ = ["SummaryWriter", "read_all", "read_hparams", "read_histograms", "read_images", "read_scalars",
           "read_tensors", "read_text", "__version__"]
_READERS = {"read_scalars": "reading.reader", "read_histograms": "reading.reader", "read_text": "reading.reader",
            "read_images": "reading.reader", "read_tensors": "reading.reader", "read_hparams": "reading.sessions",
            "read_all": "reading.every_kind"}


def __getattr__(name: str):
    # the readers need numpy: import them on first use, so `import tbwriter` stays quick
    if name in _READERS:
        import importlib
        return getattr(importlib.import_module(f"tbwriter.{_READERS[name]}"), name)
    raise AttributeError(f"module 'tbwriter' has no attribute {name!r}")
