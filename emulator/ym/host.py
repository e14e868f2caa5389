"""What Yandex Market routes use of the emulator serving them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from emulator.common.clock import msk_day

if TYPE_CHECKING:
    from emulator.server import Emulator


def today(emu: Emulator) -> date:
    """The Moscow date, the day Yandex Market's snapshots belong to."""
    return msk_day(emu.clock.now())
