"""The door every API call goes through: take the call's budgets from the limiter, send, decode;
turn 429s and 420s into shared pauses.

Both stages raise `Wait` instead of sleeping: the unit is parked until its booked token is due,
or waits in its bucket's line for one, so no worker slot is ever held while a bucket refills.
"""

from __future__ import annotations

import re
import time
from typing import Any

import redis
import requests
import structlog

from harvester.catalog.model import Call
from harvester.core.accounts import Account
from harvester.core.counters import count, count_all
from harvester.core.errors import HarvestError, QuotaExhausted, RateLimited
from harvester.core.request import Request, dig
from harvester.core.settings import Settings
from harvester.pipeline.client import Client, decode_json
from harvester.pipeline.limiter import Bucket, Budget, Limiter, Line, Slots, Window

log = structlog.get_logger(__name__)


class Wait(Exception):
    """Come back in `countdown` real seconds; `booking` is a token reserved for then, or `line`
    the bucket's line to wait in for one (see limiter)."""

    def __init__(self, countdown: float, booking: dict[str, Any] | None = None, reason: str = "rate limit",
                 line: Line | None = None) -> None:
        super().__init__(f"{reason}: wait {countdown:.3f}s")
        self.countdown = countdown
        self.booking = booking
        self.line = line


def entity_of(request: Request | None) -> str:
    """What Yandex Market counts a request against: the campaign or business in its URL, else the key."""
    found = _ENTITY.search(request.path) if request is not None else None
    return f"{found.group(1)}:{found.group(2)}" if found else "account"


_ENTITY = re.compile(r"/(campaigns|businesses)/(\d+)")


class Gate:
    """One per task run: holds the tickets of calls it may send, and releases them.

    `close()` (the task calls it in `finally`) releases a ticket whose call was never sent.
    """

    def __init__(self, limiter: Limiter, client: Client, redis_client: redis.Redis, settings: Settings,
                 rank: int | None = None) -> None:
        self._limiter = limiter
        self._client = client
        self._redis = redis_client
        self._settings = settings
        self._rank = rank  # the unit's place in its buckets' lines, which it yields to (see `Limiter.acquire`)
        self._held: dict[str, list[tuple[Budget, str]]] = {}  # limit group → the budgets taken, with tickets

    @property
    def redis(self) -> redis.Redis:
        return self._redis

    def budgets(self, account: Account, call: Call, request: Request | None = None) -> list[Budget]:
        """What `call` draws on: in-flight slots where the API caps them, then its window or bucket,
        all the seller's (`Account.budget_owner`), whichever entry of the accounts file asks."""
        group, tier, mp, owner = call.limit, account.limit_tier(), account.marketplace, account.budget_owner()
        found: list[Budget] = []
        if call.parallel:
            retry = max(self._settings.scaled(1.0), 0.01)
            found.append(Slots(self._limiter, mp, owner, entity_of(request), call.parallel, retry))
        if group.window:
            cost = len(dig(request.json, call.cost) or ()) if call.cost and request is not None else 1
            scope = entity_of(request) if group.per_entity else "account"
            found.append(Window(self._limiter, mp, owner, group, tier, scope, cost))
        else:
            found.append(Bucket(self._limiter, mp, owner, group, tier, self._rank))
        return found

    def line(self, account: Account, call: Call) -> Line | None:
        """The line a unit starting with `call` can wait in before it first runs: a call that
        draws on one bucket alone has one."""
        budgets = self.budgets(account, call)
        return budgets[0].line() if len(budgets) == 1 else None

    def acquire(self, account: Account, call: Call, booking: dict[str, Any] | None = None,
                request: Request | None = None) -> None:
        """Take what `call` needs or raise `Wait`.

        `booking` is a WB token reserved earlier; `request` names the YM entity and the cost.
        """
        taken: list[tuple[Budget, str]] = []
        for budget in self.budgets(account, call, request):
            decision = budget.take(booking)
            if not decision.go:
                for held, ticket in taken:
                    held.release(ticket)
                if decision.due:
                    raise Wait(decision.wait, {"group": budget.name, "ticket": decision.ticket, "due": decision.due},
                               reason=budget.name)
                raise Wait(decision.wait, reason=budget.name, line=budget.line())
            taken.append((budget, decision.ticket))
        self._held[call.limit.name] = taken

    def call(self, account: Account, request: Request, call: Call, booking: dict[str, Any] | None = None) -> Any:
        """`fetch`, and decode the JSON answer."""
        return decode_json(self.fetch(account, request, call, booking), request.label)

    def fetch(self, account: Account, request: Request, call: Call, booking: dict[str, Any] | None = None,
              stream: bool = False) -> requests.Response:
        """Take the call's budgets (unless this gate holds them already) and send; the answer as it
        came (`stream`: its body left unread, for files spooled to disk)."""
        if call.limit.name not in self._held:
            self.acquire(account, call, booking, request)
        return self.send(account, request, call, stream=stream)

    def _release(self, group: str) -> None:
        for budget, ticket in self._held.pop(group, ()):
            budget.release(ticket)

    def close(self) -> None:
        for group in list(self._held):
            self._release(group)

    def send(self, account: Account, request: Request, call: Call, stream: bool = False) -> requests.Response:
        """Send a request whose budgets are taken; a 429 pauses them for every worker.

        A spent daily report quota is not a rate limit: it passes through for the flow to plan with.
        """
        status: int | str = "error"
        started = time.monotonic()
        try:
            response = self._client.send(account, request, stream=stream)
            status = response.status_code
            return response
        except QuotaExhausted as exc:
            status = exc.status or status
            raise
        except RateLimited as exc:
            status = exc.status or status
            budgets = self.budgets(account, call, request)
            for budget in budgets:
                budget.pause(exc.wait)
            log.warning("rate_limited_by_api", group=call.limit.name, retry_after=exc.wait, call=request.label,
                        status=exc.status)
            count(self._redis, "harvester_rate_limited_total", marketplace=account.marketplace, group=call.limit.name)
            raise Wait(self._settings.scaled(exc.wait), reason=f"{exc.status} from the API",
                       line=budgets[-1].line()) from None
        except HarvestError as exc:
            status = exc.status or status
            if isinstance(status, int) and status >= 500:
                for budget, ticket in self._held.get(call.limit.name, ()):
                    budget.refund(ticket)  # before the release below
            raise
        finally:
            self._release(call.limit.name)
            labels = {"marketplace": account.marketplace, "path": call.path, "status": str(status)}
            count_all(self._redis, {"harvester_requests_total": 1,
                                    "harvester_request_seconds_total": time.monotonic() - started}, **labels)
