"""Process-wide settings, read once from `HARVESTER_*` env vars and an optional env file.

Every knob ops can turn lives here and nowhere else; `deploy/env/harvester.env.example`
documents each one. A bad value fails at start with pydantic's message, which names the
variable. Secrets are not settings: tokens are resolved per account (see `accounts`).
"""

from __future__ import annotations

import json
import os
import textwrap
from functools import lru_cache
from pathlib import Path

from pydantic import AwareDatetime, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of workers, beat and the CLI."""

    model_config = SettingsConfigDict(
        env_prefix="HARVESTER_",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    database_url: str = Field(
        "sqlite:///harvester.db",
        description="SQLAlchemy URL of the store; PostgreSQL in production "
        "(postgresql+psycopg://user@host/db), an SQLite file by default.",
    )
    broker_url: str | None = Field(
        None,
        description="Redis URL of the Celery broker and the shared rate limiter "
        "(redis://host:6379/0). `harvester demo` starts an embedded Redis when it is unset.",
    )
    accounts_file: Path = Field(Path("accounts.toml"), description="TOML file of seller accounts.")
    emulator_url: str | None = Field(
        None,
        description="Send every marketplace request to this base URL (the built-in emulator) "
        "instead of the real API hosts.",
    )
    listen_address: str = Field(
        "127.0.0.1",
        description="Address `harvester metrics` and `harvester flower` listen on. Loopback by "
        "default; widen it (0.0.0.0) only inside a container or behind a firewall.",
    )
    time_scale: float = Field(
        1.0,
        gt=0,
        description="Divide every rate-limit interval and poll delay by this factor. Only for "
        "running against an emulator started with the same --time-scale.",
    )
    clock_origin: tuple[AwareDatetime, AwareDatetime] | None = Field(
        None,
        description="For simulations only: a [wall time, API time] pair as JSON; the calendar "
        "(today's windows, beat's crontabs, the report quota's day) then runs time_scale times "
        "faster from that API time, as the emulator's clock does.",
    )
    initial_days: int = Field(
        30, ge=0, description="How many days back a first harvest of an account goes."
    )
    cadences: dict[str, str] = Field(
        default_factory=dict,
        description='Per-endpoint cadence overrides as JSON, e.g. {"wb.adv.stat_words": "30min"}; '
        "cadences: 15min, 30min, hourly, daily, weekly (`harvester catalog` lists the defaults).",
    )
    lookback_days: dict[str, int] = Field(
        default_factory=dict,
        description='Per-endpoint lookback overrides as JSON, e.g. {"wb.adv.fullstats": 7}: recent '
        "days re-read every cycle because the marketplace still revises them.",
    )
    priorities: dict[str, int] = Field(
        default_factory=dict,
        description='Per-endpoint priority overrides as JSON, e.g. {"wb.stocks_sizes": 90}: an endpoint\'s '
        "place in its WB bucket's line when demand exceeds the budget, 0 first, 99 last (`harvester catalog` "
        "lists the defaults).",
    )
    request_timeout: float = Field(60.0, gt=0, description="Read timeout of one API call, seconds.")
    connect_timeout: float = Field(5.0, gt=0, description="Connect timeout of one API call, seconds.")
    max_retries: int = Field(
        8, ge=0, description="Retries of a transient failure (5xx, timeout, malformed body)."
    )
    lease_ttl: float = Field(
        60.0, gt=0, description="Real seconds a running unit's lease lasts unless its worker renews it "
        "(every third of it); after a worker dies, another takes the unit over this soon."
    )
    max_countdown: float = Field(
        600.0,
        gt=0,
        description="Longest countdown a task is re-queued with; keep well under the broker's "
        "visibility timeout.",
    )
    reserve_horizon: float = Field(
        30.0,
        ge=0,
        description="The limiter books a future token for a task when it is due within this many "
        "seconds (scaled), so waiting tasks do not stampede.",
    )
    in_flight_ttl: float = Field(
        90.0,
        gt=0,
        description="Real seconds a request counts as in flight (capping its bucket) if its worker "
        "dies before the answer; keep it above connect plus request timeout.",
    )
    visibility_timeout: int = Field(
        7200, gt=0, description="Redis broker visibility timeout, seconds."
    )
    node_timeout: float = Field(
        15.0, gt=0, description="Real seconds without a sign of life after which a worker node is taken for dead: "
        "the wake-ups it had reserved are sent again."
    )
    dispatch_at_start: bool = Field(
        True, description="When beat starts (a first start, or after any downtime), dispatch every "
        "endpoint at once instead of waiting for each cadence's next tick; dispatch queues only what is due."
    )
    sweep_interval: float = Field(
        60.0, gt=0, description="Seconds between runs of the reconciler, which wakes every unit of work "
        "that is due and has no wake-up in flight; also how long a unit may stay queued or overdue first."
    )
    flow_deadline_hours: float = Field(
        24.0, gt=0, description="A report flow older than this ends TIMED_OUT."
    )
    flow_max_attempts: int = Field(
        2, ge=1, description="Reports created at most per job: 2 means a report that expired, was "
        "purged or canceled before download is created once again, then the job fails."
    )
    report_max_retries: int = Field(
        3, ge=0, description="Times WB is asked to rebuild a CSV report that ended FAILED before the job fails."
    )
    log_format: str = Field(
        "auto", pattern="^(auto|json|console)$", description="Log renderer: json, console, or auto (console on a TTY)."
    )
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Log level.")

    @field_validator("database_url")
    @classmethod
    def _sqlalchemy_url(cls, url: str) -> str:
        """`postgres://` (libpq's spelling) is no SQLAlchemy dialect and `postgresql://` means psycopg2,
        which is not installed: say the spelling that works instead of a NoSuchModuleError."""
        if url.startswith(("postgres://", "postgresql://")):
            raise ValueError(f"use postgresql+psycopg://{url.split('://', 1)[1].split('@')[-1]} (with the user as "
                             "before): harvester talks to PostgreSQL through psycopg 3")
        return url

    @model_validator(mode="after")
    def _countdowns_fit_the_visibility_timeout(self) -> Settings:
        """A message the broker hands out again after `visibility_timeout` would run twice if a
        task could be told to come back later than that."""
        if self.visibility_timeout <= self.max_countdown:
            raise ValueError(f"HARVESTER_VISIBILITY_TIMEOUT ({self.visibility_timeout} s) must be above "
                             f"HARVESTER_MAX_COUNTDOWN ({self.max_countdown:g} s)")
        return self

    def scaled(self, seconds: float) -> float:
        """Real seconds for an API-time duration under the configured time scale."""
        return seconds / self.time_scale


class SettingsError(RuntimeError):
    """Settings or accounts that cannot be used; the message names what to fix."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, validated once."""
    try:
        return Settings(_env_file=os.environ.get("HARVESTER_ENV_FILE", ".env"))  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(
            f"HARVESTER_{str(err['loc'][0]).upper()}: {err['msg']}" if err["loc"] else err["msg"]
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from None


def env_example() -> str:
    """Every setting with its meaning and default, as an env file (deploy/env/harvester.env.example)."""
    lines = [
        "# harvester settings: every HARVESTER_* variable, with its default.",
        "# Copy to /etc/harvester/harvester.env (or .env in the working directory, or point",
        "# HARVESTER_ENV_FILE at it). Real environment variables override this file.",
        "# Tokens are NOT set here as settings: each account in HARVESTER_ACCOUNTS_FILE names",
        "# the env var (token_env) or file (token_file) that holds its token.",
        "",
    ]
    for name, field in Settings.model_fields.items():
        lines += [f"# {line}" for line in textwrap.wrap(field.description or "", 92)]
        default = field.get_default(call_default_factory=True)
        shown = json.dumps(default) if isinstance(default, dict) else "" if default is None else default
        lines += [f"# HARVESTER_{name.upper()}={shown}", ""]
    return "\n".join(lines)
