"""The Yandex Market request pipeline: Api-Key -> scope and entity access -> at most 4 in
flight per entity -> resource quota -> faults -> handler -> charge. Errors use YM's envelope
`{"status": "ERROR", "errors": [{"code", "message"}]}` (yandex-market-api.md §2.3); limits
answer 420 with the `X-RateLimit-Resource-*` headers (§2.4), which every charged answer carries.
"""

from __future__ import annotations

import json
import time

from emulator.common.router import Request, Response, Route, answer, json_response, truncate
from emulator.ym.auth import ROUTE_SCOPES, YmKey, parse_ym_key
from emulator.ym.host import YmHost
from emulator.ym.state.quotas import QUOTAS


def ok(result: object) -> Response:
    return json_response(200, {"status": "OK", "result": result})


def ym_error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"status": "ERROR", "errors": [{"code": code, "message": message}]})


def bad_request(message: str) -> Response:
    return ym_error(400, "BAD_REQUEST", message)


def _key(req: Request) -> YmKey | Response:
    raw = (req.headers.get("Api-Key") or "").strip()
    if not raw:
        return ym_error(401, "UNAUTHORIZED", "Api-Key token is not specified")
    if raw[:7].lower() == "bearer ":
        return ym_error(401, "UNAUTHORIZED", "Api-Key token prefix invalid")
    try:
        return parse_ym_key(raw)
    except ValueError as exc:
        return ym_error(401, "UNAUTHORIZED", str(exc))


def _entity(req: Request, key: YmKey) -> str | Response:
    """The entity limits count against (by URL), after checking the key may use it."""
    for name, owned in (("campaignId", key.campaign_ids), ("businessId", (key.business_id,))):
        if name in req.params:
            raw = req.params[name]
            if not raw.isdigit() or int(raw) < 1:
                return bad_request(f"Parameter {name} must be a positive integer")
            if int(raw) not in owned:
                return ym_error(403, "FORBIDDEN", f"Access denied to {name} {raw}")
            return f"{name}:{int(raw)}"
    return f"businessId:{key.business_id}"


def _cost(route: Route, resp: Response) -> int:
    """Requests cost 1; item quotas cost the size of the answer's list (none for an error)."""
    path = QUOTAS[route.group or ""].items
    if not path:
        return 1
    if resp.status != 200:
        return 0
    try:
        found = json.loads(resp.body)
    except ValueError:
        return 0
    for part in path.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return len(found) if isinstance(found, list) else 0


def serve_ym(emu: YmHost, route: Route, req: Request) -> Response:
    """Run one YM data request through auth, limits and faults."""
    key = _key(req)
    if isinstance(key, Response):
        return key
    req.key, req.sid = key, key.sid
    if not key.scopes & ROUTE_SCOPES[route.scope or ""]:
        emu.count_request(key.sid, route.key, unauthorized=True)
        wanted = ", ".join(sorted(ROUTE_SCOPES[route.scope or ""]))
        return ym_error(403, "FORBIDDEN", f"Token does not have any of the scopes [{wanted}] required for this method")
    entity = _entity(req, key)
    if isinstance(entity, Response):
        emu.count_request(key.sid, route.key)
        return entity
    ym = emu.ym
    if not ym.limiter.enter(entity):
        emu.count_request(key.sid, route.key, limited=True)
        name, _, value = entity.partition(":")
        return ym_error(420, "LIMIT_EXCEEDED", f"Hit rate limit of 4 parallel requests for {name} {value}")
    try:
        return _limited(emu, route, req, key, entity)
    finally:
        ym.limiter.leave(entity)


def _limited(emu: YmHost, route: Route, req: Request, key: YmKey, entity: str) -> Response:
    faults = emu.faults
    if faults.latency_ms:
        time.sleep(faults.latency_ms / 1000)
    limiter, group = emu.ym.limiter, route.group or ""
    verdict = limiter.check(key.business_id, group, entity, key.tier, emu.clock.now())
    emu.count_request(key.sid, route.key, limited=bool(verdict.refusal))
    if verdict.refusal:
        resp = ym_error(420, "LIMIT_EXCEEDED", verdict.refusal)
        resp.headers.update(verdict.headers())
        return resp
    if emu.chance(faults.error_rate):
        return ym_error(500, "INTERNAL_ERROR", "emulated fault: internal error")  # 5xx: never charged
    resp = answer(route.handler, emu, req)
    if resp.status >= 500:
        return resp
    resp.headers.update(limiter.charge(group, entity, key.tier, _cost(route, resp), emu.clock.now()).headers())
    if emu.chance(faults.malformed_rate):
        resp = Response(200, truncate(resp.body), resp.content_type or "application/json", resp.headers)
    return resp
