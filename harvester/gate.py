"""The door every API call goes through: ask the limiter, then send; turn 429s into shared pauses.

Both stages raise `Wait` instead of sleeping, and the task re-queues itself with that
countdown, so no worker slot is ever held while a bucket refills.
"""

from __future__ import annotations

import redis
import requests
import structlog

from typing import Any

from harvester.accounts import Account
from harvester.catalog.model import Call, LimitGroup, TokenType
from harvester.client.errors import HarvestError, QuotaExhausted, RateLimited
from harvester.client.http import Request
from harvester.metrics import count
from harvester.runtime import Runtime

log = structlog.get_logger(__name__)


class Wait(Exception):
    """Come back in `countdown` real seconds; `booking` is a token reserved for then (see limiter)."""

    def __init__(self, countdown: float, booking: dict[str, Any] | None = None, reason: str = "rate limit") -> None:
        super().__init__(f"{reason}: wait {countdown:.3f}s")
        self.countdown = countdown
        self.booking = booking


class Gate:
    """One per task run: holds the tickets of calls it may send, and releases them.

    `close()` (the task calls it in `finally`) releases a ticket whose call was never sent.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._held: dict[str, tuple[Account, LimitGroup, TokenType, str]] = {}

    def acquire(self, account: Account, call: Call, booking: dict[str, Any] | None = None) -> None:
        """Take a token for `call` (or present the booking made for it earlier), or raise `Wait`."""
        group, token_type = call.limit, account.token_type()
        mine = booking if booking and booking.get("group") == group.name else {}
        decision = self._rt.limiter.acquire(account.marketplace, account.id, group, token_type,
                                            ticket=mine.get("ticket", ""), due=mine.get("due", 0))
        if not decision.go:
            held = {"group": group.name, "ticket": decision.ticket, "due": decision.due} if decision.due else None
            raise Wait(decision.wait, held)
        self._held[group.name] = (account, group, token_type, decision.ticket)

    @property
    def redis(self) -> redis.Redis:
        return self._rt.redis

    def _release(self, group: str) -> None:
        held = self._held.pop(group, None)
        if held is not None:
            account, limit, token_type, ticket = held
            self._rt.limiter.release(account.marketplace, account.id, limit, token_type, ticket)

    def close(self) -> None:
        for group in list(self._held):
            self._release(group)

    def send(self, account: Account, request: Request, call: Call, stream: bool = False) -> requests.Response:
        """Send a request whose token is taken; a 429 pauses the bucket for every worker.

        A spent daily report quota is not a rate limit: it passes through for the flow to plan with.
        """
        status: int | str = "error"
        try:
            response = self._rt.client.send(account, request, stream=stream)
            status = response.status_code
            return response
        except QuotaExhausted as exc:
            status = exc.status or status
            raise
        except RateLimited as exc:
            status = exc.status or status
            self._rt.limiter.pause(account.marketplace, account.id, call.limit, exc.wait)
            log.warning("rate_limited_by_api", group=call.limit.name, retry_after=exc.wait, call=request.label)
            count(self._rt.redis, "harvester_rate_limited_total", marketplace=account.marketplace, group=call.limit.name)
            raise Wait(self._rt.settings.scaled(exc.wait), reason="429 from the API") from None
        except HarvestError as exc:
            status = exc.status or status
            raise
        finally:
            self._release(call.limit.name)
            count(self._rt.redis, "harvester_requests_total", marketplace=account.marketplace,
                  path=call.path, status=str(status))
