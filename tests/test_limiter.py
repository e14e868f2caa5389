"""The shared token bucket, on fakeredis and (in CI) on the real server."""

from __future__ import annotations

import json
import threading
import time

import pytest

from harvester.catalog.model import Call, LimitGroup, Rate
from harvester.core.settings import Settings
from harvester.pipeline.client import Client
from harvester.pipeline.gate import Gate, Wait
from harvester.pipeline.limiter import Limiter, Line

# 3 a minute, burst 3, scaled 600× so an Interval is 1/30 s of real time.
GROUP = LimitGroup("test.group", Rate(60, 3, 3), base=Rate(3600, 2, 1))
SCALE = 600.0


def _settings(**values: float) -> Settings:
    return Settings(_env_file=None, **{"time_scale": SCALE, **values})  # type: ignore[arg-type]


@pytest.fixture
def limiter(redis_client) -> Limiter:
    return Limiter(redis_client, _settings(reserve_horizon=0))


def test_burst_is_granted_at_once_then_the_caller_is_told_how_long_to_wait(limiter: Limiter) -> None:
    assert [limiter.acquire("wb", "a1", GROUP, "personal").go for _ in range(3)] == [True] * 3
    denied = limiter.acquire("wb", "a1", GROUP, "personal")
    assert not denied.go
    assert 0 < denied.wait <= 20 / SCALE + 0.004  # an interval, plus the clock-skew allowance
    assert denied.due == 0 and denied.ticket == ""  # horizon 0: nothing booked


def _take(limiter: Limiter, account: str = "a1", **kwargs: object) -> str:
    """Take a token and release its ticket at once, as a request with an instant answer would."""
    decision = limiter.acquire("wb", account, GROUP, "personal", **kwargs)  # type: ignore[arg-type]
    assert decision.go
    limiter.release("wb", account, GROUP, "personal", decision.ticket)
    return decision.ticket


def test_one_token_returns_after_one_interval(limiter: Limiter) -> None:
    for _ in range(3):
        _take(limiter)
    wait = limiter.acquire("wb", "a1", GROUP, "personal").wait
    time.sleep(wait + 0.005)
    assert limiter.acquire("wb", "a1", GROUP, "personal").go
    assert not limiter.acquire("wb", "a1", GROUP, "personal").go


def test_buckets_are_separate_per_account_and_group(limiter: Limiter) -> None:
    other = LimitGroup("test.other", Rate(60, 1, 1))
    for _ in range(3):
        limiter.acquire("wb", "a1", GROUP, "personal")
    assert limiter.acquire("wb", "a2", GROUP, "personal").go
    assert limiter.acquire("wb", "a1", other, "personal").go
    assert limiter.acquire("ym", "a1", GROUP, "personal").go


def test_base_tokens_get_the_base_row(limiter: Limiter) -> None:
    assert limiter.acquire("wb", "a1", GROUP, "base").go
    assert not limiter.acquire("wb", "a1", GROUP, "base").go  # burst 1


def test_a_booking_is_used_only_once_it_is_due(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(time_scale=60, reserve_horizon=60))  # a third of a second an interval
    for _ in range(3):
        _take(limiter)
    booked = limiter.acquire("wb", "a1", GROUP, "personal")
    assert not booked.go and booked.due > 0 and booked.ticket
    early = limiter.acquire("wb", "a1", GROUP, "personal", ticket=booked.ticket, due=booked.due)
    assert not early.go and early.due == booked.due  # still ours, still not due
    second = limiter.acquire("wb", "a1", GROUP, "personal")
    assert second.due > booked.due  # the next caller queues behind the booking
    time.sleep(booked.wait + 0.005)
    assert limiter.acquire("wb", "a1", GROUP, "personal", ticket=booked.ticket, due=booked.due).go
    again = limiter.acquire("wb", "a1", GROUP, "personal", ticket=booked.ticket, due=booked.due)
    assert not again.go and again.due > booked.due  # used up: now an ordinary caller, behind `second`


