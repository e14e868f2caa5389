"""WB rate limits (wb-api.md §3.3, §11): a token bucket per (seller, limit group) with
capacity = Burst that gains one token per Interval = Period / Limit, in emulated seconds.

The table is the emulator's own copy of the reference, deliberately not imported from
`harvester.catalog`: a wrong limit in the catalog must show up as 429s against the emulator,
not be mirrored by it."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    """One row of a WB limit table: Period (s), Limit (requests per Period), Burst."""

    period: float
    limit: int
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.limit


# group -> (personal & service row, base row); test tokens use the base row.
LIMITS: dict[str, tuple[Limit, Limit]] = {
    "wb.stocks_report": (Limit(60, 3, 3), Limit(3600, 2, 1)),
    "wb.paid_storage.create": (Limit(60, 1, 5), Limit(3600, 1, 1)),
    "wb.paid_storage.status": (Limit(5, 1, 5), Limit(3600, 2, 2)),
    "wb.paid_storage.download": (Limit(60, 1, 1), Limit(3600, 2, 1)),
    "wb.nm_report_downloads": (Limit(60, 3, 3), Limit(3600, 1, 1)),  # create, list, retry and file together
    "wb.acceptance_report.create": (Limit(60, 1, 1), Limit(10800, 1, 1)),
    "wb.acceptance_report.status": (Limit(5, 1, 1), Limit(3600, 2, 1)),
    "wb.acceptance_report.download": (Limit(60, 1, 1), Limit(3600, 2, 1)),
    # retired before token types existed: the one documented row serves every type
    "wb.acceptance_report_sync": (Limit(60, 1, 1), Limit(60, 1, 1)),
    "wb.ping": (Limit(30, 3, 3), Limit(30, 3, 3)),  # 01-general: at most 3 calls in 30 seconds, per host
    # §4 promotion; retired methods: their last published row for every token type
    "wb.adv.count": (Limit(1, 5, 5), Limit(3600, 4, 1)),
    "wb.adv.fullstats_v2": (Limit(60, 1, 5), Limit(60, 1, 5)),
    "wb.adv.fullstats": (Limit(60, 3, 1), Limit(3600, 1, 1)),
    "wb.adv.stat_words": (Limit(1, 4, 4), Limit(1, 4, 4)),
    "wb.adv.words": (Limit(1, 4, 4), Limit(1, 4, 4)),
    "wb.adv.keywords": (Limit(1, 4, 4), Limit(1, 4, 4)),
    "wb.adv.normquery": (Limit(60, 10, 20), Limit(3600, 5, 1)),
    "wb.adv.normquery_daily": (Limit(60, 10, 20), Limit(3600, 2, 1)),
    "wb.adv.media_stats": (Limit(1, 10, 10), Limit(3600, 1, 1)),
    # §5, §6: sales funnel v2 and v3, search queries
    "wb.funnel_v2": (Limit(60, 3, 3), Limit(60, 3, 3)),
    "wb.funnel": (Limit(60, 3, 3), Limit(3600, 2, 1)),
    "wb.search_report": (Limit(60, 3, 3), Limit(3600, 1, 1)),
    # §9 reports
    "wb.excise": (Limit(18000, 10, 10), Limit(86400, 2, 1)),
    "wb.antifraud": (Limit(600, 1, 10), Limit(3600, 1, 1)),
    "wb.incorrect_attachments": (Limit(60, 1, 10), Limit(60, 1, 10)),
    "wb.deductions": (Limit(60, 1, 1), Limit(3600, 4, 1)),
    "wb.storage_coefficient": (Limit(60, 1, 1), Limit(60, 1, 1)),
    "wb.measurements": (Limit(60, 1, 1), Limit(21600, 1, 1)),
    "wb.goods_labeling": (Limit(60, 1, 10), Limit(3600, 1, 1)),
}


def limit_for(group: str, kind: str) -> Limit:
    """The limit row that applies to a token type."""
    personal, base = LIMITS[group]
    return base if kind in ("base", "test") else personal


@dataclass(frozen=True)
class Decision:
    """Outcome of one request against a bucket; the seconds are emulated, rounded up."""

    allowed: bool
    remaining: int
    retry: int
    reset: int
    limit: int


@dataclass
class _Bucket:
    level: float
    updated: float
    blocked_until: float = 0.0


class Limiter:
    """Thread-safe buckets. A refused request takes no token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def _refill(self, key: tuple[str, str], lim: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(lim.burst), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.level = min(float(lim.burst), bucket.level + elapsed / lim.interval)
        bucket.updated = now
        if bucket.blocked_until and now >= bucket.blocked_until:
            bucket.level = max(bucket.level, 1.0)  # a throttle promises a token when it ends
            bucket.blocked_until = 0.0
        return bucket

    def take(self, sid: str, group: str, kind: str, now: float) -> Decision:
        """Spend one token if there is one."""
        lim = limit_for(group, kind)
        with self._lock:
            bucket = self._refill((sid, group), lim, now)
            blocked = max(0.0, bucket.blocked_until - now)
            allowed = not blocked and bucket.level >= 1.0 - 1e-9
            if allowed:
                bucket.level = max(0.0, bucket.level - 1.0)
            level = bucket.level
        wait = blocked or (0.0 if allowed else (1.0 - level) * lim.interval)
        return Decision(
            allowed=allowed,
            remaining=max(0, math.floor(level + 1e-9)),
            retry=math.ceil(wait - 1e-9),
            reset=math.ceil(max(wait, (lim.burst - level) * lim.interval) - 1e-9),
            limit=lim.burst,
        )

    def throttle(self, sid: str, group: str, retry_after: float, now: float) -> None:
        """Empty the bucket and refuse every request to it for `retry_after` seconds."""
        with self._lock:
            self._buckets[(sid, group)] = _Bucket(0.0, now, now + retry_after)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()
