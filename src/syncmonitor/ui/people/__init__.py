"""The People page: search, a person's states and their timeline."""
