"""Subcommands of the ``tbwriter`` command, one module each, each a thin client of the public API."""
