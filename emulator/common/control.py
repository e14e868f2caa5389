"""Control routes under /__emulator: no auth, never rate limited. Tests and benchmarks use them to
read counters, reset the emulator, and force faults and 429s; each marketplace adds its own
(wb.routes.control, ym.routes.control)."""

from __future__ import annotations

from typing import Protocol

from emulator.common.faults import Faults
from emulator.common.router import Request, Response, Router, json_response


class Controls(Protocol):
    """What the control routes use of the emulator (server.Emulator is one)."""

    def stats(self) -> dict: ...

    def reset(self) -> None: ...

    def set_faults(self, **changes: float) -> Faults: ...

    def throttle(self, seller: str, group: str, retry_after: float) -> str: ...


router = Router()


def json_object(req: Request) -> dict:
    body = req.json() if req.body else {}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def required_fields(body: dict, *names: str) -> None:
    missing = set(names) - body.keys()
    if missing:
        raise ValueError(f"missing fields: {sorted(missing)}")


@router.route("GET", "/__emulator/stats")
def stats(emu: Controls, req: Request) -> Response:
    return json_response(200, emu.stats())


@router.route("POST", "/__emulator/reset")
def reset(emu: Controls, req: Request) -> Response:
    emu.reset()
    return json_response(200, {"ok": True})


@router.route("POST", "/__emulator/faults")
def faults(emu: Controls, req: Request) -> Response:
    return json_response(200, emu.set_faults(**json_object(req)).as_dict())


@router.route("POST", "/__emulator/throttle")
def throttle(emu: Controls, req: Request) -> Response:
    body = json_object(req)
    required_fields(body, "seller", "group", "retry_after")
    sid = emu.throttle(body["seller"], body["group"], body["retry_after"])
    return json_response(200, {"seller": sid, "group": body["group"], "retry_after": body["retry_after"]})
