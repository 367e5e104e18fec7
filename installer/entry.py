"""The frozen app's entry point: the same as the `syncmonitor` command."""

import sys

from syncmonitor.cli import main

if __name__ == "__main__":
    sys.exit(main())
