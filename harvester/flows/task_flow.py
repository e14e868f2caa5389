"""WB async task flows (paid storage, acceptance report): create → status → download.

Each call of `run_step` performs exactly one transition of the persisted job and commits
it, so a worker killed anywhere resumes from the row. The create step marks the job
CREATING before it calls the API and saves the remote task id in the same breath as the
answer: WB offers no list of paid-storage tasks, so the only unknowable moment is a crash
between WB's answer and that commit, and the log says so when it happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from harvester.accounts import Account
from harvester.catalog.model import Endpoint, RemoteStatus, TaskFlow
from harvester.client.errors import BadRequest, HarvestError, Transient
from harvester.client.http import Request, decode_json
from harvester.flows import jobs
from harvester.gate import Gate
from harvester.parse import dig, records_at, to_rows
from harvester.settings import Settings
from harvester.store.db import session_scope
from harvester.store.models import JobStatus, ReportJob
from harvester.store.models.core import utcnow
from harvester.store.runlog import advance_watermark, record_run
from harvester.store.upsert import upsert

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StepContext:
    gate: Gate
    settings: Settings
    account: Account
    endpoint: Endpoint
    booked: int = 0
    task_id: str | None = None

    @property
    def flow(self) -> TaskFlow:
        assert self.endpoint.flow is not None
        return self.endpoint.flow

    def later(self, api_seconds: float) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.settings.scaled(api_seconds))


def _window(job: ReportJob) -> tuple[dt.date, dt.date]:
    return job.window_start, job.window_end


def finish(job_id: int, status: JobStatus, error: str, task_id: str | None = None) -> ReportJob:
    """End a job unsuccessfully and record the run."""
    with session_scope() as session:
        job = session.get(ReportJob, job_id)
        assert job is not None
        jobs.save(session, job, status=status, last_error=error)
        record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=_window(job),
                   status="failed", started_at=job.created_at, error=error, task_id=task_id, job_id=job.id)
    log.error("flow_failed", job_id=job_id, status=status.value, error=error)
    return job


def _recreate(ctx: StepContext, job: ReportJob, reason: str) -> ReportJob:
    """Create the report again after a failure or expiry, up to the attempt cap."""
    if job.attempts >= ctx.settings.flow_max_attempts:
        return finish(job.id, JobStatus.FAILED, f"{reason}; gave up after {job.attempts} reports")  # type: ignore[arg-type]
    log.warning("flow_recreate", job_id=job.id, reason=reason, attempts=job.attempts)
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.NEW, remote_id=None, last_error=reason,
                         next_run_at=ctx.later(ctx.flow.poll_every))


def create(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.create
    ctx.gate.acquire(ctx.account, call, ctx.booked)
    if job.status == JobStatus.CREATING:
        log.warning("flow_create_unconfirmed", job_id=job.id,
                    detail="a previous create call may have reached the API before its worker died; "
                           "the API has no task list to look it up in, so a new task is created")
    with session_scope() as session:
        jobs.save(session, job, status=JobStatus.CREATING)
    request = Request.from_call(call, start=job.window_start.isoformat(), end=job.window_end.isoformat())
    try:
        response = ctx.gate.send(ctx.account, request, call)
    except HarvestError as exc:
        if exc.status is not None:  # the API answered: nothing was created
            with session_scope() as session:
                jobs.save(session, job, status=JobStatus.NEW)
        raise
    remote_id = dig(decode_json(response, request.label), ctx.flow.task_id)
    if not remote_id:
        raise Transient(f"{request.label}: no {ctx.flow.task_id} in the answer")
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.POLLING, remote_id=str(remote_id),
                         attempts=job.attempts + 1, next_run_at=ctx.later(ctx.flow.poll_every))


def poll(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.status
    ctx.gate.acquire(ctx.account, call, ctx.booked)
    request = Request.from_call(call, task_id=job.remote_id)
    raw = dig(decode_json(ctx.gate.send(ctx.account, request, call), request.label), ctx.flow.status_field)
    outcome = ctx.flow.statuses.get(raw) if isinstance(raw, str) else None
    if outcome is None:
        return finish(job.id, JobStatus.FAILED, f"{request.label}: unknown status {raw!r}")  # type: ignore[arg-type]
    return POLL_OUTCOMES[outcome](ctx, job, raw)


def _still_running(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    with session_scope() as session:
        return jobs.save(session, job, next_run_at=ctx.later(ctx.flow.poll_every))


def _ready(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.DOWNLOADING, next_run_at=utcnow())


# Every RemoteStatus must have an action here; tests/test_flows.py fails when one is added without one.
POLL_OUTCOMES: dict[RemoteStatus, Callable[[StepContext, ReportJob, str], ReportJob]] = {
    RemoteStatus.RUNNING: _still_running,
    RemoteStatus.READY: _ready,
    RemoteStatus.FAILED: lambda ctx, job, raw: _recreate(ctx, job, f"the report ended with status {raw!r}"),
    RemoteStatus.GONE: lambda ctx, job, raw: _recreate(ctx, job, f"the report was {raw!r} before it was downloaded"),
}


def download(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.download
    ctx.gate.acquire(ctx.account, call, ctx.booked)
    request = Request.from_call(call, task_id=job.remote_id)
    try:
        response = ctx.gate.send(ctx.account, request, call)
    except BadRequest as exc:
        if exc.status == 404:
            return _recreate(ctx, job, "the report was gone when it was downloaded")
        raise
    records = records_at(decode_json(response, request.label), call.records, request.label)
    table = ctx.endpoint.model.__table__  # type: ignore[attr-defined]
    context = {"account_id": job.account_id, "window_start": job.window_start, "window_end": job.window_end}
    rows = to_rows(table, records, context, request.label)
    with session_scope() as session:
        count = upsert(session, table, rows)
        jobs.save(session, job, status=JobStatus.DONE, rows=count, last_error=None)
        record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=_window(job),
                   status="ok", rows=count, started_at=job.created_at, task_id=ctx.task_id, job_id=job.id)
        advance_watermark(session, job.account_id, job.endpoint, _window(job))
    log.info("flow_done", job_id=job.id, rows=count)
    return job


STEPS: dict[JobStatus, Callable[[StepContext, ReportJob], ReportJob]] = {
    JobStatus.NEW: create,
    JobStatus.CREATING: create,
    JobStatus.POLLING: poll,
    JobStatus.DOWNLOADING: download,
}


def run_step(ctx: StepContext, job_id: int) -> ReportJob:
    """Perform the one transition the job's status calls for."""
    with session_scope() as session:
        job = session.get(ReportJob, job_id)
    if job is None or job.status.terminal:
        return job  # type: ignore[return-value]
    if utcnow() > job.deadline_at:
        return finish(job_id, JobStatus.TIMED_OUT, f"not done by its deadline {job.deadline_at:%Y-%m-%d %H:%M} UTC", ctx.task_id)
    return STEPS[job.status](ctx, job)