def test_late_bookings_presented_together_never_outnumber_the_burst(redis_client) -> None:
    # A token every 0.33 s: a loaded machine's pauses between two calls (CI beside another
    # suite took more than the 33 ms of SCALE) must not let a token come and be granted
    # where the test needs a booking.
    scale = 60.0
    limiter = Limiter(redis_client, _settings(time_scale=scale, reserve_horizon=60))
    for _ in range(3):
        _take(limiter)
    bookings = []
    for _ in range(40):  # callers keep booking while the booked tasks sit in a busy worker's queue
        decision = limiter.acquire("wb", "a1", GROUP, "personal")
        bookings += [decision] if decision.due else []
        if len(bookings) == 5:
            break
        time.sleep(20 / scale / 2)
    assert len(bookings) == 5
    time.sleep(max(b.wait for b in bookings) + 5 * 20 / scale)  # every one is due, and late
    granted = [limiter.acquire("wb", "a1", GROUP, "personal", ticket=b.ticket, due=b.due).go for b in bookings]
    assert sum(granted) <= 3  # the API's bucket, idle all along, holds Burst tokens and no more


def test_waits_beyond_the_horizon_book_nothing(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=30))
    for _ in range(3):
        limiter.acquire("wb", "a1", GROUP, "personal")
    first = limiter.acquire("wb", "a1", GROUP, "personal")  # due in 20 s: booked
    second = limiter.acquire("wb", "a1", GROUP, "personal")  # due in 40 s: beyond 30 s
    assert first.due and not second.due
    assert second.wait == pytest.approx(40, abs=0.5)


def test_a_pause_stops_everyone_including_bookings_and_empties_the_bucket(limiter: Limiter) -> None:
    limiter.pause("wb", "a1", GROUP, api_seconds=30)
    denied = limiter.acquire("wb", "a1", GROUP, "personal")
    assert not denied.go and 0 < denied.wait <= 30 / SCALE  # less by the time since the pause
    assert not limiter.acquire("wb", "a1", GROUP, "personal", ticket="t", due=1).go
    time.sleep(denied.wait + 0.005)
    # 30 s of refill from empty: 1.5 tokens, never the full burst of 3 (a slow host may add a few s)
    assert 1 <= sum(limiter.acquire("wb", "a1", GROUP, "personal").go for _ in range(3)) < 3
    assert limiter.acquire("wb", "a2", GROUP, "personal").go  # other accounts untouched


def test_a_shorter_pause_never_shortens_a_longer_one(limiter: Limiter) -> None:
    limiter.pause("wb", "a1", GROUP, api_seconds=6000)  # 10 s real: a slow machine cannot eat the margin
    limiter.pause("wb", "a1", GROUP, api_seconds=1)
    assert limiter.acquire("wb", "a1", GROUP, "personal").wait > 5000 / SCALE


def test_concurrent_callers_never_get_more_than_burst_plus_refill(limiter: Limiter) -> None:
    grants: list[float] = []
    start = time.monotonic()
    stop = start + 0.5

    def worker() -> None:
        while time.monotonic() < stop:
            decision = limiter.acquire("wb", "a1", GROUP, "personal")
            if decision.go:
                grants.append(time.monotonic())
                limiter.release("wb", "a1", GROUP, "personal", decision.ticket)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    interval = 20 / SCALE
    assert len(grants) <= 3 + elapsed / interval + 1
    assert len(grants) >= 3 + 0.5 / interval * 0.5  # and the bucket is actually used


def test_a_request_in_flight_caps_the_bucket_while_the_api_may_sit_at_burst(limiter: Limiter) -> None:
    slow = limiter.acquire("wb", "a1", GROUP, "personal")  # sent, but no answer yet
    time.sleep(3 * 20 / SCALE)  # three intervals: a bucket without tickets would be full again
    assert [limiter.acquire("wb", "a1", GROUP, "personal").go for _ in range(3)] == [True, True, False]
    limiter.release("wb", "a1", GROUP, "personal", slow.ticket)


