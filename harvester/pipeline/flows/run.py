"""One transition of a report job: the flow kinds by name, and `run_step`.

Each kind maps job statuses to step functions and raw API statuses to poll outcomes;
tests/test_catalog.py fails when a kind lacks a step for a status it can reach or an outcome
for a `RemoteStatus`.
"""

from __future__ import annotations

import datetime as dt
from types import ModuleType

from harvester.models import JobStatus, ReportJob
from harvester.models.state import utcnow
from harvester.pipeline.flows import csv_report, file_report, task_flow
from harvester.pipeline.flows.steps import StepContext, finish
from harvester.pipeline.store.db import session_scope

# flow_kind (catalog) → the module whose STEPS and POLL_OUTCOMES run it
KINDS: dict[str, ModuleType] = {"wb_task": task_flow, "wb_csv_report": csv_report, "ym_report": file_report}


def run_step(ctx: StepContext, job_id: int) -> ReportJob | None:
    """Perform the one transition the job's status calls for; None when the job is gone."""
    with session_scope() as session:
        job = session.get(ReportJob, job_id)
    if job is None or job.status.terminal:
        return job
    if utcnow() > job.deadline_at:
        return finish(job_id, JobStatus.TIMED_OUT, f"not done by its deadline {job.deadline_at:%Y-%m-%d %H:%M} UTC",
                      ctx.task_id, ctx.unit_id)
    if job.next_run_at > utcnow() + dt.timedelta(seconds=1):
        return job  # woken early (a sibling's poll moved it on): the task re-queues it for its time
    step = KINDS[ctx.endpoint.flow_kind].STEPS[job.status]
    return step(ctx, job)
