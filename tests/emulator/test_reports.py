"""The seller-analytics CSV flow over HTTP: create -> list -> file, retry, expiry, quota, Jam.
Emulated time is moved with clock.advance, so day-long deadlines take no real time."""

import csv
import io
import json
import os
import uuid
import zipfile
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime, timedelta

import pytest
import requests

from emulator import Emulator, Faults, seller_id
from emulator.common import builds
from emulator.wb.data.csv_files import csv_report, zip_bytes, zip_report
from emulator.wb.routes import csv_reports
from emulator.wb.state.report_store import until_msk_midnight

from .conftest import WB, to_moscow_morning

DOWNLOADS = "/api/v2/nm-report/downloads"
CSV_ERROR_KEYS = {"title", "detail", "requestId", "origin"}
SEARCH_TYPES = ("SEARCH_QUERIES_PREMIUM_REPORT_GROUP", "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT")


def report_params(emu: Emulator, report_type: str) -> dict:
    """Valid params of each report type, relative to the emulated today."""
    today = emu.clock.today()
    start, end = str(today - timedelta(days=10)), str(today - timedelta(days=4))
    current = {"start": start, "end": end}
    return {
        "DETAIL_HISTORY_REPORT": {"startDate": start, "endDate": end, "aggregationLevel": "day"},
        "GROUPED_HISTORY_REPORT": {"startDate": start, "endDate": end, "subjectIDs": [105, 69, 192]},
        "SEARCH_QUERIES_PREMIUM_REPORT_GROUP": {
            "currentPeriod": current,
            "pastPeriod": {"start": str(today - timedelta(days=17)), "end": str(today - timedelta(days=11))},
            "subjectIds": [],
            "orderBy": {"field": "avgPosition", "mode": "asc"},
            "positionCluster": "all",
        },
        "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT": {
            "currentPeriod": current,
            "orderBy": {"field": "openCard", "mode": "desc"},
            "positionCluster": "firstHundred",
        },
        "SEARCH_QUERIES_PREMIUM_REPORT_TEXT": {
            "currentPeriod": current,
            "topOrderBy": "openCard",
            "orderBy": {"field": "orders", "mode": "desc"},
            "limit": 5,
        },
        "STOCK_HISTORY_REPORT_CSV": {
            "currentPeriod": {"start": str(today - timedelta(days=80)), "end": str(today - timedelta(days=1))},
            "stockType": "",
            "skipDeletedNm": False,
            "availabilityFilters": [],
            "orderBy": {"field": "ordersCount", "mode": "desc"},
        },
        "STOCK_HISTORY_DAILY_CSV": {"currentPeriod": current, "stockType": "", "skipDeletedNm": True},
    }[report_type]


def order(report_type: str, params: dict, **extra) -> dict:
    return {"id": str(uuid.uuid4()), "reportType": report_type, "params": params, **extra}


def create(wb: WB, body: dict) -> str:
    resp = wb.paced("POST", DOWNLOADS, json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"data": "Created"}
    return body["id"]


def listed(wb: WB, **kw) -> dict[str, dict]:
    resp = wb.paced("GET", DOWNLOADS, **kw)
    assert resp.status_code == 200, resp.text
    return {item["id"]: item for item in resp.json()["data"]}


def status(wb: WB, report_id: str) -> str:
    return listed(wb)[report_id]["status"]


def assert_csv_error(resp: requests.Response, status_code: int, title: str, detail: str = "") -> None:
    assert resp.status_code == status_code, resp.text
    body = resp.json()
    assert set(body) == CSV_ERROR_KEYS
    assert (body["title"], body["origin"]) == (title, "analytics-open-api")
    assert detail in body["detail"]


@pytest.fixture
def instant():
    """Reports are ready the moment they are created."""
    with Emulator(report_wait_s=0, report_ready_s=0) as emu:
        yield emu


@pytest.fixture
def slow():
    """Timelines far longer than any bucket wait, so pacing never moves a report along."""
    with Emulator(report_wait_s=1000, report_ready_s=5000) as emu:
        yield emu


