"""`python -m syncmonitor` is the same as the `syncmonitor` command."""

import sys

from syncmonitor.cli import main

sys.exit(main())
