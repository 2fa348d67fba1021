"""tbwriter: fast TensorBoard event files without TensorFlow, Keras-style callbacks, a reader and a plotter.

    from tbwriter import SummaryWriter
    with SummaryWriter("runs/demo") as w:
        w.add_scalar("loss", 0.5, global_step=1)
"""
from __future__ import annotations

from tbwriter.writer import SummaryWriter

__version__ = "0.1.0"
__all__ = ["SummaryWriter", "read_histograms", "read_scalars", "__version__"]


def __getattr__(name: str):
    # the reader needs numpy: import it on first use, so `import tbwriter` stays quick
    if name in ("read_scalars", "read_histograms"):
        from tbwriter import reader
        return getattr(reader, name)
    raise AttributeError(f"module 'tbwriter' has no attribute {name!r}")