def test_a_file_is_built_apart_from_the_first_listing_under_way(slow):
    # A big seller's file takes a core for seconds (one day of 20,000 products' search texts:
    # about 10 s): built on the serving thread, it held every other answer of the emulator up.
    wb = WB(slow)
    params = report_params(slow, "SEARCH_QUERIES_PREMIUM_REPORT_TEXT")
    report_id = create(wb, order("SEARCH_QUERIES_PREMIUM_REPORT_TEXT", params))
    found = slow.reports.get(seller_id("acme"), report_id, slow.clock.now())
    assert found is not None and found[0].file is None  # not before it is under way
    slow.clock.advance(1000)
    assert status(wb, report_id) == "PROCESSING"
    assert found[0].file is not None
    header, rows = csv_report(0, seller_id("acme"), "SEARCH_QUERIES_PREMIUM_REPORT_TEXT", params)
    assert found[0].file.result(timeout=60) == (zip_bytes(report_id, header, rows), len(rows))


def test_a_report_whose_file_is_still_being_built_is_listed_under_way(slow, monkeypatch):
    # Its timeline says SUCCESS, but a busy pool has not built its file yet: WB lists a report
    # PROCESSING while it generates, where a listing waiting for the file outlived the client.
    building: Future = Future()
    monkeypatch.setattr(builds, "submit", lambda *args: building)
    monkeypatch.setattr(csv_reports, "FILE_WAIT_S", 0.01)
    wb = WB(slow)
    report_id = create(wb, order("DETAIL_HISTORY_REPORT", report_params(slow, "DETAIL_HISTORY_REPORT")))
    slow.clock.advance(1000)
    assert status(wb, report_id) == "PROCESSING"
    slow.clock.advance(4000)
    assert status(wb, report_id) == "PROCESSING"
    assert_csv_error(wb.paced("GET", f"{DOWNLOADS}/file/{report_id}"), 400, "Invalid request body", "check correct")
    building.set_result((b"zip", 1))
    assert status(wb, report_id) == "SUCCESS"
    assert listed(wb)[report_id]["size"] == 3


def test_a_file_whose_build_failed_is_built_again_when_next_listed(slow, monkeypatch):
    # A process of the builders' pool died under it (builds.submit then starts a new pool).
    failed: Future = Future()
    failed.set_exception(BrokenProcessPool("a builder died"))
    real, calls = builds.submit, []
    monkeypatch.setattr(builds, "submit", lambda *args: calls.append(args) or (real(*args) if calls[1:] else failed))
    wb = WB(slow)
    report_id = create(wb, order("DETAIL_HISTORY_REPORT", report_params(slow, "DETAIL_HISTORY_REPORT")))
    slow.clock.advance(1000)
    assert status(wb, report_id) == "PROCESSING"
    slow.clock.advance(4000)
    assert status(wb, report_id) == "SUCCESS"
    assert len(calls) == 2
    assert wb.paced("GET", f"{DOWNLOADS}/file/{report_id}").status_code == 200


def test_files_are_built_in_processes_of_their_own():
    assert builds.submit(os.getpid).result(timeout=60) != os.getpid()


def test_lifecycle_list_and_file(slow):
    wb = WB(slow)
    params = report_params(slow, "DETAIL_HISTORY_REPORT")
    report_id = create(wb, order("DETAIL_HISTORY_REPORT", params, userReportName="Card report"))
    item = listed(wb)[report_id]
    assert (item["status"], item["size"], item["name"]) == ("WAITING", 0, "Card report")
    assert (item["startDate"], item["endDate"]) == (params["startDate"], params["endDate"])
    assert datetime.strptime(item["createdAt"], "%Y-%m-%d %H:%M:%S")
    assert_csv_error(wb.paced("GET", f"{DOWNLOADS}/file/{report_id}"), 400, "Invalid request body", "check correct")
    slow.clock.advance(1000)
    assert status(wb, report_id) == "PROCESSING"
    slow.clock.advance(4000)
    expected = zip_report(0, seller_id("acme"), report_id, "DETAIL_HISTORY_REPORT", params)
    assert listed(wb)[report_id]["size"] == len(expected)
    resp = wb.paced("GET", f"{DOWNLOADS}/file/{report_id}")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/zip"
    assert resp.content == expected
    archive = zipfile.ZipFile(io.BytesIO(resp.content))
    assert archive.namelist() == [f"{report_id}.csv"]
    raw = archive.read(f"{report_id}.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    header, rows = csv_report(0, seller_id("acme"), "DETAIL_HISTORY_REPORT", params)
    assert list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))) == [header, *rows]