def test_a_release_settles_refill_under_the_old_cap(limiter: Limiter) -> None:
    tickets = [limiter.acquire("wb", "a1", GROUP, "personal").ticket for _ in range(3)]
    time.sleep(3 * 20 / SCALE)  # the API's bucket was empty and refilled from when these arrived
    for ticket in tickets:
        limiter.release("wb", "a1", GROUP, "personal", ticket)
    # The answers are back, but the refill while three were in flight was capped at zero:
    assert not limiter.acquire("wb", "a1", GROUP, "personal").go


def test_a_ticket_whose_worker_died_expires(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(in_flight_ttl=0.05, reserve_horizon=0))
    for _ in range(3):
        limiter.acquire("wb", "a1", GROUP, "personal")  # never released
    time.sleep(0.06)
    assert not limiter.acquire("wb", "a1", GROUP, "personal").go  # prunes them; refill was capped till now
    time.sleep(2 * 20 / SCALE + 0.005)  # from here the bucket refills as usual
    assert [limiter.acquire("wb", "a1", GROUP, "personal").go for _ in range(3)] == [True, True, False]


def test_a_booking_outlives_a_pause(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(reserve_horizon=60))
    for _ in range(3):
        _take(limiter)
    booked = limiter.acquire("wb", "a1", GROUP, "personal")
    limiter.pause("wb", "a1", GROUP, api_seconds=60)
    paused = limiter.acquire("wb", "a1", GROUP, "personal", ticket=booked.ticket, due=booked.due)
    assert not paused.go and paused.due == booked.due and paused.wait == pytest.approx(60 / SCALE, abs=0.01)




# --- Lines: work waiting its turn at a bucket, admitted as tokens come within the horizon ------

LINED, BOOKINGS, LINES = "t:parked", "t:bookings", "t:lines"


def _line_up(redis_client, limiter: Limiter, units: int) -> Line:
    line = limiter.line("wb", "a1", GROUP, "personal")
    redis_client.zadd(line.key, {f"u{i}": i for i in range(units)})
    redis_client.zadd(LINES, {line.name: 0})
    return line


def _now_ms(redis_client) -> float:
    seconds, micros = redis_client.time()
    return seconds * 1000 + micros / 1000


def test_a_line_is_admitted_in_order_as_far_as_the_horizon_allows(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=30))  # an interval is 20 s
    line = _line_up(redis_client, limiter, 6)
    now = _now_ms(redis_client)
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 3  # paced: the last of 6 goes in 60 s, one each 12 s
    parked = dict(redis_client.zrange(LINED, 0, -1, withscores=True))
    assert list(parked) == ["u0", "u1", "u2"]
    assert [parked[f"u{i}"] - now for i in range(3)] == [pytest.approx(s, abs=500) for s in (0, 12_000, 24_000)]
    assert redis_client.zrange(line.key, 0, -1) == ["u3", "u4", "u5"]
    assert redis_client.zscore(LINES, line.name) == pytest.approx(now + 6_000, abs=500)  # u3's turn, in 36 s
    # what the line booked is the bucket's: a caller outside it gets the next token, booked
    assert limiter.acquire("wb", "a1", GROUP, "personal").wait == pytest.approx(20, abs=0.5)
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 0  # u3's token is now 40 s off
    booking = json.loads(redis_client.hget(BOOKINGS, "u0"))
    assert booking["group"] == GROUP.name
    assert limiter.acquire("wb", "a1", GROUP, "personal", ticket=booking["ticket"], due=booking["due"]).go


@pytest.mark.parametrize(("units", "dues"), [
    (6, (0, 12, 24, 36, 48, 60)),  # spending the burst at once: 0, 0, 0, 20, 40, 60
    (3, (0, 0, 0)),  # no longer than the burst: all at once
    (1, (0,)),
])
def test_a_long_line_is_paced_to_end_when_spending_its_burst_at_once_would(redis_client, units, dues) -> None:
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=100))
    line = _line_up(redis_client, limiter, units)
    now = _now_ms(redis_client)
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == units
    parked = [due - now for _, due in redis_client.zrange(LINED, 0, -1, withscores=True)]
    assert parked == [pytest.approx(1000 * s, abs=500) for s in dues]


