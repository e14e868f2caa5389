"""Celery tasks: the thin layer between the ledger of work and the pipeline.

    dispatch(cadence)                          beat → a ledger unit per account × endpoint × due window
    backfill(account, endpoint, since, until)  the same for a period ops name
    harvest(account, endpoint, start, end)     run one synchronous window (a unit) under its lease
    flow_step(job_id, account, endpoint)       move one report flow (a unit) one step under its lease
    reconcile()                                wake every unit that is due and has no wake-up in flight

A unit that ends failed ends its task in Celery's FAILURE state (`UnitFailed`, with the
readable error), after its run-log row is committed, so Flower shows it as a failure; it is
never retried by Celery (the ledger and a later dispatch decide that).

A unit is written to the ledger before its wake-up is sent, and a worker runs it only while it
holds the unit's lease. A unit that must wait is parked, or waits in its bucket's line (see
`wakeups`), instead of being re-queued; a new window whose first call draws on one WB bucket
goes straight to that line, so it reaches a worker once, with its token booked.
Arguments are ids, names and ISO dates only: readable in Flower, never a secret.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, replace
from functools import cache, partial
from typing import Any

import redis
import structlog
from celery import Task
from sqlmodel import Session, col, select

from harvester.catalog import check_overrides, endpoints, endpoints_for, get_endpoint, tuned
from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account, TokenError, get_account, get_accounts
from harvester.core.clock import calendar_seconds, today
from harvester.core.counters import count, landed
from harvester.core.settings import Settings
from harvester.models import AccountState, EndpointBlock, JobStatus, ReportJob, Watermark, WorkState, WorkUnit
from harvester.models.state import utcnow
from harvester.pipeline.flows.jobs import ensure_jobs
from harvester.pipeline.flows.run import run_step
from harvester.pipeline.flows.steps import StepContext, finish
from harvester.pipeline.gate import Gate
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.limiter import Line
from harvester.pipeline.schedule import CADENCE_SECONDS, backfill_windows, due_windows, rank
from harvester.pipeline.store import ledger
from harvester.pipeline.store.accounts_state import blocked_features, token_blocked
from harvester.pipeline.store.db import session_scope
from harvester.pipeline.store.runlog import advance_watermark, anchor_watermarks, record_run
from harvester.worker import wakeups
from harvester.worker.app import app
from harvester.worker.runner import OUTAGE, Outcome, account_print, attempt, leased, outage_wait
from harvester.worker.runtime import Runtime, get_runtime

log = structlog.get_logger(__name__)

Window = tuple[dt.date, dt.date]


class UnitFailed(Exception):
    """A unit ended failed; its error is already in the run log (declared in `throws`, so Celery
    logs it as expected, without a traceback)."""


def _write_units(session: Session, wanted: list[tuple[ledger.Key, dt.datetime | None]], settings: Settings,
                 queued_by: str | None) -> list[ledger.Queued]:
    """The ledger units of these windows (each with the time a finished one must have been queued
    before to be queued again), written, and each report flow's job opened, before any message; in `wanted`'s
    order. Set-based: a few statements per thousand units, whatever the number of accounts."""
    groups: dict[dt.datetime | None, list[ledger.Key]] = {}
    for key, requeue_queued_before in wanted:
        groups.setdefault(requeue_queued_before, []).append(key)
    units = [unit for before, keys in groups.items()
             for unit in ledger.enqueue_many(session, keys, queued_by=queued_by, requeue_queued_before=before)]
    catalog = endpoints()
    flows = [unit for unit in units if catalog[unit.endpoint].flow is not None]
    if flows:
        deadline = dt.timedelta(hours=settings.scaled(settings.flow_deadline_hours))
        jobs = ensure_jobs(session, [unit.key for unit in flows], deadline)
        ledger.attach_jobs(session, {unit.id: jobs[unit.key][0] for unit in flows})
        units = [replace(unit, job_id=jobs[unit.key][0]) if unit.key in jobs else unit for unit in units]
    order = {key: i for i, (key, _) in enumerate(wanted)}
    return sorted(units, key=lambda unit: order[unit.key])


def _send(rt: Runtime, units: Sequence[ledger.UnitRef], written: bool = False) -> int:
    """Wake-ups for units in the ledger, marked queued first (units this task has just `written`
    were written so): in its bucket's line where the unit's first call has one, else into the
    broker. A dispatch's (`written`) go through the parked set, due now, for the releasers to
    send: one script call per batch here, where a message each was most of a cycle. One lost is
    sent again by `reconcile`."""
    if not written:
        with session_scope() as session:
            marked = set(ledger.mark_queued(session, [u.id for u in units]))  # type: ignore[misc]
        units = [u for u in units if u.id in marked]
    lines, place = _lines(rt, units), cache(partial(_rank, rt))
    wakeups.line(rt.redis, [(u, lines[u.id], place(u.endpoint, u.window_end)) for u in units if u.id in lines])
    rest = [u for u in units if u.id not in lines]
    if written:
        wakeups.park(rt.redis, rest, 0)
        return len(lines) + len(rest)
    return len(lines) + len(wakeups.send(app, rt.redis, rest))


def _rank(rt: Runtime, endpoint: str, window_end: dt.date) -> int:
    """A window's place in its bucket's line: fresh windows first, then by the endpoint's priority."""
    return rank(tuned(endpoints()[endpoint], rt.settings), window_end, today())


