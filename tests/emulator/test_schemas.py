"""The emulator's bodies against WB's own OpenAPI files (vendored in tests/openapi)."""

import uuid
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest
import requests

from emulator import Emulator, seller_id
from emulator.wb.data import seller as data

from .conftest import STOCKS, WB, stocks_body, to_moscow_morning

yaml = pytest.importorskip("yaml")
oas = pytest.importorskip("openapi_schema_validator")

SPECS = Path(__file__).resolve().parents[1] / "openapi" / "wb" / "2025-12"


@cache
def _spec(name: str) -> dict:
    return yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))


def _validate(spec_name: str, schema: dict, instance: object) -> None:
    """Validate against a schema of the file, resolving its #/components refs."""
    spec = _spec(spec_name)
    oas.validate(instance, {**schema, "components": spec["components"]}, cls=oas.OAS30Validator)


def _response_schema(spec_name: str, path: str, method: str, status: str, media: str = "application/json") -> dict:
    response = _spec(spec_name)["paths"][path][method]["responses"][status]
    if "$ref" in response:
        response = _spec(spec_name)["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return response["content"][media]["schema"]


def _properties(spec_name: str, name: str) -> set[str]:
    return set(_spec(spec_name)["components"]["schemas"][name]["properties"])


def test_stocks_products_200(fast):
    resp = WB(fast).patient("POST", STOCKS, json=stocks_body(fast))
    body = resp.json()
    _validate("11-analytics.yaml", _response_schema("11-analytics.yaml", STOCKS, "post", "200"), body)
    item_schema = _spec("11-analytics.yaml")["components"]["schemas"]["TableProductItemSt"]
    metric_fields = _properties("11-analytics.yaml", "TableCommonMetrics") | set(
        item_schema["properties"]["metrics"]["allOf"][1]["properties"]
    )
    for item in body["data"]["items"]:
        assert set(item) == set(item_schema["properties"])
        assert set(item["metrics"]) == metric_fields
        for month in item["metrics"]["avgOrdersByMonth"]:
            assert set(month) == _properties("11-analytics.yaml", "FloatGraphByPeriodItem")


def test_full_stocks_truth_against_item_schema():
    schema = {"type": "array", "items": {"$ref": "#/components/schemas/TableProductItemSt"}}
    _validate(
        "11-analytics.yaml", schema, data.stocks_products(0, seller_id("acme"), date(2026, 8, 25), date(2026, 10, 1))
    )


def test_paid_storage_200s():
    with Emulator(time_scale=3600, task_new_s=0, task_ready_s=0) as emu:
        wb = WB(emu)
        base = "/api/v1/paid_storage"
        created = wb.patient("GET", base, params={"dateFrom": "2026-10-01", "dateTo": "2026-10-08"}).json()
        _validate("12-reports.yaml", _response_schema("12-reports.yaml", base, "get", "200"), created)
        task = created["data"]["taskId"]
        status = wb.patient("GET", f"{base}/tasks/{task}/status").json()
        _validate(
            "12-reports.yaml",
            _response_schema("12-reports.yaml", f"{base}/tasks/{{task_id}}/status", "get", "200"),
            status,
        )
        assert set(status["data"]) == _properties("12-reports.yaml", "GetTasksResponseData")
        rows = wb.patient("GET", f"{base}/tasks/{task}/download").json()
        _validate(
            "12-reports.yaml",
            _response_schema("12-reports.yaml", f"{base}/tasks/{{task_id}}/download", "get", "200"),
            rows,
        )
        row_fields = set(
            _spec("12-reports.yaml")["components"]["schemas"]["ResponsePaidStorage"]["items"]["properties"]
        )
        assert len(row_fields) == 23
        assert rows and all(set(r) == row_fields for r in rows)
        for r in rows:
            for name in ("date", "originalDate"):
                assert date.fromisoformat(r[name])


def test_error_bodies(fast):
    wb = WB(fast)
    body = stocks_body(fast)
    bad = wb.patient("POST", STOCKS, json={**body, "stockType": "x"})
    _validate("11-analytics.yaml", {"$ref": "#/components/schemas/ErrorObject400"}, bad.json())
    unauthorized = requests.post(fast.url + STOCKS, json=body)
    _validate("11-analytics.yaml", _response_schema("11-analytics.yaml", STOCKS, "post", "401"), unauthorized.json())
    requests.post(
        fast.url + "/__emulator/throttle", json={"seller": "acme", "group": "wb.stocks_report", "retry_after": 600}
    )
    limited = wb.post(STOCKS, json=body)
    _validate("11-analytics.yaml", _response_schema("11-analytics.yaml", STOCKS, "post", "429"), limited.json())
    too_long = wb.patient(
        "GET",
        "/api/v1/paid_storage",
        params={"dateFrom": "2026-10-01", "dateTo": str(date(2026, 10, 1) + timedelta(days=9))},
    )
    example = _spec("12-reports.yaml")["components"]["examples"]["DateRangeExceeded8"]["value"]
    assert set(too_long.json()) == set(example) == _properties("12-reports.yaml", "4xxResponse")
    assert too_long.json()["detail"] == example["detail"]


def test_csv_report_bodies():
    downloads = "/api/v2/nm-report/downloads"
    spec = "11-analytics.yaml"
    with Emulator(report_wait_s=0, report_ready_s=0) as emu:
        to_moscow_morning(emu)  # the quota below must not straddle a Moscow midnight
        wb = WB(emu)
        today = emu.clock.today()
        params = {"startDate": str(today - timedelta(days=3)), "endDate": str(today - timedelta(days=1))}
        body = {"id": str(uuid.uuid4()), "reportType": "DETAIL_HISTORY_REPORT", "params": params}
        requests.post(emu.url + "/__emulator/report_faults", json={"seller": "acme", "fail_times": 1})
        created = wb.paced("POST", downloads, json=body)
        _validate(spec, _response_schema(spec, downloads, "post", "200"), created.json())
        listed = wb.paced("GET", downloads, params={"filter[downloadIds]": body["id"]}).json()
        _validate(spec, _response_schema(spec, downloads, "get", "200"), listed)
        item_schema = _spec(spec)["components"]["schemas"]["NmReportGetReportsResponse"]["properties"]["data"]["items"]
        assert [set(i) for i in listed["data"]] == [set(item_schema["properties"])]
        assert listed["data"][0]["status"] == "FAILED"
        retried = wb.paced("POST", f"{downloads}/retry", json={"downloadId": body["id"]})
        _validate(spec, _response_schema(spec, f"{downloads}/retry", "post", "200"), retried.json())
        invalid = wb.paced("POST", downloads, json={**body, "params": {}})
        _validate(spec, _response_schema(spec, downloads, "post", "400"), invalid.json())
        not_ready = wb.paced("GET", f"{downloads}/file/not-a-uuid")
        _validate(spec, _response_schema(spec, f"{downloads}/file/{{downloadId}}", "get", "400"), not_ready.json())
        requests.post(emu.url + "/__emulator/sellers", json={"seller": "acme", "jam": False})
        search = {
            "currentPeriod": {"start": params["startDate"], "end": params["endDate"]},
            "orderBy": {"field": "openCard", "mode": "desc"},
            "positionCluster": "all",
        }
        forbidden = wb.paced(
            "POST",
            downloads,
            json={"id": str(uuid.uuid4()), "reportType": "SEARCH_QUERIES_PREMIUM_REPORT_PRODUCT", "params": search},
        )
        assert forbidden.status_code == 403
        _validate(spec, _response_schema(spec, downloads, "post", "403"), forbidden.json())
        for _ in range(19):
            wb.paced("POST", downloads, json={**body, "id": str(uuid.uuid4())})
        daily = wb.paced("POST", downloads, json={**body, "id": str(uuid.uuid4())})
        assert daily.status_code == 429
        _validate(spec, {"$ref": "#/components/schemas/response429DownloadDaily"}, daily.json())
        assert set(daily.json()) == _properties(spec, "response429DownloadDaily")


def test_acceptance_bodies():
    spec, base = "12-reports.yaml", "/api/v1/acceptance_report"
    with Emulator(task_new_s=0, task_ready_s=0) as emu:
        wb = WB(emu)
        window = {"dateFrom": "2026-10-01", "dateTo": "2026-10-31"}
        created = wb.paced("GET", base, params=window).json()
        _validate(spec, _response_schema(spec, base, "get", "200"), created)
        task = created["data"]["taskId"]
        status = wb.paced("GET", f"{base}/tasks/{task}/status").json()
        _validate(spec, _response_schema(spec, f"{base}/tasks/{{task_id}}/status", "get", "200"), status)
        download_schema = _response_schema(spec, f"{base}/tasks/{{task_id}}/download", "get", "200")
        rows = wb.paced("GET", f"{base}/tasks/{task}/download").json()
        _validate(spec, download_schema, rows)
        row_fields = set(download_schema["items"]["properties"])
        assert rows and all(set(r) == row_fields for r in rows)
        # the retired sync report (not in the 2024-06 file): the same fields, `sum`, and a Cyrillic С
        sync = wb.paced("GET", "/api/v1/analytics/acceptance-report", params=window).json()["report"]
        sync_fields = row_fields - {"shkCreateDate"} | {"shk\u0421reateDate", "sum"}
        assert sync and all(set(r) == sync_fields for r in sync)
        too_long = wb.paced("GET", base, params={"dateFrom": "2026-10-01", "dateTo": "2026-11-02"})
        example = _spec(spec)["components"]["examples"]["DateRangeExceeded"]["value"]
        assert set(too_long.json()) == set(example) and too_long.json()["detail"] == example["detail"]
