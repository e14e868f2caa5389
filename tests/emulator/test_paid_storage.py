import time
from datetime import date, timedelta

import pytest

from emulator import Emulator, seller_id
from emulator.wb.data import seller as data

from .conftest import WB

CREATE = "/api/v1/paid_storage"
PROBLEM_KEYS = {"detail", "origin", "requestId", "title"}


def _window_with_rows(seller: str) -> tuple[date, date]:
    start = date(2026, 10, 1)
    while not list(data.paid_storage(0, seller_id(seller), start, start + timedelta(days=2))):
        start += timedelta(days=3)
    return start, start + timedelta(days=2)


def _create(wb: WB, date_from, date_to) -> str:
    resp = wb.patient("GET", CREATE, params={"dateFrom": str(date_from), "dateTo": str(date_to)})
    assert resp.status_code == 200, resp.text
    return resp.json()["data"]["taskId"]


def _status(wb: WB, task_id: str) -> str:
    resp = wb.patient("GET", f"{CREATE}/tasks/{task_id}/status")
    assert resp.status_code == 200
    assert resp.json()["data"]["id"] == task_id
    return resp.json()["data"]["status"]


def test_task_lifecycle_and_download():
    # new for 1440 s, processing until 2880 s, done for 7200 s more: 0.4 s, 0.8 s, 2.8 s of real time
    with Emulator(time_scale=3600, task_new_s=1440, task_ready_s=2880) as emu:
        wb = WB(emu)
        start, end = _window_with_rows("acme")
        task_id = _create(wb, start, f"{end}T23:59:59")
        seen = [_status(wb, task_id)]
        early = wb.patient("GET", f"{CREATE}/tasks/{task_id}/download")
        assert early.status_code == 400 and set(early.json()) == PROBLEM_KEYS
        downloaded = None
        deadline = time.monotonic() + 10
        while seen[-1] != "purged" and time.monotonic() < deadline:
            status = _status(wb, task_id)
            if status != seen[-1]:
                seen.append(status)
            if status == "done" and downloaded is None:
                downloaded = wb.patient("GET", f"{CREATE}/tasks/{task_id}/download")
            time.sleep(0.02)
        assert seen == ["new", "processing", "done", "purged"]
        assert downloaded.status_code == 200
        assert downloaded.headers["Transfer-Encoding"] == "chunked"  # made as it is sent
        assert downloaded.json() == list(data.paid_storage(0, seller_id("acme"), start, end))
        assert wb.patient("GET", f"{CREATE}/tasks/{task_id}/download").status_code == 404


def test_empty_report_is_204():
    seller, day = next(
        (f"seller-{i}", date(2026, 10, 1) + timedelta(days=d))
        for i in range(200)
        for d in range(20)
        if not list(data.paid_storage(
            0, seller_id(f"seller-{i}"), date(2026, 10, 1) + timedelta(days=d), date(2026, 10, 1) + timedelta(days=d)
        ))
    )
    with Emulator(time_scale=3600, task_new_s=0, task_ready_s=0) as emu:
        wb = WB(emu, seller)
        task_id = _create(wb, day, day)
        resp = wb.patient("GET", f"{CREATE}/tasks/{task_id}/download")
        assert resp.status_code == 204
        assert resp.content == b""


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        (
            {"dateFrom": "2026-10-01", "dateTo": "2026-10-10"},
            "Difference between dateFrom and dateTo should be less or equal 8 days",
        ),
        (
            {"dateFrom": "2026-10-01T00:00:00", "dateTo": "2026-10-09T00:00:01"},
            "Difference between dateFrom and dateTo should be less or equal 8 days",
        ),
        ({"dateTo": "2026-10-01"}, 'parameter "dateFrom" in query has an error: value is required but missing'),
        ({"dateFrom": "2026-10-01"}, 'parameter "dateTo" in query has an error: value is required but missing'),
        ({"dateFrom": "01.10.2026", "dateTo": "2026-10-02"}, "can't parse dateFrom"),
        ({"dateFrom": "2026-10-05", "dateTo": "2026-10-01"}, "dateTo should be greater dateFrom"),
    ],
)
def test_create_rejects_bad_windows(fast, params, detail):
    resp = WB(fast).patient("GET", CREATE, params=params)
    assert resp.status_code == 400
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.json()
    assert set(body) == PROBLEM_KEYS
    assert (body["detail"], body["origin"], body["title"]) == (detail, "api-statistics", "Bad Request")


@pytest.mark.parametrize(
    "params",
    [
        {"dateFrom": "2026-10-01", "dateTo": "2026-10-09"},
        {"dateFrom": "2026-10-01T00:00:00.12345", "dateTo": "2026-10-08T23:59:59+03:00"},
    ],
)
def test_create_accepts_8_days_and_rfc3339(fast, params):
    assert WB(fast).patient("GET", CREATE, params=params).status_code == 200


def test_other_sellers_task_is_not_found(fast):
    task_id = _create(WB(fast, "acme"), "2026-10-01", "2026-10-02")
    other = WB(fast, "other")
    for what in ("status", "download"):
        resp = other.patient("GET", f"{CREATE}/tasks/{task_id}/{what}")
        assert resp.status_code == 404
        body = resp.json()
        assert set(body) == PROBLEM_KEYS
        assert (body["detail"], body["origin"], body["title"]) == ("not found", "api-statistics", "Not Found")


def test_invalid_task_id(fast):
    wb = WB(fast)
    resp = wb.patient("GET", f"{CREATE}/tasks/2f071556-ae39-492f-fd8cf1eb0d25/status")
    assert resp.status_code == 400
    assert resp.json()["detail"].endswith("invalid UUID length: 31")
    assert (
        wb.patient("GET", f"{CREATE}/tasks/7b8875---9f03-46f1-af21-b9b4b22fe821/download")
        .json()["detail"]
        .endswith("invalid UUID format")
    )


def test_canceled_tasks(fast):
    fast.set_faults(cancel_rate=1)
    wb = WB(fast)
    task_id = _create(wb, "2026-10-01", "2026-10-02")
    time.sleep(5 / 3600 + 0.01)
    assert _status(wb, task_id) == "canceled"
    assert wb.patient("GET", f"{CREATE}/tasks/{task_id}/download").status_code == 404
