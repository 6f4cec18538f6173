"""``python -m smtplearn`` runs the command line."""

import sys

from smtplearn.cli import main

sys.exit(main())
