"""Big emulated sellers: a catalogue of tens of thousands of products is served page by page with
no more memory held than for a small one (the caches hold products, days and sort orders, and
the whole-catalogue snapshot answers compressed, never a catalogue's rows as objects)."""

import gc
import sys
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from emulator.common import builds
from emulator.common.clock import msk_day
from emulator.common.router import json_array_stream
from emulator.wb.data import csv_rows
from emulator.wb.data import funnel as fd
from emulator.wb.data import search as searchdata
from emulator.wb.data import seller as data
from emulator.wb.routes import stocks as stock_routes

from .conftest import WB

DAY = date(2026, 10, 1)
BODY = {
    "currentPeriod": {"start": DAY.isoformat(), "end": DAY.isoformat()},
    "stockType": "",
    "skipDeletedNm": False,
    "orderBy": {"field": "stockCount", "mode": "desc"},
    "availabilityFilters": [],
    "limit": 1000,
    "offset": 0,
}


def _held(warm: Callable[[], object], *serves: Callable[[], object]) -> list[int]:
    """Bytes each of `serves` leaves allocated once its answer is dropped. `warm` fills the
    bounded caches first (traced too, so what a later call evicts counts as freed): they are
    emptied before, or entries an earlier test left untraced would count as held once evicted."""
    for module in [m for name, m in sys.modules.items() if name.startswith("emulator.")]:
        for cached in vars(module).values():
            if hasattr(cached, "cache_clear") and not isinstance(cached, type):
                cached.cache_clear()
    tracemalloc.start()
    try:
        warm()
        held = []
        for serve in serves:
            gc.collect()
            before = tracemalloc.get_traced_memory()[0]
            serve()
            gc.collect()
            held.append(tracemalloc.get_traced_memory()[0] - before)
        return held
    finally:
        tracemalloc.stop()


def _pages(sid: str) -> Callable[[], object]:
    def serve() -> None:
        for offset in (0, 1000, 2000):
            stock_routes.select_products(0, sid, {**BODY, "offset": offset})
    return serve


def test_a_stocks_report_page_of_a_big_seller_is_its_rows_in_order():
    sid = data.big_seller("paged", 12_000)
    truth = sorted(data.stocks_products(0, sid, DAY, DAY), key=lambda i: -i["metrics"]["stockCount"])
    assert stock_routes.select_products(0, sid, {**BODY, "offset": 11_500}) == truth[11_500:]
    assert stock_routes.select_products(0, sid, BODY) == truth[:1000]


def test_paging_a_big_catalogue_holds_no_more_than_a_small_one():
    """40,000 products hold at most 4 bytes each more than 10,000 do (one sort order). The sort
    orders are made in the report builders' pool, so the warm-up also fills the bounded cache of
    products here, as any whole-catalogue answer made here would."""
    warm = data.big_seller("warm", 10_000)
    small, big = _held(lambda: (list(data.products(0, warm)), _pages(warm)()),
                       *(_pages(data.big_seller(f"held-{n}", n)) for n in (10_000, 40_000)))
    assert small < 500_000
    assert big < small + 4 * 30_000 + 500_000


def test_a_big_sellers_funnel_is_made_per_product_and_day_not_held():
    """A 40,000-product period held whole would be over 8 MB; what stays is the bounded cache
    turning over (its entries differ a little in size)."""
    def funnel(n: int) -> Callable[[], object]:
        return lambda: fd.period_funnel(0, data.big_seller(f"funnel-{n}", n), DAY, DAY)

    small, big = _held(funnel(40_000), funnel(10_000), funnel(40_000))
    assert small < 3_000_000 and big < 3_000_000


def test_a_history_call_for_a_few_cards_of_a_big_seller_makes_only_their_funnels(fast, monkeypatch):
    """Per-card history is asked 20 cards a call; making the whole catalogue's funnels for each
    call made reading a 20,000-card seller's history quadratic, and the emulator the bottleneck."""
    made = []
    monkeypatch.setattr(fd, "product_period", lambda seed, sid, p, start, end: made.append(p["nmID"]) or
                        fd.Funnel(*([0] * len(fd.Funnel._fields))))
    sid = data.big_seller("history", 40_000)
    wanted = [p["nmID"] for p in data.products(0, sid)[:20]]
    wb = WB(fast, sid)
    day = (msk_day(fast.clock.now()) - timedelta(days=1)).isoformat()
    body = {"selectedPeriod": {"start": day, "end": day}, "nmIds": wanted, "skipDeletedNm": False,
            "aggregationLevel": "day"}
    answer = wb.patient("POST", "/api/analytics/v3/sales-funnel/products/history", json=body)
    assert answer.status_code == 200, answer.text
    assert [item["product"]["nmId"] for item in answer.json()] == wanted
    assert sorted(made) == sorted(wanted)


