"""The Settings dialog and the two-way scope dialog."""