def _lines(rt: Runtime, units: Sequence[ledger.UnitRef]) -> dict[int, Line]:
    """The bucket line each synchronous window can wait in before it first runs (by unit id);
    looked up once per account × limit group, not per window, its token read once per account."""
    accounts, catalog, gate = get_accounts(), endpoints(), rt.gate()
    pinned: dict[str, Account] = {}
    per_group: dict[tuple[str, str, int], Line | None] = {}
    found = {}
    for unit in units:
        fetch, account = catalog[unit.endpoint].fetch, accounts.get(unit.account_id)
        if unit.job_id is not None or fetch is None or account is None:
            continue
        group = (account.id, fetch.limit.name, fetch.parallel)  # what `Gate.budgets` draws on, without a request
        if group not in per_group:
            if account.id not in pinned:
                pinned[account.id] = account.pinned()
            per_group[group] = gate.line(pinned[account.id], fetch)
        if (line := per_group[group]) is not None:
            found[unit.id] = line
    return found  # type: ignore[return-value]


def _accounts_to_dispatch(account_id: str | None) -> list[tuple[Account, set[str]]]:
    """The accounts whose token may be used, each with its blocked features. Only an account the
    harvester holds a refusal or a block for is read on its own; the rest cost one query."""
    found: list[tuple[Account, set[str]]] = []
    with session_scope() as session:
        flagged = set(session.exec(select(AccountState.account_id)
                                   .where(col(AccountState.token_invalid_at).is_not(None))))
        flagged |= set(session.exec(select(EndpointBlock.account_id)))
        for account in get_accounts().values():
            if account_id not in (None, account.id):
                continue
            try:
                token = account.token()
            except TokenError as exc:
                log.error("account_without_token", account=account.id, error=str(exc))
                continue
            if account.id not in flagged:
                found.append((account, set()))
            elif not token_blocked(session, account.id, token):
                found.append((account, blocked_features(session, account.id, account_print(account, token))))
    return found


def _due(session: Session, pairs: list[tuple[Account, Endpoint]], refresh: bool,
         initial_days: int) -> list[tuple[ledger.Key, dt.datetime | None]]:
    """Every due window of these account × endpoint pairs, with the time a finished one must have
    been queued before to be queued again; first windows' watermarks anchored. The watermarks they need are read by
    their primary key, ten thousand accounts a query."""
    names = sorted({ep.name for _, ep in pairs} | {ep.ids.source for _, ep in pairs if ep.ids is not None})
    accounts = sorted({account.id for account, _ in pairs})
    marks = {}
    for at in range(0, len(accounts), 10_000):
        query = select(col(Watermark.account_id), col(Watermark.endpoint), col(Watermark.complete_until),
                       col(Watermark.last_success_at)).where(col(Watermark.account_id).in_(accounts[at:at + 10_000]),
                                                             col(Watermark.endpoint).in_(names))
        marks.update({(a, e): (until, success) for a, e, until, success in session.exec(query)})
    now, on = utcnow(), today()
    # A finished window is queued again (the lookback) at most once per half cadence, unless asked.
    half_cadence = {name: dt.timedelta(seconds=0 if refresh else calendar_seconds(period / 2))
                    for name, period in CADENCE_SECONDS.items()}
    # accounts share dates: one computation per rule, watermark and whether anything was read
    windows_after = cache(lambda rule, until, read: due_windows(rule, until, on, initial_days, read))
    due: list[tuple[ledger.Key, dt.datetime | None]] = []
    anchors: list[tuple[str, str, dt.date]] = []
    waiting: Counter[str] = Counter()  # dependents by endpoint whose source has not succeeded yet
    for account, endpoint in pairs:
        try:
            source = endpoint.ids.source if endpoint.ids is not None else None
            if source is not None and (marks.get((account.id, source)) or (None, None))[1] is None:
                waiting[f"{endpoint.name}<-{source}"] += 1
                continue
            mark = marks.get((account.id, endpoint.name))
            until, success = mark if mark else (None, None)
            windows = windows_after(endpoint.window, until, success is not None)
            if windows and mark is None:
                anchors.append((account.id, endpoint.name, windows[0][0]))
            again = now - half_cadence[endpoint.cadence]
            due += [((account.id, endpoint.name, *window), again) for window in windows]
        except Exception:  # one broken pair must not starve the others
            log.exception("dispatch_failed", account=account.id, endpoint=endpoint.name)
    if waiting:  # one line a cycle, not one per account: at agency scale that was most of the log
        log.info("dispatch_waits_for_source", accounts_by_endpoint=dict(waiting))
    anchor_watermarks(session, anchors)
    return due


