"""Connecting to the remotes: the connection doctor (what each enabled feature needs)."""
