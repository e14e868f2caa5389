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
import random
from typing import Any

import structlog
from celery import Task
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from harvester import locks
from harvester.accounts import Account, TokenError, get_account, get_accounts
from harvester.app import app
from harvester.catalog import check_overrides, endpoints_for, get_endpoint
from harvester.catalog.model import Endpoint
from harvester.client.errors import Forbidden, HarvestError, Retriable, Unauthorized
from harvester.flows.jobs import ensure_job, save, stalled
from harvester.flows.steps import StepContext, finish, run_step
from harvester.gate import Gate, Wait
from harvester.harvest import Progress, harvest_window
from harvester.logs import configure
from harvester.metrics import count
from harvester.runtime import get_runtime
from harvester.schedule import due_windows, split, today
from harvester.settings import Settings, SettingsError, get_settings
from harvester.store.accounts_state import (
    block_feature,
    blocked_features,
    fingerprint,
    mark_token_invalid,
    token_blocked,
)
from harvester.store.db import session_scope
from harvester.store.models import JobStatus, ReportJob, Watermark
from harvester.store.models.core import utcnow
from harvester.store.runlog import advance_watermark, anchor_watermark, record_run

log = structlog.get_logger(__name__)

# Failures worth another try (the API's or the database's), and those retrying cannot fix,
# which are recorded once, naming the account.
_RETRY = (Retriable, OperationalError)
_FINAL = (HarvestError, TokenError, SettingsError)


@setup_logging.connect
def _setup_logging(**_: Any) -> None:
    settings = get_settings()
    configure(settings.log_format, settings.log_level)


_CARRIED = ("task_id", "account", "endpoint", "job_id", "cadence", "queued_by")


@before_task_publish.connect
def _carry_context(headers: dict, **_: Any) -> None:
    """The publisher's log context rides in the message, so a task's lines say who queued it."""
    context = structlog.contextvars.get_contextvars()
    carried = {k: v for k, v in context.items() if k in _CARRIED and v is not None}
    if carried:
        carried["queued_by"] = carried.pop("task_id", carried.get("queued_by"))
        headers["harvester_context"] = carried


@task_prerun.connect
def _bind_context(task_id: str, task: Task, args: tuple, kwargs: dict, **_: Any) -> None:
    names = {"harvester.harvest": ("account", "endpoint", "start", "end"),
             "harvester.flow_step": ("job_id", "account", "endpoint"),
             "harvester.dispatch": ("cadence", "account", "endpoint")}.get(task.name, ())
    inherited = getattr(task.request, "harvester_context", None) or {}
    own = {k: v for k, v in zip(names, args) if v is not None}
    structlog.contextvars.bind_contextvars(**{**inherited, "task_id": task_id, "task": task.name, **own})