# Dispatch and backfill only write the ledger, idempotently: while our database or Redis is
# down they are tried again until it is back (Celery's own retry options).
_WAIT_OUT_OUTAGES = {"autoretry_for": OUTAGE, "retry_backoff": 2, "retry_backoff_max": 60, "max_retries": None}


@app.task(bind=True, name="harvester.dispatch", **_WAIT_OUT_OUTAGES)
def dispatch(self: Task, cadence: str | None = None, account_id: str | None = None, endpoint: str | None = None,
             refresh: bool = False) -> int:
    """Write a unit for every due window of every account × endpoint of this cadence (None = all),
    then send their wake-ups: set-based, so a cycle costs a few statements per thousand units."""
    rt, catalog, began = get_runtime(), {}, time.monotonic()
    check_overrides(rt.settings)
    pairs = []
    for account, blocked in _accounts_to_dispatch(account_id):
        kind = (account.marketplace, account.wb_api_generation)
        if kind not in catalog:
            catalog[kind] = endpoints_for(*kind, rt.settings)
        pairs += [(account, ep) for ep in catalog[kind]
                  if cadence in (None, ep.cadence) and endpoint in (None, ep.name)
                  and not blocked & {ep.name, ep.requires, f"scope:{ep.scope}"}]
    with session_scope() as session:
        due = _due(session, pairs, refresh, rt.settings.initial_days)
        units = _write_units(session, due, rt.settings, self.request.id)
    queued = _send(rt, units, written=True)
    log.info("dispatched", cadence=cadence, tasks=queued, seconds=round(time.monotonic() - began, 3))
    return queued


@app.task(bind=True, name="harvester.backfill", **_WAIT_OUT_OUTAGES)
def backfill(self: Task, account_id: str, endpoint: str, since: str, until: str, refresh: bool = False) -> int:
    """Write [since, until] of one account × endpoint as legal windows (e.g. 8-day paid-storage tasks).

    Windows already done are left alone unless `refresh`; failed ones are tried again.
    """
    rt, ep, account = get_runtime(), get_endpoint(endpoint), get_account(account_id)
    windows = backfill_windows(account, ep, dt.date.fromisoformat(since), dt.date.fromisoformat(until), today())
    again = utcnow() if refresh else None
    with session_scope() as session:
        units = _write_units(session, [((account_id, endpoint, *window), again) for window in windows],
                             rt.settings, self.request.id)
    queued = _send(rt, units, written=True)
    log.info("backfill_queued", account=account_id, endpoint=endpoint, windows=len(windows), tasks=queued)
    return queued


def _claim(rt: Runtime, owner: str, account_id: str, endpoint: str, window: Window, generation: int | None,
           unit_id: int | None, job: ReportJob | None = None) -> WorkUnit | None:
    """The unit this wake-up may run now, leased to `owner`; None, logged, when it may not.

    A wake-up names its unit and generation. One without is a request from a person or a test:
    it runs the window now, queueing a finished one afresh (a report flow only when its job was
    restarted).
    """
    with session_scope() as session:
        if unit_id is None:
            unit = ledger.find(session, account_id, endpoint, window)
            explicit = generation is None and (job is None or not job.status.terminal)
            if explicit and (unit is None or unit.state.final):
                unit = ledger.enqueue(session, account_id, endpoint, window, queued_by=owner,
                                      requeue_queued_before=utcnow() + dt.timedelta(seconds=1)) or unit
                if unit is not None and job is not None:
                    unit.job_id = job.id
                    session.add(unit)
                    session.flush()  # before the claim, a Core statement, which does not flush
            if unit is None:
                log.info("wakeup_without_unit")
                return None
            unit_id, generation = unit.id, unit.generation if generation is None else generation
        claim = ledger.claim(session, unit_id, owner, rt.settings.lease_ttl,  # type: ignore[arg-type]
                             generation)  # type: ignore[arg-type]
    wakeups.taken(rt.redis, unit_id)  # type: ignore[arg-type]
    if claim.unit is None:
        log.info("wakeup_not_run", reason=claim.reason, owner=claim.owner, unit=unit_id)
    elif claim.unit.queued_by:  # the dispatch or backfill that started the chain, whoever sent this wake-up
        structlog.contextvars.bind_contextvars(queued_by=claim.unit.queued_by)
    return claim.unit


