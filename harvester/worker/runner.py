"""One attempt at a unit of work, and what its end means.

The one place that turns what a harvest or a flow step raised into what the task does next:

    Wait                         run again when the limiter (or a poll interval) says, with its booking,
                                 or when its bucket's line comes to it
    our database or Redis down   run again after a backoff; an outage of our own is not the unit's failure
    Retriable                    run again after an exponential backoff, up to `max_retries`
    HarvestError, TokenError     a final failure, recorded once; a refusal also blocks what it refused
    anything else (a bug)        a final failure, logged with its traceback

`leased` keeps the unit's lease alive while the work runs, from the process's lease thread,
so a long download or load is never taken for a dead worker's.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
import structlog
from sqlalchemy.exc import OperationalError

from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account, TokenError, get_account
from harvester.core.errors import Forbidden, HarvestError, Retriable, ScopeDenied, Unauthorized
from harvester.core.settings import Settings, SettingsError
from harvester.pipeline.gate import Gate, Wait
from harvester.pipeline.limiter import Line
from harvester.pipeline.store import ledger
from harvester.pipeline.store.accounts_state import block_feature, fingerprint, mark_token_invalid
from harvester.pipeline.store.db import session_scope
from harvester.worker.runtime import Runtime

log = structlog.get_logger(__name__)

# Our own stores down (waited out, never counted), the API's passing failures (counted, retried),
# and what retrying cannot fix.
OUTAGE = (OperationalError, redis.ConnectionError, redis.TimeoutError)
OUTAGE_WAIT = 5.0  # real seconds between tries while our own database or Redis is down (never time-scaled)
RETRY = (Retriable,)
FINAL = (HarvestError, TokenError, SettingsError)


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: done, again after `countdown` seconds, or failed for good with `error`."""

    countdown: float = 0.0
    booking: dict[str, Any] | None = None  # a limiter token reserved for the next attempt (see gate.Wait)
    line: Line | None = None  # or the bucket's line to wait in for one
    failures: int = 0  # transient failures so far
    error: str | None = None
    kind: str = ""  # what failed, for the failure counter: the error's class, or "bug"


def attempt(rt: Runtime, account_id: str, endpoint: Endpoint, work: Callable[[Gate, Account], object],
            failures: int, what: str, rank: int | None = None) -> Outcome:
    """Run `work` once with a fresh gate for a unit of this `rank`; its budgets are released
    whatever happens."""
    gate = rt.gate(rank)
    account: Account | None = None
    try:
        account = get_account(account_id)
        work(gate, account)
        return Outcome(failures=failures)
    except Wait as wait:
        return Outcome(countdown=wait.countdown, booking=wait.booking, line=wait.line, failures=failures)
    except OUTAGE as exc:
        countdown = outage_wait()
        log.warning(f"{what}_outage", error=f"{type(exc).__name__}: {str(exc)[:200]}", countdown=countdown)
        return Outcome(countdown=countdown, failures=failures)
    except RETRY as exc:
        if failures >= rt.settings.max_retries:
            return Outcome(failures=failures, error=f"{exc} (after {failures} retries)", kind=type(exc).__name__)
        countdown = backoff(rt.settings, failures)
        log.warning(f"{what}_retry", error=str(exc), failures=failures + 1, countdown=countdown)
        return Outcome(countdown=countdown, failures=failures + 1)
    except FINAL as exc:
        error = about(account_id, exc)
        if account is not None:
            note_refusal(exc, account, endpoint, error)
        return Outcome(failures=failures, error=error, kind=type(exc).__name__)
    except Exception as exc:  # a bug: recorded where ops look, instead of a task that vanished
        log.exception(f"{what}_crashed")
        error = f"account {account_id}: unexpected {type(exc).__name__}: {str(exc)[:300]}"
        return Outcome(failures=failures, error=error, kind="bug")
    finally:
        gate.close()


def about(account_id: str, exc: Exception) -> str:
    """The failure as the run log shows it, naming the account once."""
    text = str(exc)
    return text if text.startswith(f"account {account_id}") else f"account {account_id}: {text}"


def backoff(settings: Settings, failures: int) -> float:
    """Exponential backoff with jitter for transient failures, in real seconds."""
    return min(settings.max_countdown, settings.scaled(5 * 2**failures)) * random.uniform(0.8, 1.2)


def outage_wait() -> float:
    """How long to wait out an outage of our own, with jitter so workers do not return at once."""
    return OUTAGE_WAIT * random.uniform(0.8, 1.2)


def account_print(account: Account, token: str) -> str:
    """Changes when the account's entry or its token does: either may lift a block."""
    return fingerprint(account.settings_fingerprint() + fingerprint(token))


def note_refusal(exc: Exception, account: Account, endpoint: Endpoint, error: str) -> None:
    """What a refusal stops until the account changes: a 401 the whole token; a 401 for a
    token category the token lacks (`ScopeDenied`) the endpoints of that category; a 403 the
    endpoint, or the subscription it requires."""
    if not isinstance(exc, Unauthorized | Forbidden):
        return
    with session_scope() as session:
        if isinstance(exc, ScopeDenied):
            feature = f"scope:{endpoint.scope}"
        elif isinstance(exc, Unauthorized):
            mark_token_invalid(session, account.id, account.token(), error)
            return
        else:
            feature = endpoint.requires or endpoint.name
        block_feature(session, account.id, feature, account_print(account, account.token()), error)


class Leases:
    """The leases this process holds, renewed by one thread that outlives them: a thread per
    unit cost a start and a join on every attempt, where most attempts end long before their
    first renewal is due. Each lease is renewed once a third of its `ttl` has passed, so it
    never comes within half its `ttl` of running out."""

    def __init__(self) -> None:
        self._forked()
        os.register_at_fork(after_in_child=self._forked)

    def _forked(self) -> None:
        """A fresh start: a forked child holds none of its parent's leases, nor its thread."""
        self._held: dict[tuple[int, str], tuple[float, float]] = {}  # (unit, owner) -> ttl, renewed at
        self._lock = threading.Lock()  # held while renewing: a lease let go is never renewed after
        self._thread: threading.Thread | None = None
        self._pause = float("inf")  # a sixth of the shortest ttl held so far

    @contextmanager
    def held(self, unit_id: int, owner: str, ttl: float) -> Iterator[None]:
        """Keep the lease alive while the block runs."""
        with self._lock:
            self._held[(unit_id, owner)] = (ttl, time.monotonic())
            self._pause = min(self._pause, ttl / 6)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="leases", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop((unit_id, owner), None)  # gone already if it was lost

    def _run(self) -> None:
        while True:
            time.sleep(self._pause)
            with self._lock:
                self._renew_due()

    def _renew_due(self) -> None:
        now = time.monotonic()
        for (unit_id, owner), (ttl, renewed) in list(self._held.items()):
            if now - renewed < ttl / 3:
                continue
            try:
                with session_scope() as session:
                    kept = ledger.renew(session, unit_id, owner, ttl)
            except OUTAGE as exc:  # the lease may run out; a take-over then repeats idempotent work
                log.warning("lease_renew_failed", unit=unit_id, error=str(exc)[:200])
                continue
            if kept:
                self._held[(unit_id, owner)] = (ttl, now)
            else:
                log.warning("lease_lost", unit=unit_id)
                del self._held[(unit_id, owner)]


leased = Leases().held
