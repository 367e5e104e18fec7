"""What a person can do to the GatorMail queue: fix a blocking name, retry, cancel.

Fix name makes a copy of the mailshot with the shorter name and deletes the original in Workbooks,
in an order that never loses a mailshot: the original is deleted only after the copy has been read
back from Workbooks. Each create is tagged with a unique `created_through_reference`, kept in the
cache before the create is sent, so when an answer is lost (or the app stops) the next attempt
finds the copy instead of making a second one. Every step goes into the mailshot's timeline.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError, RequestRejectedError
from syncmonitor.connectors.workbooks.client import CONFLICT_MARKER
from syncmonitor.connectors.workbooks.mailshots import COPIED_FIELDS, MailshotRecord
from syncmonitor.domain.mailshots.queue import (
    IN_QUEUE_STATUSES,
    STATUS_FAILED,
    STATUS_NEW,
    STATUS_QUEUED,
)
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, name_length, name_problem
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor


class MailshotActionError(UserFacingError):
    """An action on a mailshot did not (fully) happen; the message says what state it left."""

    title = "The mailshot was not changed"


class FixIncompleteError(MailshotActionError):
    """The copy exists but the original is still there (and still blocks the queue)."""

    title = "The fix is only half done"


@dataclass(frozen=True)
class ActionOutcome:
    """What an action did, in words, and the queue after it."""

    message: str
    poll: PollResult
    copy_id: int | None = None


def _nothing_changed(what: str, error: ConnectorError | None = None) -> MailshotActionError:
    said = f" ({error.title}: {error.message})" if error else ""
    return MailshotActionError(
        f"{what}{said} Nothing was changed in Workbooks.",
        "Check the connection and try again.",
    )


async def _read(monitor: QueueMonitor, mailshot_id: int) -> MailshotRecord:
    try:
        record = await monitor.workbooks.read_mailshot(mailshot_id)
    except ConnectorError as error:
        raise _nothing_changed(
            "Sync Monitor could not read the mailshot from Workbooks.", error
        ) from error
    if record is None or record.is_deleted:
        raise MailshotActionError(
            f"Mailshot #{mailshot_id} no longer exists in Workbooks (it was deleted).",
            "Nothing needs doing: it has left the queue.",
        )
    return record


async def fix_name(monitor: QueueMonitor, mailshot_id: int, new_name: str) -> ActionOutcome:
    """Replace a mailshot by a copy named `new_name`, then delete the original (see above)."""
    problem = name_problem(new_name)
    if problem:
        raise MailshotActionError(
            problem, f"Choose a name of 1 to {NAME_LIMIT} characters (an emoji counts 2)."
        )
    monitor.busy = True
    try:
        return await _fix(monitor, mailshot_id, new_name.strip())
    finally:
        monitor.busy = False


async def _fix(monitor: QueueMonitor, mailshot_id: int, new_name: str) -> ActionOutcome:
    if monitor.known_row(mailshot_id) is None:
        await monitor.poll_once()
    row = monitor.known_row(mailshot_id)
    if row is None:
        raise MailshotActionError(f"Mailshot #{mailshot_id} is not in the GatorMail queue.", "")
    original = await _read(monitor, mailshot_id)
    if original.status not in IN_QUEUE_STATUSES:
        raise MailshotActionError(
            f'"{original.name}" is no longer in the queue (its status is {original.status}).',
            "Nothing needs fixing.",
        )
    try:  # It might have got through after all: then there is nothing to fix.
        arrived = False
        async for page in monitor.spotler.iter_campaigns():
            arrived = arrived or any(c.external_id == str(mailshot_id) for c in page)
    except ConnectorError as error:
        raise _nothing_changed(
            "Sync Monitor could not ask Spotler whether the mailshot already arrived.", error
        ) from error
    if arrived:
        raise MailshotActionError(
            f'"{original.name}" has arrived in Spotler meanwhile.', "Nothing needs fixing."
        )
    copy = await _find_or_create_copy(monitor, original, row, new_name)
    await monitor.absorb([copy])
    copy_row = monitor.known_row(copy.id)
    if copy_row is not None:
        copy_row["copy_of"] = mailshot_id
        monitor.mark_dirty(copy.id)
    monitor.record_event(
        copy.id,
        "waiting",
        f'Created by Sync Monitor as a copy of #{mailshot_id} named "{copy.name}" '
        f"({name_length(copy.name)} of {NAME_LIMIT} characters); confirmed in Workbooks.",
    )
    await monitor.save()
    await _delete_original(monitor, original, copy)
    row["reason"] = f'Replaced by the shorter copy #{copy.id} "{copy.name}" (Fix name)'
    row["replaced_by"] = copy.id
    row["fix_reference"] = None
    monitor.mark_dirty(mailshot_id)
    poll = await monitor.refresh_mailshot(mailshot_id)
    return ActionOutcome(
        f'"{copy.name}" (#{copy.id}) took the place of #{mailshot_id} in the queue, and the '
        "original was deleted in Workbooks. The queue can move on.",
        poll,
        copy.id,
    )


async def _find_or_create_copy(
    monitor: QueueMonitor, original: MailshotRecord, row: dict[str, object], new_name: str
) -> MailshotRecord:
    wb = monitor.workbooks
    reference = row.get("fix_reference")
    if isinstance(reference, str):
        try:
            found = await wb.find_by_reference(reference)
        except ConnectorError as error:
            raise _nothing_changed(
                "Sync Monitor could not look for an earlier copy.", error
            ) from error
        if found is not None:
            return await _proven(monitor, found, original.id)
    reference = f"syncmonitor-fix:{original.id}:{secrets.token_hex(6)}"
    row["fix_reference"] = reference  # kept before sending: a lost answer is found next time
    monitor.mark_dirty(original.id)
    monitor.record_event(
        original.id,
        str(row.get("state") or "blocked"),
        f'Fix name: making a copy named "{new_name}".',
    )
    await monitor.save()
    fields: dict[str, str | int] = {
        name: value
        for name in COPIED_FIELDS
        if (value := original.raw.get(name)) is not None and value != ""
    }
    fields.update(name=new_name, status=STATUS_QUEUED, created_through_reference=reference)
    fields.setdefault("sync_with", "GatorMail")
    try:
        created = await wb.create_mailshot(fields)
    except ConnectorError as error:
        # The answer may have been lost after Workbooks saved the copy: look before deciding.
        try:
            found = await wb.find_by_reference(reference)
        except ConnectorError:
            raise MailshotActionError(
                f"Workbooks did not confirm the copy ({error.title}), and Sync Monitor could not "
                "check whether it was made. The original was NOT deleted, so nothing is lost.",
                "Press Fix name again: Sync Monitor looks for this copy first and never makes two.",
            ) from error
        if found is None:
            raise MailshotActionError(
                f"Workbooks did not create the copy: {error.message} The original was NOT "
                "deleted; the queue is still blocked.",
                "Try Fix name again in a moment.",
            ) from error
        created = found
    return await _proven(monitor, created, original.id)


async def _proven(monitor: QueueMonitor, copy: MailshotRecord, original_id: int) -> MailshotRecord:
    """The copy as Workbooks reads it back: proof that it exists before anything is deleted."""
    try:
        proof = await monitor.workbooks.read_mailshot(copy.id)
    except ConnectorError as error:
        raise MailshotActionError(
            f"The copy #{copy.id} was made but could not be read back ({error.title}). The "
            f"original #{original_id} was NOT deleted.",
            "Press Fix name again: it continues with the same copy.",
        ) from error
    if proof is None or proof.is_deleted:
        raise MailshotActionError(
            f"The copy #{copy.id} cannot be found in Workbooks, so the original #{original_id} was "
            "NOT deleted.",
            "Press Fix name again to make a new copy.",
        )
    return proof


async def _delete_original(
    monitor: QueueMonitor, original: MailshotRecord, copy: MailshotRecord
) -> None:
    version = original.lock_version
    for attempt in (1, 2):
        try:
            await monitor.workbooks.delete_mailshot(original.id, version)
        except RequestRejectedError as error:
            if attempt == 1 and "updated elsewhere" in error.message:
                # Saved elsewhere meanwhile (the integration touches it): read it again, once.
                fresh = await monitor.workbooks.read_mailshot(original.id)
                if fresh is not None and not fresh.is_deleted and fresh.name == original.name:
                    version = fresh.lock_version
                    continue
            _half_done(monitor, original, copy, error)
        except ConnectorError as error:
            _half_done(monitor, original, copy, error)
        monitor.record_event(
            original.id,
            "blocked",
            f"Fix name: deleted in Workbooks after the copy #{copy.id} was confirmed there.",
        )
        return


def _half_done(
    monitor: QueueMonitor, original: MailshotRecord, copy: MailshotRecord, error: ConnectorError
) -> None:
    monitor.record_event(
        original.id, "blocked", f"Fix name: the original could not be deleted ({error.title})."
    )
    raise FixIncompleteError(
        f'The copy #{copy.id} "{copy.name}" exists and is queued, but the original '
        f"#{original.id} could not be deleted: {error.message} The original still blocks the "
        "queue, and the copy waits behind it.",
        f"Press Fix name again (the copy will not be made twice), or delete #{original.id} in "
        "Workbooks.",
    ) from error


async def retry(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
    """Queue a failed mailshot again (Workbooks status Queued)."""
    record = await _read(monitor, mailshot_id)
    if record.status != STATUS_FAILED:
        raise MailshotActionError(
            f'"{record.name}" has not failed (its status is {record.status}).', "Nothing to retry."
        )
    try:
        await monitor.workbooks.set_status(mailshot_id, record.lock_version, STATUS_QUEUED)
    except ConnectorError as error:
        raise _nothing_changed("Workbooks did not queue the mailshot again.", error) from error
    monitor.record_event(mailshot_id, "waiting", "Retry: queued again by Sync Monitor.")
    poll = await monitor.refresh_mailshot(mailshot_id)
    return ActionOutcome(f'"{record.name}" is queued again.', poll)


async def cancel(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
    """Take a waiting mailshot out of the queue (Workbooks status New); it is not deleted."""
    for attempt in (1, 2):
        record = await _read(monitor, mailshot_id)
        if record.status != STATUS_QUEUED:
            raise MailshotActionError(
                f'Only a waiting mailshot can be cancelled; "{record.name}" is {record.status}.',
                "A mailshot the integration has started cannot be called back.",
            )
        try:
            await monitor.workbooks.set_status(mailshot_id, record.lock_version, STATUS_NEW)
            break
        except ConnectorError as error:
            # Changed in Workbooks between our read and our write (the integration touches
            # queued mailshots): read it again and decide again, once.
            if attempt == 1 and CONFLICT_MARKER in error.message.lower():
                continue
            raise _nothing_changed(
                "Workbooks did not take the mailshot out of the queue.", error
            ) from error
    row = monitor.known_row(mailshot_id)
    if row is not None:
        row["reason"] = "Cancelled in Sync Monitor (status set back to New; not deleted)"
        monitor.mark_dirty(mailshot_id)
    poll = await monitor.refresh_mailshot(mailshot_id)
    return ActionOutcome(f'"{record.name}" was taken out of the queue.', poll)
