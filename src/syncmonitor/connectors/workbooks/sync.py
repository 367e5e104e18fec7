"""Workbooks for the two-way sync: who the API user is, how many records a filter matches, and
one keyset page of a filtered list."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from syncmonitor.connectors.workbooks.client import (
    Record,
    RecordUpdate,
    UpdateResult,
    WorkbooksClient,
    _endpoint,
)


class WorkbooksSyncClient(WorkbooksClient):
    """The Workbooks client with the calls the two-way sync and its scope editor need."""

    async def current_user(self) -> int:
        """The id of the user the API key belongs to: `POST login.api` with the key, as the
        guide's "Login" documents it (`api_key`, `client=api`, `api_version=1`), reading
        `user_id`. The session cookie that login makes is dropped: every other call carries the
        key itself, and a session would ask writes for an authenticity token."""

        def parse(response: httpx.Response) -> int:
            body = self._answer(response)
            user = body.get("user_id")
            if isinstance(user, int) and not isinstance(user, bool):
                return user
            if isinstance(user, str) and user.isdigit():
                return int(user)
            raise self._malformed(response, "it does not name the user (user_id)")

        form = [("api_key", self._auth[0][1]), ("client", "api"), ("api_version", "1")]
        try:
            return await self._http.request(
                "POST", "login.api", form=form, parse=parse, idempotent=True
            )
        finally:
            self._http.forget_cookies()

    async def count(
        self, endpoint: str, filters: Sequence[tuple[str, str, str]], filter_mode: str
    ) -> int:
        """How many records match (one request: `_limit=1` with the total)."""
        params: list[tuple[str, str]] = [*self._auth, ("_start", "0"), ("_limit", "1")]
        # Scope filters go as the user typed them: a comma there is Workbooks' "one of".
        for name, operator, value in filters:
            params += [("_ff[]", name), ("_ft[]", operator), ("_fc[]", value)]
        if filters:
            params.append(("_fm", filter_mode))
        params.append(("_select_columns[]", "id"))

        def parse(response: httpx.Response) -> int:
            body = self._answer(response)
            total = body.get("total")
            if isinstance(total, int) and not isinstance(total, bool):
                return total
            raise self._malformed(response, "it has no total")

        return await self._http.request("GET", _endpoint(endpoint), params=params, parse=parse)

    async def delete_record(self, endpoint: str, record_id: int, lock_version: int) -> UpdateResult:
        """Delete one record (`__method[]=DELETE`); a stale lock_version is a conflict result."""
        batch = [RecordUpdate(record_id, lock_version, {})]
        form = self._update_form(batch, method="DELETE")

        def parse(response: httpx.Response) -> list[UpdateResult]:
            return self._update_results(response, batch)

        results: list[UpdateResult] = await self._http.request(
            "PUT", _endpoint(endpoint), form=form, parse=parse
        )
        return results[0]

    async def page_after(
        self,
        endpoint: str,
        after_id: int,
        filters: Sequence[tuple[str, str, str]],
        filter_mode: str,
        columns: Sequence[str],
        limit: int,
    ) -> list[Record]:
        """Up to `limit` matching records with ids above `after_id`, by id.

        Keyset paging: records that leave the filter while the sync writes to them (flagged as
        duplicates, say) cannot make an offset skip the records behind them.
        """
        conditions = [("id", "gt", str(after_id)), *filters]
        numbers = " AND ".join(f"({n})" for n in _renumber(filter_mode, len(filters)))
        mode = f"1 AND {numbers}" if filters else "and"
        params: list[tuple[str, str]] = [
            *self._auth,
            ("_sort", "id"),
            ("_dir", "ASC"),
            ("_skip_total_rows", "true"),
            ("_start", "0"),
            ("_limit", str(limit)),
        ]
        for name, operator, value in conditions:
            params += [("_ff[]", name), ("_ft[]", operator), ("_fc[]", value)]
        params.append(("_fm", mode))
        params += [("_select_columns[]", c) for c in columns]
        records: list[Record] = await self._http.request(
            "GET", _endpoint(endpoint), params=params, parse=self._records
        )
        return records


def _renumber(mode: str, count: int) -> list[str]:
    """`mode` ("and", "or" or an expression over 1..count) shifted by one condition."""
    if count == 0:
        return []
    lowered = mode.strip().lower()
    if lowered in ("and", "or"):
        joiner = " AND " if lowered == "and" else " OR "
        return [joiner.join(str(n + 1) for n in range(1, count + 1))]
    out, number = [], ""
    for ch in mode + " ":
        if ch.isdigit():
            number += ch
            continue
        if number:
            out.append(str(int(number) + 1))
            number = ""
        out.append(ch)
    return ["".join(out).strip()]
