"""The sandbox's GatorMail integration and Spotler Mail+ REST, over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from gatormail_helpers import LONG_NAME, GatorMailSandbox, start_gatormail
from oauthlib.oauth1 import Client

import loopback_http

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def gatormail() -> Iterator[GatorMailSandbox]:
    yield from start_gatormail()


def spotler_get(
    sandbox: GatorMailSandbox,
    path: str,
    *,
    secret: str | None = None,
    key: str | None = None,
    client: Client | None = None,
) -> httpx.Response:
    ep = sandbox.endpoints
    signer = client or Client(
        key or ep.spotler_consumer_key, client_secret=secret or ep.spotler_consumer_secret
    )
    url, headers, _ = signer.sign(ep.spotler_base_url + path, "GET")
    return loopback_http.get(url, headers=headers)


def test_mailshots_arrive_in_order_one_at_a_time(gatormail: GatorMailSandbox) -> None:
    gatormail.settings(seconds_per_mailshot=0.3)
    ids = gatormail.create(count=3)
    gatormail.wait_for(lambda: gatormail.state()["syncing"] == ids[0])
    assert gatormail.mailshot(ids[0])["status"] == "Synchronising"
    assert [gatormail.mailshot(i)["status"] for i in ids[1:]] == ["Queued", "Queued"]
    gatormail.drain()
    campaigns = spotler_get(gatormail, "/campaign/list").json()
    names = [gatormail.mailshot(i)["name"] for i in ids]
    assert [c["name"] for c in campaigns[-3:]] == names
    # The documented shape (Mail+ Swagger `Campaign`): a bare array, nothing else.
    assert all(set(c) == {"encryptedId", "name", "active", "triggers"} for c in campaigns)
    assert [c["mailshot_id"] for c in gatormail.campaigns()[-3:]] == ids


def test_mailings_are_read_for_a_period_with_the_documented_shape(
    gatormail: GatorMailSandbox,
) -> None:
    (shot,) = gatormail.create()
    gatormail.drain()
    name = gatormail.mailshot(shot)["name"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 60))
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    rows = spotler_get(gatormail, f"/mailing?fromDate={start}&toDate={now}").json()
    assert isinstance(rows, list) and rows[-1]["name"] == name
    assert set(rows[-1]) == {"encryptedId", "name", "scheduledStartDate", "type", "sentCount"}
    missing = spotler_get(gatormail, f"/mailing?fromDate={start}")
    assert missing.status_code == 400 and missing.json()["errorType"] == "INVALID_PARAMS"


def test_no_undocumented_reads_unless_the_account_is_emulated(
    gatormail: GatorMailSandbox,
) -> None:
    assert spotler_get(gatormail, "/integration/status").status_code == 404
    keys = gatormail.workbooks("admin/api_keys.api", [])
    assert keys["success"] is False
    gatormail.settings(undocumented_reads=True)
    assert spotler_get(gatormail, "/integration/status").json() == {"integrationRunning": True}
    keys = gatormail.workbooks("admin/api_keys.api", [])
    assert keys["data"][0]["name"] == "GatorMail"


def test_documented_mailshot_fields_only(gatormail: GatorMailSandbox) -> None:
    (shot,) = gatormail.create()
    answer = gatormail.workbooks(
        "email/integrated_mailshots.api", [("_select_columns[]", "queued_at")]
    )
    assert answer["success"] is False  # no document has queued_at: neither does the sandbox
    fields = gatormail.mailshot(shot)
    assert not {"queued_at", "gatormail_campaign_id", "sync_error"} & set(fields)


def test_the_status_values_are_found_through_metadata_and_the_picklist(
    gatormail: GatorMailSandbox,
) -> None:
    types = gatormail.workbooks(
        "metadata/types.api",
        [("_select_columns[]", "class_name"), ("_select_columns[]", "controller_path")],
    )["data"]
    (mailshot_type,) = [t for t in types if t["controller_path"] == "email/integrated_mailshots"]
    full = gatormail.workbooks(
        "metadata/types.api",
        [("class_names[]", mailshot_type["class_name"]), ("_select_columns[]", "fields")],
    )["data"][0]
    (status,) = [f for f in full["fields"] if f["name"] == "status"]
    picklist = status["picklist"]["picklist_id"]
    entries = gatormail.workbooks(
        "admin/picklist_entries.api",
        [("_ff[]", "picklist_id"), ("_ft[]", "eq"), ("_fc[]", str(picklist))],
    )["data"]
    assert next(e["value"] for e in entries) == "Draft"  # the one documented value


def test_mailing_lists_made_by_the_admin_switch_serve_their_entries(
    gatormail: GatorMailSandbox,
) -> None:
    (shot,) = gatormail.create(audience=37, status="Draft")
    list_id = gatormail.mailshot(shot)["mailing_list_id"]
    answer = gatormail.workbooks(
        "email/mailing_list_entries.api",
        [("_ff[]", "mailing_list_id"), ("_ft[]", "eq"), ("_fc[]", str(list_id))],
    )
    assert answer["total"] == 37
    assert {"party_or_lead_id", "party_or_lead_type", "subscribed"} <= set(answer["data"][0])


def test_a_big_audience_takes_longer(gatormail: GatorMailSandbox) -> None:
    gatormail.settings(seconds_per_mailshot=0.2, seconds_per_record=0.0002)
    needs = {}
    for audience in (10, 5000):
        (shot,) = gatormail.create(audience=audience)

        def started(shot: int = shot) -> bool:
            state = gatormail.state()
            return state["syncing"] == shot and state["syncing_needs"] is not None

        gatormail.wait_for(started)
        needs[audience] = gatormail.state()["syncing_needs"]
        started = time.monotonic()
        gatormail.drain()
        assert time.monotonic() - started >= needs[audience] - 0.1  # it waited that long
    assert needs[10] == pytest.approx(0.2 + 10 * 0.0002)
    assert needs[5000] == pytest.approx(0.2 + 5000 * 0.0002)  # one second more for 4990 more


def test_a_name_of_101_characters_blocks_everything_behind_it(gatormail: GatorMailSandbox) -> None:
    (long_id,) = gatormail.create(name=LONG_NAME)
    behind = gatormail.create(count=2)
    gatormail.wait_for(lambda: gatormail.mailshot(long_id)["status"] == "Synchronising")
    state = gatormail.looked(times=3)  # it tried the long name again and again
    assert state["queue"] == [long_id, *behind]
    assert gatormail.mailshot(long_id)["status"] == "Synchronising"
    assert [gatormail.mailshot(i)["status"] for i in behind] == ["Queued", "Queued"]
    gatormail.delete(long_id)  # the seed's remedy: delete it in Workbooks
    gatormail.drain()
    assert [gatormail.mailshot(i)["status"] for i in behind] == ["Synchronised"] * 2


def test_exactly_100_characters_goes_through(gatormail: GatorMailSandbox) -> None:
    (ok,) = gatormail.create(name="A" * 100)
    gatormail.drain()
    assert gatormail.mailshot(ok)["status"] == "Synchronised"


def test_an_emoji_counts_two_so_99_letters_and_one_emoji_block(gatormail: GatorMailSandbox) -> None:
    (fits,) = gatormail.create(name="a" * 98 + "🎉")
    gatormail.drain()
    assert gatormail.mailshot(fits)["status"] == "Synchronised"
    (blocks,) = gatormail.create(name="a" * 99 + "🎉")
    assert gatormail.looked(times=3)["queue"] == [blocks]
    assert gatormail.mailshot(blocks)["status"] == "Synchronising"  # taken, and stuck there


def test_an_empty_name_fails_without_blocking(gatormail: GatorMailSandbox) -> None:
    (empty,) = gatormail.create(name="")
    (after,) = gatormail.create()
    gatormail.drain()
    shot = gatormail.mailshot(empty)
    assert shot["status"] == "Failed"
    assert gatormail.mailshot(after)["status"] == "Synchronised"


def test_an_audience_of_zero_arrives_with_no_contacts(gatormail: GatorMailSandbox) -> None:
    (zero,) = gatormail.create(audience=0)
    gatormail.drain()
    assert [c["contacts"] for c in gatormail.campaigns() if c["mailshot_id"] == zero] == [0]


@pytest.mark.parametrize(
    "key",
    [
        {"enabled": False},
        {"valid_until": int(time.time()) - 60},
        {"valid_from": int(time.time()) + 3600},
    ],
    ids=["disabled", "expired", "not-yet-valid"],
)
def test_an_unusable_api_key_stops_the_queue(gatormail: GatorMailSandbox, key: dict) -> None:  # type: ignore[type-arg]
    gatormail.api_key(**key)
    ids = gatormail.create(count=2)
    assert gatormail.looked(times=3)["queue"] == ids
    assert [gatormail.mailshot(i)["status"] for i in ids] == ["Queued", "Queued"]
    gatormail.api_key(enabled=True, valid_from=None, valid_until=None)
    gatormail.drain()


def test_a_stopped_integration_moves_nothing(gatormail: GatorMailSandbox) -> None:
    gatormail.settings(running=False)
    ids = gatormail.create(count=2)
    assert gatormail.looked(times=3)["queue"] == ids
    assert spotler_get(gatormail, "/integration/status").status_code == 404  # not readable
    gatormail.settings(undocumented_reads=True)
    assert spotler_get(gatormail, "/integration/status").json() == {"integrationRunning": False}
    gatormail.settings(running=True)
    gatormail.drain()


def test_a_spotler_failure_fails_one_mailshot(gatormail: GatorMailSandbox) -> None:
    gatormail.settings(fail_next=1)
    failed, fine = gatormail.create(count=2)
    gatormail.drain()
    assert gatormail.mailshot(failed)["status"] == "Failed"
    assert gatormail.mailshot(fine)["status"] == "Synchronised"


def test_the_world_keeps_producing_mailshots(gatormail: GatorMailSandbox) -> None:
    before = gatormail.state()["mailshots"]
    gatormail.settings(new_every=0.1, long_name_share=0.0)
    gatormail.wait_for(lambda: gatormail.state()["mailshots"] >= before + 2)
    gatormail.settings(new_every=0)


def test_renamed_and_hand_made_campaigns(gatormail: GatorMailSandbox) -> None:
    gatormail.create(count=1, status="Synchronised")
    first = gatormail.campaigns()[-1]
    renamed = gatormail.admin.put(
        f"/gatormail/campaigns/{first['encryptedId']}", json={"name": "Renamed"}
    )
    assert renamed.status_code == 200
    gatormail.admin.post("/gatormail/campaigns", json={"name": "Renamed"})
    names = [c["name"] for c in spotler_get(gatormail, "/campaign/list").json()]
    assert names.count("Renamed") == 2


@pytest.mark.parametrize("wrong", ["key", "secret"])
def test_wrong_oauth_keys_get_a_spotler_error(gatormail: GatorMailSandbox, wrong: str) -> None:
    kwargs = {wrong: "not-the-right-one"}
    response = spotler_get(gatormail, "/campaign/list", **kwargs)
    assert response.status_code == 401
    body = response.json()
    assert body["errorType"] == "NOT_AUTHORIZED" and body["message"]


def test_an_unsigned_request_and_a_replayed_nonce_are_refused(gatormail: GatorMailSandbox) -> None:
    assert (
        loopback_http.get(gatormail.endpoints.spotler_base_url + "/campaign/list").status_code
        == 401
    )
    ep = gatormail.endpoints
    url, headers, _ = Client(
        ep.spotler_consumer_key, client_secret=ep.spotler_consumer_secret
    ).sign(ep.spotler_base_url + "/campaign/list", "GET")
    assert loopback_http.get(url, headers=headers).status_code == 200
    replay = loopback_http.get(url, headers=headers)
    assert replay.status_code == 401 and "nonce" in replay.json()["message"]


def test_an_old_timestamp_is_refused(gatormail: GatorMailSandbox) -> None:
    ep = gatormail.endpoints
    client = Client(
        ep.spotler_consumer_key,
        client_secret=ep.spotler_consumer_secret,
        timestamp=str(int(time.time()) - 3600),
    )
    response = spotler_get(gatormail, "/campaign/list", client=client)
    assert response.status_code == 401 and "timestamp" in response.json()["message"]


def test_admin_switches_are_checked(gatormail: GatorMailSandbox) -> None:
    assert gatormail.admin.put("/gatormail", json={"running": "yes"}).status_code == 422
    assert gatormail.admin.put("/gatormail", json={"speed": 1}).status_code == 422
    assert gatormail.admin.post("/gatormail/mailshots", json={"count": 0}).status_code == 422
    assert gatormail.admin.put("/gatormail/api_key", json={"enabled": 1}).status_code == 422


def test_revoked_oauth_keys_refuse_every_request(gatormail: GatorMailSandbox) -> None:
    gatormail.settings(oauth_keys_revoked=True)
    response = spotler_get(gatormail, "/campaign/list")
    assert response.status_code == 401
    assert response.json() == {"errorType": "NOT_AUTHORIZED", "message": "Unknown consumer key."}
    gatormail.settings(oauth_keys_revoked=False)
    assert spotler_get(gatormail, "/campaign/list").status_code == 200