def test_an_empty_line_leaves_the_index_and_a_paused_one_waits_out_the_pause(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=45))
    line = _line_up(redis_client, limiter, 2)
    limiter.pause("wb", "a1", GROUP, api_seconds=60)
    now = _now_ms(redis_client)
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 0
    assert redis_client.zscore(LINES, line.name) == pytest.approx(now + 60_000, abs=500)
    redis_client.delete(line.name + ":pause")
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 2  # the pause emptied the bucket: due in 20 and 40 s
    assert redis_client.zscore(LINES, line.name) is None
    assert [due - now for _, due in redis_client.zrange(LINED, 0, -1, withscores=True)] == [
        pytest.approx(20_000, abs=500), pytest.approx(40_000, abs=500)]


def test_a_unit_in_the_middle_of_its_work_yields_to_one_that_ranks_before_it_in_the_line(redis_client) -> None:
    """A per-product tail booked token after token straight from the bucket, and a snapshot
    waiting in the line never got one while the tail lasted (the line books only what is left)."""
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=30))
    line = limiter.line("wb", "a1", GROUP, "personal")
    now = _now_ms(redis_client)
    redis_client.zadd(line.key, {"snapshot": 10 * 1e13 + now})  # rank 10, lined just now
    tail = limiter.acquire("wb", "a1", GROUP, "personal", rank=50)
    assert not tail.go and tail.due == 0 and tail.ticket == "" and tail.wait > 0  # to the line, at its rank
    later = limiter.acquire("wb", "a1", GROUP, "personal", rank=10)  # same rank, come later: after it
    assert not later.go and later.due == 0
    assert limiter.acquire("wb", "a1", GROUP, "personal", rank=5).go  # ranks before it
    assert limiter.acquire("wb", "a1", GROUP, "personal").go  # no rank: a person's or a test's call
    redis_client.delete(line.key)
    assert limiter.acquire("wb", "a1", GROUP, "personal", rank=50).go  # the line is empty


@pytest.mark.parametrize("between_pages", [True, False])
def test_a_unit_between_two_pages_keeps_its_turn_over_one_that_ranks_after_it(redis_client, between_pages) -> None:
    """A snapshot needing every token of its bucket, and a tail always waiting: the tail was
    booked the next token while the snapshot loaded its page, so they took turns."""
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=30))  # an interval is 20 s
    line = limiter.line("wb", "a1", GROUP, "personal")
    now = _now_ms(redis_client)
    for _ in range(3):  # the burst: the snapshot's pages, or calls of no unit
        assert limiter.acquire("wb", "a1", GROUP, "personal", rank=10 if between_pages else None).go
    tail = limiter.acquire("wb", "a1", GROUP, "personal", rank=50)  # asking itself, between its own calls
    if not between_pages:
        assert tail.ticket and tail.wait == pytest.approx(20, abs=0.5)  # nobody ranks before it: booked
        return
    assert not tail.go and tail.due == 0 and tail.wait == pytest.approx(20, abs=0.5)  # to the line
    redis_client.zadd(line.key, {"tail": 50 * 1e13 + now})
    redis_client.zadd(LINES, {line.name: 0})
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 0
    assert redis_client.zscore(LINES, line.name) == pytest.approx(now + 20_000, abs=500)  # when the token is in hand
    page = limiter.acquire("wb", "a1", GROUP, "personal", rank=10)  # the snapshot's next page, a round trip later
    assert page.ticket and page.wait == pytest.approx(20, abs=0.5)
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 0  # the tail's token is the one after
    assert redis_client.zscore(LINES, line.name) == pytest.approx(now + 40_000, abs=500)


