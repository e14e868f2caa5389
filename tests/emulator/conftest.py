"""Fixtures: emulators on loopback ports and a small WB client that honours 429 headers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest
import requests

from emulator import Emulator, make_wb_token
from emulator.common.clock import MSK, msk_day

STOCKS = "/api/v2/stocks-report/products/products"


class WB:
    """A seller's session against an emulator."""

    def __init__(self, emu: Emulator, seller: str = "acme", scopes=("analytics",), **token_kw) -> None:
        self.emu = emu
        self.token = make_wb_token(seller, scopes, **token_kw)
        self.http = requests.Session()
        self.http.headers["Authorization"] = self.token

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.emu.url + path, **kw)

    def post(self, path: str, **kw) -> requests.Response:
        return self.http.post(self.emu.url + path, **kw)

    def patient(self, method: str, path: str, **kw) -> requests.Response:
        """Retry 429s after the advertised (emulated) wait."""
        for _ in range(50):
            resp = self.http.request(method, self.emu.url + path, **kw)
            if resp.status_code != 429:
                return resp
            time.sleep(int(resp.headers["X-Ratelimit-Retry"]) / self.emu.clock.time_scale + 0.001)
        raise AssertionError("still rate limited")

    def paced(self, method: str, path: str, **kw) -> requests.Response:
        """Like `patient`, but wait out a bucket 429 by moving the emulated clock forward; other
        429s (the daily CSV quota) are returned."""
        for _ in range(50):
            resp = self.http.request(method, self.emu.url + path, **kw)
            if resp.status_code != 429 or resp.json().get("origin") != "s2s-api-auth-catalog":
                return resp
            self.emu.clock.advance(int(resp.headers["X-Ratelimit-Retry"]))
        raise AssertionError("still rate limited")


def stocks_body(emu: Emulator, days: int = 30, **changes) -> dict:
    today = emu.clock.today()
    body = {
        "currentPeriod": {"start": (today - timedelta(days=days)).isoformat(), "end": today.isoformat()},
        "stockType": "",
        "skipDeletedNm": False,
        "orderBy": {"field": "ordersCount", "mode": "desc"},
        "availabilityFilters": [],
        "limit": 1000,
        "offset": 0,
    }
    body.update(changes)
    return body


def to_moscow_morning(emu: Emulator) -> None:
    """Move the emulated clock to 10:00 of the next Moscow day, far from the quota's midnight."""
    now = emu.clock.now()
    emu.clock.advance(datetime.combine(msk_day(now) + timedelta(days=1), clock_time(10), tzinfo=MSK).timestamp() - now)


def moscow_noon() -> float:
    """Today's 12:00 in Moscow: a clock started there reaches no Moscow midnight within a test,
    so what a test asks before and after its `advance` calls is of one day."""
    return datetime.combine(msk_day(time.time()), clock_time(12), tzinfo=MSK).timestamp()


def period(body: dict) -> tuple[date, date]:
    return date.fromisoformat(body["currentPeriod"]["start"]), date.fromisoformat(body["currentPeriod"]["end"])


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """Real-time emulator: limits behave exactly as documented; started at a Moscow noon, far from
    the day boundaries of both marketplaces' quotas and snapshots."""
    with Emulator(time_scale=1.0, start=moscow_noon()) as e:
        yield e


@pytest.fixture
def rec() -> Iterator[Emulator]:
    """The real-time emulator, keeping every exchange for the OpenAPI checks."""
    with Emulator(time_scale=1.0, record=True) as e:
        yield e


@pytest.fixture
def fast_rec() -> Iterator[Emulator]:
    """`fast`, keeping every exchange for the OpenAPI checks."""
    with Emulator(time_scale=3600.0, record=True) as e:
        yield e


@pytest.fixture
def fast() -> Iterator[Emulator]:
    """An hour of emulated time per real second: limits refill almost at once."""
    with Emulator(time_scale=3600.0) as e:
        yield e
