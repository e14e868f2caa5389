"""The calendar: the wall clock, or in a simulation the emulator's faster clock from a shared origin."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from celery.beat import PersistentScheduler

from harvester.core import clock
from harvester.core.settings import SettingsError, get_settings
from harvester.pipeline.flows import quota
from harvester.pipeline.schedule import beat_schedule

SCALE = 600.0


@pytest.fixture
def simulate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dt.datetime], None]]:
    """Set the simulated calendar so that its time is `at` (Moscow) now."""
    for name in [n for n in os.environ if n.startswith("HARVESTER_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HARVESTER_ENV_FILE", "/nonexistent")
    monkeypatch.setenv("HARVESTER_BROKER_URL", "redis://127.0.0.1:6379/0")  # beat's schedules read Celery's config

    def at(api_now: dt.datetime) -> None:
        monkeypatch.setenv("HARVESTER_TIME_SCALE", str(SCALE))
        wall = dt.datetime.now(dt.UTC).isoformat()
        monkeypatch.setenv("HARVESTER_CLOCK_ORIGIN", f'["{wall}", "{api_now.isoformat()}"]')
        get_settings.cache_clear()

    get_settings.cache_clear()
    yield at
    get_settings.cache_clear()


def msk(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=clock.MOSCOW)


def test_without_an_origin_the_calendar_is_the_wall_clock_in_moscow(simulate: Callable) -> None:
    assert abs(clock.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(seconds=5)
    assert clock.now().utcoffset() == dt.timedelta(hours=3)
    assert clock.calendar_seconds(3600) == 3600


def test_a_simulated_calendar_starts_at_its_origin_and_runs_time_scale_times_faster(simulate: Callable) -> None:
    simulate(msk(2, 23, 59))
    settings = get_settings()
    assert settings.clock_origin is not None
    wall_then, api_then = settings.clock_origin
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    assert (api_then + (later - wall_then) * SCALE).date() == dt.date(2026, 3, 3)  # 2 real s = 20 API min
    assert abs(clock.now() - msk(2, 23, 59)) < dt.timedelta(minutes=5)
    assert clock.today() == dt.date(2026, 3, 2)
    assert clock.calendar_seconds(86_400) == 144  # a simulated day at 600×


def test_a_naive_origin_is_refused(simulate: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_CLOCK_ORIGIN", '["2026-03-02T10:00:00", "2026-03-02T10:00:00"]')
    with pytest.raises(SettingsError, match="HARVESTER_CLOCK_ORIGIN: Input should have timezone info"):
        get_settings()


@pytest.mark.parametrize(("api_now", "due"), [(msk(2, 4, 18), True), (msk(2, 4, 16), False)])
def test_beat_fires_a_simulated_days_crontab_on_the_simulated_clock(
    simulate: Callable, api_now: dt.datetime, due: bool
) -> None:
    simulate(api_now)
    daily = beat_schedule(get_settings())["dispatch-daily"]["schedule"]  # 04:17 MSK
    assert daily.is_due(msk(1, 4, 17)).is_due is due  # last run: the day before, at its time


def test_the_report_quotas_day_and_its_renewal_follow_the_simulated_calendar(simulate: Callable) -> None:
    simulate(msk(2, 23, 0))
    assert quota.quota_day() == dt.date(2026, 3, 2)
    assert quota.seconds_to_next_day() == pytest.approx((3600 + 60) / SCALE, abs=1)


@pytest.mark.parametrize(("api_now", "day"), [(msk(3, 0, 0), 2), (msk(3, 0, 3), 3), (msk(2, 23, 55), 2)])
def test_our_day_turns_a_minute_after_the_marketplaces_midnight(simulate: Callable, api_now: dt.datetime,
                                                                 day: int) -> None:
    """A clock a little ahead of WB's must not ask for a day WB refuses as in the future."""
    simulate(api_now)  # at 600× the test's own milliseconds are emulated seconds: margins of minutes
    assert clock.today() == dt.date(2026, 3, day)
    assert clock.seconds_to_tomorrow() * SCALE == pytest.approx(
        (dt.datetime.combine(dt.date(2026, 3, day + 1), dt.time(0, 1), clock.MOSCOW) - api_now).total_seconds(), abs=60)


def test_beat_runs_every_entry_of_a_simulated_calendar_not_only_the_first(simulate: Callable, tmp_path: Path) -> None:
    """Beat checks only the entry next due, and orders them by each one's own clock: one entry
    on the wall clock among entries on a faster calendar would stay first, and the others never run."""
    simulate(dt.datetime.now(clock.MOSCOW) + dt.timedelta(days=30))
    app = Celery(set_as_current=False)
    app.config_from_object("celeryconfig")  # as the workers run, with this calendar's schedule
    app.conf.beat_schedule = beat_schedule(get_settings())
    scheduler = PersistentScheduler(app, schedule_filename=str(tmp_path / "beat"), lazy=True)  # as `celery beat`
    scheduler.setup_schedule()
    for entry in scheduler.schedule.values():
        entry.last_run_at = entry.default_now() - dt.timedelta(days=8)  # all of them due
    ran: list[str] = []
    scheduler.producer = None  # type: ignore[assignment]  # nothing is sent
    scheduler.apply_entry = lambda entry, producer=None: ran.append(entry.name)  # type: ignore[method-assign]
    for _ in range(2 * len(scheduler.schedule)):
        scheduler.tick()
    entries = sorted(scheduler.schedule)
    scheduler.close()
    assert sorted(set(ran)) == entries == sorted(app.conf.beat_schedule)
