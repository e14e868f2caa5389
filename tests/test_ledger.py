"""The ledger of work and its wake-ups: written once, leased to one task, parked, taken over, woken."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harvester.catalog import get_endpoint
from harvester.core.settings import Settings
from harvester.models import WorkState, WorkUnit
from harvester.models.state import utcnow
from harvester.pipeline.limiter import Limiter
from harvester.pipeline.store import ledger
from harvester.worker import wakeups
from harvester.worker.runner import Leases

WINDOW = (dt.date(2026, 11, 1), dt.date(2026, 11, 1))


def _enqueue(session: Session, **kwargs: Any) -> WorkUnit | None:
    unit = ledger.enqueue(session, "a1", "wb.stocks_products", WINDOW, **kwargs)
    session.commit()
    return unit


def _finished(engine: Engine, ok: bool) -> WorkUnit:
    with Session(engine, expire_on_commit=False) as session:
        unit = _enqueue(session)
        assert unit is not None
        assert ledger.claim(session, unit.id, "t1", 60, unit.generation).unit is not None
        assert ledger.finish(session, unit.id, "t1", ok, rows=3, error=None if ok else "boom")  # type: ignore[arg-type]
        session.commit()
        session.refresh(unit)
        return unit


def test_a_window_is_written_once_and_needs_one_wakeup(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        first = _enqueue(session, queued_by="dispatch-1")
        again = _enqueue(session, queued_by="dispatch-2")
    assert first is not None and first.state == WorkState.QUEUED and first.generation == 1
    assert first.queued_by == "dispatch-1"
    assert again is None  # already queued: the next dispatch cycle sends nothing


def test_a_done_window_is_left_alone_unless_a_refresh_asks(engine: Engine) -> None:
    unit = _finished(engine, ok=True)
    assert unit.state == WorkState.DONE and unit.rows == 3
    with Session(engine, expire_on_commit=False) as session:
        assert _enqueue(session) is None
        assert _enqueue(session, requeue_queued_before=unit.queued_at) is None  # queued since then
        again = _enqueue(session, requeue_queued_before=utcnow() + dt.timedelta(seconds=1))
    assert again is not None and again.generation == 2 and again.state == WorkState.QUEUED
    assert (again.rows, again.last_error, again.finished_at) == (0, None, None)


def test_a_done_window_is_queued_again_half_a_cadence_after_it_was_queued_however_long_it_took(
        engine: Engine) -> None:
    """A 100,000-product seller's hourly products snapshot takes 33 minutes: counted from its
    end, the next hour's dispatch found it too recent, and it was read every other hour."""
    unit = _finished(engine, ok=True)
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(WorkUnit, unit.id)
        assert row is not None
        row.queued_at, row.finished_at = utcnow() - dt.timedelta(minutes=60), utcnow() - dt.timedelta(minutes=27)
        session.add(row)
        session.commit()
        again = _enqueue(session, requeue_queued_before=utcnow() - dt.timedelta(minutes=30))
    assert again is not None and again.generation == 2


@pytest.mark.parametrize("retry_failed", [True, False])
def test_a_failed_window_is_tried_again_when_asked(engine: Engine, retry_failed: bool) -> None:
    _finished(engine, ok=False)
    with Session(engine, expire_on_commit=False) as session:
        again = _enqueue(session, retry_failed=retry_failed)
    assert (again is not None) == retry_failed


