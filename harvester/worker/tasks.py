"""Celery tasks: the thin layer that turns waits and failures into re-queues and run-log rows.

    dispatch(cadence)                    beat → one task per account × endpoint × legal window
    harvest(account, endpoint, start, end)   one synchronous window, paged
    flow_step(job_id, account, endpoint)     one transition of a persisted report flow
    sweep()                              re-kicks flows whose next step is overdue (lost kicks, dead workers)

Arguments are ids, names and ISO dates only: readable in Flower, never a secret. Nothing
sleeps: a `Wait` becomes `self.retry(countdown=…)`.
"""

from __future__ import annotations

import datetime as dt

import structlog
from celery import Task
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from harvester.catalog import check_overrides, endpoints_for, get_endpoint
from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account, TokenError, get_account, get_accounts
from harvester.core.counters import count
from harvester.core.settings import Settings, get_settings
from harvester.models import JobStatus, ReportJob, Watermark
from harvester.models.state import utcnow
from harvester.pipeline.flows.jobs import ensure_job, save, stalled
from harvester.pipeline.flows.run import run_step
from harvester.pipeline.flows.steps import StepContext, finish
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.schedule import due_windows, split, today
from harvester.pipeline.store.accounts_state import blocked_features, token_blocked
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.runlog import advance_watermark, anchor_watermark, record_run
from harvester.worker import locks
from harvester.worker.app import app
from harvester.pipeline.gate import Gate
from harvester.worker.runner import account_print, attempt
from harvester.worker.runtime import get_runtime

log = structlog.get_logger(__name__)


def _enqueue(account: Account, endpoint: Endpoint, window: tuple[dt.date, dt.date], settings: Settings) -> bool:
    start, end = window[0].isoformat(), window[1].isoformat()
    if endpoint.flow is None:
        harvest.delay(account.id, endpoint.name, start, end)
        return True
    deadline = dt.timedelta(hours=settings.scaled(settings.flow_deadline_hours))
    try:
        with session_scope() as session:
            job, kick = ensure_job(session, account.id, endpoint.name, window, deadline)
    except IntegrityError:  # another dispatch created the same job a moment ago
        return False
    if kick:
        flow_step.delay(job.id, account.id, endpoint.name)
    return kick


def _source_ready(session: Session, account: Account, endpoint: Endpoint) -> bool:
    """A dependent fetch waits until its source endpoint has harvested once for the account."""
    if endpoint.ids is None:
        return True
    mark = session.get(Watermark, (account.id, endpoint.ids.source))
    return mark is not None and mark.last_success_at is not None


def _dispatch_one(account: Account, endpoint: Endpoint, settings: Settings) -> int:
    with session_scope() as session:
        if not _source_ready(session, account, endpoint):
            log.info("dispatch_waits_for_source", account=account.id, endpoint=endpoint.name, source=endpoint.ids.source)
            return 0
        mark = session.get(Watermark, (account.id, endpoint.name))
        windows = due_windows(endpoint.window, mark.complete_until if mark else None, today(), settings.initial_days)
        if windows and mark is None:
            anchor_watermark(session, account.id, endpoint.name, windows[0][0])
    return sum(_enqueue(account, endpoint, window, settings) for window in windows)


@app.task(name="harvester.dispatch")
def dispatch(cadence: str | None = None, account_id: str | None = None, endpoint: str | None = None) -> int:
    """Fan out every due window of every account × endpoint of this cadence (None = all)."""
    settings, queued = get_settings(), 0
    check_overrides(settings)
    for account in get_accounts().values():
        if account_id not in (None, account.id):
            continue
        try:
            token = account.token()
            with session_scope() as session:
                if token_blocked(session, account.id, token):
                    continue
                blocked = blocked_features(session, account.id, account_print(account, token))
        except TokenError as exc:
            log.error("account_without_token", account=account.id, error=str(exc))
            continue
        for ep in endpoints_for(account.marketplace, account.wb_api_generation, settings):
            if cadence not in (None, ep.cadence) or endpoint not in (None, ep.name):
                continue
            if blocked & {ep.name, ep.requires, f"scope:{ep.scope}"}:
                continue
            try:
                queued += _dispatch_one(account, ep, settings)
            except Exception:  # one broken pair must not starve the others
                log.exception("dispatch_failed", account=account.id, endpoint=ep.name)
    log.info("dispatched", cadence=cadence, tasks=queued)
    return queued


@app.task(name="harvester.backfill")
def backfill(account_id: str, endpoint: str, since: str, until: str) -> int:
    """Queue [since, until] of one account × endpoint as legal windows (e.g. 8-day paid-storage tasks)."""
    ep = get_endpoint(endpoint)
    windows = split(dt.date.fromisoformat(since), dt.date.fromisoformat(until), ep.window.max_days)
    queued = sum(_enqueue(get_account(account_id), ep, window, get_settings()) for window in windows)
    log.info("backfill_queued", account=account_id, endpoint=endpoint, windows=len(windows), tasks=queued)
    return queued


