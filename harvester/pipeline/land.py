"""An answer's records into their tables: parsed and upserted a batch of rows at a time.

Shared by the page of a synchronous harvest and the download of an async task (paid storage,
acceptance), so a big answer costs the same memory whichever way it came: a page over
`STREAMED_BYTES` is read record by record (`parse.streamed_records`; 84 MB of a 100,000-product
seller's stocks groups were 570 MB as Python objects read whole); a task's file, a row per
product, warehouse and day, is spooled to disk and always read so; and the rows are upserted
`BATCH_ROWS` at a time in the caller's one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Table
from sqlmodel import Session

from harvester.catalog.model import Call, Child
from harvester.pipeline.client import decode_json
from harvester.pipeline.parse import records_at, streamed_records, tree_rows
from harvester.pipeline.store.upsert import upsert

STREAMED_BYTES = 8 << 20
BATCH_ROWS = 5_000

Batches = Iterable[list[Mapping[str, Any]]]


def answer_records(response: requests.Response, call: Call, label: str, body_needed: bool) -> tuple[Any, Batches]:
    """The answer's records in batches, and its decoded body: None when it was read record by
    record, which a big answer is unless `body_needed` (a paginator reading a cursor from it)."""
    if len(response.content) > STREAMED_BYTES and not body_needed:
        return None, ([record] for record in streamed_records(response.content, call.records, label, call.single))
    body = decode_json(response, label)
    return body, [records_at(body, call.records, label, call.single)]


def file_records(path: Path, call: Call, label: str) -> Batches:
    """The records of an answer spooled to `path`, read one at a time from the file; an empty
    file (204, no data) has none."""
    if not path.stat().st_size:
        return []
    return ([record] for record in streamed_records(path, call.records, label, call.single))


def load(session: Session, table: Table, children: tuple[Child, ...], batches: Batches,
         context: Mapping[str, Any], label: str) -> tuple[int, int]:
    """Upsert the rows of every batch of records, with their child tables, about `BATCH_ROWS`
    at a time, so an answer read record by record never holds all its rows; returns (records,
    rows)."""
    pending: dict[Table, list[dict[str, Any]]] = {}
    count = rows = held = 0
    for records in batches:
        count += len(records)
        for t, made in tree_rows(table, children, records, context, label).items():
            pending.setdefault(t, []).extend(made)
            held += len(made)
        if held >= BATCH_ROWS:
            rows += sum(upsert(session, t, made) for t, made in pending.items())
            pending, held = {}, 0
    return count, rows + sum(upsert(session, t, made) for t, made in pending.items())
