"""The shapes every catalog entry is made of: rates, limit groups, calls, windows, flows.

An endpoint is data: adding one is a new `Endpoint(...)` in a `catalog/` family module
and a table model, never new control flow. Frozen dataclasses rather than dicts, so a
misspelt field fails at import, not in a worker at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Table
from sqlmodel import SQLModel

from harvester.catalog.paging import Paginator, SinglePage
from harvester.models.tables import table_of

Marketplace = Literal["wb", "ym"]
# How often beat dispatches an endpoint; `schedule.CADENCES` says when exactly.
CADENCE_NAMES = ("15min", "30min", "hourly", "daily", "weekly")


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
    """Methods that draw from one budget per seller account, with a rate per token type or tier.

    WB's are token buckets (Burst, one token per Interval). Yandex Market's are windows: at
    most `limit` units (requests, or items of the answer) in any `period`, counted per entity
    of the URL (campaign, business), which `per_entity` says.
    """

    name: str
    default: Rate  # WB: personal, service and base-with-secret tokens; YM: no subscription
    base: Rate | None = None  # WB base and test tokens, where WB publishes a separate row
    medium: Rate | None = None  # YM with the Medium subscription
    window: bool = False  # a sliding-window budget (YM) instead of a token bucket (WB)
    per_entity: bool = False  # one budget per campaign / business of the URL, not per account

    def rate(self, tier: str) -> Rate:
        if tier in ("base", "test") and self.base is not None:
            return self.base
        if tier == "medium" and self.medium is not None:
            return self.medium
        return self.default


@dataclass(frozen=True)
class Call:
    """One HTTP request shape, filled per request (see `client.http.fill_template`).

    Placeholders: `{start}`, `{end}` (the window), `{remote_id}` (a report's id),
    `{ids.<column>}` (the id chunk's values: a list in a body, comma-joined in a query),
    `{id.<column>}` (the chunk's first value) and `{items}` (`Ids.item` rendered per id).
    A query value written as a one-element list (`["{ids}"]`) is an array parameter, sent
    repeated once per value as OpenAPI's default form style says. A value in the path is
    percent-encoded: an id from the API is data, never a path of its own.
    """

    method: Literal["GET", "POST"]
    path: str
    limit: LimitGroup
    host: str = "wb.analytics"
    query: Mapping[str, str | list[str]] = field(default_factory=dict)
    body: Mapping[str, Any] | str | None = None  # a template; "{items}" makes the body a JSON array
    records: str = ""  # dotted path to the list of records; "" = the body itself; "*" = each element
    single: bool = False  # the path holds one record (an object), not a list of them
    cost: str = ""  # a list in the request body whose length the budget is charged (YM shopSkus); "" = 1
    parallel: int = 0  # at most this many requests in flight per URL entity (YM: 4); 0 = no cap


@dataclass(frozen=True)
class Ids:
    """A dependent fetch: the ids a call needs, read from what another endpoint stored.

    Distinct rows of `columns` in the source endpoint's table for the account (filtered by
    `where`), sorted, in chunks of at most `per_call`; with `group`, a chunk never mixes two
    values of that column (one nmId with its search texts). A successful harvest of the source
    queues its dependents, and a dependent is not dispatched before its source has data.
    """

    source: str  # endpoint name, e.g. "wb.adv.campaigns"
    columns: tuple[str, ...]
    per_call: int
    where: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    group: str | None = None
    item: Mapping[str, Any] | None = None  # template of one element of `{items}`
    latest: str | None = None  # a snapshot column (e.g. "date"): only the newest snapshot's ids
    table: str | None = None  # one of the source's child tables, e.g. fullstats' products; default its main table
    # A catalogue too big for one day's budget is read in rotation: a window starts after the id
    # its endpoint read last, wraps around, and ends with its day, so every id is read within
    # (ids ÷ what a day affords) days instead of the first ones daily and the tail never.
    rotate: bool = False

    def __post_init__(self) -> None:
        if self.per_call < 1 or not self.columns or (self.group and self.group not in self.columns):
            raise ValueError(f"bad id rule {self}: per_call >= 1, columns non-empty, group one of them")


@dataclass(frozen=True)
class Child:
    """A nested list normalized into its own table (fullstats days → apps → nms).

    `carry` names values of the parent record ({context name: path in the parent}) that the
    `ctx` columns of this child and its descendants read, so each row holds its parent's key.
    `src("@index")` is an element's position in its list, `src("@value")` the element itself
    when it is a plain value (a picture URL).
    """

    model: type[SQLModel]
    path: str  # the list inside the parent record
    carry: Mapping[str, str] = field(default_factory=dict)
    children: tuple[Child, ...] = ()


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


# Priorities run from 0 (first) to PRIORITIES - 1.
PRIORITIES = 100

# Today's state only (stocks, campaign lists, YM offers): the API serves no past dates.
SNAPSHOT = Window(max_days=1, history_days=0)


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
class FileReportFlow:
    """Yandex Market async report: generate → info until DONE → a fresh file link → ZIP of one CSV.

    The link lives 60 minutes and every info call mints a new one, so the download step asks
    for it again instead of storing it. A `NO_DATA` sub-status is a finished, empty report.
    """

    create: Call
    status: Call
    statuses: Mapping[str, RemoteStatus]
    window_column: str = ""  # the column a report's window covers, whose rows it replaces; "" = upsert only
    task_id: str = "result.reportId"
    status_field: str = "result.status"
    sub_status_field: str = "result.subStatus"
    file_field: str = "result.file"
    empty: tuple[str, ...] = ("NO_DATA",)  # sub-statuses that mean "no rows", whatever the status
    poll_every: float = 30.0
    kind: str = "ym_report"


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
    flow: TaskFlow | CsvReportFlow | FileReportFlow | None = None  # asynchronous report flows
    paginator: Paginator = field(default_factory=SinglePage)
    generation: Literal["any", "seed", "current"] = "any"
    ids: Ids | None = None  # a dependent fetch: one request per id chunk (and page)
    children: tuple[Child, ...] = ()  # nested lists of each record, normalized into child tables
    requires: str = ""  # a subscription the seller must have ("jam"); a 403 pauses the endpoint
    # Its place in its bucket's line when demand exceeds the budget, lower first (0-99); None:
    # by its shape, a cheap snapshot before a per-id tail (see `schedule.priority`).
    priority: int | None = None

    def __post_init__(self) -> None:
        if (self.fetch is None) == (self.flow is None):
            raise ValueError(f"{self.name}: set exactly one of fetch or flow")
        if self.priority is not None and not 0 <= self.priority < PRIORITIES:
            raise ValueError(f"{self.name}: priority {self.priority} is not within 0-{PRIORITIES - 1}")
        if self.cadence not in CADENCE_NAMES:
            raise ValueError(f"{self.name}: cadence {self.cadence!r} is not one of {', '.join(CADENCE_NAMES)}")

    @property
    def flow_kind(self) -> str:
        return "sync" if self.flow is None else self.flow.kind

    @property
    def first_call(self) -> Call:
        """The call that starts a harvest: the fetch, or the flow's create step."""
        if self.fetch is not None:
            return self.fetch
        assert self.flow is not None  # `__post_init__` allows exactly one of fetch and flow
        return self.flow.create

    @property
    def tables(self) -> tuple[Table, ...]:
        """Every table the endpoint writes: its own, then each child table, depth first."""
        found: list[Table] = []
        stack = [(table_of(self.model), self.children)]
        while stack:
            table, children = stack.pop(0)
            found.append(table)
            stack[:0] = [(table_of(c.model), c.children) for c in children]
        return tuple(found)

    @property
    def natural_key(self) -> tuple[str, ...]:
        return tuple(c.name for c in table_of(self.model).primary_key.columns)
