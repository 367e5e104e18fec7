"""Starting and stopping the Queue page's watch: once the services run, and again whenever saved
Settings change what the queue can be read with (`Services.reconfigure`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncmonitor.app.errors import UserFacingError
from syncmonitor.domain.timestamps import utc_now
from syncmonitor.engine.runs.notices import NoticeSink

if TYPE_CHECKING:
    from syncmonitor.ui.queue.page import QueuePage
    from syncmonitor.ui.service_protocols import ServicesLike


def attach_queue(page: QueuePage, services: ServicesLike, notices: NoticeSink) -> None:
    """Start watching the queue with the running app's remotes and settings (once)."""
    if page.poller is not None:
        return
    try:
        # Through the notification policy: switches, snooze, de-dup.
        monitor = services.queue.open_monitor(notices)
    except UserFacingError as error:
        page.unavailable(error.title, error.message)
        return
    if monitor is not None:
        page.attach(monitor)


def queue_settings_changed(page: QueuePage, services: ServicesLike, notices: NoticeSink) -> None:
    """Settings were saved and the services have taken them (`Services.reconfigure`): a queue
    that was not set up starts being read, one whose Workbooks or Spotler was switched off stops,
    and one still set up reads with the new settings from its next read; each is said on the
    page."""
    if page.poller is not None and page.poller.watching:
        return  # the team server reads the queue with its own settings
    problem = services.queue.problem()
    at = f"{utc_now():%H:%M} UTC"
    unapplied = services.queue.unapplied
    if unapplied is not None:  # a secret the new settings need is not saved yet
        if page.poller is None:
            page.unavailable(unapplied.title, unapplied.message)
        else:
            page.tell_settings(
                f"Settings saved at {at}, but not in use for the queue yet: {unapplied.message} "
                "Until then the queue is read with the previous settings."
            )
        return
    if page.poller is None:
        if problem is not None:
            page.unavailable(problem.title, problem.message)
            return
        stopping = page.stopping
        if stopping is not None and not stopping.done():  # switched off a moment ago: after it
            stopping.add_done_callback(lambda _f: queue_settings_changed(page, services, notices))
            return
        attach_queue(page, services, notices)
        if page.poller is not None:
            page.tell_settings(f"Settings saved at {at}: the queue is set up, reading it now.")
        return
    if problem is not None:
        page.detach(
            problem.title,
            f"{problem.message} Settings saved at {at} switched it off, so the queue is no "
            "longer read; what was read last stays in the cache.",
        )
        return
    page.tell_settings(
        f"Settings saved at {at}: the queue is read with the new ones from the next read on "
        "(a read under way finishes on the old ones)."
    )
    page.poller.poll_now()  # now, or right after the read under way
