"""Error bodies, one builder per family WB uses (wb-api.md §3.4), so every route answers
with exactly the shape the real service would."""

from __future__ import annotations

import secrets
import uuid

from emulator.common.clock import Clock
from emulator.common.router import Response, json_response

GATEWAY = "s2s-api-auth-catalog"
STATISTICS = "api-statistics"
ANALYTICS = "analytic-open-api"  # the stocks-report spelling (ErrorObject400 example)
ANALYTICS_CSV = "analytics-open-api"  # the nm-report downloads spelling (their own examples)
STATUS_TEXT = {401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable"}


def request_id() -> str:
    return secrets.token_hex(16)


def gateway(clock: Clock, status: int, title: str, detail: str) -> Response:
    """The API gateway's own errors (401, 404 path, 429, 5xx)."""
    code = f"{secrets.token_hex(4)}-{secrets.token_hex(6)}-[UK-{secrets.token_urlsafe(8)[:11]}]"
    return json_response(
        status,
        {
            "title": title,
            "detail": detail,
            "code": code,
            "requestId": request_id(),
            "origin": GATEWAY,
            "status": status,
            "statusText": STATUS_TEXT[status],
            "timestamp": clock.timestamp(),
        },
    )


def unauthorized(clock: Clock, detail: str) -> Response:
    return gateway(clock, 401, "unauthorized", detail)


def too_many(clock: Clock) -> Response:
    return gateway(clock, 429, "too many requests", f"limited by {uuid.uuid4()}")


def path_not_found(clock: Clock) -> Response:
    return gateway(
        clock, 404, "path not found", "Please consult the https://dev.wildberries.ru/openapi/api-information"
    )


def problem(status: int, title: str, detail: str, origin: str = STATISTICS,
            content_type: str = "application/problem+json") -> Response:
    """Reports-service problem+json {detail, origin, requestId, title}: paid storage, §9 reports."""
    body = {"detail": detail, "origin": origin, "requestId": request_id(), "title": title}
    return json_response(status, body, content_type)


def bad_request(detail: str) -> Response:
    return problem(400, "Bad Request", detail)


def not_found() -> Response:
    return problem(404, "Not Found", "not found")


def analytics_error(status: int, title: str, detail: str, origin: str = ANALYTICS) -> Response:
    """analytics-open-api family (§3.4 family 3): {title, detail, requestId, origin}."""
    return json_response(status, {"title": title, "detail": detail, "requestId": str(uuid.uuid4()), "origin": origin})


def invalid_body(detail: str, origin: str = ANALYTICS) -> Response:
    """analytics-open-api ErrorObject400."""
    return analytics_error(400, "Invalid request body", detail, origin)


NOT_JSON = "code=400, message=Syntax error: request body is not valid JSON"  # the gateway's wording


def invalid_fields(errors: list[str], origin: str = ANALYTICS) -> Response:
    """ErrorObject400 listing every bad field the gateway's way: "invalid: a (reason), b (reason)"."""
    message = "invalid: " + ", ".join(errors)
    return invalid_body(f"code=400, message={message}, internal={message}", origin)
