"""The optional C loops of tbwriter; everything else is configured in pyproject.toml.

    pip install -e .                       # builds them in place when a C compiler is at hand
    python setup.py build_ext --inplace    # rebuild after editing a .c file

optional=True: without a compiler the install still succeeds, and numpy does their work:
- tbwriter/writing/summaries/_buckets.c: counting histogram buckets (else buckets.py counts with numpy);
- tbwriter/reading/_frames.c: framing records and checking their CRCs (else reading/index.py does).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("tbwriter.writing.summaries._buckets", ["tbwriter/writing/summaries/_buckets.c"], optional=True),
                   Extension("tbwriter.reading._frames", ["tbwriter/reading/_frames.c"], optional=True)])
