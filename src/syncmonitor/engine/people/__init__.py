"""The People list's features beyond reading: the CSV export and the named views."""
