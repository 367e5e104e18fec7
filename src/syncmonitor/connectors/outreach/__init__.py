"""Outreach's REST API (JSON:API): sign-in, sequence states, records and stages."""
