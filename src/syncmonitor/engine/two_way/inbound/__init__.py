"""Outreach activity back into Workbooks: tasks and calls, and the sequence steps behind them."""
