"""A catalogue too big for a day's budget is read in rotation: each window goes on after the id
read last, wraps around once, and ends with its day; every id is read once per cycle."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import fakeredis
import pytest
import requests
from sqlalchemy import insert

from harvester.catalog import get_endpoint, source_table
from harvester.core.accounts import Account
from harvester.core.clock import MOSCOW
from harvester.models.tables import table_of
from harvester.ops.metrics import render
from harvester.ops.status import status_rows
from harvester.pipeline import harvest
from harvester.pipeline.gate import Wait
from harvester.pipeline.harvest import Progress, harvest_window
from harvester.pipeline.store.db import get_engine, session_scope
from harvester.pipeline.store.ids import Coverage, coverage

ENDPOINT = get_endpoint("wb.stocks_sizes")
ACCOUNT = Account(id="big", marketplace="wb", token_env="T")
DAY = dt.date(2026, 3, 1)
PRODUCTS = 10


@pytest.fixture(autouse=True)
def catalogue(store: None) -> None:
    _catalogue(PRODUCTS)


def _catalogue(products: int) -> None:
    """The stocks report's products (the ids' source), one of them deleted: it is never read."""
    assert ENDPOINT.ids is not None
    table = source_table(ENDPOINT.ids)
    blank = {bool: False, int: 0, float: 0.0, Decimal: Decimal(0), dt.date: DAY, dict: [], list: []}  # else a string
    base = {c.name: blank.get(c.type.python_type, "") for c in table.columns if not c.nullable}
    rows = [{**base, "account_id": ACCOUNT.id, "nm_id": nm} for nm in range(1, products + 1)]
    rows.append({**base, "account_id": ACCOUNT.id, "nm_id": products + 1, "is_deleted": True})
    with session_scope() as session:
        session.execute(insert(table), rows)


class Day:
    """The Moscow day, which turns after `budget` requests: what a day's bucket affords."""

    def __init__(self, budget: int | None) -> None:
        self.today, self.budget, self.sent = DAY, budget, 0

    def spend(self) -> None:
        self.sent += 1
        if self.budget is not None and self.sent % self.budget == 0:
            self.today += dt.timedelta(days=1)


class Gate:
    """Answers every product with no sizes; waits once, before the request numbered `wait_at`."""

    def __init__(self, day: Day, wait_at: int | None = None) -> None:
        self.day, self.wait_at, self.read = day, wait_at, []

    def fetch(self, account: Account, request: Any, call: Any, booking: Any = None) -> requests.Response:
        if self.wait_at is not None and len(self.read) == self.wait_at and booking is None:
            raise Wait(1.0, booking={"token": 1})
        self.read.append(request.json["nmID"])
        self.day.spend()
        answer = requests.Response()
        answer.status_code, answer._content = 200, b'{"data": {"sizes": [], "offices": []}}'
        return answer


def _window(day: Day, gate: Gate, progress: Progress | None = None) -> Progress:
    """One window of the day it is, run until it ends (a Wait resumes it from its saved progress)."""
    window = (day.today, day.today)
    progress = progress or Progress()
    try:
        harvest_window(gate, ACCOUNT, ENDPOINT, window, progress)  # type: ignore[arg-type]
    except Wait as wait:  # parked: the ledger keeps the progress as JSON, and the booking
        saved = Progress(**json.loads(json.dumps(asdict(progress))))
        saved.booked = wait.booking
        harvest_window(gate, ACCOUNT, ENDPOINT, window, saved)
    return progress


@pytest.fixture
def days(monkeypatch: pytest.MonkeyPatch) -> Day:
    day = Day(budget=4)
    monkeypatch.setattr(harvest, "today", lambda: day.today)
    return day


def test_each_window_goes_on_after_the_last_id_read_and_wraps_around(days: Day) -> None:
    gate = Gate(days)
    for _ in range(3):
        _window(days, gate)
    assert gate.read == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2]  # 4 a day; the deleted 11 never


