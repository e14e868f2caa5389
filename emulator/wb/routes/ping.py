"""The connection check every WB host answers (01-general.yaml)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from emulator.common.clock import MSK
from emulator.common.router import Request, Response, json_response, route

if TYPE_CHECKING:
    from emulator.server import Emulator


@route("GET", "/ping", group="wb.ping", scope="analytics")
def ping(emu: Emulator, req: Request) -> Response:
    """Connection and token check (01-general.yaml): the token must carry this host's category."""
    moscow = datetime.fromtimestamp(emu.clock.now(), tz=MSK)
    return json_response(200, {"TS": moscow.isoformat(timespec="seconds"), "Status": "OK"})
