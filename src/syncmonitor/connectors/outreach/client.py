"""Outreach REST API v2 (JSON:API): the client the sync engine reads sequence states with.

It sends the JSON:API headers and the bearer token, follows `links.next` page after page, and
turns each page into typed records (see `outreach_records`, re-exported here). A page that is
not shaped as documented is retried like a network error, then ends the read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import TypeVar

import httpx
import orjson
from typing_extensions import Unpack

from syncmonitor.connectors.errors import OUTREACH, MalformedResponseError
from syncmonitor.connectors.http.client import (
    QueryParams,
    RemoteProblem,
    decode_json,
)
from syncmonitor.connectors.http.remote import RemoteClient, TransportOptions
from syncmonitor.connectors.outreach.errors import classify_outreach_error
from syncmonitor.connectors.outreach.records import (
    Document,
    ProspectRecord,
    SequenceRecord,
    SequenceStatePage,
    SequenceStateRecord,
    SequenceStepRecord,
    ShapeError,
    check_document,
    generic_page,
    latest_timestamp,
    next_link,
    parse_prospect,
    parse_sequence,
    parse_sequence_state,
    parse_sequence_step,
    prospect_page,
    state_page,
)

__all__ = [
    "OutreachClient",
    "ProspectRecord",
    "SequenceRecord",
    "SequenceStatePage",
    "SequenceStateRecord",
    "SequenceStepRecord",
    "latest_timestamp",
    "parse_prospect",
    "parse_sequence",
    "parse_sequence_state",
    "parse_sequence_step",
]

T = TypeVar("T")

JSON_API = "application/vnd.api+json"
MAX_PAGE_SIZE = 1000
# Ids per `filter[id]=` request: about 1 KB of URL, well inside any proxy's limit.
ID_CHUNK = 100

STATE_FIELDS = (
    "state,stateChangedAt,updatedAt,createdAt,pauseReason,errorReason,"
    "replyCount,bounceCount,optOutCount,prospect,sequence,sequenceStep"
)
PROSPECT_FIELDS = "emails,firstName,lastName,optedOut,emailsOptStatus,externalId,updatedAt"
SEQUENCE_FIELDS = "name,enabled,sequenceType,sequenceStepCount,updatedAt"
# JSON:API sparse fieldsets cover relationships too: name `sequence` or it is left out.
STEP_FIELDS = "order,stepType,sequence"


def sequence_state_query(
    updated_since: str | None, page_size: int, *, count: bool = False
) -> list[tuple[str, str]]:
    """The query for sequence states changed since `updated_since` (inclusive), oldest first,
    with their prospects, sequences and steps included and only the attributes the app reads.
    `count` asks Outreach for `meta.count` (the pull asks on the first page only)."""
    params: list[tuple[str, str]] = [("sort", "updatedAt")]
    if updated_since:
        params.append(("filter[updatedAt]", f"{updated_since}..inf"))
    params += [
        ("include", "prospect,sequence,sequenceStep"),
        ("fields[sequenceState]", STATE_FIELDS),
        ("fields[prospect]", PROSPECT_FIELDS),
        ("fields[sequence]", SEQUENCE_FIELDS),
        ("fields[sequenceStep]", STEP_FIELDS),
        ("page[size]", str(page_size)),
        ("count", "true" if count else "false"),
    ]
    return params


def parse_state_page(body: bytes) -> SequenceStatePage:
    """One sequenceStates page from its raw body (what the client does to each answer)."""
    try:
        return state_page(check_document(orjson.loads(body)))
    except (orjson.JSONDecodeError, ShapeError) as exc:
        raise ValueError(f"not a sequenceStates page: {exc}") from exc


def _outreach_problem(response: httpx.Response) -> RemoteProblem:
    """The first entry of a JSON:API `errors` list."""
    body = decode_json(response, OUTREACH)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return RemoteProblem()
    first = errors[0]

    def text(key: str) -> str | None:
        value = first.get(key)
        return value if isinstance(value, str) and value else None

    return RemoteProblem(text("id"), text("title"), text("detail"))


# -- the client ---------------------------------------------------------------------------------


class OutreachClient(RemoteClient):
    """An async client for the parts of Outreach v2 the sync reads. Use as `async with`.

    Authentication is either a static `token` or `auth`, a `RefreshingBearer` that renews
    OAuth access tokens as they expire (outreach_auth.py). `transport` lets tests inject
    `httpx.MockTransport`; `sleep`, `random` and `clock` make retry timing deterministic in
    tests. `timeout` defaults to 30 s (10 s to connect).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        auth: httpx.Auth | None = None,
        page_size: int = MAX_PAGE_SIZE,
        **options: Unpack[TransportOptions],
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if (token is None) == (auth is None):
            raise ValueError("give either a static token or a refreshing auth, not both")
        self.page_size = page_size
        headers = {"Content-Type": JSON_API, "Accept": JSON_API}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        super().__init__(
            service=OUTREACH,
            base_url=base_url,
            headers=headers,
            auth=auth,
            describe_error=_outreach_problem,
            classify_error=classify_outreach_error,
            secrets=(token or "",),
            **options,
        )

    # -- generic paging ---------------------------------------------------------------------

    async def iter_pages(
        self, path: str, params: QueryParams | None = None
    ) -> AsyncIterator[Document]:
        """Every page of a collection as a checked JSON:API document, following `links.next`.

        A page that is still bad after retries ends the iteration with MalformedResponseError;
        the pages before it have already been yielded.
        """
        async for doc in self._pages(path, params, generic_page):
            yield doc

    async def _pages(
        self,
        path: str,
        params: QueryParams | None,
        convert: Callable[[Document], T],
        *,
        recount: bool | None = None,
    ) -> AsyncIterator[T]:
        def parse(response: httpx.Response) -> tuple[T, str | None, int, int | None]:
            try:
                doc = check_document(decode_json(response, OUTREACH))
                data, meta = doc.get("data"), doc.get("meta")
                records = len(data) if isinstance(data, list) else 1
                total = meta.get("count") if isinstance(meta, dict) else None
                announced = total if type(total) is int else None
                return convert(doc), next_link(doc), records, announced
            except ShapeError as exc:
                raise self._malformed(response, str(exc)) from None

        url: str | None = path.lstrip("/")
        query = params
        seen: set[str] = set()
        # A remote handing out a fresh next link for ever must not page for ever.
        budget = self._http.page_budget(f"Outreach {path.strip('/')}", self.page_size)
        while url is not None:
            page, link, records, announced = await self._http.request(
                "GET", url, params=query, parse=parse, parse_in_thread=True
            )
            budget.announce(announced)
            yield page
            budget.page(records, more=link is not None)
            url, query = self._follow(link, seen, recount), None

    def _follow(self, link: str | None, seen: set[str], recount: bool | None = None) -> str | None:
        """The absolute URL of the next page, refusing loops and foreign hosts; `recount` sets
        its `count` parameter."""
        if link is None:
            return None
        base = self._http.base_url
        target = base.join(link)
        if recount is not None:
            target = target.copy_set_param("count", str(recount).lower())
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise MalformedResponseError(
                OUTREACH,
                "Outreach sent a strange page link",
                f"The link to the next page points at another host ({target.host}); Sync "
                "Monitor does not follow it, so that the access token is not sent there. Check "
                "the Outreach address in Settings.",
                retryable=False,
            )
        key = str(target)
        if key in seen:
            raise MalformedResponseError(
                OUTREACH,
                "Outreach paging went round in a circle",
                "Outreach sent a link to a page Sync Monitor had already read, so reading "
                "stopped there. Try the sync again; if it persists, report it with the log file.",
                retryable=False,
            )
        seen.add(key)
        return key

    @staticmethod
    def _malformed(response: httpx.Response, what: str) -> MalformedResponseError:
        return MalformedResponseError(
            OUTREACH,
            "Outreach sent an unexpected answer",
            f"The answer to GET {response.request.url.path} is not shaped the way the Outreach "
            f"API documents: {what}. Sync Monitor tries again by itself; if this keeps "
            "happening, report it with the log file.",
            status_code=response.status_code,
            url=str(response.request.url),
        )

    # -- typed layer ------------------------------------------------------------------------

    async def sequence_state_pages(
        self, updated_since: str | None
    ) -> AsyncIterator[SequenceStatePage]:
        """Sequence states oldest update first, with their prospects, sequences and steps.

        `updated_since` is inclusive (Outreach's `A..inf`), so the record at the boundary comes
        again: callers de-duplicate by id. Records changed while paging move behind the cursor
        and are met again later in the same run.
        """
        # The first page carries meta.count, so the pull can tell whether paging lost a page;
        # the next links are asked not to count again (counting costs Outreach on every page).
        params = sequence_state_query(updated_since, self.page_size, count=True)
        async for page in self._pages("sequenceStates", params, state_page, recount=False):
            yield page

    async def count_sequence_states(self, updated_since: str | None) -> int | None:
        """How many sequence states Outreach counts now for this window (`meta.count`, one
        small page), or None when it will not say (`count_truncated`)."""
        params = [
            (k, "1" if k == "page[size]" else v)
            for k, v in sequence_state_query(updated_since, 1, count=True)
        ]
        async for page in self._pages("sequenceStates", params, state_page):
            return page.count
        return None

    async def sequence_state_pages_for_prospect(
        self, prospect_id: int
    ) -> AsyncIterator[SequenceStatePage]:
        """Every sequence state of one prospect, with the same includes as the full read."""
        params = [
            *sequence_state_query(None, self.page_size),
            ("filter[prospect][id]", str(prospect_id)),
        ]
        async for page in self._pages("sequenceStates", params, state_page):
            yield page

    async def prospects_by_id(self, ids: Iterable[int]) -> dict[int, ProspectRecord]:
        """The prospects with these ids (those that exist), fetched `ID_CHUNK` at a time."""
        wanted = sorted(set(ids))
        found: dict[int, ProspectRecord] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start : start + ID_CHUNK]
            params = [
                ("filter[id]", ",".join(map(str, chunk))),
                ("fields[prospect]", PROSPECT_FIELDS),
                ("page[size]", str(min(self.page_size, len(chunk)))),
                ("count", "false"),
            ]
            async for prospects in self._pages("prospects", params, prospect_page):
                for prospect in prospects:
                    found[prospect.id] = prospect
        return found
