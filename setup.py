"""The optional C loop of tbwriter.summaries.buckets; everything else is configured in pyproject.toml.

    pip install -e .                       # builds it in place when a C compiler is at hand
    python setup.py build_ext --inplace    # rebuild after editing tbwriter/summaries/_buckets.c

optional=True: without a compiler the install still succeeds and buckets.py counts with numpy.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("tbwriter.summaries._buckets", ["tbwriter/summaries/_buckets.c"],
                             optional=True)])
