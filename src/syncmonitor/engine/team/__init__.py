"""Team mode: one syncing server and watching desktops on a shared PostgreSQL store."""
