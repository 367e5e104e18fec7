"""Workbooks' REST API: sessions, reads with filters, batched writes, metadata and mailshots."""
