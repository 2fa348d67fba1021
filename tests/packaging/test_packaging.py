"""How pip installs tbwriter: an editable install (what every ./dev call does) quietly, the package from the root."""
import glob
import os
import shutil
import subprocess
import sys
import zipfile

import pytest



@pytest.mark.slow
def test_editable_build_prints_no_setuptools_banner(tmp_path, root):
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(os.path.join(root, name), project)
    shutil.copytree(os.path.join(root, "tbwriter"), project / "tbwriter",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    (tmp_path / "wheel").mkdir()
    # the build backend pip runs for `pip install -e .`, which passes on whatever it warns even with -q
    done = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                                                 "build_meta.build_editable(sys.argv[1])", str(tmp_path / "wheel")],
                          cwd=project, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "Editable installation" not in done.stderr and "Warning" not in done.stderr, done.stderr
    (wheel,) = glob.glob(str(tmp_path / "wheel" / "*.whl"))
    with zipfile.ZipFile(wheel) as z:
        (pth,) = [n for n in z.namelist() if n.endswith(".pth")]
        assert z.read(pth).decode().strip() == str(project)  # the root on sys.path: tbwriter imports from there


# Every import path the README named before the package was laid out in subpackages (format/, writing/, reading/,
# storage/, tables/, plot/, cli/): each must keep working, as a re-export where its module moved.
PUBLIC_NAMES = {
    "tbwriter": ["SummaryWriter", "read_scalars", "read_histograms", "read_images", "read_tensors", "read_text",
                 "read_hparams", "read_all", "__version__"],
    "tbwriter.record": ["DamagedRecordWarning", "Problem", "RecordError"],
    "tbwriter.follow": ["Follower"],
    "tbwriter.export": ["export_csv"],
    "tbwriter.convert": ["convert_csv", "convert_csvs"],
    "tbwriter.plot": ["plot_scalars", "plot_histograms", "plot_hparams", "PlotSettings", "NothingToPlot", "PlotNote"],
    "tbwriter.storage": ["StorageError"],
    "tbwriter.distributed": ["detect"],
    "tbwriter.callbacks": ["CallbackList", "CSVLogger", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
                           "TensorBoard"],
    "tbwriter.integrations.lightning": ["TensorBoardLogger"],
    "tbwriter.integrations.transformers": ["TensorBoardCallback"],
    "tbwriter.integrations.accelerate": ["TensorBoardTracker"],
    "tbwriter._proto": ["event_pb2"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_every_documented_import_path_still_imports(module):
    code = f"from {module} import {', '.join(PUBLIC_NAMES[module])}"
    # a fresh interpreter, so nothing another test imported first can make a broken path work
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_every_exception_keeps_its_builtin_ancestry_beside_the_common_base():
    from tbwriter import errors

    builtin = {"ArgumentError": ValueError, "ArgumentTypeError": TypeError, "StorageError": OSError,
               "RecordError": ValueError, "DecodeError": ValueError, "BadValue": ValueError,
               "NothingToPlot": ValueError, "DamagedRecordWarning": UserWarning, "PlotNote": UserWarning,
               "WriterWarning": RuntimeWarning, "CommandError": Exception}
    for name, ancestor in builtin.items():
        cls = getattr(errors, name)
        assert issubclass(cls, errors.TbwriterException) and issubclass(cls, ancestor), name


def test_the_import_cycle_check_finds_a_cycle_and_passes_the_package(tmp_path, root):
    """tools/import_cycles.py (run by ./dev lint) must be able to fail: a cycle made on purpose is found."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\n"
                                           "if TYPE_CHECKING:\n    from pkg import a\n")
    tool = root / "tools" / "import_cycles.py"
    found = subprocess.run([sys.executable, tool, package], capture_output=True, text=True)
    assert found.returncode == 1 and "pkg.a <-> pkg.sub.b" in found.stderr
    clean = subprocess.run([sys.executable, tool], capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
