"""Emulated time: WB limits and task timelines are minutes to hours long, so tests and
benchmarks run the emulator's clock faster than the wall clock. Both marketplaces count their
days in Moscow time."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

MSK = timezone(timedelta(hours=3))  # WB counts the daily quota in Moscow days


def msk_day(now: float) -> date:
    return datetime.fromtimestamp(now, tz=MSK).date()


class Clock:
    """Starts at the real wall time (or at `start`, epoch seconds) and runs `time_scale` times faster."""

    def __init__(self, time_scale: float = 1.0, start: float | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = float(time_scale)
        self._wall0 = time.time() if start is None else start
        self._mono0 = time.monotonic()

    def now(self) -> float:
        """Emulated epoch seconds (monotonic underneath, so it never goes backwards)."""
        return self._wall0 + (time.monotonic() - self._mono0) * self.time_scale

    def advance(self, seconds: float) -> None:
        """Jump ahead, so tests reach day-long deadlines (report expiry, quota days) at once."""
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        self._wall0 += seconds

    def today(self) -> date:
        """Emulated current date in UTC."""
        return datetime.fromtimestamp(self.now(), tz=UTC).date()

    def timestamp(self) -> str:
        """Emulated now as RFC 3339 UTC, the format WB puts into error bodies."""
        return datetime.fromtimestamp(self.now(), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
