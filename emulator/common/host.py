"""What route handlers and request pipelines use of the emulator serving them: the data seed,
emulated time, injected faults and the stats counters. server.Emulator is one; handlers are typed
against this protocol (and the marketplaces' extensions in wb.host and ym.host), so no route
module imports the server."""

from __future__ import annotations

from typing import Protocol

from emulator.common.clock import Clock
from emulator.common.faults import Faults


class Host(Protocol):
    seed: int
    clock: Clock
    faults: Faults

    def count(self, sid: str, counter: str) -> None:
        """Bump one of a seller's event counters in the stats."""

    def count_request(self, sid: str, key: str, limited: bool = False, unauthorized: bool = False) -> None:
        """Count one data request of a seller to a route."""

    def chance(self, rate: float) -> bool:
        """A draw of the seeded RNG: True with probability `rate`."""

    def report_fails(self) -> bool:
        """Whether a report generation fails at random (Faults.report_fail_rate)."""
