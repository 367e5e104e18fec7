"""`python -m syncmonitor.sandbox [--port N] [--seed S] ...` runs the sandbox server."""

import sys

from syncmonitor.sandbox.server import main

sys.exit(main())
