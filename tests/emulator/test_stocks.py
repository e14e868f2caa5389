from datetime import timedelta

import pytest

from emulator import seller_id
from emulator.wb.data import seller as data

from .conftest import STOCKS, WB, period, stocks_body


def _big_seller() -> str:
    return next(f"seller-{i}" for i in range(100) if len(data.products(0, seller_id(f"seller-{i}"))) > 2000)


def test_paging_covers_the_truth_exactly(fast):
    seller = _big_seller()
    wb = WB(fast, seller)
    body = stocks_body(fast, orderBy={"field": "stockCount", "mode": "desc"})
    seen = []
    while True:
        resp = wb.patient("POST", STOCKS, json=body)
        assert resp.status_code == 200
        page = resp.json()["data"]["items"]
        seen += page
        if len(page) < body["limit"]:
            break
        body = {**body, "offset": body["offset"] + body["limit"]}
    truth = data.stocks_products(0, seller_id(seller), *period(body))
    assert len(seen) == len(truth) > 2000
    assert len({i["nmID"] for i in seen}) == len(seen)
    assert seen == sorted(truth, key=lambda i: (-i["metrics"]["stockCount"], i["nmID"]))


def test_default_limit_and_offset(fast):
    wb = WB(fast)
    body = stocks_body(fast)
    del body["limit"]
    truth = sorted(
        data.stocks_products(0, seller_id("acme"), *period(body)),
        key=lambda i: (-i["metrics"]["ordersCount"], i["nmID"]),
    )
    assert wb.patient("POST", STOCKS, json=body).json()["data"]["items"] == truth[:100]
    body.update(offset=5, limit=3)
    assert wb.patient("POST", STOCKS, json=body).json()["data"]["items"] == truth[5:8]


def test_filters(fast):
    wb = WB(fast)
    truth = data.stocks_products(0, seller_id("acme"), *period(stocks_body(fast)))
    some = [truth[0]["nmID"], truth[3]["nmID"]]
    body = stocks_body(fast, nmIDs=some, orderBy={"field": "saleRate", "mode": "asc"})
    assert sorted(i["nmID"] for i in wb.patient("POST", STOCKS, json=body).json()["data"]["items"]) == some
    body = stocks_body(fast, skipDeletedNm=True, availabilityFilters=["deficient", "actual"])
    items = wb.patient("POST", STOCKS, json=body).json()["data"]["items"]
    expected = {
        i["nmID"] for i in truth if not i["isDeleted"] and i["metrics"]["availability"] in ("deficient", "actual")
    }
    assert {i["nmID"] for i in items} == expected
    body = stocks_body(fast, orderBy={"field": "minPrice", "mode": "asc"}, limit=50)
    prices = [
        i["metrics"]["currentPrice"]["minPrice"] for i in wb.patient("POST", STOCKS, json=body).json()["data"]["items"]
    ]
    assert prices == sorted(prices)


def test_truth_route_matches_data(fast):
    wb = WB(fast)
    start, end = period(stocks_body(fast))
    resp = wb.get("/__emulator/truth/wb/stocks_products", params={"sid": seller_id("acme"), "start": start, "end": end})
    assert resp.json() == data.stocks_products(0, seller_id("acme"), start, end)


@pytest.mark.parametrize(
    "change",
    [
        {"currentPeriod": None},
        {"stockType": "fbs"},
        {"skipDeletedNm": "yes"},
        {"orderBy": {"field": "price", "mode": "asc"}},
        {"orderBy": {"field": "ordersCount", "mode": "up"}},
        {"availabilityFilters": ["rare"]},
        {"offset": None},
        {"offset": -1},
        {"limit": 1001},
        {"nmIDs": ["x"]},
    ],
)
def test_bad_body_gives_400(fast, change):
    body = {k: v for k, v in {**stocks_body(fast), **change}.items() if v is not None}
    resp = WB(fast).patient("POST", STOCKS, json=body)
    assert resp.status_code == 400
    payload = resp.json()
    assert set(payload) == {"title", "detail", "requestId", "origin"}
    assert (payload["title"], payload["origin"]) == ("Invalid request body", "analytic-open-api")
    assert payload["detail"].startswith("code=400, message=invalid: ")


def test_period_rules(fast):
    wb = WB(fast)
    today = fast.clock.today()
    too_old = stocks_body(fast, days=100)
    inverted = stocks_body(
        fast, currentPeriod={"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()}
    )
    far_future = stocks_body(fast, currentPeriod={"start": today.isoformat(), "end": "9999-12-31"})
    for body in (too_old, inverted):
        assert wb.patient("POST", STOCKS, json=body).status_code == 400
    refused = wb.patient("POST", STOCKS, json=far_future)  # refused, not a walk through 8,000 years of days
    assert refused.status_code == 400 and "currentPeriod.end (must not be later than" in refused.json()["detail"]
    assert (
        wb.patient("POST", STOCKS, data=b"{not json", headers={"Content-Type": "application/json"}).status_code == 400
    )
    assert wb.patient("POST", STOCKS, json=stocks_body(fast, days=85)).status_code == 200
