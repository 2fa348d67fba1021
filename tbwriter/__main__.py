"""``python -m tbwriter ...`` runs the ``tbwriter`` command."""
import sys

from tbwriter.cli.main import main

sys.exit(main())