def test_success_expires_after_48_hours(instant):
    wb = WB(instant)
    report_id = create(wb, order("STOCK_HISTORY_DAILY_CSV", report_params(instant, "STOCK_HISTORY_DAILY_CSV")))
    instant.clock.advance(48 * 3600 - 120)
    assert status(wb, report_id) == "SUCCESS"
    instant.clock.advance(240)
    assert report_id not in listed(wb)
    assert_csv_error(wb.paced("GET", f"{DOWNLOADS}/file/{report_id}"), 404, "Not Found")


def test_forced_failures_then_retry(slow):
    wb = WB(slow)
    assert requests.post(slow.url + "/__emulator/report_faults", json={"seller": "acme", "fail_times": 2}).ok
    params = report_params(slow, "GROUPED_HISTORY_REPORT")
    report_id = create(wb, order("GROUPED_HISTORY_REPORT", params))
    slow.clock.advance(5000)
    assert status(wb, report_id) == "FAILED"
    assert wb.paced("GET", f"{DOWNLOADS}/file/{report_id}").status_code == 400
    seen = []
    for _ in range(2):
        resp = wb.paced("POST", f"{DOWNLOADS}/retry", json={"downloadId": report_id})
        assert resp.json() == {"data": "Retry"}
        seen.append(status(wb, report_id))
        slow.clock.advance(1000)
        seen.append(status(wb, report_id))
        slow.clock.advance(4000)
        seen.append(status(wb, report_id))
    assert seen == ["RETRY", "PROCESSING", "FAILED", "RETRY", "PROCESSING", "SUCCESS"]
    resp = wb.paced("GET", f"{DOWNLOADS}/file/{report_id}")
    assert resp.content == zip_report(0, seller_id("acme"), report_id, "GROUPED_HISTORY_REPORT", params)
    refused = wb.paced("POST", f"{DOWNLOADS}/retry", json={"downloadId": report_id})
    assert_csv_error(refused, 400, "Invalid request body", "only a FAILED report")
    unknown = wb.paced("POST", f"{DOWNLOADS}/retry", json={"downloadId": str(uuid.uuid4())})
    assert_csv_error(unknown, 400, "Invalid request body", "invalid download id")


def test_fail_rate_fault(instant):
    instant.set_faults(report_fail_rate=1)
    wb = WB(instant)
    report_id = create(wb, order("DETAIL_HISTORY_REPORT", report_params(instant, "DETAIL_HISTORY_REPORT")))
    assert status(wb, report_id) == "FAILED"
    assert Faults(report_fail_rate=0.5).report_fail_rate == 0.5
    with pytest.raises(ValueError):
        Faults(report_fail_rate=2)


def test_daily_quota_per_seller_and_moscow_day(instant):
    to_moscow_morning(instant)
    wb, other = WB(instant), WB(instant, "other")
    params = {**report_params(instant, "DETAIL_HISTORY_REPORT"), "nmIDs": [1]}  # empty files: quick to build
    ids = [create(wb, order("DETAIL_HISTORY_REPORT", params)) for _ in range(20)]
    refused = order("DETAIL_HISTORY_REPORT", params)
    instant.clock.advance(60)  # a full bucket: the next answer is the quota's
    limited_before = requests.get(instant.url + "/__emulator/stats").json()["sellers"][seller_id("acme")]["429"]
    resp = wb.post(DOWNLOADS, json=refused)
    assert resp.status_code == 429
    assert resp.json()["detail"] == "The daily response limit has been exceeded. The maximum number is 20."
    assert_csv_error(resp, 429, "Too many requests")
    retry = int(resp.headers["X-Ratelimit-Retry"])
    assert abs(retry - until_msk_midnight(instant.clock.now())) <= 2
    assert 13 * 3600 < retry <= 14 * 3600
    assert "X-Ratelimit-Remaining" not in resp.headers
    assert set(listed(wb)) == set(ids)  # the refused create was not stored ...
    stats = requests.get(instant.url + "/__emulator/stats").json()["sellers"]
    assert stats[seller_id("acme")]["reports_created"] == 20  # ... nor counted
    assert stats[seller_id("acme")]["429"] == limited_before + 1  # but its 429 is
    create(other, order("DETAIL_HISTORY_REPORT", params))
    instant.clock.advance(retry)
    create(wb, refused)


