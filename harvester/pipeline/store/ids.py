"""The ids a dependent fetch needs, read from what its source endpoint stored (see `catalog.model.Ids`).

The caller names the source table (`catalog.source_table`), so the store never looks endpoints up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, Table, and_, func, select, tuple_
from sqlmodel import Session

from harvester.catalog.model import Ids
from harvester.core.accounts import Account


def _id_query(table: Table, account: Account, ids: Ids) -> Select:
    """Distinct rows of the id columns for one account; rows with a null id are skipped. A YM
    account that names its stores (`campaign_ids`) gets only theirs."""
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
    return query


def id_rows(session: Session, table: Table, account: Account, ids: Ids, after: tuple[Any, ...] | None = None,
            limit: int | None = None) -> list[tuple[Any, ...]]:
    """Distinct, sorted rows of the id columns for one account (see `_id_query`).

    `after` and `limit` read the next rows past one already harvested, in the database's own order.
    """
    columns = [table.c[name] for name in ids.columns]
    query = _id_query(table, account, ids)
    if after is not None:
        query = query.where(tuple_(*columns) > tuple_(*after))
    return [tuple(row) for row in session.execute(query.order_by(*columns).limit(limit))]

def window_column(table: Table) -> str:
    """The column holding a row's window (its snapshot date): the one filled from `window_start`."""
    return next(c.name for c in table.columns if c.info.get("ctx") == "window_start")


def last_read(session: Session, table: Table, account_id: str, columns: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The id row a rotating endpoint changed last (its own `table`, newest window, latest
    `loaded_at`): where its next window resumes. One window's rows, by the primary key's prefix."""
    day = table.c[window_column(table)]
    newest = select(func.max(day)).where(table.c.account_id == account_id).scalar_subquery()
    row = session.execute(
        select(*(table.c[name] for name in columns))
        .where(table.c.account_id == account_id, day == newest)
        .order_by(table.c.loaded_at.desc(), *(table.c[name].desc() for name in columns))
        .limit(1)
    ).first()
    return tuple(row) if row is not None else None


@dataclass(frozen=True)
class Coverage:
    """How far a rotating endpoint has read an account's ids: `read` of them in its newest
    window, `never` not yet at all, and `oldest` the stalest last read among the rest."""

    ids: int
    read: int
    never: int
    oldest: dt.date | None


def coverage(session: Session, source: Table, own: Table, account: Account, ids: Ids) -> Coverage:
    """The account's ids now (from `source`), each with its last read in the endpoint's `own` table."""
    day = own.c[window_column(own)]
    keys = [own.c[name] for name in ids.columns]
    reads = (select(*keys, func.max(day).label("last")).where(own.c.account_id == account.id)
             .group_by(*keys).subquery())
    current = _id_query(source, account, ids).subquery()
    joined = current.outerjoin(reads, and_(*(current.c[n] == reads.c[n] for n in ids.columns)))
    newest = select(func.max(day)).where(own.c.account_id == account.id).scalar_subquery()
    total, read, never, oldest = session.execute(
        select(func.count(), func.count().filter(reads.c.last == newest), func.count().filter(reads.c.last.is_(None)),
               func.min(reads.c.last)).select_from(joined)
    ).one()
    return Coverage(ids=total, read=read, never=never, oldest=oldest)
