"""add_image and add_figure: tbwriter (its own zlib PNG encoder) vs tensorboardX and torch (Pillow), same input.

    python tools/bench.py media
"""
from __future__ import annotations

import numpy as np

from bench import median_time, report, writers

CALLS = 50


def main(argv: list[str]) -> None:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:256]
    inputs = {  # a smooth picture and noise, as uint8 HWC and as float CHW in [0, 1]
        "smooth uint8 HWC": (np.stack([x, y, (x + y) // 2], 2).astype(np.uint8), "HWC"),
        "noise float CHW": (rng.random((3, 256, 256)).astype(np.float32), "CHW"),
    }
    found = writers()
    for name, (img, formats) in inputs.items():
        def run(cls):
            def go(d):
                w = cls(d)
                for step in range(CALLS):
                    w.add_image("img", img, step, dataformats=formats)
                w.close()
            return go
        report(f"add_image 256x256x3 {name}: {CALLS} calls incl. close()", "µs/call",
               {n: median_time(run(cls), 5) for n, cls in found.items()}, CALLS)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figure_run(cls):
        def go(d):
            w = cls(d)
            for step in range(10):
                fig, ax = plt.subplots(figsize=(4, 3))
                ax.plot(rng.random(100))
                w.add_figure("fig", fig, step)
            w.close()
        return go
    report("add_figure 4x3 in line plot: 10 calls incl. plotting and close()", "µs/call",
           {n: median_time(figure_run(cls), 3) for n, cls in found.items()}, 10)