def test_jam_is_needed_for_search_reports_only(instant):
    wb = WB(instant)
    assert requests.post(instant.url + "/__emulator/sellers", json={"seller": "acme", "jam": False}).json() == {
        "seller": seller_id("acme"),
        "jam": False,
    }
    for report_type in (*SEARCH_TYPES, "SEARCH_QUERIES_PREMIUM_REPORT_TEXT"):
        resp = wb.paced("POST", DOWNLOADS, json=order(report_type, report_params(instant, report_type)))
        assert_csv_error(resp, 403, "Authorization error", "Authorization error")
        assert resp.json()["detail"] == "Authorization error"
    for report_type in ("DETAIL_HISTORY_REPORT", "GROUPED_HISTORY_REPORT", "STOCK_HISTORY_REPORT_CSV"):
        create(wb, order(report_type, report_params(instant, report_type)))
    create(WB(instant, "other"), order(SEARCH_TYPES[0], report_params(instant, SEARCH_TYPES[0])))
    requests.post(instant.url + "/__emulator/sellers", json={"seller": "acme", "jam": True})
    create(wb, order(SEARCH_TYPES[1], report_params(instant, SEARCH_TYPES[1])))


def test_empty_report_is_204(instant):
    wb = WB(instant)
    params = {**report_params(instant, "DETAIL_HISTORY_REPORT"), "nmIDs": [1]}
    report_id = create(wb, order("DETAIL_HISTORY_REPORT", params))
    item = listed(wb)[report_id]
    assert (item["status"], item["size"]) == ("SUCCESS", 0)
    resp = wb.paced("GET", f"{DOWNLOADS}/file/{report_id}")
    assert (resp.status_code, resp.content) == (204, b"")


def test_the_four_methods_share_one_bucket(emu):
    wb = WB(emu)
    body = order("DETAIL_HISTORY_REPORT", report_params(emu, "DETAIL_HISTORY_REPORT"))
    answers = [
        wb.post(DOWNLOADS, json=body),
        wb.get(DOWNLOADS),
        wb.post(f"{DOWNLOADS}/retry", json={"downloadId": body["id"]}),
        wb.get(f"{DOWNLOADS}/file/{body['id']}"),
    ]
    assert [r.status_code for r in answers] == [200, 200, 400, 429]
    assert [r.headers.get("X-Ratelimit-Remaining") for r in answers] == ["2", "1", "0", None]
    assert answers[3].json()["title"] == "too many requests"
    assert answers[3].headers["X-Ratelimit-Retry"] == "20"


