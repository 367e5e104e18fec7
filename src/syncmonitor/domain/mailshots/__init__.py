"""Mailshot queue rules, pure Python: states, positions, preflight checks and the ETA."""