def test_a_unit_admitted_from_the_line_keeps_its_turn_between_its_pages(redis_client) -> None:
    """A snapshot starting while the tail held the bucket came in through the line, and
    admission booked the tail's next token a horizon ahead while the snapshot loaded its first
    page: the snapshot's next page found the token after that beyond the horizon, lined up
    again, and the two took turns for the whole snapshot (the agency bench at 18×)."""
    limiter = Limiter(redis_client, _settings(time_scale=1, reserve_horizon=50))  # an interval is 20 s
    line = limiter.line("wb", "a1", GROUP, "personal")
    for _ in range(3):
        _take(limiter, rank=50)  # the tail, mid-work: the burst is spent
    now = _now_ms(redis_client)
    redis_client.zadd(line.key, {"snapshot": 10 * 1e13 + now, "tail": 50 * 1e13 + now - 1})
    redis_client.zadd(LINES, {line.name: 0})
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 1  # the snapshot; the tail is not booked ahead of it
    assert redis_client.zrange(LINED, 0, -1) == ["snapshot"]
    page = limiter.acquire("wb", "a1", GROUP, "personal", rank=10)  # its next page, its first loading
    assert page.ticket and page.wait == pytest.approx(40, abs=0.5)  # the token after its own


def test_a_token_the_unit_between_pages_leaves_goes_to_the_one_after_it(redis_client) -> None:
    limiter = Limiter(redis_client, _settings(reserve_horizon=60))  # an interval is 1/30 s
    line = limiter.line("wb", "a1", GROUP, "personal")
    for _ in range(3):
        _take(limiter, rank=10)  # the snapshot's pages, their answers back
    redis_client.zadd(line.key, {"tail": 50 * 1e13 + _now_ms(redis_client)})
    redis_client.zadd(LINES, {line.name: 0})
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 0  # not booked ahead of the snapshot
    time.sleep(0.05)  # a token comes in, and the snapshot, its page still loading, does not ask
    assert limiter.admit(line, LINED, BOOKINGS, LINES) == 1
    assert redis_client.zscore(LINED, "tail") <= _now_ms(redis_client)  # due now


class _Seller:
    """What a gate reads of an account to find its budgets."""

    marketplace = "wb"

    def limit_tier(self) -> str:
        return "personal"

    def budget_owner(self) -> str:
        return "a1"


def test_a_gate_sends_its_units_next_call_to_the_line_behind_a_better_ranked_unit(redis_client) -> None:
    settings = _settings(time_scale=1, reserve_horizon=30)
    limiter = Limiter(redis_client, settings)
    line = limiter.line("wb", "a1", GROUP, "personal")
    redis_client.zadd(line.key, {"snapshot": 10 * 1e13 + _now_ms(redis_client)})
    call = Call("POST", "/api/v2/stocks-report/products/sizes", GROUP)
    tail = Gate(limiter, Client(settings), redis_client, settings, rank=50)
    with pytest.raises(Wait) as waited:
        tail.acquire(_Seller(), call)  # type: ignore[arg-type]
    assert waited.value.line == line and waited.value.booking is None
    Gate(limiter, Client(settings), redis_client, settings, rank=5).acquire(_Seller(), call)  # type: ignore[arg-type]


# --- Yandex Market: windows of items per entity, in-flight slots -----------------------------

ITEMS = LimitGroup("test.items", Rate(60, 2000, 0), medium=Rate(60, 5000, 0), window=True, per_entity=True)


def test_a_window_admits_items_up_to_its_budget_and_counts_a_charge_from_its_answer(limiter: Limiter) -> None:
    taken = [limiter.acquire_window("ym", "a1", ITEMS, "none", "campaigns:1", 500) for _ in range(4)]
    assert all(d.go for d in taken)
    refused = limiter.acquire_window("ym", "a1", ITEMS, "none", "campaigns:1", 1)
    assert not refused.go and refused.wait == pytest.approx(1 / SCALE, abs=0.01)  # answers pending: look again soon
    for decision in taken:
        limiter.release_window("ym", "a1", ITEMS, "campaigns:1", decision.ticket)
    waiting = limiter.acquire_window("ym", "a1", ITEMS, "none", "campaigns:1", 1)
    assert not waiting.go and 0.09 < waiting.wait <= 60 / SCALE + 0.01  # the oldest answer leaves the window
    assert limiter.acquire_window("ym", "a1", ITEMS, "none", "campaigns:2", 500).go  # another campaign
    assert limiter.acquire_window("ym", "a1", ITEMS, "medium", "campaigns:3", 500).go
    time.sleep(waiting.wait + 0.01)
    assert limiter.acquire_window("ym", "a1", ITEMS, "none", "campaigns:1", 500).go


