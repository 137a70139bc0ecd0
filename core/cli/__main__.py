"""`python -m core.cli ...`: the `faceshelf` command."""

import sys

from . import main

sys.exit(main())
