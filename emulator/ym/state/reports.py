"""Yandex Market async reports (yandex-market-api.md §4.1) as state: PENDING -> PROCESSING ->
DONE or FAILED on a timeline in emulated seconds from the generate call. The rows are made at
generate time, so a report without rows ends DONE (or FAILED, per business) with subStatus
NO_DATA. Every info call mints a new file link that works for 60 emulated minutes.

A cabinet generates at most `active_limit` reports at once; one more is refused with 420
"Active reports limit exceeded" (§2.4 item 4; the per-tariff number is UNVERIFIED upstream).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass

LINK_TTL_S = 3600.0  # a file link is valid 60 minutes
RETENTION_S = 86400.0  # how long a finished report stays known (UNVERIFIED upstream; a day here)
ACTIVE_LIMIT = 5  # reports generating at once per cabinet (the tariff's number is UNVERIFIED upstream)


@dataclass
class YmReport:
    id: str
    business_id: int
    sheet: str
    columns: tuple[str, ...]
    rows: list[dict]
    file_format: str
    requested: float
    failed: bool
    no_data_status: str = "DONE"


class YmReports:
    """Thread-safe report registry, per-business forced failures and the link signer."""

    def __init__(self, wait_s: float = 5.0, ready_s: float = 60.0) -> None:
        if not 0 <= wait_s <= ready_s:
            raise ValueError("need 0 <= report_wait_s <= report_ready_s")
        self.wait_s = wait_s
        self.ready_s = ready_s
        self.active_limit = ACTIVE_LIMIT
        self._lock = threading.Lock()
        self._reports: dict[str, YmReport] = {}
        self._forced: dict[int, int] = {}
        self._no_data: dict[int, str] = {}
        self._secret = secrets.token_bytes(16)

    def add(self, report: YmReport, chance: bool) -> bool:
        """Register a report; it fails if the business has forced failures left or `chance` says so.
        False, registering nothing, while the business has `active_limit` reports generating."""
        with self._lock:
            generating = sum(1 for r in self._reports.values()
                             if r.business_id == report.business_id and report.requested < self.finished(r))
            if generating >= self.active_limit:
                return False
            forced = self._forced.get(report.business_id, 0)
            if forced:
                self._forced[report.business_id] = forced - 1
            report.failed = bool(forced) or chance
            report.no_data_status = self._no_data.get(report.business_id, "DONE")
            self._reports[report.id] = report
        return True

    def get(self, report_id: str, now: float, business_id: int | None = None) -> YmReport | None:
        """The report (of that business, if one is named), unless unknown or past retention."""
        with self._lock:
            report = self._reports.get(report_id)
        if report is None or business_id not in (None, report.business_id):
            return None
        return report if now < self.finished(report) + RETENTION_S else None

    def finished(self, report: YmReport) -> float:
        return report.requested + self.ready_s

    def status(self, report: YmReport, now: float) -> tuple[str, str | None]:
        """(status, subStatus) at `now`."""
        age = now - report.requested
        if age < self.wait_s:
            return "PENDING", None
        if age < self.ready_s:
            return "PROCESSING", None
        if report.failed:
            return "FAILED", None
        if not report.rows:
            return report.no_data_status, "NO_DATA"
        return "DONE", None

    def sign(self, report_id: str, expires: int) -> str:
        return hmac.new(self._secret, f"{report_id}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def link_ok(self, report_id: str, expires: str, signature: str, now: float) -> bool:
        """Whether a file link is genuine and not yet expired."""
        if not expires.isdigit() or not hmac.compare_digest(self.sign(report_id, int(expires)), signature):
            return False
        return now < int(expires)

    def force_failures(self, business_id: int, times: int) -> None:
        with self._lock:
            self._forced[business_id] = times

    def set_no_data_status(self, business_id: int, status: str) -> None:
        """Whether the business's empty reports end DONE or FAILED (upstream UNVERIFIED: both seen)."""
        if status not in ("DONE", "FAILED"):
            raise ValueError("no_data_status must be DONE or FAILED")
        with self._lock:
            self._no_data[business_id] = status

    def clear(self) -> None:
        with self._lock:
            self._reports.clear()
            self._forced.clear()
            self._no_data.clear()
            self.active_limit = ACTIVE_LIMIT
