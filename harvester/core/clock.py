"""The marketplaces' time: what day it is, in Moscow, where WB and YM close their days.

It is the wall clock, except in a simulation: there the emulator's clock runs `time_scale`
times faster from a shared origin (`HARVESTER_CLOCK_ORIGIN`), and the calendar must follow it
(today's windows, beat's crontabs, the CSV quota's day), or no simulated day would ever begin.
Durations stay real seconds scaled by `Settings.scaled`, and timestamps the harvester stores
stay wall-clock times: only the calendar moves.
"""

from __future__ import annotations

import datetime as dt

from harvester.core.settings import get_settings

MOSCOW = dt.timezone(dt.timedelta(hours=3), "MSK")

# How long after the marketplaces' midnight our day turns. WB refuses a period that ends after
# its own today (HTTP 400, for good), and a clock a second ahead of theirs would ask for that
# day in the first second after midnight; a minute covers any synchronised clock, and the
# 00:02 dispatch still sees the new day.
DAY_GRACE = dt.timedelta(minutes=1)


def now() -> dt.datetime:
    """The marketplaces' current time, Moscow-aware."""
    wall = dt.datetime.now(dt.UTC)
    settings = get_settings()
    if settings.clock_origin is not None:
        wall_then, api_then = settings.clock_origin
        wall = api_then + (wall - wall_then) * settings.time_scale
    return wall.astimezone(MOSCOW)


def today() -> dt.date:
    """The newest day the marketplaces have surely begun (their Moscow day, `DAY_GRACE` late)."""
    return (now() - DAY_GRACE).date()


def seconds_to_tomorrow() -> float:
    """Real seconds until `today()` turns."""
    late = now() - DAY_GRACE
    midnight = dt.datetime.combine(late.date() + dt.timedelta(days=1), dt.time(), MOSCOW)
    return calendar_seconds((midnight - late).total_seconds())


def calendar_seconds(seconds: float) -> float:
    """Real seconds that a span of the calendar (a cadence, the rest of a day) lasts: scaled only
    when the calendar is simulated; the limiter's and the polls' spans are `Settings.scaled`."""
    settings = get_settings()
    return seconds if settings.clock_origin is None else settings.scaled(seconds)
