"""`python -m ragtune`: the same command line as `ragtune`."""

import sys

from ragtune.cli import main

sys.exit(main())
