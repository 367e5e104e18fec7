"""GatorMail's name rule (UTF-16 units, at most 100) and the API key's validity window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncmonitor.domain.mailshots.rules import (
    NAME_LIMIT,
    ApiKeyFacts,
    name_length,
    name_problem,
    suggest_short_name,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_exactly_100_characters_is_accepted_and_101_is_not() -> None:
    assert name_problem("a" * 100) is None
    assert name_problem("a" * 101) == (
        "The name has 101 characters and GatorMail accepts at most 100."
    )


@pytest.mark.parametrize(
    ("name", "length"),
    [
        ("Newsletter", 10),
        ("Café Crème Brûlée", 17),  # precomposed accents: one unit each
        ("東京セミナーのご案内", 10),  # CJK: one unit each
        ("Launch 🚀", 9),  # an emoji outside the BMP counts two
        ("👩‍💻", 5),  # woman + zero-width joiner + laptop: 2 + 1 + 2
        ("✨", 1),  # a BMP symbol counts one
    ],
)
def test_length_is_counted_in_utf16_units_as_spotler_counts(name: str, length: int) -> None:
    assert name_length(name) == length


def test_an_emoji_can_push_a_99_character_name_over_the_limit() -> None:
    assert name_length("a" * 99) == 99
    assert name_problem("a" * 98 + "🎉") is None  # 98 + 2 = 100
    assert name_problem("a" * 99 + "🎉") is not None  # 99 + 2 = 101


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_an_empty_name_is_refused(name: str) -> None:
    assert name_problem(name) == "The name is empty: GatorMail needs a campaign name."


def test_suggestion_keeps_whole_words_and_fits() -> None:
    long = "Autumn 2026 Customer Newsletter for all UK and Ireland accounts including " * 3
    suggestion = suggest_short_name(long)
    assert name_length(suggestion) <= NAME_LIMIT
    assert long.startswith(suggestion)
    assert not suggestion.endswith(" ")


def test_suggestion_never_splits_an_emoji() -> None:
    suggestion = suggest_short_name("🎉" * 80)  # one 160-unit "word"
    assert suggestion == "🎉" * 50
    suggestion = suggest_short_name("a" * 99 + "🎉")
    assert suggestion == "a" * 99


def test_a_short_name_is_suggested_unchanged() -> None:
    assert suggest_short_name("Spring  Newsletter ") == "Spring Newsletter"


def key(**changes: object) -> ApiKeyFacts:
    base = {"name": "GatorMail", "enabled": True, "valid_from": None, "valid_until": None}
    base.update(changes)
    return ApiKeyFacts(**base)  # type: ignore[arg-type]


def test_an_enabled_key_with_blank_dates_is_usable() -> None:
    assert key().problem(NOW) is None


def test_a_disabled_key_says_where_to_tick_enabled() -> None:
    problem = key(enabled=False).problem(NOW)
    assert problem is not None
    assert "disabled" in problem and "Configuration > Automation > API Keys" in problem


def test_an_expired_key_says_when_it_expired() -> None:
    problem = key(valid_until=NOW - timedelta(days=1)).problem(NOW)
    assert problem is not None and "expired on 21 Nov 2026" in problem


def test_a_key_not_yet_valid_says_from_when() -> None:
    problem = key(valid_from=NOW + timedelta(days=2)).problem(NOW)
    assert problem is not None and "not valid until 24 Nov 2026" in problem


def test_days_left_counts_down_to_until() -> None:
    assert key(valid_until=NOW + timedelta(days=3)).days_left(NOW) == pytest.approx(3)
    assert key().days_left(NOW) is None


def test_the_suggestion_does_not_end_on_a_dangling_word() -> None:
    from syncmonitor.domain.mailshots.rules import suggest_short_name

    name = (
        "Q1 2027 Customer Webinar Invitation – EMEA Enterprise Accounts, Partners and Resellers: "
        "Follow-up for non-attendees with recordings"
    )
    suggested = suggest_short_name(name)
    assert len(suggested) <= 100 and not suggested.endswith((" with", " for", " and"))
