"""How pip installs tbwriter: an editable install (what every ./dev call does) quietly, the package from the root."""
import glob
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_editable_build_prints_no_setuptools_banner(tmp_path):
    pytest.importorskip("setuptools")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(os.path.join(ROOT, name), project)
    shutil.copytree(os.path.join(ROOT, "tbwriter"), project / "tbwriter",
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