def test_the_medium_subscription_gets_the_larger_budget(limiter: Limiter) -> None:
    decisions = [limiter.acquire_window("ym", "a1", ITEMS, "medium", "c", 500) for _ in range(11)]
    assert [d.go for d in decisions] == [True] * 10 + [False]


def test_a_request_that_can_never_fit_is_a_catalog_error(limiter: Limiter) -> None:
    with pytest.raises(ValueError, match="can never fit"):
        limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 2001)


def test_a_window_pause_stops_the_resource_until_its_until_time(limiter: Limiter) -> None:
    limiter.pause_window("ym", "a1", ITEMS, "c", 30)
    paused = limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 1)
    assert not paused.go and 30 / SCALE - 0.03 < paused.wait <= 30 / SCALE  # less whatever time has passed
    assert limiter.acquire_window("ym", "a1", ITEMS, "none", "other", 1).go


def test_at_most_cap_slots_are_in_flight_per_entity_and_a_release_frees_one(limiter: Limiter) -> None:
    slots = [limiter.take_slot("ym", "a1", "campaigns:1", 4) for _ in range(5)]
    assert all(slots[:4]) and slots[4] == ""
    assert limiter.take_slot("ym", "a1", "campaigns:2", 4)
    limiter.release_slot("ym", "a1", "campaigns:1", slots[0])
    assert limiter.take_slot("ym", "a1", "campaigns:1", 4)


def test_concurrent_window_callers_never_overspend(limiter: Limiter) -> None:
    granted: list[int] = []

    def worker() -> None:
        for _ in range(10):
            if limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 300).go:
                granted.append(300)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 1800  # six fit into 2,000; nothing was answered, so nothing more


def test_a_refunded_charge_frees_its_units_at_once(limiter: Limiter) -> None:
    taken = [limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 500) for _ in range(4)]
    assert not limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 500).go
    limiter.refund_window("ym", "a1", ITEMS, "c", taken[0].ticket)  # answered 5xx: YM charged nothing
    assert limiter.acquire_window("ym", "a1", ITEMS, "none", "c", 500).go


def test_two_entries_for_one_seller_share_one_budget(redis_client, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API counts per seller: two accounts-file entries with the seller's token must not
    double its rate (the 429s that followed), and `accounts check` says they share."""
    from emulator import make_wb_token
    from harvester.catalog import get_endpoint
    from harvester.core.accounts import Account
    from harvester.ops.checks import shared_budgets
    from harvester.pipeline.client import Client
    from harvester.pipeline.gate import Gate, Wait

    for var, seller in (("HV_ONE_A", "one"), ("HV_ONE_B", "one"), ("HV_OTHER", "other")):
        monkeypatch.setenv(var, make_wb_token(seller, ["analytics"]))
    first, second, other = (Account(id=i, marketplace="wb", token_env=v)
                            for i, v in (("one-a", "HV_ONE_A"), ("one-b", "HV_ONE_B"), ("x", "HV_OTHER")))
    settings = _settings(time_scale=1, reserve_horizon=0)
    gate = Gate(Limiter(redis_client, settings), Client(settings), redis_client, settings)
    call = get_endpoint("wb.stocks_products").first_call  # burst 3
    for account in (first, second, first):
        gate.acquire(account, call)
        gate.close()
    with pytest.raises(Wait):
        gate.acquire(second, call)  # the seller's burst is spent, by either entry
    gate.acquire(other, call)  # another seller: its own bucket
    gate.close()
    assert shared_budgets([first, second, other]) == {"one-a": ["one-b"], "one-b": ["one-a"]}
