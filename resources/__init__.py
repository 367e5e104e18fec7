"""Icons and other files the app shows (the repository's top-level resources/ folder)."""
