"""Sync Monitor: see and fix what happens in the CRM and marketing syncs."""

__version__ = "0.1.0"
APP_NAME = "Sync Monitor"
APP_ID = "syncmonitor"
