"""Importing a Salesmate export: the dialog and the toolbar action."""
