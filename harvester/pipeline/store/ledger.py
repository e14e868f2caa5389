"""The ledger of work: every unit (a synchronous window or a report flow) is a `work_unit` row
written before any message is sent, and a worker runs it only while it holds the unit's lease.

    enqueue   write the unit, or queue a finished one afresh; None when it needs no message
              (`enqueue_many`: the same for many units, in a few statements)
    claim     take the lease for a task (a dead owner's lease is taken over), or None with the reason
    renew     keep the lease while the work runs
    park      wait until a due time, outside any worker's memory
    finish    DONE or FAILED, lease dropped
    stranded  what the reconciler must wake: due and parked, queued but never started, or leased
              by a worker that is gone

Every change of state is one conditional UPDATE, so two workers, or a worker and the
reconciler, can never both think they hold a unit, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, func, literal, or_, update
from sqlmodel import Session, col, select

from harvester.models import WorkState, WorkUnit
from harvester.models.state import utcnow
from harvester.models.tables import table_of
from harvester.pipeline.store.upsert import insert_rows, rows_select

Window = tuple[dt.date, dt.date]
Key = tuple[str, str, dt.date, dt.date]  # account, endpoint, window start and end: a unit's natural key
ACTIVE = (WorkState.QUEUED, WorkState.PARKED, WorkState.RUNNING)
FINAL = (WorkState.DONE, WorkState.FAILED)
NATURAL_KEY = ("account_id", "endpoint", "window_start", "window_end")
_UNITS = table_of(WorkUnit)


class UnitRef(Protocol):
    """What a wake-up needs of a unit: a `WorkUnit`, or the plain `Queued` a dispatch writes."""

    @property
    def id(self) -> int | None: ...
    @property
    def account_id(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def window_start(self) -> dt.date: ...
    @property
    def window_end(self) -> dt.date: ...
    @property
    def generation(self) -> int: ...
    @property
    def job_id(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Queued:
    """A unit just written, as plain values: a dispatch cycle writes a hundred thousand, and ORM
    objects for them cost more than the statement that wrote them."""

    id: int
    account_id: str
    endpoint: str
    window_start: dt.date
    window_end: dt.date
    generation: int
    job_id: int | None = None

    @property
    def key(self) -> Key:
        return self.account_id, self.endpoint, self.window_start, self.window_end


def find(session: Session, account_id: str, endpoint: str, window: Window) -> WorkUnit | None:
    return session.exec(select(WorkUnit).where(
        WorkUnit.account_id == account_id, WorkUnit.endpoint == endpoint,
        WorkUnit.window_start == window[0], WorkUnit.window_end == window[1])).first()


def enqueue(session: Session, account_id: str, endpoint: str, window: Window, *, queued_by: str | None = None,
            requeue_queued_before: dt.datetime | None = None, retry_failed: bool = True) -> WorkUnit | None:
    """The unit to send a wake-up for, written first; None when it needs none (see `enqueue_many`)."""
    units = enqueue_many(session, [(account_id, endpoint, *window)], queued_by=queued_by,
                         requeue_queued_before=requeue_queued_before, retry_failed=retry_failed)
    return session.get(WorkUnit, units[0].id, populate_existing=True) if units else None


def enqueue_many(session: Session, keys: Sequence[Key], *, queued_by: str | None = None,
                 requeue_queued_before: dt.datetime | None = None, retry_failed: bool = True) -> list[Queued]:
    """The units to send wake-ups for, written first, in `keys`' order: one upsert of every key
    (see `insert_rows`), so a dispatch cycle costs a statement, not a statement per unit.

    A new window is written QUEUED, its wake-up taken as sent now (the caller sends it after the
    commit, or is itself that wake-up). A unit already queued, parked or running needs nothing: the
    message that is out, or the reconciler, will run it. A finished one is queued afresh (its
    generation grows) only when asked: a DONE unit last queued before `requeue_queued_before`,
    a FAILED one when `retry_failed`. The condition is the upsert's own, so two dispatchers at
    once never both queue one unit.

    Queued, not finished: a paged snapshot may take more than half its cadence (a
    100,000-product seller's hourly products are 100 pages at a token every 20 s, 33 minutes),
    and counted from its end it was too recent at the next hour's dispatch and read every other
    hour.
    """
    now, keys = utcnow(), list(dict.fromkeys(keys))  # one statement may not touch a row twice
    fresh = {"state": WorkState.QUEUED, "due_at": now, "queued_at": now, "queued_by": queued_by,
             "lease_owner": None, "lease_until": None, "failures": 0, "progress": None, "rows": 0,
             "last_error": None, "finished_at": None, "updated_at": now}
    again = and_(col(WorkUnit.state) == WorkState.FAILED, literal(retry_failed))
    if requeue_queued_before is not None:
        again = or_(again, func.coalesce(col(WorkUnit.queued_at), col(WorkUnit.finished_at), col(WorkUnit.updated_at))
                    < requeue_queued_before)
    if not keys:
        return []
    insert = insert_rows(session, WorkUnit, NATURAL_KEY, keys, {**fresh, "generation": 1, "created_at": now})
    upsert = insert.on_conflict_do_update(
        index_elements=list(NATURAL_KEY), set_={**fresh, "generation": col(WorkUnit.generation) + 1},
        where=and_(col(WorkUnit.state).in_(FINAL), again)).returning(*_QUEUED)
    found = {unit.key: unit for unit in (Queued(*row) for row in session.execute(upsert))}
    return [found[key] for key in keys if key in found]


_QUEUED = [_UNITS.c[field.name] for field in fields(Queued)]


ATTACH_BATCH = 1_000  # pairs an UPDATE names: few enough that it finds each unit by its key


def attach_jobs(session: Session, jobs: dict[int, int]) -> None:
    """Name each unit's report job (unit id → job id): one UPDATE … FROM the pairs a thousand at
    a time. A hundred thousand pairs in one made PostgreSQL hash-join them against a scan of the
    whole ledger, a cost that grows with history rather than with the units due."""
    pairs = list(jobs.items())
    for at in range(0, len(pairs), ATTACH_BATCH):
        named = rows_select(session, _UNITS, ("id", "job_id"), pairs[at:at + ATTACH_BATCH]).subquery()
        session.execute(_UNITS.update().where(_UNITS.c.id == named.c.id).values(job_id=named.c.job_id))


# The statements a worker runs for every unit, built once with bind parameters: building and
# keying a statement afresh for each unit was most of their cost. All are Core updates of the
# table (no ORM state to keep in step), whose row count says if the lease held.
_MINE = and_(_UNITS.c.id == bindparam("unit_id"), _UNITS.c.lease_owner == bindparam("owner"),
             _UNITS.c.state == WorkState.RUNNING)
_CLAIM = (_UNITS.update()
          .where(_UNITS.c.id == bindparam("unit_id"), _UNITS.c.generation == bindparam("gen"),
                 _UNITS.c.state.in_(ACTIVE),
                 or_(_UNITS.c.lease_owner.is_(None), _UNITS.c.lease_owner == bindparam("owner"),
                     _UNITS.c.lease_until < bindparam("now")))
          .values(state=WorkState.RUNNING, lease_owner=bindparam("owner"), lease_until=bindparam("until"),
                  updated_at=bindparam("now"))
          .returning(*_UNITS.c))
_RENEW = _UNITS.update().where(_MINE).values(lease_until=bindparam("until"), updated_at=bindparam("now"))
_FINISH = _UNITS.update().where(_MINE).values(
    state=bindparam("new_state"), lease_owner=None, lease_until=None, rows=bindparam("n_rows"),
    last_error=bindparam("error"), finished_at=bindparam("now"), updated_at=bindparam("now"), progress=None)


@dataclass(frozen=True)
class Claim:
    """The unit a task may run now, or why not (`unit` None)."""

    unit: WorkUnit | None
    reason: str = ""
    owner: str | None = None  # the live owner, when another task holds the lease


def claim(session: Session, unit_id: int, owner: str, ttl: float, generation: int) -> Claim:
    """Take the unit's lease for `owner` (a task id) for `ttl` seconds: one UPDATE … RETURNING.

    `generation` is the one the wake-up was sent for: an older message is stale. A lease whose
    owner is gone (its time ran out) is taken over; the same task, redelivered after its worker
    died, takes its own lease back at once. Only a refused claim reads the unit again, to say why.
    """
    now = utcnow()
    taken = session.execute(_CLAIM, {"unit_id": unit_id, "gen": generation, "owner": owner, "now": now,
                                     "until": now + dt.timedelta(seconds=ttl)}).first()
    if taken is not None:  # a detached copy: the ORM's bulk UPDATE … RETURNING cost most of a claim
        return Claim(WorkUnit.model_validate(taken._mapping))
    unit = session.get(WorkUnit, unit_id, populate_existing=True)
    if unit is None:
        return Claim(None, "no such unit")
    if generation != unit.generation:
        return Claim(None, f"stale wake-up (generation {generation}, unit at {unit.generation})")
    if unit.state.final:
        return Claim(None, f"already {unit.state.value}")
    return Claim(None, "already running", unit.lease_owner)


def renew(session: Session, unit_id: int, owner: str, ttl: float) -> bool:
    """Extend a lease we still hold; False when it was lost (taken over after it ran out)."""
    now = utcnow()
    done = session.execute(_RENEW, {"unit_id": unit_id, "owner": owner, "now": now,
                                    "until": now + dt.timedelta(seconds=ttl)})
    return done.rowcount == 1  # type: ignore[attr-defined]


def park(session: Session, unit_id: int, owner: str, due_at: dt.datetime, **changes: Any) -> bool:
    """Let go of the unit until `due_at` (with its progress, failures or last error in `changes`)."""
    done = session.execute(_UNITS.update().where(_MINE).values(
        state=WorkState.PARKED, due_at=due_at, lease_owner=None, lease_until=None, updated_at=utcnow(), **changes),
        {"unit_id": unit_id, "owner": owner})
    return done.rowcount == 1  # type: ignore[attr-defined]


def finish(session: Session, unit_id: int, owner: str, ok: bool, *, rows: int = 0, error: str | None = None) -> bool:
    """End the unit; False when another task had taken it over meanwhile."""
    done = session.execute(_FINISH, {"unit_id": unit_id, "owner": owner, "now": utcnow(), "n_rows": rows,
                                     "error": error, "new_state": WorkState.DONE if ok else WorkState.FAILED})
    return done.rowcount == 1  # type: ignore[attr-defined]


def mark_queued(session: Session, unit_ids: Sequence[int], chunk: int = 10_000) -> list[int]:
    """Record that a wake-up is about to be sent for these units (before it is: a worker that
    takes it must find the unit as it will be). A unit another worker runs on a live lease is
    left alone; the ids marked. One UPDATE per `chunk` ids (a statement holds 65,535 parameters
    at most on PostgreSQL)."""
    now = utcnow()
    movable = or_(col(WorkUnit.state).in_((WorkState.QUEUED, WorkState.PARKED)),
                  and_(col(WorkUnit.state) == WorkState.RUNNING, col(WorkUnit.lease_until) < now))
    marked: list[int] = []
    for at in range(0, len(unit_ids), chunk):
        marked += session.scalars(update(WorkUnit).where(col(WorkUnit.id).in_(unit_ids[at:at + chunk]), movable)
                                  .values(state=WorkState.QUEUED, due_at=now, queued_at=now, updated_at=now)
                                  .returning(col(WorkUnit.id)))
    return marked


def stranded(session: Session, grace: dt.timedelta, after: int = 0, limit: int = 1000) -> list[WorkUnit]:
    """Units that should be moving and may not be: parked past their due time, queued longer than
    `grace` ago, or running on a lease that ran out; `limit` of them with ids above `after`, in
    id order, so a caller pages through them all. The caller tells which still wait (lined,
    parked or in the broker is not stalling)."""
    now = utcnow()
    overdue = and_(col(WorkUnit.state).in_((WorkState.PARKED, WorkState.QUEUED)),
                   col(WorkUnit.due_at) <= now - grace)  # a queued unit's due_at is its queued_at
    orphaned = and_(col(WorkUnit.state) == WorkState.RUNNING, col(WorkUnit.lease_until) < now)
    return list(session.exec(select(WorkUnit).where(or_(overdue, orphaned), col(WorkUnit.id) > after)
                             .order_by(col(WorkUnit.id)).limit(limit)))
