"""The run machinery: the sync service and its jobs, the scheduler, the daemon, the
single-syncer lock, the writer thread, run events and notices."""
