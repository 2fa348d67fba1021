"""Figures of a logdir: matplotlib curves, distributions and hparams (:mod:`~tbwriter.plot.figures`), from numbers
computed without matplotlib (:mod:`~tbwriter.plot.plotdata`).

    from tbwriter import read_scalars
    from tbwriter.plot import plot_scalars
    plot_scalars(read_scalars("runs"), smoothing=0.6).savefig("curves.png")
"""
from tbwriter.errors import NothingToPlot, PlotNote
from tbwriter.plot.figures import PlotSettings, plot_histograms, plot_hparams, plot_scalars

__all__ = ["NothingToPlot", "PlotNote", "PlotSettings", "plot_histograms", "plot_hparams", "plot_scalars"]