def test_list_filters_by_several_ids_each_its_own_parameter_as_the_spec_declares(instant):
    wb = WB(instant)
    params = report_params(instant, "DETAIL_HISTORY_REPORT")
    a, b, c = (create(wb, order("DETAIL_HISTORY_REPORT", params)) for _ in range(3))
    assert set(listed(wb, params=[("filter[downloadIds]", a), ("filter[downloadIds]", b)])) == {a, b}
    assert set(listed(wb)) == {a, b, c}
    for refused in (f"{a},{c}", ""):  # comma-joined, or an empty filter: not every report
        answer = wb.paced("GET", DOWNLOADS, params={"filter[downloadIds]": refused})
        assert_csv_error(answer, 400, "Invalid request body", "one uuid per filter[downloadIds] parameter")
    other = WB(instant, "other")
    assert listed(other, params={"filter[downloadIds]": a}) == {}
    assert other.paced("GET", f"{DOWNLOADS}/file/{a}").status_code == 404
    bad = wb.paced("GET", DOWNLOADS, params={"filter[downloadIds]": "nope"})
    assert_csv_error(bad, 400, "Invalid request body", "invalid download id")


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        ({"params": {"endDate": "2026-10-01"}}, "params.startDate (field required)"),
        ({"reportType": "NOPE"}, "reportType (must be one of"),
        ({"reportType": ["DETAIL_HISTORY_REPORT"]}, "reportType (must be one of"),
        ({"params": [1]}, "params (must be an object)"),
        ({"id": "not-a-uuid"}, "id (must be a UUID)"),
        ({"userReportName": "Отчёт 🚀"}, "userReportName can not contain emojis"),
        ({"params": {"startDate": "2025-01-01", "endDate": "2026-01-02"}}, "more than a year"),
        ({"params": {"startDate": "2026-01-02", "endDate": "2026-01-01"}}, "must not be before startDate"),
        ({"params": {"startDate": "2026-01-01", "endDate": "2026-01-02", "aggregationLevel": "hour"}}, "day, week"),
        ({"params": {"startDate": "2026-01-01", "endDate": "2026-01-02", "nmIDs": ["1"]}}, "params.nmIDs"),
    ],
)
def test_create_validation(instant, change, detail):
    body = order("DETAIL_HISTORY_REPORT", report_params(instant, "DETAIL_HISTORY_REPORT")) | change
    assert_csv_error(WB(instant).paced("POST", DOWNLOADS, json=body), 400, "Invalid request body", detail)


def test_search_and_stock_validation(instant):
    wb = WB(instant)
    group = report_params(instant, "SEARCH_QUERIES_PREMIUM_REPORT_GROUP")
    del group["subjectIds"]
    resp = wb.paced("POST", DOWNLOADS, json=order("SEARCH_QUERIES_PREMIUM_REPORT_GROUP", group))
    assert_csv_error(resp, 400, "Invalid request body", "params.subjectIds (field required)")
    create(wb, order("SEARCH_QUERIES_PREMIUM_REPORT_GROUP", group | {"subjectIDs": [105]}))
    both_off = report_params(instant, SEARCH_TYPES[1]) | {"includeSubstitutedSKUs": False, "includeSearchTexts": False}
    resp = wb.paced("POST", DOWNLOADS, json=order(SEARCH_TYPES[1], both_off))
    assert_csv_error(resp, 400, "Invalid request body", "can not both be false")
    stock = report_params(instant, "STOCK_HISTORY_REPORT_CSV")
    stock["currentPeriod"] = {
        "start": str(instant.clock.today() - timedelta(days=200)),
        "end": stock["currentPeriod"]["end"],
    }
    resp = wb.paced("POST", DOWNLOADS, json=order("STOCK_HISTORY_REPORT_CSV", stock))
    assert_csv_error(resp, 400, "Invalid request body", "params.currentPeriod.start (must not be earlier than")


def test_duplicate_id_is_refused_and_not_counted(instant):
    wb = WB(instant)
    body = order("DETAIL_HISTORY_REPORT", report_params(instant, "DETAIL_HISTORY_REPORT"))
    create(wb, body)
    assert_csv_error(wb.paced("POST", DOWNLOADS, json=body), 400, "Invalid request body", "already exists")
    create(WB(instant, "other"), body)  # ids are per seller
    stats = requests.get(instant.url + "/__emulator/stats").json()["sellers"]
    assert stats[seller_id("acme")]["reports_created"] == 1


