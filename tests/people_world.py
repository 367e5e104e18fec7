"""A small People world whose filter answers are known by construction (tests of the People
filters, their counts, the export and `syncmonitor people list`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from syncmonitor.domain.states import CanonicalState
from syncmonitor.domain.timestamps import format_iso
from syncmonitor.store.database import Database
from syncmonitor.store.schema import prospects, sequence_states, sequences

S = CanonicalState


def world(now: datetime) -> list[tuple[str, str, int, str, list[tuple[int, CanonicalState, str]]]]:
    """name, provider, id, email, [(sequence id, state, changed)], relative to `now`."""

    def ago(**delta: float) -> str:
        return format_iso(now - timedelta(**delta))

    return [
        (
            "Ada Opted",
            "outreach",
            1,
            "ada@x.test",
            [(1, S.OPTED_OUT, ago(hours=30)), (2, S.ACTIVE_RUNNING, ago(days=40))],
        ),
        (
            "Ben Oldoptout",
            "outreach",
            2,
            "ben@x.test",
            [(1, S.OPTED_OUT, ago(days=20)), (2, S.FINISHED, ago(hours=2))],
        ),
        ("Cleo Bounced", "outreach", 3, "cleo@x.test", [(2, S.BOUNCED, ago(hours=1))]),
        ("Dan Active", "outreach", 4, "dan@x.test", [(1, S.ACTIVE_RUNNING, ago(days=3))]),
        ("Eve Nostates", "outreach", 5, "eve@x.test", []),
        # Fay is in Outreach and in Salesmate (same email): listed once, with both records' states.
        ("Fay Twin", "outreach", 6, "fay@x.test", [(1, S.ACTIVE_RUNNING, ago(days=50))]),
        ("Fay Twin", "salesmate", 60, "fay@x.test", [(7, S.BOUNCED, ago(hours=3))]),
        ('=HYPERLINK("http://evil")', "salesmate", 70, "-sum@x.test", [(7, S.FAILED, ago(days=9))]),
    ]


def fill_world(db: Database, now: datetime) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            insert(sequences),
            [
                {"provider": "outreach", "id": 1, "name": "Webinar follow-up"},
                {"provider": "outreach", "id": 2, "name": "Demo request"},
                {"provider": "salesmate", "id": 7, "name": "Renewals"},
            ],
        )
        for name, provider, pid, email, states in world(now):
            conn.execute(
                insert(prospects),
                {
                    "provider": provider,
                    "id": pid,
                    "email": email,
                    "name": name,
                    "opted_out": any(s is S.OPTED_OUT for _q, s, _c in states),
                    "search_text": f"{name} {email}".lower(),
                },
            )
            for seq, state, changed in states:
                conn.execute(
                    insert(sequence_states),
                    {
                        "provider": provider,
                        "id": pid * 100 + seq,
                        "prospect_id": pid,
                        "sequence_id": seq,
                        "raw_state": state.value.lower(),
                        "state": state.value,
                        "reason": "",
                        "state_changed_at": changed,
                        "updated_at": changed,
                    },
                )
