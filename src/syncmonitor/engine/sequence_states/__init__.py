"""Sequence states: the Outreach pull into the history and the Workbooks push of each person's
current state."""
