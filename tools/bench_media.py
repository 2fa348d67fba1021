"""add_image and add_figure: tbwriter (its own zlib PNG encoder) vs tensorboardX and torch (Pillow), same input.

    python tools/bench.py media
"""
from __future__ import annotations

import numpy as np
from bench import median_time, report, writers

CALLS = 50


def encode_only(smooth: np.ndarray, noise_chw: np.ndarray) -> None:
    """The PNG encoders alone: ours (zlib, "Up" filter) vs Pillow's (what the peers call), bytes out."""
    import io
    import statistics
    import time

    from tbwriter.writing.summaries.png import encode_png

    def pillow(pixels):
        from PIL import Image
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, format="PNG")
        return buf.getvalue()

    noise = (noise_chw.transpose(1, 2, 0) * 255).astype(np.uint8)
    for name, pixels in (("smooth", smooth), ("noise", noise)):
        print(f"\nPNG encode only, 256x256x3 {name}")
        ours = None
        for label, fn in (("tbwriter", encode_png), ("Pillow", pillow)):
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                size = len(fn(pixels))
                times.append(time.perf_counter() - t0)
            t = statistics.median(times)
            ours = ours or t
            ratio = "" if label == "tbwriter" else f"   {t / ours:6.1f}x tbwriter"
            print(f"  {label:14s} {t * 1e3:9.2f} ms  {size:7d} bytes{ratio}")


def main(argv: list[str]) -> None:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:256, 0:256]
    inputs: dict[str, tuple[np.ndarray, str]] = {  # a smooth picture and noise, as uint8 HWC and float CHW in [0, 1]
        "smooth uint8 HWC": (np.stack([x, y, (x + y) // 2], 2).astype(np.uint8), "HWC"),
        "noise float CHW": (rng.random((3, 256, 256)).astype(np.float32), "CHW"),
    }
    encode_only(inputs["smooth uint8 HWC"][0], inputs["noise float CHW"][0])
    found = writers()
    for name, (img, formats) in inputs.items():
        def run(cls, img=img, formats=formats):  # bound now: the loop moves on before go() runs
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
