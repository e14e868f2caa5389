import tracemalloc
import uuid
from collections import Counter
from datetime import date, timedelta

import pytest

from emulator import seller_id
from emulator.wb.data import seller as data

START, END = date(2026, 9, 20), date(2026, 10, 19)


def test_catalogue_sizes_are_deterministic_and_in_range():
    sizes = [len(data.products(0, seller_id(f"seller-{i}"))) for i in range(60)]
    assert all(40 <= n <= 2600 for n in sizes)
    assert any(n > 1000 for n in sizes) and any(n < 1000 for n in sizes)
    assert list(data.products(0, seller_id("acme"))) == list(data.products(0, seller_id("acme")))
    assert list(data.products(0, seller_id("acme"))) != list(data.products(1, seller_id("acme")))


def test_a_big_sellers_sid_says_its_size_and_any_product_is_found_by_nmid():
    sid = data.big_seller("agency-giant", 100_000)
    catalogue = data.products(0, sid)
    assert len(catalogue) == 100_000 and uuid.UUID(sid)
    last = catalogue[-1]
    assert catalogue[99_999] == last and last["vendorCode"].endswith("-100000")
    assert catalogue[0]["nmID"] < catalogue[1]["nmID"] < catalogue[50_000]["nmID"] < last["nmID"] < 2**31
    assert catalogue.position(last["nmID"]) == 99_999 and catalogue.by_nm(last["nmID"]) == last
    assert catalogue.get(last["nmID"] + 1) is None and catalogue.get(1) is None
    with pytest.raises(KeyError):
        catalogue.position(last["nmID"] + 1)
    with pytest.raises(IndexError):
        catalogue[100_000]
    with pytest.raises(ValueError, match="1 to 100,000 products"):
        data.big_seller("too-big", 100_001)


def test_a_big_catalogue_is_made_product_by_product_not_held():
    """Walking 100,000 products leaves no more memory held than walking 20,000: what stays is the
    bounded product cache (warmed first), not the catalogue."""
    held = []
    sum(1 for _ in data.products(0, data.big_seller("walk-warm", 20_000)))
    for size in (20_000, 100_000):
        catalogue = data.products(0, data.big_seller(f"walk-{size}", size))
        tracemalloc.start()
        assert sum(1 for _ in catalogue) == size
        held.append(tracemalloc.get_traced_memory())
        tracemalloc.stop()
    (some_now, some_peak), (all_now, all_peak) = held
    assert all_now < some_now + 1_000_000 and all_peak < some_peak + 1_000_000  # 80,000 more products held: 70 MB


def test_products_look_like_a_catalogue():
    items = data.products(0, seller_id("acme"))
    nm_ids = [p["nmID"] for p in items]
    assert nm_ids == sorted(set(nm_ids))
    assert all(p["mainPhoto"].startswith("https://basket-") for p in items)
    deleted = sum(p["isDeleted"] for p in items) / len(items)
    assert 0 < deleted < 0.1


def test_stocks_products_follow_the_schema_rules():
    sid = seller_id("acme")
    rows = data.stocks_products(0, sid, START, END)
    assert rows == data.stocks_products(0, sid, START, END)
    assert [r["nmID"] for r in rows] == [p["nmID"] for p in data.products(0, sid)]
    for row in rows:
        m = row["metrics"]
        assert [(p["start"], p["end"]) for p in m["avgOrdersByMonth"]] == [
            ("2026-09-01", "2026-09-30"),
            ("2026-10-01", "2026-10-31"),
        ]
        assert m["buyoutCount"] <= m["ordersCount"]
        assert m["stockSum"] == m["stockCount"] * m["currentPrice"]["minPrice"]
        assert m["currentPrice"]["minPrice"] <= m["currentPrice"]["maxPrice"]
        for name in ("lostOrdersCount", "lostOrdersSum", "lostBuyoutsCount", "lostBuyoutsSum"):
            assert isinstance(m[name], float)
    hours = Counter(r["metrics"]["officeMissingTime"]["hours"] for r in rows)
    assert hours[-2] and hours[-4]
    assert any(r["metrics"]["lostOrdersCount"] == -2 for r in rows)
    assert any(r["metrics"]["saleRate"]["hours"] == -2 for r in rows)


def test_paid_storage_rows_are_unique_and_a_days_rows_grow_with_the_catalogue():
    """15 to 50 % of a catalogue lies in WB warehouses, each product in 1 to 3 of them (none for
    a seller shipping from its own); a day's rows are about 0.3 to 1.5 a product, whatever the size."""
    shares, per_day = [], []
    for sid in [seller_id(f"seller-{i}") for i in range(30)] + [data.big_seller("stored", 20_000)]:
        rows = list(data.paid_storage(0, sid, START, START + timedelta(days=8)))
        keys = [
            (r["date"], r["officeId"], r["giId"], r["chrtId"], r["barcode"], r["calcType"], r["originalDate"])
            for r in rows
        ]
        assert len(keys) == len(set(keys))
        counts = Counter(r["date"] for r in rows)
        per_day += [counts.get((START + timedelta(days=d)).isoformat(), 0) for d in range(9)]
        shares += [n / data.catalogue_size(0, sid) for n in counts.values()]
    assert 0 in per_day
    assert max(per_day) > 10_000  # the 20,000-product seller's
    assert sum(0.2 <= share <= 1.6 for share in shares) / len(shares) > 0.9


def test_paid_storage_recalculations_keep_an_earlier_original_date():
    rows = [
        r for i in range(5) for r in data.paid_storage(0, seller_id(f"seller-{i}"), START, START + timedelta(days=8))
    ]
    assert any(r["originalDate"] < r["date"] for r in rows)
    assert all(r["originalDate"] <= r["date"] for r in rows)
