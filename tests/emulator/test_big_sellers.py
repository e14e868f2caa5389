"""Big emulated sellers: a catalogue of tens of thousands of products is served page by page with
no more memory held than for a small one (the caches hold products, days and sort orders, never
a catalogue's rows)."""

import gc
import sys
import tracemalloc
from collections.abc import Callable
from datetime import date

from emulator.wb.data import funnel as fd
from emulator.wb.data import seller as data
from emulator.wb.routes import stocks as stock_routes

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
            if hasattr(cached, "cache_clear"):
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
    """40,000 products hold at most 4 bytes each more than 10,000 do (one sort order)."""
    small, big = _held(_pages(data.big_seller("warm", 10_000)),
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
