"""Compare what landed with what the emulator served, table by table.

The emulator records every exchange; its answers, run through the catalog's own record paths
and child tables, are the rows a faithful harvest must hold. Values the exchange cannot show
(the window a task asked for, the id chunk) are compared as a placeholder on both sides.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from typing import Any

from sqlalchemy import Table, select

from emulator.server import Exchange
from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account
from harvester.models import HarvestRun
from harvester.pipeline.parse import records_at, tree_rows

from .conftest import Harness

_HIDDEN = "?"


def blank(route: str) -> str:
    """A route with its placeholders blank ("POST /v2/campaigns/{}/stats/skus"): the catalog and
    the emulator name them differently."""
    return _BLANK.sub("{}", route)


def route_of(endpoint: Endpoint) -> str:
    call = endpoint.first_call
    return blank(f"{call.method} {call.path}")


def endpoint_of(exchange: Exchange, candidates: list[Endpoint]) -> Endpoint | None:
    route = blank(exchange.route)
    return next((e for e in candidates if e.fetch is not None and route_of(e) == route), None)


_BLANK = re.compile(r"\{[^}]*\}")


def plain(value: Any) -> Any:
    """A hashable, store-neutral form: JSON for lists and dicts, naive UTC for date-times."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).replace(tzinfo=None).isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def hidden_columns(endpoint: Endpoint, table: Table) -> set[str]:
    """Columns an answer cannot show: the window and id chunk asked for, and the lineage."""
    top = {"window_start", "window_end", *(endpoint.ids.columns if endpoint.ids else ())}
    return {c.name for c in table.columns if c.info.get("ctx") in top or "lineage" in c.info}


def project(endpoint: Endpoint, table: Table, row: dict[str, Any]) -> tuple:
    hidden = hidden_columns(endpoint, table)
    return tuple(_HIDDEN if c.key in hidden else plain(row[c.key]) for c in table.columns)


def served(exchanges: list[Exchange], accounts: dict[str, Account], candidates: list[Endpoint]) -> dict:
    """{(account, table): set of projected rows} from every 200 answer of a sync endpoint;
    `accounts` by the emulator's seller id."""
    served: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    for exchange in exchanges:
        endpoint = endpoint_of(exchange, candidates)
        if endpoint is None or exchange.response.status != 200 or exchange.request.sid not in accounts:
            continue
        # hidden values (see `project`) are a date, which the parser passes through unchanged
        context = defaultdict(lambda: dt.date.min, accounts[exchange.request.sid].context())
        body = json.loads(exchange.response.body or b"null")
        records = records_at(body, endpoint.fetch.records, exchange.route, endpoint.fetch.single)  # type: ignore[union-attr]
        for table, rows in tree_rows(endpoint.model.__table__, endpoint.children, records, context,  # type: ignore[attr-defined]
                                     exchange.route).items():
            served[(context["account_id"], table.name)] |= {project(endpoint, table, r) for r in rows}
    return served


def stored(h: Harness, candidates: list[Endpoint]) -> dict:
    stored: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    with h.session() as session:
        for endpoint in candidates:
            for table in endpoint.tables:
                for row in session.execute(select(table)).mappings():
                    stored[(row["account_id"], table.name)].add(project(endpoint, table, dict(row)))
    return stored


def snapshot(h: Harness, candidates: list[Endpoint], keys_only: bool = False) -> dict:
    """Every row of the endpoints' tables (or only their keys: a snapshot re-read later may
    carry newer values, but never another row), without the lineage a re-run renews."""
    with h.session() as session:
        return {t.name: sorted(map(repr, session.execute(select(*(
            t.primary_key.columns if keys_only else [c for c in t.columns if "lineage" not in c.info]))).all()))
                for e in candidates for t in e.tables}


def wait_settled(h: Harness) -> None:
    """Until the run log stops growing: every queued task is recorded."""
    seen: list[int] = []

    def still() -> bool:
        seen.append(len(h.all(HarvestRun)))
        return len(seen) >= 4 and len(set(seen[-4:])) == 1

    h.wait_for(still, 240, "the run log to settle", every=1.0)
