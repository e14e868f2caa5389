"""The door every API call goes through: ask the limiter, then send; turn 429s and 420s into shared pauses.

Both stages raise `Wait` instead of sleeping, and the task re-queues itself with that
countdown, so no worker slot is ever held while a bucket refills.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import redis
import requests
import structlog

from harvester.accounts import Account
from harvester.catalog.model import Call
from harvester.client.errors import HarvestError, QuotaExhausted, RateLimited
from harvester.client.http import Request
from harvester.metrics import count
from harvester.parse import dig
from harvester.runtime import Runtime

log = structlog.get_logger(__name__)


class Wait(Exception):
    """Come back in `countdown` real seconds; `booking` is a token reserved for then (see limiter)."""

    def __init__(self, countdown: float, booking: dict[str, Any] | None = None, reason: str = "rate limit") -> None:
        super().__init__(f"{reason}: wait {countdown:.3f}s")
        self.countdown = countdown
        self.booking = booking


def entity_of(request: Request | None) -> str:
    """What Yandex Market counts a request against: the campaign or business in its URL, else the key."""
    found = _ENTITY.search(request.path) if request is not None else None
    return f"{found.group(1)}:{found.group(2)}" if found else "account"


_ENTITY = re.compile(r"/(campaigns|businesses)/(\d+)")


def _budget_scope(call: Call, request: Request | None) -> str:
    """Whose window a YM call draws on: its URL entity's, or the whole key's."""
    return entity_of(request) if call.limit.per_entity else "account"


class Gate:
    """One per task run: holds the tickets of calls it may send, and releases them.

    `close()` (the task calls it in `finally`) releases a ticket whose call was never sent.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._held: dict[str, list[Callable[[], None]]] = {}
        self._refunds: dict[str, Callable[[], None]] = {}  # YM window charges a 5xx answer did not spend

    def acquire(self, account: Account, call: Call, booking: dict[str, Any] | None = None,
                request: Request | None = None) -> None:
        """Take what `call` needs (an in-flight slot, its budget) or raise `Wait`.

        `booking` is a WB token reserved earlier; `request` names the YM entity and the cost.
        """
        group, tier, limiter = call.limit, account.limit_tier(), self._rt.limiter
        entity = entity_of(request)
        releases: list[Callable[[], None]] = []
        if call.parallel:
            slot = limiter.take_slot(account.marketplace, account.id, entity, call.parallel)
            if not slot:
                raise Wait(max(self._rt.settings.scaled(1.0), 0.01), reason="requests in flight")
            releases.append(lambda: limiter.release_slot(account.marketplace, account.id, entity, slot))
        if group.window:
            cost = len(dig(request.json, call.cost) or ()) if call.cost and request is not None else 1
            scope = _budget_scope(call, request)
            decision = limiter.acquire_window(account.marketplace, account.id, group, tier, scope, cost)
            if decision.go:
                releases.append(lambda: limiter.release_window(account.marketplace, account.id, group, scope,
                                                               decision.ticket))
                self._refunds[group.name] = lambda: limiter.refund_window(account.marketplace, account.id, group,
                                                                          scope, decision.ticket)
            held = None
        else:
            mine = booking if booking and booking.get("group") == group.name else {}
            decision = limiter.acquire(account.marketplace, account.id, group, tier,
                                       ticket=mine.get("ticket", ""), due=mine.get("due", 0))
            if decision.go:
                releases.append(lambda: limiter.release(account.marketplace, account.id, group, tier, decision.ticket))
            held = {"group": group.name, "ticket": decision.ticket, "due": decision.due} if decision.due else None
        if not decision.go:
            for release in releases:
                release()
            raise Wait(decision.wait, held)
        self._held[group.name] = releases

    @property
    def redis(self) -> redis.Redis:
        return self._rt.redis

    def _release(self, group: str) -> None:
        for release in self._held.pop(group, ()):
            release()

    def close(self) -> None:
        self._refunds.clear()
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
            if call.limit.window:
                self._rt.limiter.pause_window(account.marketplace, account.id, call.limit,
                                              _budget_scope(call, request), exc.wait)
            else:
                self._rt.limiter.pause(account.marketplace, account.id, call.limit, exc.wait)
            log.warning("rate_limited_by_api", group=call.limit.name, retry_after=exc.wait, call=request.label,
                        status=exc.status)
            count(self._rt.redis, "harvester_rate_limited_total", marketplace=account.marketplace, group=call.limit.name)
            raise Wait(self._rt.settings.scaled(exc.wait), reason=f"{exc.status} from the API") from None
        except HarvestError as exc:
            status = exc.status or status
            if isinstance(status, int) and status >= 500 and call.limit.name in self._refunds:
                self._refunds[call.limit.name]()  # before the release below, which then finds nothing
            raise
        finally:
            self._refunds.pop(call.limit.name, None)
            self._release(call.limit.name)
            count(self._rt.redis, "harvester_requests_total", marketplace=account.marketplace,
                  path=call.path, status=str(status))
