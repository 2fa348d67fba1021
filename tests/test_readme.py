"""The README's examples run as a new user would type them: the Python blocks in order, in one namespace.

A block may use what an earlier block defined (as in a notebook); all run in one fresh
working directory, so relative paths like ``runs/exp1`` stay inside it. The quick start's
demo logs come first, as a newcomer following the README has them.
"""
import pathlib
import re

import pytest

from tbwriter.demo import run_demo

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_readme_has_python_examples():
    assert BLOCKS, "README.md should show Python examples"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_demo("runs/demo", epochs=3)
    namespace: dict = {"__name__": "__readme__"}
    for number, block in enumerate(BLOCKS, 1):
        try:
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
        except Exception as e:  # say which block failed, with the block's own traceback below
            pytest.fail(f"README python block {number} failed: {type(e).__name__}: {e}\n{block}")