def test_one_lease_at_a_time_and_a_dead_owners_lease_is_taken_over(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        unit = _enqueue(session)
        assert unit is not None
        assert ledger.claim(session, unit.id, "t1", -1, unit.generation).unit is not None  # a lease that has run out
        session.commit()
        taken = ledger.claim(session, unit.id, "t2", 60, unit.generation)  # t1 is gone: t2 takes over
        assert taken.unit is not None and taken.unit.lease_owner == "t2"
        refused = ledger.claim(session, unit.id, "t3", 60, unit.generation)
        assert (refused.unit, refused.reason, refused.owner) == (None, "already running", "t2")
        again = ledger.claim(session, unit.id, "t2", 60, unit.generation)  # t2 redelivered: its own lease
        assert again.unit is not None
        assert not ledger.finish(session, unit.id, "t1", True)  # type: ignore[arg-type]  # the old owner lost it
        assert ledger.finish(session, unit.id, "t2", True)  # type: ignore[arg-type]
        session.commit()


def test_a_running_units_lease_is_renewed_until_let_go_then_runs_out(engine: Engine, store: None) -> None:
    ttl, leases = 0.6, Leases()
    with Session(engine, expire_on_commit=False) as session:
        unit = _enqueue(session)
        assert unit is not None and ledger.claim(session, unit.id, "t1", ttl, unit.generation).unit is not None
        session.commit()

    def lease_until() -> dt.datetime:
        with Session(engine) as session:
            until = session.get(WorkUnit, unit.id).lease_until  # type: ignore[union-attr]
            assert until is not None
            return until.replace(tzinfo=dt.UTC)

    with leases.held(unit.id, "t1", ttl):
        first, deadline = lease_until(), time.monotonic() + 30
        while lease_until() < first + dt.timedelta(seconds=4 * ttl):  # renewed again and again, never run out
            assert lease_until() > utcnow() and time.monotonic() < deadline
            time.sleep(ttl / 10)
    let_go = lease_until()
    while utcnow() < let_go:
        time.sleep(ttl / 10)
    with Session(engine) as session:  # not renewed once let go: another wake-up takes the unit over
        assert ledger.claim(session, unit.id, "t2", 60, unit.generation).unit is not None


def test_a_wakeup_of_an_older_generation_or_a_finished_unit_runs_nothing(engine: Engine) -> None:
    unit = _finished(engine, ok=True)
    with Session(engine, expire_on_commit=False) as session:
        assert ledger.claim(session, unit.id, "t9", 60, unit.generation).reason == "already DONE"
        fresh = _enqueue(session, requeue_queued_before=utcnow() + dt.timedelta(seconds=1))
        assert fresh is not None
        stale = ledger.claim(session, fresh.id, "t9", 60, 1)
    assert stale.unit is None and stale.reason.startswith("stale wake-up")


def test_parked_units_past_due_queued_ones_never_sent_and_orphaned_leases_are_stranded(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        units = [ledger.enqueue(session, "a1", "wb.stocks_products", (day, day))
                 for day in (dt.date(2026, 11, d) for d in (1, 2, 3, 4))]
        parked, fresh, orphan, waiting = units
        assert parked and fresh and orphan and waiting
        ledger.mark_queued(session, [fresh.id])  # type: ignore[list-item]
        for unit, ttl in ((parked, 60), (orphan, -1), (waiting, 60)):
            ledger.claim(session, unit.id, f"t{unit.id}", ttl, unit.generation)
        ledger.park(session, parked.id, f"t{parked.id}", utcnow() - dt.timedelta(seconds=5))  # type: ignore[arg-type]
        ledger.park(session, waiting.id, f"t{waiting.id}", utcnow() + dt.timedelta(hours=1))  # type: ignore[arg-type]
        session.commit()
        found = {u.id for u in ledger.stranded(session, dt.timedelta(seconds=1))}
        assert found == {parked.id, orphan.id}  # the fresh one was sent just now; the other is not due
        assert {u.id for u in ledger.stranded(session, dt.timedelta(seconds=-5))} == {parked.id, fresh.id, orphan.id}
        ids = sorted(u.id for u in (parked, fresh, orphan) if u.id is not None)
        pages = [ledger.stranded(session, dt.timedelta(seconds=-5), after, limit=1)
                 for after in (0, *ids)]
        assert [[u.id for u in page] for page in pages] == [[i] for i in ids] + [[]]  # a page at a time, all of them


class Publisher:
    """Stands in for the Celery app: records what would be sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any], dict[str, Any]]] = []

    @contextmanager
    def producer_or_acquire(self) -> Iterator[SimpleNamespace]:
        yield SimpleNamespace(batch=nullcontext, maybe_declare=lambda queue: None)

    def send_task(self, name: str, args: list[Any], kwargs: dict[str, Any], producer: Any = None,
                  declare: Any = None, argsrepr: str = "", kwargsrepr: str = "") -> None:
        assert (argsrepr, kwargsrepr) == (repr(args), repr(kwargs))  # what Flower shows
        self.sent.append((name, args, kwargs))


def _unit(unit_id: int, job_id: int | None = None) -> WorkUnit:
    return WorkUnit(id=unit_id, account_id="a1", endpoint="wb.paid_storage" if job_id else "wb.stocks_products",
                    window_start=WINDOW[0], window_end=WINDOW[1], generation=3, job_id=job_id)


def test_a_parked_wakeup_is_released_once_when_due_and_never_before(redis_client: redis.Redis) -> None:
    app = Publisher()
    wakeups.park(redis_client, [_unit(1)], 0)
    wakeups.park(redis_client, [_unit(2, job_id=7)], 3600)
    assert wakeups.waiting(redis_client, [_unit(1), _unit(2, job_id=7), _unit(3)], 5) == [True, True, False]
    after = wakeups.release(app, redis_client)  # type: ignore[arg-type]
    assert app.sent == [("harvester.harvest", ["a1", "wb.stocks_products", "2026-11-01", "2026-11-01"],
                         {"gen": 3, "unit": 1})]
    assert after is not None and 3590 < after <= 3600
    assert wakeups.release(app, redis_client) is not None and len(app.sent) == 1  # type: ignore[arg-type]
    assert wakeups.waiting(redis_client, [_unit(1)], 5) == [True]  # in the broker now
    wakeups.taken(redis_client, 1)
    assert wakeups.waiting(redis_client, [_unit(1)], 5) == [False]


def test_a_dispatchs_wakeups_are_parked_in_batches_and_each_released_once(redis_client: redis.Redis,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """More units than a script call takes: every one parked with its own message, sent once."""
    monkeypatch.setattr(wakeups, "LINE_BATCH", 3)
    app, units = Publisher(), [_unit(i) for i in range(1, 9)]
    wakeups.park(redis_client, units, 0)
    assert wakeups.waiting(redis_client, units, 5) == [True] * 8
    while wakeups.release(app, redis_client, most=5) is not None:  # type: ignore[arg-type]
        pass
    assert sorted(kwargs["unit"] for _, _, kwargs in app.sent) == list(range(1, 9))


def test_a_wakeup_reserved_by_a_node_that_went_silent_is_stalled_not_waiting(redis_client: redis.Redis) -> None:
    wakeups.release(Publisher(), redis_client)  # type: ignore[arg-type]
    wakeups.park(redis_client, [_unit(1)], 0)
    wakeups.release(Publisher(), redis_client)  # type: ignore[arg-type]  # in the broker
    wakeups.received(redis_client, 1, "w1@host")
    wakeups.alive(redis_client, "w1@host")
    assert wakeups.waiting(redis_client, [_unit(1)], 5) == [True]  # its node holds it and lives
    redis_client.hset(wakeups.NODES, "w1@host", 0)  # silent since the epoch
    assert wakeups.waiting(redis_client, [_unit(1)], 5) == [False]


def test_parking_a_unit_again_moves_its_one_wakeup(redis_client: redis.Redis) -> None:
    app = Publisher()
    wakeups.park(redis_client, [_unit(2, job_id=7)], 3600)
    wakeups.park(redis_client, [_unit(2, job_id=7)], 0)
    wakeups.release(app, redis_client)  # type: ignore[arg-type]
    assert app.sent == [("harvester.flow_step", [7, "a1", "wb.paid_storage"], {"gen": 3, "unit": 2})]
    assert wakeups.release(app, redis_client) is None  # type: ignore[arg-type]


def test_a_note_of_a_wakeup_older_than_the_units_due_time_is_stale(redis_client: redis.Redis) -> None:
    """A worker took the wake-up before its note was written, and the unit parked since: the
    note must not hide a unit that needs waking."""
    wakeups.park(redis_client, [_unit(1)], 0)
    wakeups.release(Publisher(), redis_client)  # type: ignore[arg-type]
    later = _unit(1)
    later.due_at = utcnow() + dt.timedelta(minutes=1)
    assert wakeups.waiting(redis_client, [_unit(1)], 5) == [True]
    assert wakeups.waiting(redis_client, [later], 5) == [False]


def test_a_lined_wakeup_waits_its_turn_and_leaves_once_with_its_booked_token(redis_client: redis.Redis) -> None:
    limiter = Limiter(redis_client, Settings(_env_file=None, time_scale=1, reserve_horizon=30))  # type: ignore[call-arg]
    line = limiter.line("wb", "a1", get_endpoint("wb.stocks_products").first_call.limit, "personal")
    units = [_unit(i) for i in range(1, 6)]
    wakeups.line(redis_client, [(u, line, 10) for u in units])
    wakeups.line(redis_client, [(units[0], line, 10)])  # lined again: keeps its place
    assert wakeups.waiting(redis_client, units, 5) == [True] * 5
    app = Publisher()
    assert wakeups.release(app, redis_client) is None and app.sent == []  # type: ignore[arg-type]
    assert wakeups.admit(redis_client, limiter) == 3  # paced: one now, then one each 10 s (the 4th just past 30 s)
    wakeups.release(app, redis_client)  # type: ignore[arg-type]
    assert [kwargs["unit"] for _, _, kwargs in app.sent] == [1]
    booking = app.sent[0][2]["booked"]
    assert booking["group"] == line.group
    group = get_endpoint("wb.stocks_products").first_call.limit
    assert limiter.acquire("wb", "a1", group, "personal", ticket=booking["ticket"], due=booking["due"]).go
    assert wakeups.waiting(redis_client, units[1:], 5) == [True] * 4  # two parked with their tokens, two in line


def test_a_line_serves_lower_ranks_first_and_first_come_first_within_a_rank(redis_client: redis.Redis) -> None:
    limiter = Limiter(redis_client, Settings(_env_file=None, time_scale=1, reserve_horizon=0))  # type: ignore[call-arg]
    line = limiter.line("wb", "a1", get_endpoint("wb.stocks_products").first_call.limit, "personal")
    ranks = {1: 150, 2: 50, 3: 10, 4: 50, 5: 899}  # a catch-up tail, two tails, a snapshot, the last there can be
    for unit, rank in ranks.items():  # one at a time, so a unit lined later has a later time
        wakeups.line(redis_client, [(_unit(unit), line, rank)])
    assert [int(u) for u in redis_client.zrange(line.key, 0, -1)] == [3, 2, 4, 1, 5]
    assert wakeups.admit(redis_client, limiter) == 1  # paced: the head now, the rest over the next 40 s
    app = Publisher()
    wakeups.release(app, redis_client)  # type: ignore[arg-type]
    assert [kwargs["unit"] for _, _, kwargs in app.sent] == [3]
    assert [int(u) for u in redis_client.zrange(line.key, 0, -1)] == [2, 4, 1, 5]  # still waiting their turn



def test_units_of_many_lines_share_their_script_calls(redis_client: redis.Redis,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispatch cycle lines a few units in each of tens of thousands of lines (an account ×
    limit group each): a call per line cost most of the cycle."""
    monkeypatch.setattr(wakeups, "LINE_BATCH", 4)
    limiter = Limiter(redis_client, Settings(_env_file=None, time_scale=1))  # type: ignore[call-arg]
    group = get_endpoint("wb.stocks_products").first_call.limit
    lines = [limiter.line("wb", f"a{i}", group, "personal") for i in range(10)]
    calls, pipeline = [], redis_client.pipeline

    def counted(*args: Any, **kwargs: Any) -> Any:
        pipe = pipeline(*args, **kwargs)
        execute = pipe.execute
        pipe.execute = lambda: calls.append(len(pipe.command_stack)) or execute()  # type: ignore[method-assign]
        return pipe

    monkeypatch.setattr(redis_client, "pipeline", counted)
    wakeups.line(redis_client, [(_unit(i), line, 10) for i, line in enumerate(lines, start=1)])
    assert calls == [3]  # 10 units, 4 a call
    assert [[int(u) for u in redis_client.zrange(line.key, 0, -1)] for line in lines] == [[i] for i in range(1, 11)]
    assert wakeups.waiting(redis_client, [_unit(i) for i in range(1, 11)], 5) == [True] * 10


def test_units_lined_in_batches_across_lines_land_in_their_own_line_by_rank(
        redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wakeups, "LINE_BATCH", 2)
    limiter = Limiter(redis_client, Settings(_env_file=None, time_scale=1))  # type: ignore[call-arg]
    stocks = limiter.line("wb", "a1", get_endpoint("wb.stocks_products").first_call.limit, "personal")
    funnel = limiter.line("wb", "a1", get_endpoint("wb.funnel.products").first_call.limit, "personal")
    wakeups.line(redis_client, [(_unit(1), stocks, 50), (_unit(2), funnel, 10), (_unit(3), stocks, 10),
                                (_unit(4), stocks, 150), (_unit(5), stocks, 10)])
    assert [int(u) for u in redis_client.zrange(stocks.key, 0, -1)] == [3, 5, 1, 4]
    assert [int(u) for u in redis_client.zrange(funnel.key, 0, -1)] == [2]
    assert redis_client.hget(wakeups.LINED, "4") == stocks.name and redis_client.hget(wakeups.LINED, "2") == funnel.name
    assert wakeups.waiting(redis_client, [_unit(i) for i in range(1, 6)], 5) == [True] * 5
