"""The ids a dependent fetch needs, read from what its source endpoint stored (see `catalog.model.Ids`).

The caller names the source table (`catalog.source_table`), so the store never looks endpoints up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select, tuple_
from sqlmodel import Session

from harvester.catalog.model import Ids
from harvester.core.accounts import Account


def id_rows(session: Session, table: Table, account: Account, ids: Ids, after: tuple[Any, ...] | None = None,
            limit: int | None = None) -> list[tuple[Any, ...]]:
    """Distinct, sorted rows of the id columns for one account; rows with a null id are skipped.

    `after` and `limit` read the next rows past one already harvested, in the database's own
    order. A YM account that names its stores (`campaign_ids`) gets only theirs.
    """
    account_id = account.id
    columns = [table.c[name] for name in ids.columns]
    query = select(*columns).distinct().where(table.c.account_id == account_id)
    query = query.where(*(c.is_not(None) for c in columns))
    for name, allowed in ids.where.items():
        query = query.where(table.c[name].in_(allowed))
    if account.ym_campaign_ids and "campaign_id" in table.c:
        query = query.where(table.c.campaign_id.in_(account.ym_campaign_ids))
    if ids.latest:  # a snapshot series: only the newest snapshot's ids
        newest = select(func.max(table.c[ids.latest])).where(table.c.account_id == account_id).scalar_subquery()
        query = query.where(table.c[ids.latest] == newest)
    if after is not None:
        query = query.where(tuple_(*columns) > tuple_(*after))
    return [tuple(row) for row in session.execute(query.order_by(*columns).limit(limit))]
