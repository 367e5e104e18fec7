"""Mapping rules, pure Python: status and field mappings, checks, the payloads they produce,
undo history, import and export files and the preview."""