def _park(task: Task, rt: Runtime, unit: WorkUnit, outcome: Outcome, **changes: Any) -> str:
    """Hold the unit until its wait is over; with our database down, let the broker carry the retry."""
    seconds = min(outcome.countdown, rt.settings.max_countdown)
    try:
        with session_scope() as session:
            kept = ledger.park(session, unit.id, task.request.id, utcnow() + dt.timedelta(seconds=seconds),  # type: ignore[arg-type]
                               failures=outcome.failures, **changes)
    except OUTAGE as exc:
        log.warning("park_failed", error=str(exc)[:200], countdown=seconds)
        raise task.retry(countdown=seconds) from None
    if kept and outcome.line is not None:
        wakeups.line(rt.redis, [(unit, outcome.line, _rank(rt, unit.endpoint, unit.window_end))])
    elif kept:
        wakeups.park(rt.redis, [unit], seconds)
    else:
        log.warning("lease_lost", unit=unit.id)
    return "parked"


@contextmanager
def _outages_retried(task: Task, rt: Runtime) -> Iterator[None]:
    """Our own database or Redis down between steps: not the unit's fault; the broker (or, with
    the broker down too, the reconciler) brings the wake-up back."""
    try:
        yield
    except OUTAGE as exc:
        log.warning("outage", error=str(exc)[:200])
        raise task.retry(countdown=outage_wait()) from None


@app.task(bind=True, name="harvester.harvest", max_retries=None, throws=(UnitFailed,))
def harvest(self: Task, account_id: str, endpoint: str, start: str, end: str, *, gen: int | None = None,
            unit: int | None = None, booked: dict[str, Any] | None = None) -> str:
    """Harvest one window of a synchronous endpoint for one account (`unit`: its ledger row, which
    the receiving node notes; `gen`: the generation the wake-up was sent for; `booked`: the
    token its line booked for it)."""
    rt, owner = get_runtime(), self.request.id
    window, ep = (dt.date.fromisoformat(start), dt.date.fromisoformat(end)), get_endpoint(endpoint)
    with _outages_retried(self, rt):
        claimed = _claim(rt, owner, account_id, endpoint, window, gen, unit)
    if claimed is None:
        return "not run"
    saved = dict(claimed.progress or {})
    started_at = dt.datetime.fromisoformat(saved.pop("started")) if "started" in saved else utcnow()
    progress = Progress(**saved)
    progress.booked = booked or progress.booked

    def work(gate: Gate, account: Account) -> None:
        harvest_window(gate, account, ep, window, progress, claimed.id)

    with leased(claimed.id, owner, rt.settings.lease_ttl):  # type: ignore[arg-type]
        outcome = attempt(rt, account_id, ep, work, claimed.failures, "harvest", _rank(rt, endpoint, window[1]))
    if outcome.countdown:
        progress.booked = outcome.booking
        return _park(self, rt, claimed, outcome, progress={**asdict(progress), "started": started_at.isoformat()})
    first = False
    with _outages_retried(self, rt), session_scope() as session:
        ok = outcome.error is None
        if not ledger.finish(session, claimed.id, owner, ok, rows=progress.rows, error=outcome.error):  # type: ignore[arg-type]
            log.warning("lease_lost", unit=claimed.id)
            return "lease lost"
        record_run(session, account_id=account_id, endpoint=endpoint, window=window,
                   status="failed" if outcome.error else "ok", rows=progress.rows, error=outcome.error,
                   started_at=started_at, task_id=owner, unit_id=claimed.id)
        if outcome.error is None:
            first = advance_watermark(session, account_id, endpoint, window)
    if outcome.error:
        log.error("harvest_failed", error=outcome.error)
        count(rt.redis, "harvester_failures_total", endpoint=endpoint, kind=outcome.kind)
        raise UnitFailed(outcome.error)
    log.info("harvest_done", rows=progress.rows)
    landed(rt.redis, endpoint, progress.rows, progress.load_cpu)
    if first:
        _start_dependents(get_account(account_id), endpoint)
    return "done"


