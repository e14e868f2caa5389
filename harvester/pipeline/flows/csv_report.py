"""WB seller-analytics CSV reports: create → list → (FAILED → retry) → file → load.

The report id is ours (a UUID), so it is saved, with a slot of the daily budget, before the
create call; a resumed job looks its id up in the list before it ever creates again. One
list call checks every waiting report of the account, and each job's own step then only
reads what that call found. The file is spooled to disk and loaded by window replacement.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import structlog
from sqlmodel import col, select, update

from harvester.catalog import get_endpoint
from harvester.catalog.model import RemoteStatus
from harvester.core.errors import BadRequest, QuotaExhausted
from harvester.core.request import Request, fill_template
from harvester.models import JobStatus, ReportJob
from harvester.models.state import utcnow
from harvester.pipeline.flows import jobs, quota
from harvester.pipeline.flows.steps import Outcome, Step, StepContext, fail, load_file, ready, recreate, still_running
from harvester.pipeline.gate import Wait
from harvester.pipeline.parse import records_at
from harvester.pipeline.store.db import session_scope

log = structlog.get_logger(__name__)


def _list(ctx: StepContext, ids: list[str]) -> dict[str, Mapping[str, Any]]:
    """Status of several reports in one call (all four methods share 3 calls a minute)."""
    call = ctx.flow.list
    request = Request.from_call(call, ids=ids)
    items = records_at(ctx.gate.call(ctx.account, request, call, ctx.booked), call.records, request.label)
    return {str(item.get("id")): item for item in items}


ABSENT = "absent from the list"


def _quota_wait(job: ReportJob) -> Wait:
    with session_scope() as session:
        jobs.save(session, job, last_error="daily report quota spent; waiting for the next Moscow day")
    log.warning("report_quota_spent", job_id=job.id)
    return Wait(quota.seconds_to_next_day(), reason="daily report quota")


def create(ctx: StepContext, job: ReportJob) -> ReportJob:
    """Create the report under our own id; a job found CREATING (its create may have reached WB)
    looks the id up first. The lookup and the create share one budget, so a lookup that found
    nothing is remembered (`remote_status` ABSENT) and the next step creates straight away
    instead of spending its token on the lookup again."""
    flow = ctx.flow
    if job.status == JobStatus.CREATING and job.remote_status != ABSENT:
        if job.remote_id in _list(ctx, [job.remote_id]):  # type: ignore[list-item]
            log.info("report_found_after_restart", job_id=job.id, report_id=job.remote_id)
            with session_scope() as session:
                return jobs.save(session, job, status=JobStatus.POLLING, attempts=job.attempts + 1,
                                 remote_status=None, checked_at=None, next_run_at=ctx.later(flow.poll_every))
        with session_scope() as session:
            jobs.save(session, job, remote_status=ABSENT)
    ctx.gate.acquire(ctx.account, flow.create, ctx.booked)
    if job.status == JobStatus.CREATING:
        with session_scope() as session:  # from here the create may reach WB: look it up after a crash
            jobs.save(session, job, remote_status=None)
    if job.status == JobStatus.NEW:
        with session_scope() as session:
            took = quota.take(session, ctx.account.budget_owner(), flow.daily_quota)  # the seller's 20, shared
            if took:
                jobs.save(session, job, status=JobStatus.CREATING, remote_id=str(uuid.uuid4()))
        if not took:  # outside that transaction: on SQLite it holds the only write lock
            raise _quota_wait(job)
    params = fill_template(flow.params, {"start": job.window_start.isoformat(), "end": job.window_end.isoformat()})
    request = Request.from_call(flow.create, report_id=job.remote_id, report_type=flow.report_type, params=params)
    try:
        ctx.gate.send(ctx.account, request, flow.create)
    except QuotaExhausted:
        with session_scope() as session:
            quota.spend_all(session, ctx.account.budget_owner(), flow.daily_quota)
        raise _quota_wait(job) from None
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.POLLING, attempts=job.attempts + 1,
                         remote_status=None, checked_at=None, next_run_at=ctx.later(flow.poll_every))



def poll(ctx: StepContext, job: ReportJob) -> ReportJob:
    """Act on the report's status; one list call reads it for every waiting report of the account.

    The call only records what it saw on each sibling row; every job then makes its own
    transition in its own step, under its own lock, so no step overwrites another's.
    """
    fresh = utcnow() - dt.timedelta(seconds=ctx.settings.scaled(ctx.flow.poll_every))
    if job.remote_status is None or job.checked_at is None or job.checked_at < fresh:
        with session_scope() as session:
            waiting = [j for j in session.exec(select(ReportJob).where(
                ReportJob.account_id == job.account_id, ReportJob.status == JobStatus.POLLING,
                col(ReportJob.remote_id).is_not(None)))
                if get_endpoint(j.endpoint).flow_kind == ctx.endpoint.flow_kind]
        # what each row was when read: a sibling that moved on meanwhile (rebuilt, recreated)
        # must not get a status read before its move
        seen = {j.id: (j.remote_id, j.retries) for j in waiting} | {job.id: (job.remote_id, job.retries)}
        found = _list(ctx, sorted({report_id for report_id, _ in seen.values() if report_id is not None}))
        now = utcnow()
        with session_scope() as session:
            for job_id, (report_id, retries) in seen.items():
                item = found.get(report_id)  # type: ignore[arg-type]
                session.execute(update(ReportJob)
                                .where(col(ReportJob.id) == job_id, col(ReportJob.status) == JobStatus.POLLING,
                                       col(ReportJob.remote_id) == report_id, col(ReportJob.retries) == retries)
                                .values(remote_status=str(item.get("status")) if item else ABSENT, checked_at=now))
        item = found.get(job.remote_id)  # type: ignore[arg-type]
        job.remote_status, job.checked_at = (str(item.get("status")) if item else ABSENT), now
    raw = job.remote_status
    outcome = RemoteStatus.GONE if raw == ABSENT else ctx.flow.statuses.get(raw)
    if outcome is None:
        return fail(ctx, job, f"{ctx.flow.list.method} {ctx.flow.list.path}: unknown status {raw!r}")
    return POLL_OUTCOMES[outcome](ctx, job, raw)


def _failed(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    """WB failed to build it: ask for a rebuild after the cooldown, a few times at most."""
    if job.retries >= ctx.settings.report_max_retries:
        with session_scope() as session:
            quota.give_back(session, ctx.account.budget_owner())
        return fail(ctx, job, f"the report ended {raw} {job.retries + 1} times; gave up")
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.RETRYING, last_error=f"the report ended {raw}",
                         next_run_at=ctx.later(ctx.flow.retry_cooldown))


def _gone(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    return recreate(ctx, job, f"the report is gone ({raw}): past its 48-hour retention or never kept")


# Every RemoteStatus must have an action here; tests/test_catalog.py fails when one is added without one.
POLL_OUTCOMES: dict[RemoteStatus, Outcome] = {
    RemoteStatus.RUNNING: still_running,
    RemoteStatus.READY: ready,
    RemoteStatus.FAILED: _failed,
    RemoteStatus.GONE: _gone,
}


def retry(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.retry
    ctx.gate.acquire(ctx.account, call, ctx.booked)
    ctx.gate.send(ctx.account, Request.from_call(call, report_id=job.remote_id), call)
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.POLLING, retries=job.retries + 1,
                         remote_status=None, checked_at=None, next_run_at=ctx.later(ctx.flow.poll_every))


def download(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.file
    request = Request.from_call(call, report_id=job.remote_id)
    try:
        response = ctx.gate.fetch(ctx.account, request, call, ctx.booked, stream=True)
    except BadRequest as exc:
        if exc.status == 404:
            return _gone(ctx, job, "404 on download")
        raise
    return load_file(ctx, job, None if response.status_code == 204 else response, request.label)


STEPS: dict[JobStatus, Step] = {
    JobStatus.NEW: create,
    JobStatus.CREATING: create,
    JobStatus.POLLING: poll,
    JobStatus.RETRYING: retry,
    JobStatus.DOWNLOADING: download,
}
