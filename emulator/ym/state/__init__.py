"""What the emulator remembers between Yandex Market requests: quotas, reports and injected enum
values."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.ym.state.quotas import YmLimiter
from emulator.ym.state.reports import YmReports


@dataclass
class YmState:
    """Everything the emulator keeps for Yandex Market: quotas, reports, injected enum values."""

    limiter: YmLimiter = field(default_factory=YmLimiter)
    reports: YmReports = field(default_factory=YmReports)
    novel: tuple[str, str] | None = None  # (tariff type, stock type) served outside the enums

    def clear(self) -> None:
        self.limiter.clear()
        self.reports.clear()
        self.novel = None
