"""The repository of report jobs: create or restart, load, defer, and find the stalled ones."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from harvester.models import JobStatus, ReportJob
from harvester.models.state import utcnow


def ensure_job(session: Session, account_id: str, endpoint: str, window: tuple[dt.date, dt.date],
               deadline: dt.timedelta) -> tuple[ReportJob, bool]:
    """The job for this window, created or restarted if it had ended; bool = it needs a kick."""
    job = session.exec(
        select(ReportJob).where(
            ReportJob.account_id == account_id,
            ReportJob.endpoint == endpoint,
            ReportJob.window_start == window[0],
            ReportJob.window_end == window[1],
        )
    ).first()
    now = utcnow()
    if job is not None and not job.status.terminal:
        return job, False
    if job is None:
        job = ReportJob(account_id=account_id, endpoint=endpoint, window_start=window[0], window_end=window[1])
    job.status, job.remote_id, job.attempts, job.retries, job.rows, job.last_error = JobStatus.NEW, None, 0, 0, 0, None
    job.remote_status = job.checked_at = None
    job.created_at = job.updated_at = job.next_run_at = now
    job.deadline_at = now + deadline
    session.add(job)
    session.flush()
    return job, True


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
