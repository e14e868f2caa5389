"""WB async task flows (paid storage, acceptance report): create → status → download.

Each call of `run_step` performs exactly one transition of the persisted job and commits
it, so a worker killed anywhere resumes from the row. The create step marks the job
CREATING before it calls the API and saves the remote task id in the same breath as the
answer: WB offers no list of paid-storage tasks, so the only unknowable moment is a crash
between WB's answer and that commit, and the log says so when it happens.
"""

from __future__ import annotations

import structlog

from harvester.catalog.model import RemoteStatus
from harvester.core.errors import BadRequest, HarvestError, Transient
from harvester.core.request import Request, dig
from harvester.models import JobStatus, ReportJob
from harvester.models.tables import table_of
from harvester.pipeline.flows import jobs
from harvester.pipeline.flows.steps import (
    Outcome,
    Step,
    StepContext,
    fail,
    ready,
    recreate,
    spooled,
    still_running,
    succeed,
    window,
)
from harvester.pipeline.land import file_records, load
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.runlog import record_run

log = structlog.get_logger(__name__)


def create(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.create
    ctx.gate.acquire(ctx.account, call, ctx.booked)
    with session_scope() as session:
        if job.status == JobStatus.CREATING:  # recorded where ops look, not only logged
            error = ("unconfirmed: a previous create call may have reached the API before its worker "
                     "died or its answer was cut; the API has no list to look it up in, so it is created again")
            log.warning("flow_create_unconfirmed", job_id=job.id, detail=error)
            record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=window(job),
                       status="unconfirmed", started_at=job.created_at, error=error, task_id=ctx.task_id, job_id=job.id,
                       unit_id=ctx.unit_id)
        jobs.save(session, job, status=JobStatus.CREATING)
    request = Request.from_call(call, **ctx.account.context(), start=job.window_start.isoformat(),
                                end=job.window_end.isoformat())
    try:
        body = ctx.gate.call(ctx.account, request, call)  # the budget taken above
    except HarvestError as exc:
        if exc.status is not None:  # the API answered: nothing was created
            with session_scope() as session:
                jobs.save(session, job, status=JobStatus.NEW)
        raise
    remote_id = dig(body, ctx.flow.task_id)
    if not remote_id:
        raise Transient(f"{request.label}: no {ctx.flow.task_id} in the answer")
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.POLLING, remote_id=str(remote_id),
                         attempts=job.attempts + 1, next_run_at=ctx.later(ctx.flow.poll_every))


def poll(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.status
    request = Request.from_call(call, task_id=job.remote_id)
    raw = dig(ctx.gate.call(ctx.account, request, call, ctx.booked), ctx.flow.status_field)
    outcome = ctx.flow.statuses.get(raw) if isinstance(raw, str) else None
    if outcome is None:
        return fail(ctx, job, f"{request.label}: unknown status {raw!r}")
    return POLL_OUTCOMES[outcome](ctx, job, raw)


# Every RemoteStatus must have an action here; tests/test_catalog.py fails when one is added without one.
POLL_OUTCOMES: dict[RemoteStatus, Outcome] = {
    RemoteStatus.RUNNING: still_running,
    RemoteStatus.READY: ready,
    RemoteStatus.FAILED: lambda ctx, job, raw: recreate(ctx, job, f"the report ended with status {raw!r}"),
    RemoteStatus.GONE: lambda ctx, job, raw: recreate(ctx, job, f"the report was {raw!r} before it was downloaded"),
}


def download(ctx: StepContext, job: ReportJob) -> ReportJob:
    call = ctx.flow.download
    request = Request.from_call(call, task_id=job.remote_id)
    try:
        response = ctx.gate.fetch(ctx.account, request, call, ctx.booked, stream=True)
    except BadRequest as exc:
        if exc.status == 404:
            return recreate(ctx, job, "the report was gone when it was downloaded")
        raise
    # A row per product, warehouse and day, eight days a window: a big seller's file is hundreds of MB
    table = table_of(ctx.endpoint.model)
    with spooled(response, "answer.json", request.label) as path:
        batches = file_records(path, call, request.label)
        return succeed(ctx, job, lambda session: load(
            session, table, ctx.endpoint.children, batches, ctx.context(job), request.label)[1])


STEPS: dict[JobStatus, Step] = {
    JobStatus.NEW: create,
    JobStatus.CREATING: create,
    JobStatus.POLLING: poll,
    JobStatus.DOWNLOADING: download,
}
