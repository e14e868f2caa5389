"""The door every API call goes through: ask the limiter, then send; turn 429s into shared pauses.

Both stages raise `Wait` instead of sleeping, and the task re-queues itself with that
countdown, so no worker slot is ever held while a bucket refills.
"""

from __future__ import annotations

import requests
import structlog

from harvester.accounts import Account
from harvester.catalog.model import Call
from harvester.client.errors import QuotaExhausted, RateLimited
from harvester.client.http import Request
from harvester.runtime import Runtime

log = structlog.get_logger(__name__)


class Wait(Exception):
    """Come back in `countdown` real seconds; `booked` names a token reserved for then (see limiter)."""

    def __init__(self, countdown: float, booked: int = 0, reason: str = "rate limit") -> None:
        super().__init__(f"{reason}: wait {countdown:.3f}s")
        self.countdown = countdown
        self.booked = booked


class Gate:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def acquire(self, account: Account, call: Call, booked: int = 0) -> None:
        """Take a token for `call` (or the one booked earlier), or raise `Wait`."""
        decision = self._rt.limiter.acquire(
            account.marketplace, account.id, call.limit, account.token_type(), booked=booked
        )
        if not decision.go:
            raise Wait(decision.wait, decision.booked)

    def send(self, account: Account, request: Request, call: Call, stream: bool = False) -> requests.Response:
        """Send a request whose token is already taken; a 429 pauses the bucket for every worker.

        A spent daily report quota is not a rate limit: it passes through for the flow to plan with.
        """
        try:
            return self._rt.client.send(account, request, stream=stream)
        except QuotaExhausted:
            raise
        except RateLimited as exc:
            self._rt.limiter.pause(account.marketplace, account.id, call.limit, exc.wait)
            log.warning("rate_limited_by_api", group=call.limit.name, retry_after=exc.wait, call=request.label)
            raise Wait(self._rt.settings.scaled(exc.wait), reason="429 from the API") from None
