import json
import time
import uuid
from datetime import date

import pytest
import requests

from emulator import Emulator, Faults, seller_id, server
from emulator.common.clock import Clock, msk_day
from emulator.wb.data import seller as data

from .conftest import STOCKS, WB, stocks_body, to_moscow_morning

STATUS = "/api/v1/paid_storage/tasks/06e06887-9d9f-491f-b16a-bb1766fcb8d2/status"
DOWNLOADS = "/api/v2/nm-report/downloads"


def test_throttle_forces_429_until_retry_after(emu):
    wb = WB(emu)
    resp = requests.post(
        emu.url + "/__emulator/throttle",
        json={"seller": seller_id("acme"), "group": "wb.stocks_report", "retry_after": 30},
    )
    assert resp.json()["seller"] == seller_id("acme")
    refused = wb.post(STOCKS, json=stocks_body(emu, limit=1))
    assert refused.status_code == 429
    assert refused.headers["X-Ratelimit-Retry"] == "30"
    assert wb.get(STATUS).status_code == 404  # other groups are untouched


def test_throttle_ends_after_retry_after():
    with Emulator(time_scale=600) as emu:
        wb = WB(emu)
        requests.post(
            emu.url + "/__emulator/throttle", json={"seller": "acme", "group": "wb.stocks_report", "retry_after": 60}
        )
        assert wb.post(STOCKS, json=stocks_body(emu, limit=1)).status_code == 429
        time.sleep(60 / 600 + 0.05)
        assert wb.post(STOCKS, json=stocks_body(emu, limit=1)).status_code == 200


def test_throttle_rejects_bad_input(emu):
    resp = requests.post(
        emu.url + "/__emulator/throttle", json={"seller": "acme", "group": "wb.nothing", "retry_after": 5}
    )
    assert resp.status_code == 400


def test_error_rate_gives_503_and_spends_a_token(fast):
    wb = WB(fast)
    faults = requests.post(fast.url + "/__emulator/faults", json={"error_rate": 1}).json()
    assert faults == {**Faults().as_dict(), "error_rate": 1}
    resp = wb.get(STATUS)
    assert resp.status_code == 503
    assert resp.json()["status"] == 503
    assert resp.headers["X-Ratelimit-Remaining"] == "4"


def test_malformed_rate_gives_unparseable_200(fast):
    fast.set_faults(malformed_rate=1)
    resp = WB(fast).get("/api/v1/paid_storage", params={"dateFrom": "2026-10-01", "dateTo": "2026-10-02"})
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.content)
    assert resp.text.startswith('{"data"')


def test_latency(fast):
    fast.set_faults(latency_ms=150)
    started = time.monotonic()
    WB(fast).get(STATUS)
    assert time.monotonic() - started >= 0.15


def test_faults_validation_and_reset(fast):
    assert requests.post(fast.url + "/__emulator/faults", json={"error_rate": 2}).status_code == 400
    assert requests.post(fast.url + "/__emulator/faults", json={"typo_rate": 0.1}).status_code == 400
    with Emulator(faults=Faults(error_rate=1)) as emu:
        assert WB(emu).get(STATUS).status_code == 503
        requests.post(emu.url + "/__emulator/reset")
        assert WB(emu).get(STATUS).status_code == 404


def test_faults_are_deterministic_given_the_seed():
    def run() -> list[int]:
        with Emulator(time_scale=3600, seed=7, faults=Faults(error_rate=0.5)) as emu:
            wb = WB(emu)
            return [wb.patient("GET", STATUS).status_code for _ in range(20)]

    first = run()
    assert first == run()
    assert {503, 404} <= set(first)


def test_stats_count_requests_429s_and_tasks(emu):
    wb = WB(emu)
    body = stocks_body(emu, limit=1)
    for _ in range(4):
        wb.post(STOCKS, json=body)
    wb.get("/api/v1/paid_storage", params={"dateFrom": "2026-10-01", "dateTo": "2026-10-02"})
    stats = requests.get(emu.url + "/__emulator/stats").json()
    assert stats["time_scale"] == 1.0 and stats["now"] > 1.7e9
    assert stats["sellers"][seller_id("acme")] == {
        "requests": 5,
        "429": 1,
        "401": 0,
        "tasks_created": 1,
        "reports_created": 0,
        "by_route": {"POST " + STOCKS: 4, "GET /api/v1/paid_storage": 1},
    }
    requests.post(emu.url + "/__emulator/reset")
    assert requests.get(emu.url + "/__emulator/stats").json()["sellers"] == {}
    assert wb.post(STOCKS, json=body).status_code == 200  # buckets were refilled by the reset


