"""The Yandex Market part of the emulator against yandex-market-api.md and Yandex's OpenAPI files."""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import pytest
import requests

from emulator import Emulator, make_ym_key, ym_business_id, ym_campaign_ids
from emulator.common.router import Response
from emulator.ym.data import catalogue as ymdata
from emulator.ym.data import report_files as ym_files
from emulator.ym.host import today as msk_today
from tests.openapi import check_exchange

from .conftest import moscow_noon

STATS = "/v2/campaigns/{}/stats/skus"
STOCKS = "/v2/reports/stocks-on-warehouses/generate"
SERVICES = "/v2/reports/united-marketplace-services/generate"
INFO = "/v2/reports/info/{}"
SHEET_NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
XLSX_PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
              "xl/worksheets/sheet1.xml"]


class YM:
    """A cabinet's session against an emulator."""

    def __init__(self, emu: Emulator, account: str = "acme", **key_kw) -> None:
        self.emu = emu
        self.key_kw = {"campaigns": 2, "skus": 1200, **key_kw}
        self.business = ym_business_id(account)
        self.campaigns = ym_campaign_ids(self.business, self.key_kw["campaigns"])
        self.http = requests.Session()
        self.http.headers["Api-Key"] = make_ym_key(account, **self.key_kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.emu.url + path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.http.post(self.emu.url + path, **kw)

    def skus(self, index: int = 0) -> list[str]:
        return ymdata.shop_skus(self.emu.seed, self.business, self.campaigns[index], self.key_kw["skus"])

    def stats(self, skus: list[str], index: int = 0) -> requests.Response:
        return self.post(STATS.format(self.campaigns[index]), json={"shopSkus": skus})


def control(emu: Emulator, path: str, body: dict) -> dict:
    resp = requests.post(f"{emu.url}/__emulator/ym/{path}", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def until(resp: requests.Response) -> float:
    return parsedate_to_datetime(resp.headers["X-RateLimit-Resource-Until"]).timestamp()


def error(resp: requests.Response) -> tuple[int, str, str]:
    body = resp.json()
    assert body["status"] == "ERROR" and len(body["errors"]) == 1
    return resp.status_code, body["errors"][0]["code"], body["errors"][0]["message"]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Real-time clock (limits are reached with clock.advance) with exchanges recorded, started at a
    Moscow noon so that a test's reports and its truth are of one day."""
    with Emulator(record=True, report_wait_s=10, report_ready_s=30, start=moscow_noon()) as e:
        yield e


def test_every_answer_matches_the_official_openapi(emu):
    ym = YM(emu, skus=30)
    ym.get("/v2/campaigns", params={"limit": 1})
    ym.post(f"/v2/businesses/{ym.business}/offer-mappings", params={"limit": 10}, json={"categoryIds": [7811873]})
    ym.stats(ym.skus()[:5])
    ym.stats(ym.skus(1)[:5], index=1)  # FBS: two SORTING tariffs
    stock = ym.post(STOCKS, params={"format": "CSV"}, json={"campaignId": ym.campaigns[0]}).json()["result"]
    ym.post(SERVICES, params={"format": "JSON", "language": "RU"},
            json={"businessId": ym.business, "dateFrom": str(emu.clock.today() - timedelta(days=20)),
                  "dateTo": str(emu.clock.today())})
    for advance in (0, 10, 20):
        emu.clock.advance(advance)
        ym.get(INFO.format(stock["reportId"]))
    ym.get(INFO.format("no-such-report"))  # 404
    ym.stats([])  # 400
    ym.post(f"/v2/businesses/{ym.business + 1}/offer-mappings")  # 403
    YM(emu, scopes=("pricing",)).stats(["A"])  # 403 scope
    ym.http.headers["Api-Key"] = "ACMA:nonsense:00000000"
    ym.get("/v2/campaigns")  # 401
    YM(emu).post(STOCKS, params={"format": "CSV"}, json={"campaignId": ym.campaigns[0]})  # 420: 1 per 2 minutes
    statuses = {e.response.status for e in emu.exchanges}
    assert statuses == {200, 400, 401, 403, 404, 420}
    for exchange in emu.exchanges:  # a 400 answers an illegal request: only its answer is checked
        check_exchange(exchange, request=exchange.response.status != 400)
    done = emu.exchanges[8]
    assert done.route == "GET /v2/reports/info/{reportId}"
    assert json.loads(done.response.body)["result"]["status"] == "DONE"
    broken = replace(done, response=Response(200, done.response.body.replace(b'"DONE"', b'"READY"')))
    with pytest.raises(Exception, match=r"READY|enum|valid"):
        check_exchange(broken)


def test_campaigns_page_to_the_end_with_either_token_spelling(emu):
    ym = YM(emu, campaigns=5, skus=1)
    seen, token, spelling = [], None, "pageToken"
    while True:
        params = {"limit": 2, **({spelling: token} if token else {})}
        body = ym.get("/v2/campaigns", params=params).json()
        seen += [c["id"] for c in body["campaigns"]]
        token = body["paging"].get("nextPageToken")
        spelling = "page_token"
        if not token:
            break
    assert seen == list(ym.campaigns)
    placements = [c["placementType"] for c in ymdata.campaigns(0, ym.business, ym.campaigns)]
    assert placements == ["FBY", "FBS", "DBS", "FBY", "FBS"]
    assert error(ym.get("/v2/campaigns", params={"pageToken": "%%%"}))[:2] == (400, "BAD_REQUEST")
    assert error(ym.get("/v2/campaigns", params={"limit": 101}))[0] == 400
    assert [c["id"] for c in ym.get("/v2/campaigns").json()["campaigns"]] == list(ym.campaigns)  # no default limit


def test_offer_mappings_page_through_the_catalogue(emu):
    ym = YM(emu, skus=60)
    path = f"/v2/businesses/{ym.business}/offer-mappings"
    offers, token = [], None
    while True:
        result = ym.post(path, params={"limit": 25, **({"page_token": token} if token else {})}).json()["result"]
        offers += result["offerMappings"]
        token = result["paging"].get("nextPageToken")
        if not token:
            break
    truth = [ymdata.offer_mapping(0, ym.business, sku, cid, msk_today(emu))
             for sku, cid in ymdata.catalogue(0, ym.business, ym.campaigns, 60)]
    assert offers == truth and len(offers) == 120
    assert len(ym.post(path, params={"limit": 500}).json()["result"]["offerMappings"]) == 100  # truncated
    picked = ym.post(path, json={"offerIds": [ym.skus(1)[3], " " + ym.skus(0)[0] + " ", "NOPE"]}).json()["result"]
    assert [m["offer"]["offerId"] for m in picked["offerMappings"]] == [ym.skus(1)[3], ym.skus(0)[0]]
    assert error(ym.post(path, json={"offerIds": [f"S{i}" for i in range(101)]}))[0] == 400


def test_stats_skus_serves_the_ground_truth_and_caps_at_500(emu):
    ym = YM(emu)
    skus = ym.skus()[:40]
    body = ym.stats([" " + skus[0], *skus[1:], "UNKNOWN-SKU"]).json()
    today = msk_today(emu)
    assert body["result"]["shopSkus"] == [ymdata.goods_stats(0, ym.business, ym.campaigns[0], s, today) for s in skus]
    items = [ymdata.goods_stats(0, ym.business, ym.campaigns[0], s, today) for s in ym.skus()]
    assert {"percent" in t for i in items for t in i["tariffs"]} == {True, False}  # deprecated, optional
    assert any("warehouses" not in i for i in items) and any("marketSku" not in i for i in items)
    assert error(ym.stats([f"S{i}" for i in range(501)]))[0] == 400
    assert error(ym.stats(["A", "A"]))[0] == 400
    assert error(ym.post(STATS.format(ym.campaigns[0]), json={}))[0] == 400
    assert ym.stats(skus[:1], index=1).json()["result"]["shopSkus"] == []  # that SKU is placed in the other store


def test_items_per_minute_are_charged_by_the_answer_and_420_names_the_window(emu):
    ym = YM(emu)
    skus = ym.skus()
    opened = emu.clock.now()
    first = ym.stats(["UNKNOWN"])  # an empty answer costs nothing ...
    assert first.headers["X-RateLimit-Resource-Limit"] == first.headers["X-RateLimit-Resource-Remaining"] == "2000"
    window_end = until(first)
    remaining = [ym.stats(skus[i : i + 500]).headers["X-RateLimit-Resource-Remaining"] for i in (0, 500, 1000)]
    assert remaining == ["1500", "1000", "800"]  # ... the third answer holds 200 SKUs
    assert ym.stats(skus[:500]).headers["X-RateLimit-Resource-Remaining"] == "300"
    assert ym.stats(skus[:500]).headers["X-RateLimit-Resource-Remaining"] == "0"  # let in, overdraws
    refused = ym.stats(skus[:1])
    assert error(refused) == (420, "LIMIT_EXCEEDED", f"Hit rate limit of 2000 items per 1 minute for resource "
                              f"/campaigns/{{campaignId}}/stats/skus.json for campaignId {ym.campaigns[0]}")
    assert refused.headers["X-RateLimit-Resource-Remaining"] == "0" and until(refused) == window_end
    assert opened + 60 <= window_end <= emu.clock.now() + 61  # a minute after the first call, rounded up
    assert ym.stats(skus[:1], index=1).status_code == 200  # quotas are per campaign
    emu.clock.advance(window_end - emu.clock.now() + 0.5)
    assert ym.stats(skus[:1]).headers["X-RateLimit-Resource-Remaining"] == "1999"
    assert YM(emu, "medium", tier="medium").stats([]).status_code == 400
    assert YM(emu, "medium", tier="medium").stats(["X"]).headers["X-RateLimit-Resource-Limit"] == "5000"


def test_the_fifth_request_in_flight_per_campaign_is_refused(emu):
    ym = YM(emu, skus=10)
    emu.set_faults(latency_ms=400)
    barrier, answers = threading.Barrier(6), []

    def call(index: int) -> None:
        session = requests.Session()
        session.headers.update(ym.http.headers)
        barrier.wait()
        answers.append((index, session.post(emu.url + STATS.format(ym.campaigns[index]), json={"shopSkus": ["X"]})))

    threads = [threading.Thread(target=call, args=(i,)) for i in (0, 0, 0, 0, 0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [r for _, r in answers if r.status_code == 420]
    assert len(refused) == 1 and sorted(r.status_code for _, r in answers) == [200] * 5 + [420]
    assert error(refused[0])[2] == f"Hit rate limit of 4 parallel requests for campaignId {ym.campaigns[0]}"
    assert "X-RateLimit-Resource-Until" not in refused[0].headers
    assert [i for i, r in answers if r.status_code == 200].count(1) == 1  # the other store was not affected


def test_5xx_answers_are_not_charged(emu):
    ym = YM(emu, skus=10)
    path = f"/v2/businesses/{ym.business}/offer-mappings"
    emu.set_faults(error_rate=1.0)
    failed = ym.post(path)
    assert error(failed)[:2] == (500, "INTERNAL_ERROR") and "X-RateLimit-Resource-Remaining" not in failed.headers
    emu.set_faults(error_rate=0.0)
    assert ym.post(path).headers["X-RateLimit-Resource-Remaining"] == "99"
    assert ym.post(path, json={"archived": "yes"}).headers["X-RateLimit-Resource-Remaining"] == "98"  # a 400 is


def test_report_generation_quota_per_tier(emu):
    ym, medium = YM(emu, skus=5), YM(emu, "medium", tier="medium", skus=5)
    today = emu.clock.today()
    body = {"businessId": ym.business, "dateFrom": str(today - timedelta(days=5)), "dateTo": str(today)}
    assert ym.post(SERVICES, params={"format": "CSV"}, json=body).status_code == 200
    refused = ym.post(SERVICES, params={"format": "CSV"}, json=body)
    assert error(refused)[2] == ("Hit rate limit of 1 requests per 2 minutes for resource "
                                 f"/reports/united-marketplace-services/generate.json for businessId {ym.business}")
    assert 119 <= until(refused) - emu.clock.now() <= 121
    assert ym.post(STOCKS, params={"format": "CSV"}, json={"campaignId": ym.campaigns[0]}).status_code == 200
    medium_body = {"campaignId": medium.campaigns[0]}
    assert medium.post(STOCKS, params={"format": "CSV"}, json=medium_body).status_code == 200
    assert 59 <= until(medium.post(STOCKS, params={"format": "CSV"}, json=medium_body)) - emu.clock.now() <= 61
    emu.clock.advance(121)
    assert ym.post(SERVICES, params={"format": "CSV"}, json=body).status_code == 200


def _info(ym: YM, report_id: str) -> dict:
    return ym.get(INFO.format(report_id)).json()["result"]


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_report_runs_pending_processing_done_and_its_link_expires(emu):
    ym = YM(emu, skus=40)
    created = ym.post(STOCKS, params={"format": "CSV"}, json={"campaignId": ym.campaigns[0]}).json()["result"]
    assert created["estimatedGenerationTime"] == 30_000
    assert _info(ym, created["reportId"])["status"] == "PENDING"
    emu.clock.advance(10)
    processing = _info(ym, created["reportId"])
    assert processing["status"] == "PROCESSING" and 0 < processing["estimatedGenerationTime"] <= 20_000
    emu.clock.advance(20)
    done = _info(ym, created["reportId"])
    assert done["status"] == "DONE" and "subStatus" not in done and done["generationFinishedAt"]
    files = _unzip(requests.get(done["file"]).content)
    assert list(files) == ["stocks_on_warehouses.csv"]
    rows = list(csv.reader(io.StringIO(files["stocks_on_warehouses.csv"].decode("utf-8-sig"))))
    truth = ym_files.stocks_rows(0, ym.business, [ym.campaigns[0]], 40, msk_today(emu))
    assert rows[0] == list(ym_files.STOCKS_COLUMNS) and len(rows) - 1 == len(truth) > 0
    assert rows[1] == ["" if truth[0][c] is None else str(truth[0][c]) for c in ym_files.STOCKS_COLUMNS]
    emu.clock.advance(3601)
    assert requests.get(done["file"]).status_code == 403  # a link lives 60 minutes ...
    assert requests.get(_info(ym, created["reportId"])["file"]).status_code == 200  # ... each info call mints a new one


def test_json_format_and_the_services_rows(emu):
    ym = YM(emu, skus=20)
    today = emu.clock.today()
    body = {"businessId": ym.business, "dateFrom": str(today - timedelta(days=30)), "dateTo": str(today)}
    report = ym.post(SERVICES, params={"format": "JSON"}, json=body).json()["result"]["reportId"]
    emu.clock.advance(30)
    rows = json.loads(_unzip(requests.get(_info(ym, report)["file"]).content)["placement.json"])
    truth = ym_files.services_rows(0, ym.business, list(ym.campaigns), 20,
                                   ym_files.service_days(today - timedelta(days=30), today, msk_today(emu)))
    assert rows == [{ym_files.json_name(c): r[c] for c in ym_files.SERVICES_COLUMNS} for r in truth] and rows
    assert {"shopSku", "totalAmount", "serviceDateTime"} <= set(rows[0])


def _report_id(ym: YM, path: str, body: dict, **params: str) -> str:
    """Generate a report, asserting the call is accepted; the caller waits for it to finish."""
    resp = ym.post(path, params=params, json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["result"]["reportId"]


def _xlsx_sheet(content: bytes) -> tuple[str, list[list[str]]]:
    """The one sheet of an XLSX: its name and its cells' inline strings, row by row."""
    parts = _unzip(content)
    assert list(parts) == XLSX_PARTS
    for xml in parts.values():
        ElementTree.fromstring(xml)  # every part is well-formed XML
    assert b'Target="xl/workbook.xml"' in parts["_rels/.rels"]
    assert b'Target="worksheets/sheet1.xml"' in parts["xl/_rels/workbook.xml.rels"]
    sheet = ElementTree.fromstring(parts["xl/workbook.xml"]).find("x:sheets/x:sheet", SHEET_NS)
    assert sheet is not None
    rows = ElementTree.fromstring(parts["xl/worksheets/sheet1.xml"]).findall("x:sheetData/x:row", SHEET_NS)
    assert all(c.get("t") == "inlineStr" for row in rows for c in row.findall("x:c", SHEET_NS))
    return sheet.get("name", ""), [[t.text or "" for t in row.findall("x:c/x:is/x:t", SHEET_NS)] for row in rows]


def test_file_format_is_the_default_and_an_xlsx_of_the_csv_rows(emu):
    ym = YM(emu, skus=20)
    today = emu.clock.today()
    services = {"businessId": ym.business, "dateFrom": str(today - timedelta(days=30)), "dateTo": str(today)}
    asked: list[tuple[str, dict, dict[str, str]]] = [
        (STOCKS, {"campaignId": ym.campaigns[0]}, {}), (SERVICES, services, {"format": "FILE"})]
    books = [_report_id(ym, path, body, **params) for path, body, params in asked]
    emu.clock.advance(121)  # the next generate call of each report waits out its 1-per-2-minutes quota
    tables = [_report_id(ym, path, body, format="CSV") for path, body, _ in asked]
    emu.clock.advance(30)
    for book, table, columns in zip(books, tables, (ym_files.STOCKS_COLUMNS, ym_files.SERVICES_COLUMNS), strict=True):
        served = requests.get(_info(ym, book)["file"])
        assert served.headers["Content-Type"] == ym_files.XLSX_MEDIA_TYPE
        name, rows = _xlsx_sheet(served.content)
        [(csv_name, csv_file)] = _unzip(requests.get(_info(ym, table)["file"]).content).items()
        assert csv_name == f"{name}.csv"
        assert rows == list(csv.reader(io.StringIO(csv_file.decode("utf-8-sig"))))
        assert rows[0] == list(columns) and len(rows) > 1


def test_failed_and_no_data_reports(emu):
    ym = YM(emu, skus=5)
    control(emu, "report_faults", {"account": "acme", "fail_times": 1})
    future = {"businessId": ym.business, "dateFrom": str(emu.clock.today() + timedelta(days=2)),
              "dateTo": str(emu.clock.today() + timedelta(days=3))}
    by_store = {"campaignId": ym.campaigns[0]}
    failed = ym.post(STOCKS, params={"format": "CSV"}, json=by_store).json()["result"]["reportId"]
    empty = ym.post(SERVICES, params={"format": "CSV"}, json=future).json()["result"]["reportId"]
    emu.clock.advance(121)
    control(emu, "report_faults", {"business_id": ym.business, "no_data_status": "FAILED"})
    empty_failed = ym.post(SERVICES, params={"format": "CSV"}, json=future).json()["result"]["reportId"]
    emu.clock.advance(30)
    assert {k: _info(ym, failed).get(k) for k in ("status", "file")} == {"status": "FAILED", "file": None}
    assert {k: _info(ym, empty).get(k) for k in ("status", "subStatus", "file")} == {
        "status": "DONE", "subStatus": "NO_DATA", "file": None}
    assert (_info(ym, empty_failed)["status"], _info(ym, empty_failed)["subStatus"]) == ("FAILED", "NO_DATA")
    assert error(YM(emu, "other").get(INFO.format(failed)))[:2] == (404, "NOT_FOUND")  # another cabinet's report


def test_report_requests_are_validated_and_refusals_are_charged(emu):
    ym = YM(emu, skus=5)
    today = emu.clock.today()

    def generate(path: str, body: dict, **params: str) -> tuple[int, str, str]:
        emu.clock.advance(121)  # a 4xx answer spends the 1-per-2-minutes quota too
        return error(ym.post(path, params={"format": "CSV", **params}, json=body))

    both = {"businessId": ym.business, "dateFrom": str(today), "dateTo": str(today), "yearFrom": 2026,
            "monthFrom": 1, "yearTo": 2026, "monthTo": 2}
    assert generate(SERVICES, both)[0] == 400
    assert error(ym.post(SERVICES, params={"format": "CSV"}, json=both))[0] == 420
    long = {"businessId": ym.business, "dateFrom": str(today - timedelta(days=100)), "dateTo": str(today)}
    assert "3 months" in generate(SERVICES, long)[2]
    old = {**long, "dateTo": str(today - timedelta(days=95))}
    assert generate(SERVICES, old)[2].startswith("Without subscription")
    assert YM(emu, "rich", tier="medium").post(
        SERVICES, params={"format": "CSV"}, json={**old, "businessId": ym_business_id("rich")}).status_code == 200
    assert generate(STOCKS, {"campaignId": ym.campaigns[0], "businessId": ym.business})[0] == 400
    assert generate(STOCKS, {"campaignId": 1})[0] == 403
    assert generate(STOCKS, {"campaignId": ym.campaigns[0]}, format="XLSX")[2] == (
        "Parameter format must be one of FILE, CSV, JSON")


def test_forced_throttle_holds_until_the_given_moment(emu):
    ym = YM(emu, skus=5)
    moment = emu.clock.now() + 300
    control(emu, "throttle", {"account": "acme", "group": "ym.stats_skus", "until": moment})
    refused = ym.stats(["X"])
    assert refused.status_code == 420 and until(refused) == pytest.approx(moment, abs=1)
    assert ym.get("/v2/campaigns").status_code == 200  # other resources are not affected
    emu.clock.advance(301)
    assert ym.stats(["X"]).status_code == 200
    bad = requests.post(f"{emu.url}/__emulator/ym/throttle", json={"account": "acme", "group": "nope", "until": 1})
    assert bad.status_code == 400


def test_values_outside_the_enums_on_demand(emu):
    ym = YM(emu, skus=50)
    control(emu, "novel_enums", {"tariff_type": "FUTURE_TARIFF", "stock_type": "FUTURE_STOCK"})
    items = ym.stats(ym.skus()).json()["result"]["shopSkus"]
    assert all(any(t["type"] == "FUTURE_TARIFF" for t in i["tariffs"]) for i in items)
    assert all(any(s["type"] == "FUTURE_STOCK" for s in w["stocks"]) for i in items for w in i.get("warehouses", []))
    with pytest.raises(Exception):  # noqa: B017  the spec's enums do not know them: proof they are new
        check_exchange(emu.exchanges[-1])
    control(emu, "novel_enums", {})
    assert "FUTURE" not in ym.stats(ym.skus()[:5]).text


def test_auth_errors_and_stats(emu):
    ym = YM(emu, skus=5)
    assert error(requests.get(emu.url + "/v2/campaigns")) == (401, "UNAUTHORIZED", "Api-Key token is not specified")
    bearer = requests.get(emu.url + "/v2/campaigns", headers={"Api-Key": "Bearer " + ym.http.headers["Api-Key"]})
    assert error(bearer)[2] == "Api-Key token prefix invalid"
    forged = requests.get(emu.url + "/v2/campaigns", headers={"Api-Key": ym.http.headers["Api-Key"] + "x"})
    assert error(forged)[0] == 401
    offers_only = YM(emu, scopes=("offers-and-cards-management:read-only",), skus=5)
    assert offers_only.stats(["X"]).status_code == 200
    code, kind, message = error(offers_only.post(SERVICES, params={"format": "CSV"}, json={"businessId": ym.business}))
    assert (code, kind) == (403, "FORBIDDEN") and "finance-and-accounting" in message
    assert error(ym.post(STATS.format(ym.campaigns[-1] + 7), json={"shopSkus": ["X"]}))[0] == 403
    seen = requests.get(emu.url + "/__emulator/stats").json()["sellers"][f"ym:{ym.business}"]
    assert (seen["requests"], seen["401"]) == (3, 1)  # unknown keys name no cabinet; a scope refusal counts
    assert seen["by_route"]["POST /v2/campaigns/{campaignId}/stats/skus"] == 2


def test_token_info_names_the_keys_scopes_as_the_spec_spells_them(emu):
    ym = YM(emu, scopes=("offers-and-cards-management:read-only", "all-methods:read-only"))
    resp = ym.post("/v2/auth/token")
    assert resp.status_code == 200 and resp.headers["X-RateLimit-Resource-Limit"] == "100"
    assert resp.json()["result"]["apiKey"]["authScopes"] == ["ALL_METHODS_READ_ONLY",
                                                             "OFFERS_AND_CARDS_MANAGEMENT_READ_ONLY"]
    check_exchange(emu.exchanges[-1])
    assert error(requests.post(emu.url + "/v2/auth/token"))[0] == 401


def test_a_cabinet_generating_its_active_limit_is_refused_420_until_one_finishes(emu):
    ym = YM(emu, skus=5)
    control(emu, "active_reports", {"limit": 1})
    assert ym.post(STOCKS, params={"format": "CSV"}, json={"campaignId": ym.campaigns[0]}).status_code == 200
    body = {"businessId": ym.business, "dateFrom": str(emu.clock.today() - timedelta(days=5)),
            "dateTo": str(emu.clock.today())}
    refused = ym.post(SERVICES, params={"format": "CSV"}, json=body)
    assert error(refused) == (420, "LIMIT_EXCEEDED", "Active reports limit exceeded, limit='1'")
    assert YM(emu, "other", skus=5).post(STOCKS, params={"format": "CSV"},
                                          json={"campaignId": YM(emu, "other", skus=5).campaigns[0]}).status_code == 200
    emu.clock.advance(121)  # the first one is done (and the refusal, charged, is 2 minutes old)
    assert ym.post(SERVICES, params={"format": "CSV"}, json=body).status_code == 200
