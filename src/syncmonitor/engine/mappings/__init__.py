"""Mappings in use: the value sources (stages, picklists), sample records for the preview, and
the job that applies saved mappings to linked records."""
