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


def now() -> dt.datetime:
    """The marketplaces' current time, Moscow-aware."""
    wall = dt.datetime.now(dt.UTC)
    settings = get_settings()
    if settings.clock_origin is not None:
        wall_then, api_then = settings.clock_origin
        wall = api_then + (wall - wall_then) * settings.time_scale
    return wall.astimezone(MOSCOW)


def today() -> dt.date:
    return now().date()


def calendar_seconds(seconds: float) -> float:
    """Real seconds that a span of the calendar (a cadence, the rest of a day) lasts: scaled only
    when the calendar is simulated; the limiter's and the polls' spans are `Settings.scaled`."""
    settings = get_settings()
    return seconds if settings.clock_origin is None else settings.scaled(seconds)
