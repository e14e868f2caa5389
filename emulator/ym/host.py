"""What Yandex Market handlers and the YM request pipeline use of the emulator serving them."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from emulator.common.clock import msk_day
from emulator.common.host import Host
from emulator.ym.state import YmState


class YmHost(Host, Protocol):
    ym: YmState

    @property
    def url(self) -> str:
        """The server's base URL (file links when a request names no Host)."""


def today(emu: YmHost) -> date:
    """The Moscow date, the day Yandex Market's snapshots belong to."""
    return msk_day(emu.clock.now())
