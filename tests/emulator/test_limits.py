import time

from emulator.wb.state.buckets import LIMITS, Limiter, limit_for

from .conftest import STOCKS, WB, stocks_body

GATEWAY_KEYS = {"title", "detail", "code", "requestId", "origin", "status", "statusText", "timestamp"}


def test_burst_then_429_with_exact_headers_and_body(emu):
    wb = WB(emu)
    body = stocks_body(emu, limit=1)
    remaining = [wb.post(STOCKS, json=body).headers["X-Ratelimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    resp = wb.post(STOCKS, json=body)
    assert resp.status_code == 429
    assert "X-Ratelimit-Remaining" not in resp.headers
    assert (
        resp.headers["X-Ratelimit-Retry"],
        resp.headers["X-Ratelimit-Limit"],
        resp.headers["X-Ratelimit-Reset"],
    ) == ("20", "3", "60")
    payload = resp.json()
    assert set(payload) == GATEWAY_KEYS
    assert (payload["title"], payload["origin"], payload["status"], payload["statusText"]) == (
        "too many requests",
        "s2s-api-auth-catalog",
        429,
        "Too Many Requests",
    )
    assert payload["detail"].startswith("limited by ")


def test_limits_are_per_seller_and_per_group(emu):
    acme, other = WB(emu, "acme"), WB(emu, "other")
    body = stocks_body(emu, limit=1)
    for _ in range(3):
        acme.post(STOCKS, json=body)
    assert acme.post(STOCKS, json=body).status_code == 429
    assert other.post(STOCKS, json=body).status_code == 200
    assert (
        acme.get("/api/v1/paid_storage", params={"dateFrom": "2026-10-01", "dateTo": "2026-10-02"}).status_code == 200
    )


def test_refill_after_interval_with_a_base_token():
    from emulator import Emulator

    with Emulator(time_scale=3600) as emu:  # base row: 3600 s / 2 / burst 1 -> a token per 1800 s = 0.5 s real
        wb = WB(emu, token_type="base")
        body = stocks_body(emu, limit=1)
        assert wb.post(STOCKS, json=body).headers["X-Ratelimit-Remaining"] == "0"
        refused = wb.post(STOCKS, json=body)
        assert refused.status_code == 429
        assert refused.headers["X-Ratelimit-Limit"] == "1"
        retry = int(refused.headers["X-Ratelimit-Retry"])
        assert 1700 < retry <= 1800
        assert wb.post(STOCKS, json=body).status_code == 429  # a refused request takes no token ...
        time.sleep(retry / 3600 + 0.05)
        assert wb.post(STOCKS, json=body).status_code == 200  # ... so the wait it was told is enough


def test_bucket_arithmetic():
    limiter, t = Limiter(), 1000.0
    assert [limiter.take("s", "wb.paid_storage.status", "personal", t).allowed for _ in range(6)] == [True] * 5 + [
        False
    ]
    late = limiter.take("s", "wb.paid_storage.status", "personal", t + 12)
    assert (late.allowed, late.remaining) == (True, 1)
    limiter.throttle("s", "wb.paid_storage.status", 30, t + 12)
    blocked = limiter.take("s", "wb.paid_storage.status", "personal", t + 40)
    assert (blocked.allowed, blocked.retry) == (False, 2)
    assert limiter.take("s", "wb.paid_storage.status", "personal", t + 42).allowed


def test_limit_table():
    assert limit_for("wb.stocks_report", "service").interval == 20
    assert limit_for("wb.stocks_report", "test") == LIMITS["wb.stocks_report"][1]
    assert limit_for("wb.paid_storage.status", "base").interval == 1800