@pytest.mark.parametrize(
    "report_type",
    [
        "DETAIL_HISTORY_REPORT",
        "GROUPED_HISTORY_REPORT",
        *SEARCH_TYPES,
        "SEARCH_QUERIES_PREMIUM_REPORT_TEXT",
        "STOCK_HISTORY_REPORT_CSV",
        "STOCK_HISTORY_DAILY_CSV",
    ],
)
def test_every_type_serves_its_ground_truth(instant, report_type):
    wb = WB(instant)
    params = report_params(instant, report_type)
    report_id = create(wb, order(report_type, params))
    resp = wb.paced("GET", f"{DOWNLOADS}/file/{report_id}")
    assert resp.status_code == 200
    header, rows = csv_report(0, seller_id("acme"), report_type, params)
    assert rows
    assert resp.content == zip_bytes(report_id, header, rows)  # = zip_report(...), built once here
    truth = requests.get(
        instant.url + "/__emulator/truth/wb/csv",
        params={"sid": seller_id("acme"), "reportType": report_type, "params": json.dumps(params)},
    ).json()
    assert truth == {"header": header, "rows": rows}


QUOTA_DETAIL = "The daily response limit has been exceeded. The maximum number is 20."


def assert_quota_refused(resp: requests.Response) -> None:
    assert_csv_error(resp, 429, "Too many requests")
    assert resp.json()["detail"] == QUOTA_DETAIL


def test_failed_generations_do_not_count_against_the_daily_quota(instant):
    """WB: '20 successful generations per day' — a failed one costs nothing, its successful retry one."""
    to_moscow_morning(instant)
    wb = WB(instant)
    params = {**report_params(instant, "DETAIL_HISTORY_REPORT"), "nmIDs": [1]}  # empty files: quick to build
    assert requests.post(instant.url + "/__emulator/report_faults", json={"seller": "acme", "fail_times": 5}).ok
    failed = [create(wb, order("DETAIL_HISTORY_REPORT", params)) for _ in range(5)]
    assert {status(wb, report_id) for report_id in failed} == {"FAILED"}
    assert wb.paced("POST", f"{DOWNLOADS}/retry", json={"downloadId": failed[0]}).json() == {"data": "Retry"}
    assert status(wb, failed[0]) == "SUCCESS"  # the one success so far
    succeeded = [create(wb, order("DETAIL_HISTORY_REPORT", params)) for _ in range(19)]
    assert {status(wb, report_id) for report_id in succeeded} == {"SUCCESS"}
    refused = order("DETAIL_HISTORY_REPORT", params)
    assert_quota_refused(wb.paced("POST", DOWNLOADS, json=refused))  # the 21st success of the day
    assert refused["id"] not in listed(wb)


def test_reports_still_in_progress_do_not_count_until_they_succeed(slow):
    to_moscow_morning(slow)
    wb = WB(slow)
    params = {**report_params(slow, "DETAIL_HISTORY_REPORT"), "nmIDs": [1]}
    pending = [create(wb, order("DETAIL_HISTORY_REPORT", params)) for _ in range(25)]  # paced: minutes, not 1000 s
    assert {status(wb, report_id) for report_id in pending} == {"WAITING"}
    slow.clock.advance(5000)
    assert {status(wb, report_id) for report_id in pending} == {"SUCCESS"}
    assert_quota_refused(wb.paced("POST", DOWNLOADS, json=order("DETAIL_HISTORY_REPORT", params)))


def test_a_period_ending_after_the_moscow_today_is_refused(instant):
    """WB documents no upper bound; a far-future end would have the daily stock report build
    a column for every day up to it, so it is refused at once."""
    wb = WB(instant)
    params = report_params(instant, "STOCK_HISTORY_DAILY_CSV")
    params["currentPeriod"] = {**params["currentPeriod"], "end": "9999-12-31"}
    resp = wb.paced("POST", DOWNLOADS, json=order("STOCK_HISTORY_DAILY_CSV", params))
    assert_csv_error(resp, 400, "Invalid request body", "params.currentPeriod.end (must not be later than ")
    search = report_params(instant, SEARCH_TYPES[1])
    search["pastPeriod"] = {"start": search["currentPeriod"]["start"], "end": "9999-12-31"}
    resp = wb.paced("POST", DOWNLOADS, json=order(SEARCH_TYPES[1], search))
    assert_csv_error(resp, 400, "Invalid request body", "params.pastPeriod.end (must not be later than ")
    assert listed(wb) == {}
