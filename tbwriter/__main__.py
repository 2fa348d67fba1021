"""``python -m tbwriter ...`` runs the ``tbwriter`` command."""
import sys

from tbwriter.cli import main

sys.exit(main())
