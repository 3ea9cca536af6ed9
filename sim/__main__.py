"""``python -m sim`` runs the ``massengage`` command line."""

import sys

from sim.cli import main

sys.exit(main())
