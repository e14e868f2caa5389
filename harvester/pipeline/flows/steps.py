"""What every report flow shares: the step context, loading a report file, ending and re-creating
jobs, and the poll outcomes "still running" and "ready".

Each flow kind (`task_flow`, `csv_report`, `file_report`) maps job statuses to step functions
built from these; `flows.run` picks the kind and performs the one transition a job's status
calls for.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import structlog

from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account
from harvester.core.counters import landed
from harvester.core.settings import Settings
from harvester.models import JobStatus, ReportJob
from harvester.models.state import utcnow
from harvester.models.tables import table_of
from harvester.pipeline.client import spool
from harvester.pipeline.flows import jobs
from harvester.pipeline.gate import Gate
from harvester.pipeline.parse import read_report
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.load import load_csv_report
from harvester.pipeline.store.runlog import advance_watermark, record_run

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class StepContext:
    gate: Gate
    settings: Settings
    account: Account
    endpoint: Endpoint
    booked: dict[str, Any] | None = None
    task_id: str | None = None
    unit_id: int | None = None  # the ledger's unit of this flow, which the rows it loads name

    @property
    def flow(self) -> Any:
        assert self.endpoint.flow is not None
        return self.endpoint.flow

    def later(self, api_seconds: float) -> dt.datetime:
        return utcnow() + dt.timedelta(seconds=self.settings.scaled(api_seconds))

    def context(self, job: ReportJob) -> dict[str, Any]:
        """The values `ctx` columns are filled from."""
        return {**self.account.context(), "window_start": job.window_start, "window_end": job.window_end,
                "unit_id": self.unit_id, "loaded_at": utcnow()}


def window(job: ReportJob) -> tuple[dt.date, dt.date]:
    return job.window_start, job.window_end


def finish(job_id: int, status: JobStatus, error: str, task_id: str | None = None,
           unit_id: int | None = None) -> ReportJob:
    """End a job unsuccessfully and record the run."""
    with session_scope() as session:
        job = session.get(ReportJob, job_id)
        assert job is not None
        jobs.save(session, job, status=status, last_error=error)
        record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=window(job),
                   status="failed", started_at=job.created_at, error=error, task_id=task_id, job_id=job.id,
                   unit_id=unit_id)
    log.error("flow_failed", job_id=job_id, status=status.value, error=error)
    return job


def fail(ctx: StepContext, job: ReportJob, error: str) -> ReportJob:
    """`finish` a job read from the store (so it has an id) as FAILED."""
    assert job.id is not None
    return finish(job.id, JobStatus.FAILED, error, ctx.task_id, ctx.unit_id)


def succeed(ctx: StepContext, job: ReportJob, load: Callable[[Any], int]) -> ReportJob:
    """Load the report with `load(session)` and mark the job DONE, all in one transaction."""
    with session_scope() as session:
        began = time.process_time()
        rows = load(session)
        load_cpu = time.process_time() - began
        jobs.save(session, job, status=JobStatus.DONE, rows=rows, last_error=None)
        record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=window(job),
                   status="ok", rows=rows, started_at=job.created_at, task_id=ctx.task_id, job_id=job.id,
                   unit_id=ctx.unit_id)
        advance_watermark(session, job.account_id, job.endpoint, window(job))
    log.info("flow_done", job_id=job.id, rows=rows)
    landed(ctx.gate.redis, job.endpoint, rows, load_cpu)
    return job


@contextmanager
def spooled(response: requests.Response, name: str, label: str) -> Iterator[Path]:
    """A streamed download written to a temporary file, removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="harvester-") as tmp:
        path = Path(tmp) / name  # named by us: an id from the API is never a path
        spool(response, path, label)
        yield path


def load_file(ctx: StepContext, job: ReportJob, response: requests.Response | None, label: str) -> ReportJob:
    """Spool a report's ZIP to a temporary file and load its CSV, then mark the job DONE
    (`succeed`); None is a report with no data, which still replaces the job's window."""
    table = table_of(ctx.endpoint.model)
    if response is None:
        return succeed(ctx, job, lambda session: load_csv_report(
            session, table, None, ctx.context(job), ctx.flow.window_column))
    with spooled(response, "report.zip", label) as path:
        report = read_report(path, table, label)
        return succeed(ctx, job, lambda session: load_csv_report(
            session, table, report, ctx.context(job), ctx.flow.window_column))


def recreate(ctx: StepContext, job: ReportJob, reason: str, delay: float | None = None) -> ReportJob:
    """Create the report again after a failure or expiry, up to the attempt cap; the run log says why."""
    if job.attempts >= ctx.settings.flow_max_attempts:
        return fail(ctx, job, f"{reason}; gave up after {job.attempts} reports")
    log.warning("flow_recreate", job_id=job.id, reason=reason, attempts=job.attempts)
    with session_scope() as session:
        record_run(session, account_id=job.account_id, endpoint=job.endpoint, window=window(job),
                   status="recreated", started_at=job.created_at, error=f"creating the report again: {reason}",
                   task_id=ctx.task_id, job_id=job.id, unit_id=ctx.unit_id)
        return jobs.save(session, job, status=JobStatus.NEW, remote_id=None, remote_status=None, checked_at=None,
                         last_error=reason, next_run_at=ctx.later(ctx.flow.poll_every if delay is None else delay))


def still_running(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    """Poll outcome shared by every flow: look again after the flow's poll interval."""
    with session_scope() as session:
        return jobs.save(session, job, next_run_at=ctx.later(ctx.flow.poll_every))


def ready(ctx: StepContext, job: ReportJob, raw: str) -> ReportJob:
    """Poll outcome shared by every flow: the report is built; download it now."""
    with session_scope() as session:
        return jobs.save(session, job, status=JobStatus.DOWNLOADING, next_run_at=utcnow())


Step = Callable[[StepContext, ReportJob], ReportJob]
Outcome = Callable[[StepContext, ReportJob, str], ReportJob]
