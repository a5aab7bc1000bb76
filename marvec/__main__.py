"""``python -m marvec``."""

import sys

from marvec.cli import main

sys.exit(main())
