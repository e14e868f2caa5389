"""Typed errors, split by what the caller does next, and the table that maps answers to them.

    HarvestError                 message never contains a token
    ├── Retriable                the task re-queues itself with a countdown
    │   ├── RateLimited(wait)    429 (WB) / 420 (YM), or our own limiter said "wait"
    │   │   └── QuotaExhausted   WB's 429 "daily response limit" for CSV reports: wait for the next day
    │   └── Transient            5xx, timeout, broken connection, malformed body
    ├── Fatal                    the account must be fixed; recorded once, never retried
    │   ├── Unauthorized         401: missing, malformed or expired token: the whole token is refused
    │   │   └── ScopeDenied      401 "token scope not allowed": the token lacks this route's category
    │   ├── PaymentRequired      402
    │   └── Forbidden            403: blocked, or a subscription (Jam) is missing
    └── BadRequest               400, 404, 413, 422: our request is wrong; recorded, not retried
"""

from __future__ import annotations

import json
import time
from email.utils import parsedate_to_datetime

import requests

from harvester.core.logs import scrub


class HarvestError(Exception):
    """Base of every failure a harvest records; `status` is the HTTP status when the API answered."""

    status: int | None = None


class Retriable(HarvestError):
    pass


class RateLimited(Retriable):
    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


class QuotaExhausted(RateLimited):
    pass


class Transient(Retriable):
    pass


class Fatal(HarvestError):
    pass


class Unauthorized(Fatal):
    pass


class ScopeDenied(Unauthorized):
    pass


class PaymentRequired(Fatal):
    pass


class Forbidden(Fatal):
    pass


class BadRequest(HarvestError):
    pass


# (marketplace, HTTP status) → error; statuses not listed and >= 500 are Transient.
STATUS_ERRORS: dict[tuple[str, int], type[HarvestError]] = {
    **{(mp, 400): BadRequest for mp in ("wb", "ym")},
    **{(mp, 401): Unauthorized for mp in ("wb", "ym")},
    **{(mp, 402): PaymentRequired for mp in ("wb", "ym")},
    **{(mp, 403): Forbidden for mp in ("wb", "ym")},
    **{(mp, 404): BadRequest for mp in ("wb", "ym")},
    **{(mp, 413): BadRequest for mp in ("wb", "ym")},
    **{(mp, 422): BadRequest for mp in ("wb", "ym")},
    ("wb", 429): RateLimited,
    ("ym", 420): RateLimited,
    ("ym", 429): RateLimited,
}


# (marketplace, HTTP status, text in the body) → error, checked before STATUS_ERRORS.
BODY_MARKERS: list[tuple[str, int, str, type[HarvestError]]] = [
    ("wb", 401, "token scope not allowed", ScopeDenied),
    ("wb", 429, "daily response limit", QuotaExhausted),
    ("wb", 429, "лимит отчётов в сутки", QuotaExhausted),
]


def retry_after(marketplace: str, response: requests.Response) -> float:
    """API seconds to wait, from the marketplace's own headers (reference §3.3; YM §4)."""
    headers = response.headers
    if marketplace == "ym" and "X-RateLimit-Resource-Until" in headers:
        # Until is the server's clock; its own Date header makes the wait immune to clock skew.
        until = parsedate_to_datetime(headers["X-RateLimit-Resource-Until"]).timestamp()
        now = parsedate_to_datetime(headers["Date"]).timestamp() if "Date" in headers else time.time()
        return max(0.0, until - now) + 1.0  # both have whole seconds: never come back early
    for name in ("X-Ratelimit-Retry", "Retry-After"):
        try:
            return max(0.0, float(headers[name]))
        except (KeyError, ValueError):
            continue
    return 60.0


def _detail(response: requests.Response) -> str:
    """A short, readable reason from an error body of any documented family."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200].strip()
    if isinstance(body, dict):
        for key in ("detail", "errorText", "message", "error", "title"):
            if body.get(key):
                return str(body[key])[:200]
        if body.get("errors"):
            return json.dumps(body["errors"], ensure_ascii=False)[:200]
    return json.dumps(body, ensure_ascii=False)[:200]


def error_for(marketplace: str, response: requests.Response, label: str) -> HarvestError | None:
    """The typed error an answer means, or None for a success."""
    status = response.status_code
    if status < 400:
        return None
    kind = STATUS_ERRORS.get((marketplace, status), Transient if status >= 500 else BadRequest)
    body = response.text.lower()
    kind = next((k for mp, st, marker, k in BODY_MARKERS if (mp, st) == (marketplace, status) and marker in body), kind)
    # Scrubbed here, not only in logs: the message is stored in the run log too.
    message = scrub(f"{label}: HTTP {status}: {_detail(response)}")
    error = kind(message, retry_after(marketplace, response)) if issubclass(kind, RateLimited) else kind(message)
    error.status = status
    return error
