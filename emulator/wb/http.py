"""The Wildberries request pipeline: latency fault -> token (format, expiry, scope) -> the seller's
bucket of the route's limit group -> error and malformed-body faults -> handler. Refusals are the
API gateway's own error bodies (error_bodies.gateway)."""

from __future__ import annotations

import time

from emulator.common.router import Request, Response, Route, truncate
from emulator.wb.auth import SCOPE_BITS, parse_wb_token, token_kind
from emulator.wb.error_bodies import gateway, too_many, unauthorized
from emulator.wb.host import WbHost


def serve_wb(emu: WbHost, found_route: Route, req: Request) -> Response:
    """Run one WB data request through auth, its limit group's bucket and faults."""
    faults = emu.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    claims = _authorize(emu, found_route, req)
    if isinstance(claims, Response):
        return claims
    req.sid = claims["sid"]
    decision = emu.limiter.take(req.sid, found_route.group or "", token_kind(claims), emu.clock.now())
    emu.count_request(req.sid, found_route.key, limited=not decision.allowed)
    if not decision.allowed:
        resp = too_many(emu.clock)
        resp.headers.update(
            {
                "X-Ratelimit-Retry": str(decision.retry),
                "X-Ratelimit-Limit": str(decision.limit),
                "X-Ratelimit-Reset": str(decision.reset),
            }
        )
        return resp
    if emu.chance(faults.error_rate):
        resp = gateway(emu.clock, 503, "service unavailable", "emulated fault: upstream service is unavailable")
    else:
        resp = found_route.handler(emu, req)
        if emu.chance(faults.malformed_rate):
            resp = Response(200, truncate(resp.whole().body), resp.content_type or "application/json; charset=utf-8")
    if resp.status == 429:  # a handler's own 429 (the daily CSV quota): no bucket header, but counted
        emu.count(req.sid, "429")
    else:
        resp.headers["X-Ratelimit-Remaining"] = str(decision.remaining)
    return resp


def _authorize(emu: WbHost, found_route: Route, req: Request) -> dict | Response:
    raw = (req.headers.get("Authorization") or "").strip()
    if raw[:7].lower() == "bearer ":
        raw = raw[7:].strip()
    if not raw:
        return unauthorized(emu.clock, "empty Authorization header")
    try:
        claims = parse_wb_token(raw)
    except ValueError as exc:
        return unauthorized(emu.clock, f"token problem; token is malformed: {exc}")
    problem = None
    if claims["exp"] < time.time():
        problem = "token problem; token is expired"
    elif not claims["s"] >> SCOPE_BITS[found_route.scope or ""] & 1:
        problem = "token scope not allowed for this API route"
    if problem:  # the seller is known, so the refusal shows in its stats
        emu.count_request(claims["sid"], found_route.key, unauthorized=True)
        return unauthorized(emu.clock, problem)
    return claims
