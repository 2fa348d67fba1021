"""Figures of a logdir, drawn with matplotlib from numbers computed without it:

- :mod:`~tbwriter.plot.figures`: curves (``plot_scalars``) and distributions (``plot_histograms``)
- :mod:`~tbwriter.plot.hparams`: a sweep's parallel coordinates (``plot_hparams``)
- :mod:`~tbwriter.plot.settings`: how a figure looks (``PlotSettings``) and the checks of every plot function
- :mod:`~tbwriter.plot.drawing`: the matplotlib side (panels, lines, bands, legends, themes)
- :mod:`~tbwriter.plot.plotdata`: smoothing, decimation, seed groups, percentiles (numpy only)

    from tbwriter import read_scalars
    from tbwriter.plot import plot_scalars
    plot_scalars(read_scalars("runs"), smoothing=0.6).savefig("curves.png")
"""
from tbwriter.errors import NothingToPlot, PlotNote
from tbwriter.plot.figures import plot_histograms, plot_scalars
from tbwriter.plot.hparams import plot_hparams
from tbwriter.plot.settings import PlotSettings

__all__ = ["NothingToPlot", "PlotNote", "PlotSettings", "plot_histograms", "plot_hparams", "plot_scalars"]
