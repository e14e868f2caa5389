"""Paid acceptance: the retired sync report and the async task trio serve the same rows."""

from collections import Counter
from datetime import date, timedelta

import pytest
import requests

from emulator import Emulator, seller_id
from emulator.wb.data import seller
from emulator.wb.data.acceptance import SHK_CYRILLIC, acceptance, sync_row

from .conftest import WB

SYNC = "/api/v1/analytics/acceptance-report"
BASE = "/api/v1/acceptance_report"
PROBLEM_KEYS = {"detail", "origin", "requestId", "title"}
START, END = date(2026, 10, 1), date(2026, 10, 31)


def window(start: date = START, end: date = END) -> dict:
    return {"dateFrom": str(start), "dateTo": str(end)}


def task_status(wb: WB, task_id: str) -> dict:
    return wb.paced("GET", f"{BASE}/tasks/{task_id}/status").json()["data"]


def test_rows_are_unique_and_deterministic():
    for i in range(10):
        sid = seller_id(f"seller-{i}")
        rows = acceptance(0, sid, START, END)
        assert rows == acceptance(0, sid, START, END)
        keys = Counter((r["incomeId"], r["nmID"], r["shkCreateDate"]) for r in rows)
        assert rows and keys.most_common(1)[0][1] == 1
        assert all(r["giCreateDate"] <= r["shkCreateDate"] and r["count"] > 0 for r in rows)
    split = acceptance(0, sid, START, date(2026, 10, 15)) + acceptance(0, sid, date(2026, 10, 16), END)
    assert split == acceptance(0, sid, START, END)  # a day's rows do not depend on the window
    assert acceptance(1, sid, START, END) != acceptance(0, sid, START, END)


def test_a_big_sellers_supplies_hold_up_to_a_hundredth_of_its_catalogue():
    rows = acceptance(0, seller.big_seller("supplier", 100_000), START, END)
    per_supply = Counter(r["incomeId"] for r in rows)
    assert 8 < max(per_supply.values()) <= 1_000
    assert len({(r["incomeId"], r["nmID"], r["shkCreateDate"]) for r in rows}) == len(rows)


def test_sync_report_has_the_cyrillic_key_and_sum(fast):
    resp = WB(fast).patient("GET", SYNC, params=window())
    assert resp.status_code == 200
    rows = resp.json()["report"]
    expected = acceptance(0, seller_id("acme"), START, END)
    assert rows == [sync_row(r) for r in expected]
    assert SHK_CYRILLIC == "shk\u0421reateDate" != "shkCreateDate"
    assert all(
        set(r) == {"count", "giCreateDate", "incomeId", "nmID", SHK_CYRILLIC, "subjectName", "sum", "total"}
        for r in rows
    )
    assert all(isinstance(r["sum"], int) and abs(r["sum"] - r["total"]) <= 0.5 for r in rows)


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            window(START, START + timedelta(days=32)),
            "difference between dateFrom and dateTo should be less or equal 31 days",
        ),
        ({"dateFrom": "2026-10-01T00:00:00", "dateTo": "2026-10-02"}, "can't parse dateFrom"),
        ({"dateFrom": "2026-10-01"}, 'parameter "dateTo" in query has an error: value is required but missing'),
        (window(END, START), "dateTo should be greater dateFrom"),
    ],
)
@pytest.mark.parametrize("path", [SYNC, BASE])
def test_window_errors(fast, path, params, detail):
    resp = WB(fast).patient("GET", path, params=params)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert set(body) == PROBLEM_KEYS
    assert (body["detail"], body["origin"], body["title"]) == (detail, "api-statistics", "Bad Request")


def test_31_days_are_allowed(fast):
    assert WB(fast).patient("GET", SYNC, params=window(START, START + timedelta(days=31))).status_code == 200


def test_async_flow_serves_the_same_rows():
    with Emulator(task_new_s=5, task_ready_s=60) as emu:
        wb = WB(emu)
        task_id = wb.paced("GET", BASE, params=window()).json()["data"]["taskId"]
        assert task_status(wb, task_id) == {"id": task_id, "status": "new"}
        assert wb.paced("GET", f"{BASE}/tasks/{task_id}/download").status_code == 400
        emu.clock.advance(5)
        assert task_status(wb, task_id)["status"] == "processing"
        emu.clock.advance(60)
        assert task_status(wb, task_id)["status"] == "done"
        rows = wb.paced("GET", f"{BASE}/tasks/{task_id}/download").json()
        assert rows == acceptance(0, seller_id("acme"), START, END)
        assert all("shkCreateDate" in r and "sum" not in r for r in rows)
        sync = wb.paced("GET", SYNC, params=window()).json()["report"]
        assert sync == [sync_row(r) for r in rows]
        emu.clock.advance(7200)
        assert task_status(wb, task_id)["status"] == "purged"


def test_empty_window_is_204():
    sid, day = next(
        (seller_id(f"seller-{i}"), START + timedelta(days=d))
        for i in range(5)
        for d in range(30)
        if not acceptance(0, seller_id(f"seller-{i}"), START + timedelta(days=d), START + timedelta(days=d))
    )
    with Emulator(task_new_s=0, task_ready_s=0) as emu:
        wb = WB(emu, sid)
        task_id = wb.paced("GET", BASE, params=window(day, day)).json()["data"]["taskId"]
        resp = wb.paced("GET", f"{BASE}/tasks/{task_id}/download")
        assert (resp.status_code, resp.content) == (204, b"")
        assert wb.paced("GET", SYNC, params=window(day, day)).json() == {"report": []}


def test_task_kinds_are_not_confused(fast):
    wb = WB(fast)
    storage = wb.patient("GET", "/api/v1/paid_storage", params=window(START, START + timedelta(days=2)))
    accepted = wb.patient("GET", BASE, params=window())
    for task_id, other in (
        (storage.json()["data"]["taskId"], BASE),
        (accepted.json()["data"]["taskId"], "/api/v1/paid_storage"),
    ):
        for what in ("status", "download"):
            resp = wb.patient("GET", f"{other}/tasks/{task_id}/{what}")
            assert resp.status_code == 404
            assert resp.json()["detail"] == "not found"


def test_limits(emu):
    wb = WB(emu)
    assert wb.get(SYNC, params=window()).status_code == 200
    assert wb.get(SYNC, params=window()).headers["X-Ratelimit-Retry"] == "60"
    task_id = wb.get(BASE, params=window()).json()["data"]["taskId"]
    assert wb.get(BASE, params=window()).status_code == 429
    assert wb.get(f"{BASE}/tasks/{task_id}/status").status_code == 200
    assert wb.get(f"{BASE}/tasks/{task_id}/status").headers["X-Ratelimit-Retry"] == "5"


def test_truth_route(fast):
    resp = requests.get(fast.url + "/__emulator/truth/wb/acceptance", params={"sid": seller_id("acme"), **window()})
    assert resp.json() == acceptance(0, seller_id("acme"), START, END)
    assert requests.get(fast.url + "/__emulator/truth/wb/acceptance", params={"sid": "x"}).status_code == 400
