"""A synchronous harvest of one window: every id chunk and page, through the gate, parsed and upserted.

Progress (ids done, next page, rows so far) is kept in a small object the task serialises
into its retry kwargs, so a harvest that must wait for the limiter resumes where it was.
Each page is upserted as it arrives, with its child tables: a crash repeats at most one
page, idempotently.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harvester.catalog import source_table
from harvester.catalog.model import Endpoint, Ids
from harvester.core.accounts import Account
from harvester.core.clock import today
from harvester.core.errors import HarvestError
from harvester.core.request import Request, fill_template
from harvester.models.state import utcnow
from harvester.models.tables import table_of
from harvester.pipeline.gate import Gate
from harvester.pipeline.land import answer_records, load
from harvester.pipeline.schedule import chunks, oldest_served
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.ids import id_rows, last_read


@dataclass
class Progress:
    """Where a harvest stands; serialisable into task kwargs."""

    cursor: dict[str, Any] | None = None
    rows: int = 0
    booked: dict[str, Any] | None = None  # a limiter token reserved for the next request (see gate.Wait)
    after: list[Any] | None = None  # the last id row fully harvested; the rest come after it
    # Of a rotating endpoint (`Ids.rotate`): the id row its window began after (null: the first),
    # and whether it has wrapped around past the last id to the first.
    rotation: dict[str, Any] | None = None
    load_cpu: float = 0.0  # CPU seconds spent decoding and parsing answers and upserting their rows


def request_values(window: tuple[dt.date, dt.date], ids: Ids | None, chunk: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Placeholder values of one request: the window, and the id chunk as lists, scalars and items."""
    values: dict[str, Any] = {"start": window[0].isoformat(), "end": window[1].isoformat(),
                              # RFC 3339 moments covering the window's days, for APIs that want date-times
                              "start_time": f"{window[0].isoformat()}T00:00:00Z",
                              "end_time": f"{window[1].isoformat()}T23:59:59Z"}
    if ids is None:
        return values
    for i, name in enumerate(ids.columns):
        values[f"ids.{name}"] = [row[i] for row in chunk]
        values[f"id.{name}"] = chunk[0][i]
    if ids.item is not None:
        values["items"] = [
            fill_template(ids.item, {**values, **{f"id.{n}": row[i] for i, n in enumerate(ids.columns)}})
            for row in chunk
        ]
    return values


def _constant_ids(ids: Ids | None, chunk: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Id columns with one value over the chunk: the context of its rows (e.g. advert_id)."""
    if ids is None:
        return {}
    return {name: chunk[0][i] for i, name in enumerate(ids.columns) if all(r[i] == chunk[0][i] for r in chunk)}


def _chunks(account: Account, endpoint: Endpoint, window: tuple[dt.date, dt.date],
            progress: Progress) -> Iterator[list[tuple[Any, ...]]]:
    """The id chunks still to harvest, read one at a time past `progress.after`: a task re-queued
    after every request reads one chunk's rows, not every id of the account again.

    A rotating endpoint starts after the id it read last, wraps around once, and stops where it
    began or when its day is over, whichever comes first."""
    ids = endpoint.ids
    if ids is None:
        yield [()]
        return
    group = ids.columns.index(ids.group) if ids.group else None
    table = source_table(ids)
    if ids.rotate and progress.rotation is None:
        with session_scope() as session:
            begin = last_read(session, table_of(endpoint.model), account.id, ids.columns)
        progress.after = list(begin) if begin is not None else None
        progress.rotation = {"start": progress.after, "wrapped": False}
    while True:
        if ids.rotate and today() > window[1]:
            return
        after = tuple(progress.after) if progress.after is not None else None
        with session_scope() as session:
            rows = id_rows(session, table, account, ids, after, ids.per_call)
        rotation = progress.rotation
        if rotation is not None and rotation["start"] is not None:
            if not rows and not rotation["wrapped"]:  # past the last id: on from the first
                rotation["wrapped"], progress.after = True, None
                continue
            if rotation["wrapped"]:
                rows = [row for row in rows if list(row) <= rotation["start"]]
        if not rows:
            return
        yield chunks(rows, ids.per_call, group)[0]


def _check_served(endpoint: Endpoint, window: tuple[dt.date, dt.date]) -> None:
    """A window that fell out of the API's history while it waited in its line is a failure of
    its own, recorded before a request the API must refuse spends a token."""
    history = endpoint.window.history_days
    if history and window[0] < (oldest := oldest_served(endpoint.window, today())):
        raise HarvestError(f"{endpoint.name} serves {history} days of history and the window {window[0]}.."
                           f"{window[1]} fell out of it while it waited: its oldest day is now {oldest}")


def harvest_window(gate: Gate, account: Account, endpoint: Endpoint, window: tuple[dt.date, dt.date],
                   progress: Progress, unit_id: int | None = None) -> int:
    """Fetch and store every id chunk and page of `window` (its rows marked with `unit_id`, the
    ledger's unit, and when they were loaded); raises `Wait` or a `HarvestError` with `progress`
    current."""
    call = endpoint.fetch
    assert call is not None, f"{endpoint.name} is a {endpoint.flow_kind} flow, not a sync fetch"
    _check_served(endpoint, window)
    table = table_of(endpoint.model)
    known = account.context()
    for chunk in _chunks(account, endpoint, window, progress):
        context = {**known, "window_start": window[0], "window_end": window[1], "unit_id": unit_id,
                   **_constant_ids(endpoint.ids, chunk)}
        first = Request.from_call(call, **known, **request_values(window, endpoint.ids, chunk))
        request: Request | None = endpoint.paginator.first(first, progress.cursor)
        while request is not None:
            progress.cursor = endpoint.paginator.cursor(request)
            booked, progress.booked = progress.booked, None
            response = gate.fetch(account, request, call, booked)
            began = time.process_time()
            body, batches = answer_records(response, call, request.label, endpoint.paginator.reads_body)
            with session_scope() as session:  # one transaction a page: a failure part way lands none of it
                count, rows = load(session, table, endpoint.children, batches,
                                   {**context, "loaded_at": utcnow()}, request.label)
            progress.rows += rows
            progress.load_cpu += time.process_time() - began
            request = endpoint.paginator.next(request, count, body)
        progress.cursor = None
        if endpoint.ids is not None:
            progress.after = list(chunk[-1])
    return progress.rows
