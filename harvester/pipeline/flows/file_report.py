"""Yandex Market async reports: generate → info (PENDING, PROCESSING → DONE | FAILED) → file.

The generate step is the WB task flow's (mark CREATING, call, save the report id in the same
breath). Polling reads the status and sub-status; the download step asks info once more for a
fresh link, because each link lives 60 minutes, then spools the ZIP and loads its one CSV like
a WB report file. The link is fetched without the Api-Key when it points off the API host.
"""

from __future__ import annotations

from harvester.catalog.model import RemoteStatus
from harvester.core.errors import BadRequest, Forbidden, Transient
from harvester.core.request import Request, dig
from harvester.models import JobStatus, ReportJob
from harvester.pipeline.flows.steps import Outcome, Step, StepContext, fail, load_file, ready, recreate, still_running
from harvester.pipeline.flows.task_flow import create


def _info(ctx: StepContext, job: ReportJob) -> dict:
    call = ctx.flow.status
    request = Request.from_call(call, task_id=job.remote_id)
    try:
        return ctx.gate.call(ctx.account, request, call, ctx.booked)
    except BadRequest as exc:
        if exc.status == 404:  # unknown or expired report id
            return {}
        raise


def poll(ctx: StepContext, job: ReportJob) -> ReportJob:
    body = _info(ctx, job)
    if not body:
        return recreate(ctx, job, "the report id is no longer known")
    raw, sub = dig(body, ctx.flow.status_field), dig(body, ctx.flow.sub_status_field)
    if sub in ctx.flow.empty:
        return load_file(ctx, job, None, f"report {job.remote_id}: {sub}")
    outcome = ctx.flow.statuses.get(raw) if isinstance(raw, str) else None
    if outcome is None:
        return fail(ctx, job, f"report {job.remote_id}: unknown status {raw!r}")
    return POLL_OUTCOMES[outcome](ctx, job, f"{raw}/{sub}" if sub else raw)


# Every RemoteStatus must have an action here; tests/test_catalog.py fails when one is added without one.
POLL_OUTCOMES: dict[RemoteStatus, Outcome] = {
    RemoteStatus.RUNNING: still_running,
    RemoteStatus.READY: ready,
    RemoteStatus.FAILED: lambda ctx, job, raw: recreate(ctx, job, f"the report ended {raw}"),
    RemoteStatus.GONE: lambda ctx, job, raw: recreate(ctx, job, f"the report was {raw} before it was downloaded"),
}


def download(ctx: StepContext, job: ReportJob) -> ReportJob:
    body = _info(ctx, job)
    link = dig(body, ctx.flow.file_field)
    if not body or not isinstance(link, str):
        return recreate(ctx, job, "the report had no file link when it was downloaded")
    call = ctx.flow.status
    request = Request("GET", call.host, link)
    try:
        response = ctx.gate.send(ctx.account, request, call, stream=True)
    except (BadRequest, Forbidden) as exc:
        if exc.status in (403, 404, 410):  # the link expired between info and download
            raise Transient(
                f"report {job.remote_id}: the file link was refused ({exc.status}); asking for a new one") from exc
        raise
    return load_file(ctx, job, response, f"report {job.remote_id}")


STEPS: dict[JobStatus, Step] = {
    JobStatus.NEW: create,
    JobStatus.CREATING: create,
    JobStatus.POLLING: poll,
    JobStatus.DOWNLOADING: download,
}
