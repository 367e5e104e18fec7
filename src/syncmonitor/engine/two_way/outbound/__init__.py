"""Records out to Outreach: people, organisations and opportunities created or updated as
prospects, accounts and opportunities."""
