"""A missing optional package is named with the `pip install` that brings it, at every place tbwriter imports one.

Each case runs in a fresh interpreter where the package is made absent (None in sys.modules: its import fails as if
it were not installed), calls what needs it, and checks the error's message.
"""
import os
import subprocess
import sys
import textwrap

import pytest

from tbwriter import SummaryWriter
from tests.support import ROOT

CASES = {  # id -> (modules made absent, code that needs one, the message)
    "plot_scalars": (["matplotlib"], "from tbwriter.plot import plot_scalars\nplot_scalars(read_scalars(LOGDIR))",
                     "tbwriter.plot needs matplotlib: pip install 'tbwriter[plot]'"),
    "plot_hparams": (["matplotlib"], "from tbwriter.plot import plot_hparams\n"
                                     "plot_hparams(read_hparams(LOGDIR), metric='loss')",
                     "tbwriter.plot needs matplotlib: pip install 'tbwriter[plot]'"),
    "add_figure": (["matplotlib"], "figure = type('Figure', (), {'canvas': None, 'set_canvas': print})()\n"
                                   "SummaryWriter(OUT).add_figure('figure', figure)",
                   "add_figure needs matplotlib: pip install 'tbwriter[plot]'"),
    "add_video": (["PIL"], "SummaryWriter(OUT).add_video('clip', np.zeros((1, 2, 3, 4, 4)))",
                  "add_video needs Pillow: pip install 'tbwriter[media]'"),
    "add_image_with_boxes": (["PIL"], "SummaryWriter(OUT).add_image_with_boxes('boxes', np.zeros((3, 8, 8)), "
                                      "np.array([[1, 1, 4, 4]]))",
                             "add_image_with_boxes needs Pillow: pip install 'tbwriter[media]'"),
    "add_onnx_graph": (["onnx"], "SummaryWriter(OUT).add_onnx_graph('model.onnx')",
                       "add_onnx_graph needs onnx: pip install 'tbwriter[onnx]'"),
    "scalars.to_pandas": (["pandas"], "read_scalars(LOGDIR).to_pandas()",
                          "to_pandas needs pandas: pip install 'tbwriter[pandas]'"),
    "hparams.to_pandas": (["pandas"], "read_hparams(LOGDIR).to_pandas()",
                          "to_pandas needs pandas: pip install 'tbwriter[pandas]'"),
    "report of text": (["markdown_it"], "w = SummaryWriter(OUT)\nw.add_text('notes', '*hi*')\nw.close()\n"
                                        "from tbwriter.views import write_report\nwrite_report(OUT, OUT + '.html')",
                       "a report of text summaries needs markdown-it-py: pip install 'tbwriter[view]'"),
    "fsspec": (["fsspec"], "read_scalars('s3://bucket/run')",
               "s3://bucket/run needs fsspec: pip install 'tbwriter[s3]'"),
    "fsspec, any store": (["fsspec"], "read_scalars('memory://run')",
                          "memory://run needs fsspec: pip install 'tbwriter[remote]'"),
    "s3fs": (["s3fs"], "read_scalars('s3://bucket/run')", "s3://bucket/run needs s3fs: pip install 'tbwriter[s3]'"),
    "gcsfs": (["gcsfs"], "read_scalars('gs://bucket/run')", "gs://bucket/run needs gcsfs: pip install 'tbwriter[gcs]'"),
    "adlfs": (["adlfs"], "read_scalars('az://container/run')",
              "az://container/run needs adlfs: pip install 'tbwriter[azure]'"),
    "lightning": (["lightning"], "import tbwriter.integrations.lightning",
                  "tbwriter.integrations.lightning needs lightning: pip install 'tbwriter[lightning]'"),
    "transformers": (["transformers"], "import tbwriter.integrations.transformers",
                     "tbwriter.integrations.transformers needs transformers: pip install 'tbwriter[transformers]'"),
    "accelerate": (["accelerate"], "import tbwriter.integrations.accelerate",
                   "tbwriter.integrations.accelerate needs accelerate: pip install 'tbwriter[accelerate]'"),
}

PROGRAM = """
import sys
for name in {absent!r}:
    sys.modules[name] = None
import numpy as np
from tbwriter import SummaryWriter, read_hparams, read_scalars
LOGDIR, OUT = {logdir!r}, {out!r}
try:
{code}
except ImportError as e:
    print(type(e).__name__, e)
else:
    print("no error")
"""


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    with SummaryWriter(root / "run") as w:
        w.add_hparams({"lr": 0.1}, {})
        w.add_scalar("loss", 0.5, 1)
    return str(root)


def without(absent: list[str], code: str, logdir: str, out: str) -> str:
    program = PROGRAM.format(absent=absent, logdir=logdir, out=out, code=textwrap.indent(code, "    "))
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize("case", CASES)
def test_a_missing_package_names_the_pip_install(case, logdir, tmp_path):
    absent, code, message = CASES[case]
    assert without(absent, code, logdir, str(tmp_path / "out")) == f"ModuleNotFoundError {message}"


def test_the_cli_says_it_in_one_line(logdir, tmp_path, root):
    program = ("import sys; sys.modules['matplotlib'] = None; from tbwriter.cli.main import main; "
               "sys.exit(main(sys.argv[1:]))")
    for argv in (["plot", logdir, "-o", str(tmp_path / "x.png")], ["demo", str(tmp_path / "demo")]):
        done = subprocess.run([sys.executable, "-c", program, *argv], capture_output=True, text=True, timeout=300,
                              env=dict(os.environ, PYTHONPATH=str(root)))
        assert done.returncode == 1 and done.stdout == "", done.stderr
        assert done.stderr.startswith(f"tbwriter {argv[0]}: error: ") and len(done.stderr.splitlines()) == 1
        assert "needs matplotlib: pip install 'tbwriter[plot]'" in done.stderr
    assert not (tmp_path / "demo").exists()  # said before logging: the demo can run again once it is installed
