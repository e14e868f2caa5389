"""The connection check every WB host answers (01-general.yaml)."""

from __future__ import annotations

from datetime import datetime

from emulator.common.clock import MSK
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.host import WbHost

router = Router()


@router.route("GET", "/ping", group="wb.ping", scope="analytics")
def ping(emu: WbHost, req: Request) -> Response:
    """Connection and token check (01-general.yaml): the token must carry this host's category."""
    moscow = datetime.fromtimestamp(emu.clock.now(), tz=MSK)
    return json_response(200, {"TS": moscow.isoformat(timespec="seconds"), "Status": "OK"})
