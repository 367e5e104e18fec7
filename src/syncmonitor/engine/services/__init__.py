"""The engine's facade: one service per capability, the only door the window, the tray, the
daemon and the command line use.

`engine.bootstrap.start_services` builds them all and hands them over on `Services`:

- `service` (`engine.runs.service.SyncService`): run a sync; `runs` (`RunsService`): the runs
  read back, their conflicts, the scheduler's runners.
- `people` (`PeopleService`): the People list, a person's detail and timeline.
- `issues` (`IssuesService`): the Issues list, dismiss, delete hazards and what to do about them.
- `two_way` (`TwoWayService`): the two-way sync's scope and a prospect's linked Workbooks person.
- `mappings` (`MappingsService`): load, save, refresh the sources, read samples, preview rows.
- `queue` (`QueueService`): the mailshot queue's live monitor, its actions and timelines.
- `imports` (`ImportsService`): the Salesmate export import.

They live in one package, not one `service.py` per feature, so the facade reads as one API (the
one a desktop watching a shared server would proxy); each is a thin layer over its feature's
package. Reads are plain methods that block: the window calls them on its reader threads
(`ui.models.lazy`), and its one-off reads and writes from the event loop go through `async`
twins that run them with `asyncio.to_thread`, so nothing touches the cache on the GUI thread.
"""
