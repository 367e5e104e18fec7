"""The Runs page: every run, its chart, and the two-way conflicts."""
