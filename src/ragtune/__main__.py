"""`python -m ragtune`: the same command line as `ragtune`."""

import sys

from ragtune.cli import main

if __name__ == "__main__":
    sys.exit(main())
