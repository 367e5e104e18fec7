"""The command line's exit codes, the same for every command (documented in the README)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_FOUND = 0, 1, 2, 3
# `sync --once`: some parts of the run failed, the others went through.
EXIT_PARTLY_FAILED = 4
# `sync --once`: the first two-way sync to a real remote waits for --confirm-writes; it read only.
EXIT_WRITES_HELD = 5
