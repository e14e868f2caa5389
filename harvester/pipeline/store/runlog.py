"""The run log and watermarks: what every fetch did, and how far each account × endpoint is complete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import and_, bindparam, select
from sqlmodel import Session

from harvester.models import HarvestRun, Watermark
from harvester.models.state import utcnow
from harvester.models.tables import table_of
from harvester.pipeline.store.upsert import insert_missing

# Built once with bind parameters, Core not ORM: every harvest runs them (see `ledger`).
_RUNS, _MARKS = table_of(HarvestRun), table_of(Watermark)
_RECORD = _RUNS.insert()
_THIS_MARK = and_(_MARKS.c.account_id == bindparam("account"), _MARKS.c.endpoint == bindparam("endpoint_name"))
# FOR UPDATE: two windows finishing at once take turns. Without the lock, each would read
# the run log without the other's window, see a gap and write back the old watermark.
_READ_MARK = select(_MARKS.c.complete_until, _MARKS.c.last_success_at).where(_THIS_MARK).with_for_update()
_MOVE_MARK = _MARKS.update().where(_THIS_MARK).values(complete_until=bindparam("new_until"),
                                                      last_success_at=bindparam("now"))
_DONE_PAST = (select(_RUNS.c.window_start, _RUNS.c.window_end)
              .where(_RUNS.c.account_id == bindparam("account"), _RUNS.c.endpoint == bindparam("endpoint_name"),
                     _RUNS.c.status == "ok", _RUNS.c.window_end > bindparam("until"))
              .order_by(_RUNS.c.window_start))


def record_run(
    session: Session,
    *,
    account_id: str,
    endpoint: str,
    window: tuple[dt.date, dt.date],
    status: str,
    started_at: dt.datetime,
    rows: int = 0,
    error: str | None = None,
    task_id: str | None = None,
    job_id: int | None = None,
    unit_id: int | None = None,
) -> None:
    """Append one row to `harvest_run`."""
    finished = utcnow()
    session.execute(_RECORD, {
        "account_id": account_id, "endpoint": endpoint, "window_start": window[0], "window_end": window[1],
        "status": status, "rows": rows, "error": error, "started_at": started_at, "finished_at": finished,
        "duration_ms": int((finished - started_at).total_seconds() * 1000), "task_id": task_id,
        "job_id": job_id, "unit_id": unit_id})


def anchor_watermark(session: Session, account_id: str, endpoint: str, first_day: dt.date) -> None:
    """Before a first harvest, pin the watermark to the day before its first window.

    Windows of a first run complete in any order; without the anchor, a newer window that
    finished first would set the watermark past an older one that failed, and the older
    days would never be due again.
    """
    anchor_watermarks(session, [(account_id, endpoint, first_day)])


def anchor_watermarks(session: Session, anchors: Iterable[tuple[str, str, dt.date]]) -> None:
    """`anchor_watermark` of many account × endpoint × first day, in one statement."""
    insert_missing(session, table_of(Watermark), [
        {"account_id": account_id, "endpoint": endpoint, "complete_until": first_day - dt.timedelta(days=1)}
        for account_id, endpoint, first_day in anchors])


def advance_watermark(session: Session, account_id: str, endpoint: str, window: tuple[dt.date, dt.date]) -> bool:
    """Mark a window complete: the watermark moves over every contiguous window the run log has as ok.

    Call it after `record_run` of the same window, in the same session. Windows finish in any
    order; a newer one waits in the run log until the older ones before it are done. True when
    this is the endpoint's first success for the account.
    """
    key = {"account": account_id, "endpoint_name": endpoint}
    mark = session.execute(_READ_MARK, key).first()
    if mark is None:
        insert_missing(session, _MARKS, {"account_id": account_id, "endpoint": endpoint})
        mark = session.execute(_READ_MARK, key).one()
    until, last_success = mark
    if until is None:  # a harvest queued without dispatch's anchor
        until = window[1]
    else:
        for start, end in session.execute(_DONE_PAST, {**key, "until": until}):
            if start > until + dt.timedelta(days=1):
                break
            until = max(until, end)
    session.execute(_MOVE_MARK, {**key, "new_until": until, "now": utcnow()})
    return last_success is None