def _made_in_pool(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the functions the report builders' pool is asked to run, from now on."""
    made: list[str] = []
    real = builds.submit
    monkeypatch.setattr(builds, "submit", lambda make, *args: made.append(make.__name__) or real(make, *args))
    return made


@pytest.mark.parametrize(("path", "asked", "cache", "make"), [
    ("/api/v2/stocks-report/offices", {"skipDeletedNm": False}, "_regions", "_make_regions"),
    ("/api/v2/stocks-report/products/groups",
     {"skipDeletedNm": False, "orderBy": {"field": "stockCount", "mode": "desc"}, "availabilityFilters": [],
      "offset": 0}, "_groups", "_make_groups"),
])
def test_a_whole_catalogue_snapshot_is_made_once_for_a_day_read_hourly(fast, monkeypatch, path, asked, cache, make):
    """/offices sums every product's cells and /groups lists them all; a client reads each
    hourly, the same answer all day."""
    getattr(stock_routes, cache).cache_clear()
    made = _made_in_pool(monkeypatch)
    wb = WB(fast, data.big_seller(f"snapshot{cache}", 5_000))
    day = msk_day(fast.clock.now()).isoformat()
    body = {"currentPeriod": {"start": day, "end": day}, "stockType": "", **asked}
    answers = [wb.patient("POST", path, json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert answers[0].content == answers[2].content and all(answers[0].json()["data"].values())
    assert made == [make]


def test_paging_the_search_details_of_a_big_seller_sorts_its_catalogue_once_not_once_a_page(fast, monkeypatch):
    """/table/details sorts every product found by its metrics; a client reads 1,000 a page, and
    each page made the whole catalogue's rows again. The order is made once, in the report
    builders' pool, and kept (ids, not rows)."""
    made = []
    real = csv_rows._card
    monkeypatch.setattr(csv_rows, "_card", lambda seed, sid, p: made.append(p["nmID"]) or real(seed, sid, p))
    orders = _made_in_pool(monkeypatch)
    sid = data.big_seller("details", 5_000)
    wb = WB(fast, sid)
    day = msk_day(fast.clock.now()) - timedelta(days=1)
    body = {"currentPeriod": {"start": day.isoformat(), "end": day.isoformat()}, "positionCluster": "all",
            "orderBy": {"field": "openCard", "mode": "desc"}, "limit": 1000, "offset": 0}
    seen: list[dict] = []
    while True:
        answer = wb.patient("POST", "/api/v2/search-report/table/details", json=body)
        assert answer.status_code == 200, answer.text
        seen += answer.json()["data"]["products"]
        if len(answer.json()["data"]["products"]) < body["limit"]:
            break
        body = body | {"offset": body["offset"] + body["limit"]}
    found = len(seen)
    assert found > 2_000 and body["offset"] >= 2_000  # several pages
    assert orders == ["_make_found"]  # the whole catalogue once, to sort it
    assert len(made) == found  # and here each product once, on its page
    assert seen == searchdata.products(fast.seed, sid, body | {"offset": 0})  # as one unpaged list


def test_a_big_sellers_paid_storage_file_is_made_as_it_is_sent_never_held():
    """Three days of a 10,000-product seller are about 9 MB of JSON (eight of a 100,000-product
    seller's, 200 MB); sending them holds one chunk of rows at a time. The bounded product
    cache is filled first, so its turnover is not counted as growth."""
    tracemalloc.start()
    try:
        list(data.products(0, data.big_seller("warm-storage", 10_000)))
        rows = data.paid_storage(0, data.big_seller("storage", 10_000), DAY, DAY + timedelta(days=2))
        answer = json_array_stream(rows)
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        assert answer.chunks is not None
        sent = sum(len(chunk) for chunk in answer.chunks)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert sent > 8_000_000 and peak < 1_500_000
