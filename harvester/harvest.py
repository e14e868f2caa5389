"""A synchronous harvest of one window: every page, through the gate, parsed and upserted.

Progress (next page, rows so far) is kept in a small object the task serialises into its
retry kwargs, so a harvest that must wait for the limiter resumes at the page it reached.
Each page is upserted as it arrives: a crash repeats at most one page, idempotently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from harvester.accounts import Account
from harvester.catalog.model import Endpoint
from harvester.client.http import Request, decode_json
from harvester.gate import Gate
from harvester.parse import records_at, to_rows
from harvester.store.db import session_scope
from harvester.store.upsert import upsert


@dataclass
class Progress:
    """Where a paged harvest stands; serialisable into task kwargs."""

    cursor: dict[str, Any] | None = None
    rows: int = 0
    booked: dict[str, Any] | None = None  # a limiter token reserved for the next request (see gate.Wait)


def harvest_window(gate: Gate, account: Account, endpoint: Endpoint, window: tuple[dt.date, dt.date], progress: Progress) -> int:
    """Fetch and store every page of `window`; raises `Wait` or a `HarvestError` with `progress` current."""
    call = endpoint.fetch
    assert call is not None, f"{endpoint.name} is a {endpoint.flow_kind} flow, not a sync fetch"
    table = endpoint.model.__table__  # type: ignore[attr-defined]
    context = {"account_id": account.id, "window_start": window[0], "window_end": window[1]}
    first = Request.from_call(call, start=window[0].isoformat(), end=window[1].isoformat())
    request = endpoint.paginator.first(first, progress.cursor)
    while request is not None:
        progress.cursor = endpoint.paginator.cursor(request)
        gate.acquire(account, call, progress.booked)
        progress.booked = None
        response = gate.send(account, request, call)
        records = records_at(decode_json(response, request.label), call.records, request.label)
        rows = to_rows(table, records, context, request.label)
        with session_scope() as session:
            progress.rows += upsert(session, table, rows)
        request = endpoint.paginator.next(request, records)
    return progress.rows