def test_a_window_with_budget_enough_reads_every_id_once_and_stops_where_it_began(days: Day) -> None:
    gate = Gate(days)
    _window(days, gate)  # 1-4, then the day turns
    days.budget = None
    _window(days, gate)
    assert gate.read[4:] == [5, 6, 7, 8, 9, 10, 1, 2, 3, 4]


def test_a_window_parked_after_it_wrapped_resumes_on_the_ids_before_its_start(days: Day) -> None:
    gate = Gate(days)
    _window(days, gate)
    _window(days, gate)  # 5-8
    days.budget = None
    gate.wait_at = len(gate.read) + 3  # parked after 9, 10 and 1
    _window(days, gate)
    assert gate.read[8:] == [9, 10, 1, 2, 3, 4, 5, 6, 7, 8]


def test_a_window_whose_day_is_over_reads_nothing(days: Day) -> None:
    gate = Gate(days)
    late = (days.today - dt.timedelta(days=1),) * 2
    assert harvest_window(gate, ACCOUNT, ENDPOINT, late, Progress()) == 0  # type: ignore[arg-type]
    assert gate.read == []


def test_coverage_counts_the_ids_read_in_the_newest_window_and_the_stalest_last_read(days: Day) -> None:
    def measured() -> Coverage:
        assert ENDPOINT.ids is not None
        with session_scope() as session:
            return coverage(session, source_table(ENDPOINT.ids), table_of(ENDPOINT.model), ACCOUNT, ENDPOINT.ids)

    assert measured() == Coverage(ids=PRODUCTS, read=0, never=PRODUCTS, oldest=None)
    gate = Gate(days)
    _window(days, gate)
    assert measured() == Coverage(ids=PRODUCTS, read=4, never=6, oldest=DAY)
    for _ in range(2):
        _window(days, gate)  # 5-8 on day 2; 9, 10, 1, 2 on day 3
    assert measured() == Coverage(ids=PRODUCTS, read=4, never=0, oldest=DAY)  # 3 and 4, read on day 1


def test_status_shows_the_rotation_of_the_endpoints_read_in_rotation(days: Day) -> None:
    gate = Gate(days)
    for _ in range(2):
        _window(days, gate)
    rows = {row["endpoint"]: row for row in status_rows(get_engine(), {ACCOUNT.id: ACCOUNT})}
    expected = {"ids": PRODUCTS, "coverage": 0.4, "never_read": 2, "oldest_read": DAY.isoformat()}  # 9, 10 never
    assert rows["wb.stocks_sizes"].items() >= expected.items()
    assert rows["wb.stocks_products"]["ids"] is None  # read whole in each window


def test_metrics_show_the_lowest_coverage_the_stalest_read_and_the_ids_never_read(days: Day) -> None:
    gate = Gate(days)
    for _ in range(2):
        _window(days, gate)
    text = render(fakeredis.FakeRedis(decode_responses=True), get_engine(), lambda: {ACCOUNT.id: ACCOUNT})
    assert 'harvester_rotation_coverage_ratio{endpoint="wb.stocks_sizes"} 0.4' in text
    assert 'harvester_rotation_never_read{endpoint="wb.stocks_sizes"} 2.0' in text
    age = next(line for line in text.splitlines() if line.startswith("harvester_rotation_oldest_read_age_seconds{"))
    start = dt.datetime.combine(DAY, dt.time(), MOSCOW)
    assert float(age.split()[-1]) == pytest.approx((dt.datetime.now(dt.UTC) - start).total_seconds(), abs=60)


def test_a_window_keeps_the_cpu_its_parsing_and_loading_took(days: Day) -> None:
    """What a harvest spends on turning answers into rows, apart from the rest (the workers'
    `harvester_load_cpu_seconds_total`, which bench_waiting leaves out of its figure)."""
    progress = _window(days, Gate(days))
    assert progress.load_cpu > 0
    assert Progress(**json.loads(json.dumps(asdict(progress)))).load_cpu == progress.load_cpu  # parked with it
