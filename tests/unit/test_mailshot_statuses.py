"""Status meanings and name matching: what the queue can tell without a document, and what not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncmonitor.connectors.errors import AuthenticationError
from syncmonitor.connectors.spotler import CampaignRecord, MailingRecord
from syncmonitor.domain.mailshots.statuses import StatusMeanings, StatusRole, guess_role
from syncmonitor.engine.mailshots.arrivals import MAILINGS, CampaignBook, normalised
from syncmonitor.engine.mailshots.reads import failure_line

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_guesses_from_the_words_of_a_status() -> None:
    assert guess_role("Draft") is StatusRole.IDLE
    assert guess_role("Queued") is StatusRole.QUEUED
    assert guess_role("Synchronising") is StatusRole.SYNCING
    assert guess_role("Synchronized") is StatusRole.SYNCED
    assert guess_role("Not Synchronised") is StatusRole.IDLE
    assert guess_role("Sync failed") is StatusRole.FAILED
    assert guess_role("Held for review") is StatusRole.UNKNOWN


def test_meanings_are_guesses_until_confirmed_and_new_values_are_kept() -> None:
    meanings = StatusMeanings({}).with_values(["Draft", "Queued", "Done"], "picklist", "t0")
    assert meanings.value_for(StatusRole.QUEUED) == "Queued"
    assert meanings.unconfirmed() == [StatusRole.QUEUED, StatusRole.SYNCED]
    note = meanings.guess_note()
    assert note is not None and "“Queued” for “Synchronise was pressed”" in note
    assert "“Done” for “synchronised”" in note
    meanings = meanings.confirmed({"Queued": StatusRole.QUEUED, "Done": StatusRole.SYNCED})
    assert meanings.guess_note() is None
    again = meanings.with_values(["Queued", "Parked"], "seen on a mailshot", "t1")
    assert again.values["Queued"].confirmed  # a known value keeps its answer
    assert again.unknown_values() == ["Parked"]
    assert again.role("Never seen") is StatusRole.UNKNOWN


def book_with(names: list[str], *, first: list[str] | None = None) -> CampaignBook:
    book = CampaignBook()
    book.take_campaigns(
        [CampaignRecord(f"old{i}", n, True) for i, n in enumerate(first or [])], NOW
    )
    later = NOW + timedelta(minutes=10)
    records = [CampaignRecord(f"old{i}", n, True) for i, n in enumerate(first or [])]
    records += [CampaignRecord(f"new{i}", n, True) for i, n in enumerate(names)]
    book.take_campaigns(records, later)
    return book


def test_a_campaign_matches_by_exact_name_then_ignoring_case_and_spaces() -> None:
    queued = NOW + timedelta(minutes=5)
    exact = book_with(["Spring Digest"]).match("Spring Digest", queued, {}, 1)
    assert exact is not None and exact.candidate is not None and exact.how == "exact name"
    loose = book_with(["spring   digest"]).match("Spring Digest", queued, {}, 1)
    assert loose is not None and loose.how == "name ignoring case and spaces"
    assert normalised(" A  b ") == "a b"


def test_last_months_campaign_of_the_same_name_is_not_this_mailshots() -> None:
    book = book_with([], first=["Monthly Newsletter"])  # there before the mailshot was queued
    assert book.match("Monthly Newsletter", NOW + timedelta(minutes=5), {}, 1) is None


def test_two_new_campaigns_with_one_name_are_not_guessed_between() -> None:
    match = book_with(["Twin", "Twin"]).match("Twin", NOW + timedelta(minutes=5), {}, 1)
    assert match is not None and match.candidate is None and len(match.ambiguous) == 2


def test_a_campaign_already_matched_to_another_mailshot_is_not_taken_twice() -> None:
    book = book_with(["Same"])
    assert book.match("Same", NOW + timedelta(minutes=5), {"new0": 7}, 1) is None


def test_a_mailing_scheduled_after_the_queue_time_matches_when_no_campaign_does() -> None:
    book = CampaignBook()
    book.take_campaigns([], NOW)
    book.take_mailings([MailingRecord("ml1", "Promo", NOW + timedelta(minutes=6), 10)], NOW)
    match = book.match("Promo", NOW + timedelta(minutes=5), {}, 1)
    assert match is not None and match.candidate is not None
    assert match.candidate.read == MAILINGS


def test_a_migrating_workbooks_is_said_as_temporary_not_as_a_bad_key() -> None:
    error = AuthenticationError.for_service(
        "Workbooks",
        status_code=403,
        detail="A new release of software has been deployed and the selected database has not "
        "yet been upgraded. Try again soon.",
    )
    line = failure_line(error)
    assert "database_being_migrated" in line and "Nothing is wrong with the API key" in line


def test_the_documented_draft_is_not_a_guess() -> None:
    meanings = StatusMeanings({}).with_values(["Draft"], "picklist", "t0")
    assert meanings.values["Draft"].confirmed and meanings.role("Draft") is StatusRole.IDLE
