"""Yandex Market limits (yandex-market-api.md §2.4, the path files' x-resource-limit-config):

- parallel: at most 4 requests in flight per entity (campaign, business, or the key's cabinet);
- resource: a quota per method and entity over a window, counting requests (cost 1) or the
  items of the answer (`resp.result.shopSkus`); 2xx and 4xx answers are charged, 5xx not.

A window opens at the first charge and lasts one period; `X-RateLimit-Resource-Until` is its
end. A request is let in while the window has quota left and charged after it is answered, so
a 500-SKU answer may overdraw the last units (the next request then waits for the window).
The table is the emulator's own copy of the spec, not imported from the harvester's catalog.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from email.utils import formatdate

PARALLEL = 4


@dataclass(frozen=True)
class Quota:
    """One x-resource-limit-config: amount per period (seconds) for each subscription tier."""

    label: str  # the resource as 420 messages name it
    unit: str  # "requests" or "items"
    none: tuple[int, int]
    medium: tuple[int, int]
    items: str = ""  # dotted path of the answer list whose size is the cost ("" = cost 1)

    def amount_period(self, tier: str) -> tuple[int, int]:
        return self.medium if tier == "medium" else self.none


QUOTAS: dict[str, Quota] = {
    "ym.campaigns": Quota("/campaigns.json", "requests", (1000, 3600), (1000, 3600)),
    "ym.auth_token": Quota("/auth/token.json", "requests", (100, 3600), (100, 3600)),
    "ym.offer_mappings": Quota("/businesses/{businessId}/offer-mappings.json", "requests", (100, 60), (600, 60)),
    "ym.stats_skus": Quota(
        "/campaigns/{campaignId}/stats/skus.json", "items", (2000, 60), (5000, 60), "result.shopSkus"
    ),
    "ym.report.stocks_on_warehouses": Quota(
        "/reports/stocks-on-warehouses/generate.json", "requests", (1, 120), (1, 60)
    ),
    "ym.report.united_marketplace_services": Quota(
        "/reports/united-marketplace-services/generate.json", "requests", (1, 120), (1, 60)
    ),
    "ym.report_info": Quota("/reports/info/{reportId}.json", "requests", (100, 60), (100, 60)),
}


def http_date(moment: float) -> str:
    """RFC 822 date in GMT, rounded up to the second so waiting until it is always enough."""
    return formatdate(math.ceil(moment), usegmt=True)


def _per(period: int) -> str:
    minutes, hours = period // 60, period // 3600
    if period % 3600 == 0:
        return "1 hour" if hours == 1 else f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class Verdict:
    """The outcome of asking for a request: the headers it carries, and why it is refused."""

    limit: int
    remaining: int
    until: float
    refusal: str = ""

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Resource-Limit": str(self.limit),
            "X-RateLimit-Resource-Remaining": str(self.remaining),
            "X-RateLimit-Resource-Until": http_date(self.until),
        }


@dataclass
class _Window:
    opened: float
    used: int = 0


class YmLimiter:
    """Thread-safe parallel counters, resource windows and forced throttles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._flight: dict[str, int] = {}
        self._forced: dict[tuple[int, str], float] = {}

    def enter(self, entity: str) -> bool:
        """Take a parallel slot of the entity; False if 4 requests are already in flight."""
        with self._lock:
            if self._flight.get(entity, 0) >= PARALLEL:
                return False
            self._flight[entity] = self._flight.get(entity, 0) + 1
            return True

    def leave(self, entity: str) -> None:
        with self._lock:
            self._flight[entity] -= 1

    def _window(self, group: str, entity: str, period: int, now: float) -> _Window:
        window = self._windows.get((group, entity))
        if window is None or now >= window.opened + period:
            window = self._windows[(group, entity)] = _Window(now)
        return window

    def check(self, business: int, group: str, entity: str, tier: str, now: float) -> Verdict:
        """Whether a request may go now (a throttle forced for the business wins)."""
        quota = QUOTAS[group]
        amount, period = quota.amount_period(tier)
        with self._lock:
            window = self._window(group, entity, period, now)
            forced = self._forced.get((business, group), 0.0)
            if now < forced:
                return Verdict(amount, 0, forced, self._message(quota, amount, period, entity))
            left = amount - window.used
            refusal = "" if left > 0 else self._message(quota, amount, period, entity)
            return Verdict(amount, max(0, left), window.opened + period, refusal)

    def charge(self, group: str, entity: str, tier: str, cost: int, now: float) -> Verdict:
        """Spend `cost` units of an answered request; the headers it is answered with."""
        amount, period = QUOTAS[group].amount_period(tier)
        with self._lock:
            window = self._window(group, entity, period, now)
            window.used += cost
            return Verdict(amount, max(0, amount - window.used), window.opened + period)

    @staticmethod
    def _message(quota: Quota, amount: int, period: int, entity: str) -> str:
        name, _, value = entity.partition(":")
        return (f"Hit rate limit of {amount} {quota.unit} per {_per(period)} for resource {quota.label} "
                f"for {name} {value}")

    def throttle(self, business: int, group: str, until: float) -> None:
        """Refuse the business's requests to `group` until the emulated moment `until`."""
        if group not in QUOTAS:
            raise ValueError(f"unknown YM limit group {group!r}; one of {sorted(QUOTAS)}")
        with self._lock:
            self._forced[(business, group)] = until

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._forced.clear()
