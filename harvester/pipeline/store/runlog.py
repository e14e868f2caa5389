"""The run log and watermarks: what every fetch did, and how far each account × endpoint is complete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlmodel import Session, col, select

from harvester.models import HarvestRun, Watermark
from harvester.models.state import utcnow
from harvester.models.tables import table_of
from harvester.pipeline.store.upsert import get_or_insert, insert_missing


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
) -> HarvestRun:
    """Append one row to `harvest_run`."""
    finished = utcnow()
    run = HarvestRun(
        account_id=account_id,
        endpoint=endpoint,
        window_start=window[0],
        window_end=window[1],
        status=status,
        rows=rows,
        error=error,
        started_at=started_at,
        finished_at=finished,
        duration_ms=int((finished - started_at).total_seconds() * 1000),
        task_id=task_id,
        job_id=job_id,
        unit_id=unit_id,
    )
    session.add(run)
    return run


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
    mark = get_or_insert(session, Watermark, {"account_id": account_id, "endpoint": endpoint})
    first = mark.last_success_at is None
    mark.last_success_at = utcnow()
    if mark.complete_until is None:  # a harvest queued without dispatch's anchor
        mark.complete_until = window[1]
    else:
        session.flush()
        done = session.exec(
            select(col(HarvestRun.window_start), col(HarvestRun.window_end))
            .where(HarvestRun.account_id == account_id, HarvestRun.endpoint == endpoint,
                   HarvestRun.status == "ok", HarvestRun.window_end > mark.complete_until)
            .order_by(col(HarvestRun.window_start))
        )
        for start, end in done:
            if start > mark.complete_until + dt.timedelta(days=1):
                break
            mark.complete_until = max(mark.complete_until, end)
    session.add(mark)
    return first
