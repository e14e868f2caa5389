"""The repository of report jobs: create or restart, load, defer, and find the stalled ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from harvester.models import JobStatus, ReportJob
from harvester.models.state import utcnow
from harvester.pipeline.store.upsert import insert_rows

Key = tuple[str, str, dt.date, dt.date]  # account, endpoint, window start and end


def ensure_job(session: Session, account_id: str, endpoint: str, window: tuple[dt.date, dt.date],
               deadline: dt.timedelta) -> tuple[ReportJob, bool]:
    """The job for this window, created or restarted if it had ended; bool = it needs a kick."""
    key = (account_id, endpoint, *window)
    job_id, kicked = ensure_jobs(session, [key], deadline)[key]
    job = session.get(ReportJob, job_id, populate_existing=True)
    assert job is not None
    return job, kicked


def ensure_jobs(session: Session, keys: Sequence[Key], deadline: dt.timedelta,
                chunk: int = 1000) -> dict[Key, tuple[int, bool]]:
    """Each window's job id, created or restarted if it had ended (bool: it was, and needs a
    kick): one upsert (see `insert_rows`), and a read per `chunk` of the jobs still running, if any."""
    now, keys = utcnow(), list(dict.fromkeys(keys))
    fresh = {"status": JobStatus.NEW, "remote_id": None, "attempts": 0, "retries": 0, "rows": 0, "last_error": None,
             "remote_status": None, "checked_at": None, "created_at": now, "updated_at": now, "next_run_at": now,
             "deadline_at": now + deadline}
    ended, key = [s for s in JobStatus if s.terminal], [col(getattr(ReportJob, name)) for name in _KEY]
    upsert = insert_rows(session, ReportJob, _KEY, keys, fresh).on_conflict_do_update(
        index_elements=list(_KEY), set_=fresh, where=col(ReportJob.status).in_(ended))
    found = {tuple(row[1:]): (row[0], True) for row in session.execute(upsert.returning(col(ReportJob.id), *key))
             } if keys else {}
    running = [k for k in keys if k not in found]
    for at in range(0, len(running), chunk):
        for row in session.execute(select(col(ReportJob.id), *key).where(tuple_(*key).in_(running[at:at + chunk]))):
            found[tuple(row[1:])] = (row[0], False)
    return found


_KEY = ("account_id", "endpoint", "window_start", "window_end")


def save(session: Session, job: ReportJob, **changes: object) -> ReportJob:
    """Apply `changes` and stamp the update time."""
    for name, value in changes.items():
        setattr(job, name, value)
    job.updated_at = utcnow()
    session.add(job)
    return job


def stalled(session: Session, grace: dt.timedelta, limit: int = 500) -> list[ReportJob]:
    """Active jobs whose next step is overdue by more than `grace`: their worker died or a kick was lost."""
    cutoff = utcnow() - grace
    active = [s for s in JobStatus if not s.terminal]
    return list(
        session.exec(
            select(ReportJob)
            .where(col(ReportJob.status).in_(active), ReportJob.next_run_at < cutoff)
            .order_by(col(ReportJob.next_run_at))
            .limit(limit)
        )
    )
