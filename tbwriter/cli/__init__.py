"""The ``tbwriter`` command: :mod:`~tbwriter.cli.main` parses the command line and runs one subcommand, a module
of this package each (``ls``, ``export``, ``convert``, ``plot``, ``hparams``, ``tail``, ``demo``), each a thin client
of the public API."""
