"""Seller-analytics CSV reports (wb-api.md §8) as state: who ordered what, where each report is
on its timeline, the daily quota, Jam subscriptions and forced failures. Kept apart from the
routes so the timeline rules can be read (and tested) without HTTP.

The quota is WB's "20 successful generations per day per seller": it counts the reports that
reached SUCCESS during the current Moscow day. One that ended FAILED, or is still waiting or
processing, costs nothing; a retry that succeeds costs one, on the day it succeeds."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulator.common.clock import MSK, msk_day

RETENTION_S = 48 * 3600.0  # a finished report can be downloaded for 48 hours
DAILY_QUOTA = 20


def until_msk_midnight(now: float) -> int:
    """Whole seconds from `now` to the next Moscow midnight, rounded up."""
    midnight = datetime.combine(msk_day(now) + timedelta(days=1), datetime.min.time(), tzinfo=MSK)
    return math.ceil(midnight.timestamp() - now)


def msk_text(moment: float) -> str:
    """WB's list timestamp: Moscow time, "YYYY-MM-DD HH:MM:SS"."""
    return datetime.fromtimestamp(moment, tz=MSK).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Report:
    """One ordered report. `started` is when the latest (re)generation began; `failed` is decided
    when it begins, so the timeline is a pure function of the clock."""

    id: str
    sid: str
    report_type: str
    params: dict
    name: str
    start_date: str
    end_date: str
    created: float
    started: float = 0.0
    failed: bool = False
    retried: bool = False
    file: Future | None = None  # its (ZIP, data rows), built once, from its first listing under way


class ReportStore:
    """Thread-safe registry of reports and of the per-seller switches that shape them."""

    def __init__(self, wait_s: float = 5.0, ready_s: float = 60.0) -> None:
        if not 0 <= wait_s <= ready_s:
            raise ValueError("need 0 <= report_wait_s <= report_ready_s")
        self.wait_s = wait_s
        self.ready_s = ready_s
        self._lock = threading.Lock()
        self._reports: dict[str, dict[str, Report]] = {}  # seller -> report id -> report
        self._no_jam: set[str] = set()
        self._forced: dict[str, int] = {}

    def status(self, report: Report, now: float) -> str | None:
        """WAITING/RETRY -> PROCESSING -> SUCCESS or FAILED; None once a SUCCESS has expired."""
        age = now - report.started
        if age < self.wait_s:
            return "RETRY" if report.retried else "WAITING"
        if age < self.ready_s:
            return "PROCESSING"
        if report.failed:
            return "FAILED"
        return "SUCCESS" if age < self.ready_s + RETENTION_S else None

    def finished(self, report: Report) -> float:
        return report.started + self.ready_s

    def _begin(self, report: Report, now: float, chance: Callable[[], bool]) -> None:
        """Start a generation; a forced failure is used up before the random draw is made."""
        report.started = now
        forced = self._forced.get(report.sid, 0)
        if forced:
            self._forced[report.sid] = forced - 1
        report.failed = bool(forced) or chance()

    def _succeeded_today(self, sid: str, now: float) -> int:
        """The seller's reports that reached SUCCESS this Moscow day: the quota counts outcomes,
        so neither a FAILED generation nor one still under way uses it. Lock held by the caller."""
        today = msk_day(now)
        return sum(
            1
            for report in self._reports.get(sid, {}).values()
            if self.status(report, now) == "SUCCESS" and msk_day(self.finished(report)) == today
        )

    def add(self, report: Report, now: float, chance: Callable[[], bool]) -> str | None:
        """Store a new report; 'duplicate' or 'quota' if refused (then nothing changes)."""
        with self._lock:
            mine = self._reports.setdefault(report.sid, {})
            old = mine.get(report.id)
            if old is not None and self.status(old, now) is not None:
                return "duplicate"
            if self._succeeded_today(report.sid, now) >= DAILY_QUOTA:
                return "quota"
            self._begin(report, now, chance)
            mine[report.id] = report
        return None

    def retry(self, report: Report, now: float, chance: Callable[[], bool]) -> bool:
        """Regenerate a FAILED report; False if it is in any other state."""
        with self._lock:
            if self.status(report, now) != "FAILED":
                return False
            report.retried = True
            self._begin(report, now, chance)
        return True

    def get(self, sid: str, report_id: str, now: float) -> tuple[Report, str] | None:
        """The seller's report and its status, unless it does not exist or has expired."""
        with self._lock:
            report = self._reports.get(sid, {}).get(report_id)
            status = self.status(report, now) if report else None
        return (report, status) if report and status else None

    def listed(self, sid: str, ids: set[str] | None, now: float) -> list[tuple[Report, str]]:
        """The seller's live reports (those among `ids` if given), oldest first."""
        with self._lock:
            found = [
                (r, self.status(r, now))
                for rid, r in self._reports.get(sid, {}).items()
                if ids is None or rid in ids
            ]
        return sorted(((r, s) for r, s in found if s), key=lambda pair: pair[0].created)

    def set_jam(self, sid: str, jam: bool) -> None:
        with self._lock:
            (self._no_jam.discard if jam else self._no_jam.add)(sid)

    def has_jam(self, sid: str) -> bool:
        with self._lock:
            return sid not in self._no_jam

    def force_failures(self, sid: str, times: int) -> None:
        """The seller's next `times` generations (retries included) end FAILED."""
        with self._lock:
            self._forced[sid] = times

    def clear(self) -> None:
        with self._lock:
            self._reports.clear()
            self._no_jam.clear()
            self._forced.clear()