@task_postrun.connect
def _unbind_context(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()


def _about(account_id: str, exc: Exception) -> str:
    """The failure as the run log shows it, naming the account once."""
    text = str(exc)
    return text if text.startswith(f"account {account_id}") else f"account {account_id}: {text}"


def _backoff(settings: Settings, failures: int) -> float:
    """Exponential backoff with jitter for transient failures, in real seconds."""
    return min(settings.max_countdown, settings.scaled(5 * 2**failures)) * random.uniform(0.8, 1.2)


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


def _note_refusal(exc: Exception, account_id: str, endpoint: Endpoint, error: str) -> None:
    """What a refusal stops until the account changes: a 401 the whole token; a 401 for a
    missing token category (WB: "token scope not allowed") the endpoints of that category;
    a 403 the endpoint, or the subscription it requires."""
    if not isinstance(exc, Unauthorized | Forbidden):
        return
    account = get_account(account_id)
    with session_scope() as session:
        if isinstance(exc, Unauthorized) and "scope" not in str(exc).lower():
            mark_token_invalid(session, account_id, account.token(), error)
            return
        feature = f"scope:{endpoint.scope}" if isinstance(exc, Unauthorized) else endpoint.requires or endpoint.name
        block_feature(session, account_id, feature, _account_print(account, account.token()), error)


def _account_print(account: Account, token: str) -> str:
    """Changes when the account's entry or its token does: either may lift a block."""
    return fingerprint(account.settings_fingerprint() + fingerprint(token))


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
                blocked = blocked_features(session, account.id, _account_print(account, token))
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
    progress = Progress(cursor, rows, booked, after)
    countdown, error, gate, ep = 0.0, None, Gate(rt), get_endpoint(endpoint)
    try:
        harvest_window(gate, get_account(account_id), ep, window, progress)
    except Wait as wait:
        countdown, progress.booked = wait.countdown, wait.booking
    except _RETRY as exc:
        if failures >= rt.settings.max_retries:
            error = f"{exc} (after {failures} retries)"
        else:
            countdown, failures = _backoff(rt.settings, failures), failures + 1
            log.warning("harvest_retry", error=str(exc), failures=failures, countdown=countdown)
    except _FINAL as exc:
        error = _about(account_id, exc)
        _note_refusal(exc, account_id, ep, error)
    except Exception as exc:  # a bug: recorded where ops look, instead of a task that vanished
        log.exception("harvest_crashed")
        error = f"account {account_id}: unexpected {type(exc).__name__}: {str(exc)[:300]}"
    finally:
        gate.close()
    if countdown:
        kwargs = {"cursor": progress.cursor, "rows": progress.rows, "booked": progress.booked,
                  "after": progress.after, "failures": failures, "lock": lock, "started": started_at.isoformat()}
        raise self.retry(countdown=min(countdown, rt.settings.max_countdown), kwargs=kwargs)
    with session_scope() as session:
        record_run(session, account_id=account_id, endpoint=endpoint, window=window,
                   status="failed" if error else "ok", rows=progress.rows, error=error,
                   started_at=started_at, task_id=self.request.id)
        if error is None:
            advance_watermark(session, account_id, endpoint, window)
    locks.release(rt.redis, key, lock)
    if error:
        log.error("harvest_failed", error=error)
    else:
        log.info("harvest_done", rows=progress.rows)
        count(rt.redis, "harvester_rows_total", progress.rows, endpoint=endpoint)
        _start_dependents(account_id, endpoint)
    return progress.rows


def _start_dependents(account_id: str, source: str) -> None:
    """The first harvest of a source starts its dependent fetches at once instead of at their next
    cadence (campaign discovery → campaign statistics); later runs follow their own cadences."""
    account = get_account(account_id)
    dependents = [ep.name for ep in endpoints_for(account.marketplace, account.wb_api_generation)
                  if ep.ids is not None and ep.ids.source == source]
    if not dependents:  # most endpoints: no database round trip after every harvest
        return
    with session_scope() as session:
        waiting = [name for name in dependents if session.get(Watermark, (account_id, name)) is None]
    for name in waiting:
        dispatch.delay(None, account_id, name)


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
    countdown, job, gate = 0.0, None, Gate(rt)
    try:
        ctx = StepContext(gate, rt.settings, get_account(account_id), get_endpoint(endpoint), booked, self.request.id)
        job = run_step(ctx, job_id)
    except Wait as wait:
        countdown, booked = wait.countdown, wait.booking
    except _RETRY as exc:
        if failures >= rt.settings.max_retries:
            job = finish(job_id, JobStatus.FAILED, f"{exc} (after {failures} retries)", self.request.id)
        else:
            countdown, failures, booked = _backoff(rt.settings, failures), failures + 1, None
            log.warning("flow_step_retry", error=str(exc), failures=failures, countdown=countdown)
    except _FINAL as exc:
        job = finish(job_id, JobStatus.FAILED, _about(account_id, exc), self.request.id)
        _note_refusal(exc, account_id, get_endpoint(endpoint), job.last_error or "")
    finally:
        gate.close()
        locks.release(rt.redis, key, lock)  # before any re-queue, so the next copy finds it free
    if countdown:
        countdown = min(countdown, rt.settings.max_countdown)
        _defer(job_id, countdown)
        raise self.retry(countdown=countdown, kwargs={"booked": booked, "failures": failures})
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
