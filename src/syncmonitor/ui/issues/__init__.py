"""The Issues page: per-record problems and the delete hazard's actions."""