def test_truth_paid_storage_route(fast):
    resp = requests.get(
        fast.url + "/__emulator/truth/wb/paid_storage",
        params={"sid": seller_id("acme"), "dateFrom": "2026-10-01", "dateTo": "2026-10-03"},
    )
    assert resp.json() == list(data.paid_storage(0, seller_id("acme"), date(2026, 10, 1), date(2026, 10, 3)))
    assert requests.get(fast.url + "/__emulator/truth/wb/paid_storage", params={"sid": "x"}).status_code == 400


def test_seller_and_report_fault_routes_validate(fast):
    for route, body in (
        ("sellers", {"seller": "acme"}),
        ("sellers", {"seller": "acme", "jam": "no"}),
        ("report_faults", {"seller": "acme", "fail_times": -1}),
        ("report_faults", {"seller": "acme", "fail_times": True}),
        ("report_faults", {"fail_times": 1}),
    ):
        assert requests.post(f"{fast.url}/__emulator/{route}", json=body).status_code == 400
    resp = requests.get(
        fast.url + "/__emulator/truth/wb/csv", params={"sid": "x", "reportType": "NOPE", "params": "{}"}
    )
    assert resp.status_code == 400 and "reportType" in resp.json()["error"]


def test_reset_clears_reports_jam_quota_and_forced_failures():
    with Emulator(report_wait_s=0, report_ready_s=0) as emu:
        wb = WB(emu)
        today = emu.clock.today()
        params = {"startDate": str(today), "endDate": str(today), "nmIDs": [1]}
        requests.post(emu.url + "/__emulator/sellers", json={"seller": "acme", "jam": False})
        requests.post(emu.url + "/__emulator/report_faults", json={"seller": "acme", "fail_times": 5})
        body = {"reportType": "DETAIL_HISTORY_REPORT", "params": params}
        to_moscow_morning(emu)
        answers = [wb.paced("POST", DOWNLOADS, json={"id": str(uuid.uuid4()), **body}).status_code for _ in range(26)]
        assert answers == [200] * 25 + [429]  # the 5 failed generations cost no quota
        statuses = [i["status"] for i in wb.paced("GET", DOWNLOADS).json()["data"]]
        assert statuses == ["FAILED"] * 5 + ["SUCCESS"] * 20
        requests.post(emu.url + "/__emulator/reset")
        assert wb.paced("GET", DOWNLOADS).json() == {"data": []}
        created = wb.paced("POST", DOWNLOADS, json={"id": str(uuid.uuid4()), **body})
        assert created.status_code == 200  # the quota is fresh
        assert [i["status"] for i in wb.paced("GET", DOWNLOADS).json()["data"]] == ["SUCCESS"]
        search = {
            "currentPeriod": {"start": str(today), "end": str(today)},
            "orderBy": {"field": "openCard", "mode": "desc"},
            "positionCluster": "all",
        }
        product = {"id": str(uuid.uuid4()), "reportType": "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT", "params": search}
        assert wb.paced("POST", DOWNLOADS, json=product).status_code == 200  # Jam is back



def test_the_clock_can_start_at_a_given_moment_and_runs_scaled_from_there() -> None:
    clock = Clock(time_scale=600, start=1_000_000.0)
    assert 1_000_000 <= clock.now() < 1_000_000 + 600
    assert msk_day(clock.now()) == date(1970, 1, 12)


def test_a_client_that_left_before_its_answer_is_no_error_of_the_emulator(fast, monkeypatch, capfd):
    def gone(handler: server._Handler) -> None:
        raise BrokenPipeError(32, "Broken pipe")  # what writing to a closed socket raises

    monkeypatch.setattr(server._Handler, "end_headers", gone)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{fast.url}/ping", timeout=10)
    assert "Traceback" not in capfd.readouterr().err