def _start_dependents(account: Account, source: str) -> None:
    """The first harvest of a source starts its dependent fetches at once instead of at their next
    cadence (campaign discovery → campaign statistics); later runs follow their own cadences."""
    dependents = [ep.name for ep in endpoints_for(account.marketplace, account.wb_api_generation)
                  if ep.ids is not None and ep.ids.source == source]
    if not dependents:
        return
    with session_scope() as session:
        waiting = [name for name in dependents if session.get(Watermark, (account.id, name)) is None]
    for name in waiting:
        dispatch.delay(None, account.id, name)


@app.task(bind=True, name="harvester.flow_step", max_retries=None, throws=(UnitFailed,))
def flow_step(self: Task, job_id: int, account_id: str, endpoint: str, *, gen: int | None = None,
              unit: int | None = None, booked: dict[str, Any] | None = None) -> str:
    """Move one report job one step; its unit is parked until the next step is due."""
    rt, owner, ep = get_runtime(), self.request.id, get_endpoint(endpoint)
    with _outages_retried(self, rt):
        with session_scope() as session:
            job = session.get(ReportJob, job_id)
        if job is None:
            log.info("wakeup_without_job")
            return "missing"
        claimed = _claim(rt, owner, account_id, endpoint, (job.window_start, job.window_end), gen, unit, job)
    if claimed is None:
        return "not run"
    booked, moved = booked or (claimed.progress or {}).get("booked"), [job]

    def step(gate: Gate, account: Account) -> None:
        context = StepContext(gate, rt.settings, account, ep, booked, owner, claimed.id)
        moved.append(run_step(context, job_id) or moved[0])

    with leased(claimed.id, owner, rt.settings.lease_ttl):  # type: ignore[arg-type]
        outcome = attempt(rt, account_id, ep, step, claimed.failures, "flow_step", _rank(rt, endpoint, job.window_end))
    job = moved[-1]
    if outcome.error is not None:
        job = finish(job_id, JobStatus.FAILED, outcome.error, owner, claimed.id)
    elif outcome.countdown:
        return _park(self, rt, claimed, outcome, progress={"booked": outcome.booking})
    if not job.status.terminal:
        wait = max(0.0, (job.next_run_at - utcnow()).total_seconds())
        return _park(self, rt, claimed, Outcome(countdown=max(wait, 0.001)), progress=None)
    with _outages_retried(self, rt), session_scope() as session:
        ledger.finish(session, claimed.id, owner, job.status == JobStatus.DONE, rows=job.rows, error=job.last_error)  # type: ignore[arg-type]
    if job.status != JobStatus.DONE:
        kind = outcome.kind or f"report {job.status.value}"
        count(rt.redis, "harvester_failures_total", endpoint=endpoint, kind=kind)
        raise UnitFailed(job.last_error or f"report job {job_id} ended {job.status.value}")
    return job.status.value


@app.task(name="harvester.reconcile")
def reconcile() -> int:
    """Wake every unit that is due and has no wake-up parked or in the broker: a message lost with
    Redis, a worker killed mid-run (its lease ran out), a wake-up never sent. A unit waiting in
    a queue is left alone."""
    rt = get_runtime()
    # One at a time: reconcilers queued up during an outage would otherwise wake the same units.
    lock = rt.redis.lock("hv:lock:reconcile", timeout=max(60.0, 5 * rt.settings.sweep_interval), blocking=False)
    if not lock.acquire():
        return 0
    try:
        lost: list[WorkUnit] = []
        after, grace, queues = 0, dt.timedelta(seconds=rt.settings.sweep_interval), wakeups.Queues(rt.redis)
        while True:  # page through every candidate: thousands of units may wait in lines, none of them lost
            with session_scope() as session:
                units = ledger.stranded(session, grace, after)
            if not units:
                break
            pending = wakeups.waiting(rt.redis, units, rt.settings.node_timeout, queues)
            lost += [u for u, p in zip(units, pending, strict=True) if not p or u.state == WorkState.RUNNING]
            after = units[-1].id  # type: ignore[assignment]
        if lost:
            log.warning("units_woken", count=len(lost), states=dict(Counter(u.state.value for u in lost)))
        return _send(rt, lost)
    finally:
        with suppress(redis.exceptions.LockError):  # it outlived its timeout: someone else's by now
            lock.release()
