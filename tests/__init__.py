"""tbwriter's tests, one folder per subsystem of the package; shared helpers in tests/support/, fixtures in conftest.py.

A package (as is each folder) so that test modules are named by their path (``tests.reading.test_reader``), which
lets two folders hold files of the same name, and so that ``from tests.support import eventcheck`` works from the
repository root (pytest's ``pythonpath = ["."]``) and from a subprocess started with ``PYTHONPATH`` set to it.
"""
