"""The shapes every catalog entry is made of: rates, limit groups, calls, windows, flows.

An endpoint is data: adding one is a new `Endpoint(...)` in `catalog/wb.py` (or `ym.py`)
and a table model, never new control flow. Frozen dataclasses rather than dicts, so a
misspelt field fails at import, not in a worker at 3 a.m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, Mapping

from sqlmodel import SQLModel

from harvester.client.paging import Paginator, SinglePage

Marketplace = Literal["wb", "ym"]
TokenType = Literal["personal", "service", "base", "test"]


@dataclass(frozen=True)
class Rate:
    """WB's Period / Limit / Burst triple; Interval = Period / Limit."""

    period: float
    limit: int
    burst: int

    @property
    def interval(self) -> float:
        return self.period / self.limit


@dataclass(frozen=True)
class LimitGroup:
    """Methods that draw from one bucket per seller account, with a rate per token type."""

    name: str
    default: Rate  # personal, service and base-with-secret tokens
    base: Rate | None = None  # base and test tokens, where WB publishes a separate row

    def rate(self, token_type: TokenType) -> Rate:
        if token_type in ("base", "test") and self.base is not None:
            return self.base
        return self.default


@dataclass(frozen=True)
class Call:
    """One HTTP request shape; `{start}`, `{end}` and `{remote_id}` are filled per window."""

    method: Literal["GET", "POST"]
    path: str
    limit: LimitGroup
    host: str = "wb.analytics"
    query: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    records: str = ""  # dotted path to the list of records; "" = the body itself


@dataclass(frozen=True)
class Window:
    """How a date range becomes legal requests and how far back a harvest reaches."""

    max_days: int = 1  # days one request (or one report) may cover
    history_days: int = 90  # how far back the API serves data; 0 = today's snapshot only
    lookback_days: int = 0  # recent days re-read every cycle because the marketplace revises them
    lag_days: int = 0  # the newest complete day is today minus this

    def __post_init__(self) -> None:
        if self.max_days < 1 or min(self.history_days, self.lookback_days, self.lag_days) < 0:
            raise ValueError(f"bad window rule {self}: max_days must be >= 1 and the others >= 0")


class RemoteStatus(Enum):
    """What a marketplace's report status means for the flow."""

    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"  # the report failed; create it again after a cooldown
    GONE = "gone"  # purged or expired before we downloaded it; create it again


@dataclass(frozen=True)
class TaskFlow:
    """WB async task: create → status → download (paid storage, acceptance report)."""

    create: Call
    status: Call
    download: Call
    statuses: Mapping[str, RemoteStatus]
    task_id: str = "data.taskId"
    status_field: str = "data.status"
    poll_every: float = 10.0  # API seconds between status checks
    kind: str = "wb_task"


@dataclass(frozen=True)
class CsvReportFlow:
    """WB seller-analytics CSV: create (our UUID) → list → (FAILED → retry) → file (ZIP of one CSV)."""

    report_type: str
    params: Mapping[str, Any]  # the report's `params`, with {start}/{end} placeholders
    window_column: str  # the table column a report's window covers; its rows are replaced
    create: Call
    list: Call
    retry: Call
    file: Call
    statuses: Mapping[str, RemoteStatus]
    poll_every: float = 20.0  # API seconds between list calls
    retry_cooldown: float = 120.0  # API seconds before asking WB to rebuild a failed report
    daily_quota: int = 20  # reports a seller may create per Moscow day
    kind: str = "wb_csv_report"


@dataclass(frozen=True)
class Endpoint:
    """One harvestable report of one marketplace, and the table its rows land in."""

    name: str
    marketplace: Marketplace
    model: type[SQLModel]
    scope: str  # token category the call needs, e.g. "analytics"
    cadence: str  # beat cadence that dispatches it, see `schedule.CADENCES`
    window: Window
    fetch: Call | None = None  # synchronous endpoints
    flow: TaskFlow | CsvReportFlow | None = None  # asynchronous report flows
    paginator: Paginator = field(default_factory=SinglePage)
    generation: Literal["any", "seed", "current"] = "any"

    def __post_init__(self) -> None:
        if (self.fetch is None) == (self.flow is None):
            raise ValueError(f"{self.name}: set exactly one of fetch or flow")

    @property
    def flow_kind(self) -> str:
        return "sync" if self.flow is None else self.flow.kind

    @property
    def first_call(self) -> Call:
        """The call that starts a harvest: the fetch, or the flow's create step."""
        return self.fetch if self.fetch is not None else self.flow.create  # type: ignore[union-attr]

    @property
    def natural_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.model.__table__.primary_key.columns)  # type: ignore[attr-defined]
