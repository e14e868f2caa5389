"""What is due when: beat's few entries (one per cadence) and the windows each harvest covers.

Beat stays dumb: one entry per cadence fans out over accounts × catalog in `dispatch`, so
5,000 accounts are still a handful of beat entries. Dates are Moscow dates, the day WB and
YM close their reports by.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery.schedules import crontab, schedule

from harvester.catalog import endpoints_for
from harvester.catalog.model import PRIORITIES, Endpoint, Window
from harvester.core import clock
from harvester.core.accounts import Account
from harvester.core.settings import Settings, SettingsError

# Odd minutes keep our fan-out off the top of the hour, when every other client calls too.
# Keys are `catalog.model.CADENCE_NAMES`; a test keeps the two in step.
CADENCES: dict[str, dict[str, str | int]] = {  # crontab fields, Moscow time
    "15min": {"minute": "2,17,32,47"},
    "30min": {"minute": "4,34"},
    "hourly": {"minute": 7},
    "daily": {"hour": 4, "minute": 17},
    # WB builds the weekly self-purchase report on Wednesdays before 07:00 MSK
    "weekly": {"day_of_week": "wed", "hour": 9, "minute": 27},
}


# The period of each cadence: a finished window is queued again at most once per half period.
CADENCE_SECONDS: dict[str, float] = {"15min": 900, "30min": 1800, "hourly": 3600, "daily": 86400, "weekly": 604800}


# When a bucket's demand exceeds its budget, its line serves fresh windows (the newest day)
# before the rest (lookback, backfill, catch-up), and within each, endpoints by priority.
CATCH_UP = PRIORITIES
CHEAP, TAIL = 10, 50  # default priorities: a snapshot of one request a window; a per-id fetch


def priority(endpoint: Endpoint) -> int:
    """The catalog's (or the deployment's) priority of the endpoint, else by its shape: a cheap
    snapshot (no ids, one request a window) before a long per-id tail."""
    if endpoint.priority is not None:
        return endpoint.priority
    return TAIL if endpoint.ids is not None else CHEAP


def rank(endpoint: Endpoint, window_end: dt.date, on: dt.date) -> int:
    """A window's place in its bucket's line, lower first: a report flow's steps before all (its
    report, once made, expires at the marketplace, and its quota is spent), then fresh windows
    before catch-up, each by priority."""
    if endpoint.flow is not None:
        return 0
    fresh = window_end >= on - dt.timedelta(days=endpoint.window.lag_days)
    return priority(endpoint) + (0 if fresh else CATCH_UP)


def oldest_served(window: Window, on: dt.date) -> dt.date:
    """The oldest day the API serves on `on` (of an endpoint with history)."""
    return on - dt.timedelta(days=window.history_days)


def due_windows(window: Window, complete_until: dt.date | None, on: dt.date,
                initial_days: int, read: bool = True) -> list[tuple[dt.date, dt.date]]:
    """Legal windows from the watermark (less the lookback) to the newest complete day. Not
    `read`: the watermark is only the anchor of a first harvest that has not succeeded yet, whose
    day nothing read, so there is nothing to read again before it."""
    newest = on - dt.timedelta(days=window.lag_days)
    if window.history_days == 0:
        return [(newest, newest)]
    oldest = oldest_served(window, on)
    if complete_until is None:
        start = newest - dt.timedelta(days=max(initial_days, 1) - 1)
    else:
        start = complete_until + dt.timedelta(days=1 - (window.lookback_days if read else 0))
    return split(max(start, oldest), newest, window.max_days)


def split(start: dt.date, end: dt.date, max_days: int) -> list[tuple[dt.date, dt.date]]:
    """Consecutive windows of at most `max_days` days covering exactly [start, end]."""
    windows = []
    while start <= end:
        last = min(end, start + dt.timedelta(days=max_days - 1))
        windows.append((start, last))
        start = last + dt.timedelta(days=1)
    return windows


_MARKETPLACES = {"wb": "Wildberries", "ym": "Yandex Market"}


def backfill_windows(account: Account, endpoint: Endpoint, since: dt.date, until: dt.date,
                     on: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The legal windows of a backfill of [since, until] asked on `on`, or a `SettingsError` naming
    the fix, before anything is queued: a request the API must refuse would otherwise be sent
    (an endpoint of another marketplace even without credentials, its 401 blaming the token)."""
    name = endpoint.name
    if endpoint.marketplace != account.marketplace:
        raise SettingsError(f"{name} is a {_MARKETPLACES[endpoint.marketplace]} endpoint and account {account.id} "
                            f"is a {_MARKETPLACES[account.marketplace]} one: pick an endpoint `harvester catalog` "
                            f"lists for {account.marketplace}")
    served = {e.name for e in endpoints_for(account.marketplace, account.wb_api_generation)}
    if name not in served:
        twin = next((n for n in (name.removesuffix(".seed"), f"{name}.seed") if n in served and n != name), None)
        raise SettingsError(f"account {account.id} uses WB API generation {account.wb_api_generation}, which "
                            f"{name} is not part of" + (f": use {twin}" if twin else ""))
    if since > until:
        raise SettingsError(f"the period ends ({until}) before it starts ({since})")
    if until > on:
        raise SettingsError(f"the period ends in the future ({until}); the last day is {on}")
    if endpoint.window.history_days == 0:
        if since < on:
            raise SettingsError(f"{name} is a snapshot of the present: it has no past to backfill "
                                f"(`harvester dispatch --endpoint {name}` reads it now)")
    elif since < (earliest := oldest_served(endpoint.window, on)):
        raise SettingsError(f"{name} serves {endpoint.window.history_days} days of history: start on {earliest} "
                            "or later")
    return split(since, until, endpoint.window.max_days)


def chunks(rows: list[tuple[Any, ...]], per_call: int, group: int | None = None) -> list[list[tuple[Any, ...]]]:
    """Consecutive id chunks of at most `per_call` rows; with `group` (a column index), a chunk
    never holds two values of that column. Rows come sorted, so a group's rows are adjacent."""
    out: list[list[tuple[Any, ...]]] = []
    for row in rows:
        last = out[-1] if out else None
        if last is None or len(last) >= per_call or (group is not None and last[0][group] != row[group]):
            out.append([row])
        else:
            last.append(row)
    return out


def beat_schedule(settings: Settings) -> dict[str, dict]:
    """Celery beat entries: a dispatch per cadence and the reconciler of the ledger."""
    # A simulation's entries all run on its calendar: beat orders them by when each is next
    # due on its own clock, and one entry on the wall clock would stay first forever.
    simulated = settings.clock_origin is not None
    nowfun = clock.now if simulated else None
    entries = {
        f"dispatch-{name}": {"task": "harvester.dispatch", "schedule": crontab(**fields, nowfun=nowfun),
                             "args": (name,)}
        for name, fields in CADENCES.items()
    }
    sweep = settings.sweep_interval * (settings.time_scale if simulated else 1)  # the same real seconds
    entries["reconcile"] = {"task": "harvester.reconcile", "schedule": schedule(sweep, nowfun=nowfun)}
    return entries
