"""What a person can do to the GatorMail queue: fix a blocking name, retry, cancel.

Fix name makes a copy of the mailshot with the shorter name and deletes the original in Workbooks,
in an order that never loses a mailshot, and only through documented calls:
1. create the copy as Workbooks' mailshot example does (status Draft, `sync_with` GatorMail, the
   original's subject, sender and type); Workbooks makes the copy's own mailing list;
2. copy the original list's entries into it (`email/mailing_list_entries`, as the mailing list
   example creates them), and check the copy's audience equals the original's;
3. queue the copy as a user would: set its status to the value that means "Synchronise was
   pressed" (whether an API save starts the integration as the button does is not documented:
   the queue page shows whether it moves);
4. read the copy back, and only then delete the original.
Each create is tagged with a unique `created_through_reference`, kept in the cache before the
create is sent, so when an answer is lost (or the app stops) the next attempt finds the copy
instead of making a second one; entries already copied are not copied twice. Every step goes into
the mailshot's timeline.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from syncmonitor.app.errors import UserFacingError
from syncmonitor.connectors.errors import ConnectorError, RequestRejectedError
from syncmonitor.connectors.workbooks.client import CONFLICT_MARKER
from syncmonitor.connectors.workbooks.mailshots import COPIED_FIELDS, MailshotRecord
from syncmonitor.domain.mailshots.queue import IN_QUEUE_ROLES
from syncmonitor.domain.mailshots.rules import NAME_LIMIT, name_length, name_problem
from syncmonitor.domain.mailshots.statuses import StatusRole
from syncmonitor.engine.mailshots.monitor import PollResult, QueueMonitor

log = logging.getLogger(__name__)  # what the person did and what came of it, at INFO

DRAFT = "Draft"  # the documented status of a new mailshot (workbooks-mailshot_example.php)


def _value_for(monitor: QueueMonitor, role: StatusRole, fallback: str | None) -> str:
    value = monitor.meanings.value_for(role) or fallback
    if value is None:
        raise MailshotActionError(
            f"Sync Monitor does not know which Workbooks status means “{role.label}”, so it "
            "cannot set it. Nothing was changed.",
            "Say which status means what in Settings > Queue statuses, then try again.",
        )
    return value


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
    poll: PollResult | None  # None: done by the team server (the queue shows it at its next read)
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
    async with monitor.action():  # one set of settings from the copy to the delete
        monitor.busy = True
        log.info('Fix name pressed for mailshot #%s: new name "%s"', mailshot_id, new_name.strip())
        try:
            outcome = await _fix(monitor, mailshot_id, new_name.strip())
        except MailshotActionError as error:
            log.warning("Fix name for mailshot #%s not done: %s", mailshot_id, error)
            raise
        finally:
            monitor.busy = False
    log.info("Fix name done: %s", outcome.message)
    return outcome


async def _fix(monitor: QueueMonitor, mailshot_id: int, new_name: str) -> ActionOutcome:
    if monitor.known_row(mailshot_id) is None:
        await monitor.poll_once()
    row = monitor.known_row(mailshot_id)
    if row is None:
        raise MailshotActionError(f"Mailshot #{mailshot_id} is not in the GatorMail queue.", "")
    original = await _read(monitor, mailshot_id)
    if monitor.meanings.role(original.status) not in IN_QUEUE_ROLES:
        raise MailshotActionError(
            f'"{original.name}" is no longer in the queue (its status is {original.status}).',
            "Nothing needs fixing.",
        )
    try:  # It might have got through after all: then there is nothing to fix.
        arrived = await monitor.arrived(mailshot_id)
    except ConnectorError as error:
        raise _nothing_changed(
            "Sync Monitor could not ask Spotler whether the mailshot already arrived.", error
        ) from error
    if arrived:
        raise MailshotActionError(
            f'"{original.name}" has arrived in Spotler meanwhile.', "Nothing needs fixing."
        )
    copy = await _find_or_create_copy(monitor, original, row, new_name)
    audience = await _copy_audience(monitor, original, copy)
    copy = await _queue_copy(monitor, copy)
    await monitor.absorb([copy])
    copy_row = monitor.known_row(copy.id)
    if copy_row is not None:
        copy_row["copy_of"] = mailshot_id
        monitor.mark_dirty(copy.id)
    monitor.record_event(
        copy.id,
        "waiting",
        f'Created by Sync Monitor as a copy of #{mailshot_id} named "{copy.name}" '
        f"({name_length(copy.name)} of {NAME_LIMIT} characters), with the same audience "
        f"({audience:,} contacts copied into its own mailing list) and queued; confirmed in "
        "Workbooks.",
    )
    await monitor.save()
    gone_before = await _delete_original(monitor, original, copy)
    row["reason"] = f'Replaced by the shorter copy #{copy.id} "{copy.name}" (Fix name)'
    row["replaced_by"] = copy.id
    row["fix_reference"] = None
    monitor.mark_dirty(mailshot_id)
    await monitor.refresh_mailshot(mailshot_id)
    poll = await monitor.refresh_mailshot(copy.id)
    item = poll.snapshot.item(copy.id)
    queued = len(poll.snapshot.in_queue)
    where = (
        f"queued at position {item.position} of {queued}"
        if item is not None and item.position is not None
        else f"now {item.state.label.lower()}"
        if item is not None
        else "queued"
    )
    deleted = (
        "The original had already been deleted in Workbooks by someone else meanwhile."
        if gone_before
        else "The original was deleted in Workbooks."
    )
    return ActionOutcome(
        f'"{copy.name}" (#{copy.id}) is {where}, with the same audience ({audience:,} contacts). '
        f"{deleted} The queue can move on.",
        poll,
        copy.id,
    )


async def _copy_audience(
    monitor: QueueMonitor, original: MailshotRecord, copy: MailshotRecord
) -> int:
    """The original list's entries into the copy's own list (those not there yet); the count."""
    wb = monitor.workbooks
    if original.mailing_list_id is None:
        return 0
    if copy.mailing_list_id is None:
        raise MailshotActionError(
            f"Workbooks made the copy #{copy.id} without a mailing list, so its audience cannot "
            f"be copied. The original #{original.id} was NOT deleted.",
            f"Add the audience to #{copy.id} in Workbooks, or delete it and try Fix name again.",
        )
    try:
        wanted = await wb.entries(original.mailing_list_id)
        present = {(e.party_id, e.party_type) for e in await wb.entries(copy.mailing_list_id)}
        missing = [e for e in wanted if (e.party_id, e.party_type) not in present]
        if missing:
            await wb.add_entries(copy.mailing_list_id, missing)
        count = await wb.audience(copy.mailing_list_id)
    except ConnectorError as error:
        raise MailshotActionError(
            f"The copy #{copy.id} exists, but its audience could not be copied ({error.title}: "
            f"{error.message}). The original #{original.id} was NOT deleted.",
            "Press Fix name again: it continues with the same copy and copies only what is "
            "missing.",
        ) from error
    if count < len(wanted):
        raise MailshotActionError(
            f"The copy #{copy.id} has {count} contacts where the original has {len(wanted)}: "
            f"Workbooks did not save them all. The original #{original.id} was NOT deleted.",
            "Press Fix name again: it copies only what is missing.",
        )
    monitor.record_event(
        original.id,
        "blocked",
        f"Fix name: {len(missing)} of {len(wanted)} contacts copied into the copy's mailing "
        f"list #{copy.mailing_list_id} (the rest were there already).",
    )
    return count


async def _queue_copy(monitor: QueueMonitor, copy: MailshotRecord) -> MailshotRecord:
    """Set the copy's status to "Synchronise was pressed", as a user's click would."""
    if monitor.meanings.role(copy.status) in IN_QUEUE_ROLES:
        return copy
    queued = _value_for(monitor, StatusRole.QUEUED, None)
    try:
        await monitor.workbooks.set_status(copy.id, copy.lock_version, queued)
    except ConnectorError as error:
        raise MailshotActionError(
            f"The copy #{copy.id} was made with its audience but could not be queued "
            f"({error.title}). The original was NOT deleted.",
            "Press Fix name again: it continues with the same copy.",
        ) from error
    return await _proven(monitor, copy, copy.id)


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
    # As Workbooks' own example creates one: Draft first; it is queued once its audience is in.
    draft = _value_for(monitor, StatusRole.IDLE, DRAFT)
    fields.update(name=new_name, status=draft, created_through_reference=reference)
    fields["sync_with"] = "GatorMail"  # "needed, or the mailshot will be created but not usable"
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
) -> bool:
    """Delete the original; True when someone had deleted it meanwhile (nothing to do)."""
    version = original.lock_version
    for attempt in (1, 2):
        try:
            await monitor.workbooks.delete_mailshot(original.id, version)
        except ConnectorError as error:
            try:
                fresh = await monitor.workbooks.read_mailshot(original.id)
            except ConnectorError:
                fresh = original
            if fresh is None or fresh.is_deleted:
                monitor.record_event(
                    original.id,
                    "removed",
                    f"Fix name: already deleted in Workbooks by someone else while the copy "
                    f"#{copy.id} was being made; the copy is queued.",
                )
                return True
            stale = isinstance(error, RequestRejectedError) and CONFLICT_MARKER in (
                error.message.lower()
            )
            if attempt == 1 and stale and fresh.name == original.name:
                # Saved elsewhere meanwhile (the integration touches it): once more.
                version = fresh.lock_version
                continue
            _half_done(monitor, original, copy, error)
        monitor.record_event(
            original.id,
            "blocked",
            f"Fix name: deleted in Workbooks after the copy #{copy.id} was confirmed there.",
        )
        return False
    return False


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
    async with monitor.action():
        return await _retry(monitor, mailshot_id)


async def _retry(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
    record = await _read(monitor, mailshot_id)
    if monitor.meanings.role(record.status) is not StatusRole.FAILED:
        raise MailshotActionError(
            f'"{record.name}" has not failed (its status is {record.status}).', "Nothing to retry."
        )
    queued = _value_for(monitor, StatusRole.QUEUED, None)
    try:
        await monitor.workbooks.set_status(mailshot_id, record.lock_version, queued)
    except ConnectorError as error:
        raise _nothing_changed("Workbooks did not queue the mailshot again.", error) from error
    monitor.record_event(mailshot_id, "waiting", "Retry: queued again by Sync Monitor.")
    log.info('Retry pressed: mailshot #%s "%s" is queued again', mailshot_id, record.name)
    poll = await monitor.refresh_mailshot(mailshot_id)
    return ActionOutcome(f'"{record.name}" is queued again.', poll)


async def cancel(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
    """Take a waiting mailshot out of the queue (its status back to Draft); it is not deleted."""
    async with monitor.action():
        return await _cancel(monitor, mailshot_id)


async def _cancel(monitor: QueueMonitor, mailshot_id: int) -> ActionOutcome:
    idle = _value_for(monitor, StatusRole.IDLE, DRAFT)
    for attempt in (1, 2):
        record = await _read(monitor, mailshot_id)
        if monitor.meanings.role(record.status) is not StatusRole.QUEUED:
            raise MailshotActionError(
                f'Only a waiting mailshot can be cancelled; "{record.name}" is {record.status}.',
                "A mailshot the integration has started cannot be called back.",
            )
        try:
            await monitor.workbooks.set_status(mailshot_id, record.lock_version, idle)
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
        row["reason"] = f"Cancelled in Sync Monitor (status set back to {idle}; not deleted)"
        monitor.mark_dirty(mailshot_id)
    log.info('Cancel pressed: mailshot #%s "%s" is out of the queue', mailshot_id, record.name)
    poll = await monitor.refresh_mailshot(mailshot_id)
    return ActionOutcome(f'"{record.name}" was taken out of the queue.', poll)