@app.task(bind=True, name="harvester.harvest", max_retries=None)
def harvest(self: Task, account_id: str, endpoint: str, start: str, end: str, *, cursor: dict | None = None,
            rows: int = 0, booked: dict | None = None, after: list | None = None, failures: int = 0,
            lock: str | None = None, started: str | None = None) -> int:
    """Harvest one window of a synchronous endpoint for one account."""
    rt = get_runtime()
    window = (dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    key = f"hv:lock:harvest:{account_id}:{endpoint}:{start}:{end}"
    lock = locks.hold(rt.redis, key, lock, rt.settings.lock_ttl)
    if lock is None:
        log.info("harvest_already_running")
        return 0
    started_at = dt.datetime.fromisoformat(started) if started else utcnow()
    progress, ep = Progress(cursor, rows, booked, after), get_endpoint(endpoint)
    outcome = attempt(rt, account_id, ep, lambda gate, account: harvest_window(gate, account, ep, window, progress),
                      failures, "harvest")
    if outcome.countdown:
        progress.booked = outcome.booking
        kwargs = {"cursor": progress.cursor, "rows": progress.rows, "booked": progress.booked,
                  "after": progress.after, "failures": outcome.failures, "lock": lock, "started": started_at.isoformat()}
        raise self.retry(countdown=min(outcome.countdown, rt.settings.max_countdown), kwargs=kwargs)
    with session_scope() as session:
        record_run(session, account_id=account_id, endpoint=endpoint, window=window,
                   status="failed" if outcome.error else "ok", rows=progress.rows, error=outcome.error,
                   started_at=started_at, task_id=self.request.id)
        if outcome.error is None:
            advance_watermark(session, account_id, endpoint, window)
    locks.release(rt.redis, key, lock)
    if outcome.error:
        log.error("harvest_failed", error=outcome.error)
    else:
        log.info("harvest_done", rows=progress.rows)
        count(rt.redis, "harvester_rows_total", progress.rows, endpoint=endpoint)
        _start_dependents(get_account(account_id), endpoint)
    return progress.rows


def _start_dependents(account: Account, source: str) -> None:
    """The first harvest of a source starts its dependent fetches at once instead of at their next
    cadence (campaign discovery → campaign statistics); later runs follow their own cadences."""
    dependents = [ep.name for ep in endpoints_for(account.marketplace, account.wb_api_generation)
                  if ep.ids is not None and ep.ids.source == source]
    if not dependents:  # most endpoints: no database round trip after every harvest
        return
    with session_scope() as session:
        waiting = [name for name in dependents if session.get(Watermark, (account.id, name)) is None]
    for name in waiting:
        dispatch.delay(None, account.id, name)


def _defer(job_id: int, seconds: float) -> None:
    """Tell the sweeper the job's next step is scheduled, so it is not kicked twice."""
    with session_scope() as session:
        job = session.get(ReportJob, job_id)
        if job is not None and not job.status.terminal:
            save(session, job, next_run_at=utcnow() + dt.timedelta(seconds=seconds))


@app.task(bind=True, name="harvester.flow_step", max_retries=None)
def flow_step(self: Task, job_id: int, account_id: str, endpoint: str, *, booked: dict | None = None, failures: int = 0) -> str:
    """Move one report job one step; the next step is queued when its time comes."""
    rt = get_runtime()
    key = f"hv:lock:job:{job_id}"
    lock = locks.hold(rt.redis, key, None, rt.settings.lock_ttl)
    if lock is None:
        log.info("flow_step_already_running")
        return "busy"
    ep, moved = get_endpoint(endpoint), []

    def step(gate: Gate, account: Account) -> None:
        moved.append(run_step(StepContext(gate, rt.settings, account, ep, booked, self.request.id), job_id))

    try:
        outcome = attempt(rt, account_id, ep, step, failures, "flow_step")
        job = moved[0] if moved else None
        if outcome.error is not None:
            job = finish(job_id, JobStatus.FAILED, outcome.error, self.request.id)
    finally:
        locks.release(rt.redis, key, lock)  # before any re-queue, so the next copy finds it free
    if outcome.countdown:
        countdown = min(outcome.countdown, rt.settings.max_countdown)
        _defer(job_id, countdown)
        raise self.retry(countdown=countdown, kwargs={"booked": outcome.booking, "failures": outcome.failures})
    if job is not None and not job.status.terminal:
        wait = max(0.0, (job.next_run_at - utcnow()).total_seconds())
        flow_step.apply_async((job_id, account_id, endpoint), countdown=wait)
    return job.status.value if job is not None else "missing"


@app.task(name="harvester.sweep")
def sweep() -> int:
    """Re-kick report jobs whose next step is overdue: a killed worker or a lost message."""
    settings = get_settings()
    grace = dt.timedelta(seconds=settings.sweep_interval)
    with session_scope() as session:
        overdue = stalled(session, grace)
        for job in overdue:
            save(session, job, next_run_at=utcnow())
    for job in overdue:
        log.warning("flow_rekicked", job_id=job.id, status=job.status.value)
        flow_step.delay(job.id, job.account_id, job.endpoint)
    return len(overdue)
