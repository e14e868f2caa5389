"""Demand against budget: what `harvester plan` prints, per budget owner × limit group.

Everything is derived from the catalog: an endpoint's cadence and window rule say how many
windows a day it asks for, its ids (read from the store, or an assumed catalogue size) how
many requests each window costs, its flow how many calls each report takes, and each call's
limit group, at the account's tier, what a day affords. The figures are the steady state
(the initial harvest and backfills come on top), so they say whether a seller can ever finish
a day, and how fresh its data can be if not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from sqlalchemy import func, select
from sqlmodel import Session

from harvester.catalog import get_endpoint, source_table
from harvester.catalog.model import Call, CsvReportFlow, Endpoint, FileReportFlow, Ids, TaskFlow
from harvester.catalog.paging import SinglePage
from harvester.core.accounts import Account, TokenError
from harvester.models.tables import table_of
from harvester.pipeline.schedule import CADENCE_SECONDS, chunks, priority
from harvester.pipeline.store.ids import id_rows

DAY = 86400.0
# The columns that identify a product: an id rule or a table keyed by one of them scales with
# the catalogue, which `--products` sizes before the store knows it.
PRODUCT_COLUMNS = ("nm_id", "shop_sku")
# Assumed seconds from a report's create to ready; its status is polled every `poll_every`.
REPORT_SECONDS = 60.0
K = TypeVar("K")


@dataclass(frozen=True)
class Size:
    """One window's work: requests sent, and the items the budget is charged (= requests unless
    the call is charged per item). `unknown` names the source whose harvest would tell."""

    requests: int = 1
    items: int = 1
    unknown: str = ""


@dataclass(frozen=True)
class Step:
    """One call of an endpoint's harvest, as often as it is made per window, or a report quota."""

    group: str
    calls: float  # per window
    budget: float  # units a day at the account's tier
    per_item: bool = False  # charged by the items of the answer (YM), not per request
    per_entity: bool = False  # the budget is per store or cabinet of the URL (YM)


@dataclass
class Line:
    """One account × endpoint's demand on one budget, and what it gets of it."""

    account: str
    endpoint: str
    group: str
    demand: float | None  # units a day; None while the ids are unknown
    period: float  # the cadence's seconds
    per: str  # what one unit of freshness refreshes: "window", "product", "id"
    unknown: str = ""
    priority: int = 0  # its place in the bucket's line (`schedule.priority`), lower served first
    coverage: float | None = None
    freshness: str = ""


@dataclass
class GroupPlan:
    """One budget (owner × limit group): what a day affords, what is asked of it, and by whom."""

    owner: str
    group: str
    budget: float  # units a day
    per_entity: bool = False
    lines: list[Line] = field(default_factory=list)

    @property
    def demand(self) -> float:
        return sum(line.demand or 0.0 for line in self.lines)

    @property
    def utilization(self) -> float:
        return self.demand / self.budget if self.budget else math.inf

    @property
    def over(self) -> bool:
        return self.demand > self.budget


def windows_per_day(endpoint: Endpoint) -> float:
    """Windows dispatched a day in the steady state (see `schedule.due_windows`): a snapshot
    every cadence tick; otherwise each tick re-reads the lookback days, and the tick that
    finds a new day (or, for a weekly cadence, a new week) reads it too, in `max_days` chunks."""
    window, period = endpoint.window, CADENCE_SECONDS[endpoint.cadence] / DAY
    if window.history_days == 0:
        return 1 / period
    if period >= 1:
        return math.ceil((window.lookback_days + period) / window.max_days) / period
    return (math.ceil((window.lookback_days + 1) / window.max_days)
            + (1 / period - 1) * math.ceil(window.lookback_days / window.max_days))


def per_day(call: Call, tier: str) -> float:
    """What the call's limit group affords a day: its refill rate (a bucket's burst is spent once)."""
    rate = call.limit.rate(tier)
    return rate.limit * DAY / rate.period


def steps(endpoint: Endpoint, tier: str) -> list[Step]:
    """The calls one window costs, each on its own limit group: a fetch once per request, a
    report flow's create and download once and its status polls as long as the report takes;
    WB CSV reports also spend one of the seller's reports a day."""
    def step(call: Call, calls: float = 1.0) -> Step:
        return Step(call.limit.name, calls, per_day(call, tier), bool(call.cost), call.limit.per_entity)

    flow = endpoint.flow
    polls = max(1, math.ceil(REPORT_SECONDS / flow.poll_every)) if flow else 0
    if isinstance(flow, TaskFlow):
        return [step(flow.create), step(flow.status, polls), step(flow.download)]
    if isinstance(flow, CsvReportFlow):
        return [step(flow.create), step(flow.list, polls), step(flow.file),
                Step(f"{flow.kind}.daily_quota", 1.0, float(flow.daily_quota))]
    if isinstance(flow, FileReportFlow):  # the download asks info again for a fresh link
        return [step(flow.create), step(flow.status, polls + 1)]
    assert endpoint.fetch is not None
    return [step(endpoint.fetch)]


def demand_lines(account: Account, endpoint: Endpoint, size: Size, tier: str) -> list[tuple[Line, Step]]:
    """The account × endpoint's demand per day on each limit group it draws from (a CSV
    report's create, list and file share one), with that group's step."""
    windows = windows_per_day(endpoint)
    per = ("product" if product_column(endpoint.ids.columns) else "id") if endpoint.ids else "window"
    units: dict[str, float] = {}
    first: dict[str, Step] = {}
    for s in steps(endpoint, tier):
        units[s.group] = units.get(s.group, 0.0) + s.calls * (size.items if s.per_item else size.requests)
        first.setdefault(s.group, s)
    return [(Line(account.id, endpoint.name, group, None if size.unknown else windows * n,
                  CADENCE_SECONDS[endpoint.cadence], per, size.unknown, priority(endpoint)), first[group])
            for group, n in units.items()]


def fair_shares(budget: float, demands: Mapping[K, float]) -> dict[K, float]:
    """Split a budget max-min fair: whoever asks less than an equal share of what is left gets
    all it asks, the rest share the remainder."""
    shares, left = {}, budget
    ordered = sorted(demands.items(), key=lambda kv: kv[1])
    for i, (key, asked) in enumerate(ordered):
        shares[key] = min(asked, left / (len(ordered) - i))
        left -= shares[key]
    return shares


def priority_shares(budget: float, demands: Mapping[K, tuple[int, float]]) -> dict[K, float]:
    """Split a budget as the buckets' lines do: by priority, lower first, each priority sharing
    what is left max-min fair among its own (demands are (priority, units a day))."""
    shares: dict[K, float] = {}
    left = budget
    for level in sorted({level for level, _ in demands.values()}):
        got = fair_shares(left, {key: asked for key, (at, asked) in demands.items() if at == level})
        shares.update(got)
        left -= sum(got.values())
    return shares


def duration(seconds: float) -> str:
    """A period people read at a glance: 15 min, 2 h, 4.6 days."""
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    return f"{seconds / DAY:.1f} days"


def freshness(line: Line) -> str:
    """How often each window (or product, or id) is read again at the line's coverage."""
    if line.coverage is None:
        return f"unknown until {line.unknown} is harvested"
    if line.coverage <= 0:
        return "never"
    every = duration(line.period / min(1.0, line.coverage))
    return f"every {every}" if line.coverage >= 1 else f"each {line.per} every {every}"


def plan(accounts: Iterable[Account], size_of: Callable[[Account, Endpoint], Size],
         endpoints_of: Callable[[Account], list[Endpoint]]) -> list[GroupPlan]:
    """Every budget owner × limit group with its demand, budget and each endpoint's coverage;
    an endpoint on several groups (a report flow) is as fresh as its scarcest one allows."""
    groups: dict[tuple[str, str], GroupPlan] = {}
    for account in accounts:
        owner, tier = account.budget_owner(), account.limit_tier()
        for endpoint in endpoints_of(account):
            for line, s in demand_lines(account, endpoint, size_of(account, endpoint), tier):
                group = groups.setdefault((owner, s.group), GroupPlan(owner, s.group, s.budget, s.per_entity))
                group.lines.append(line)
    for group in groups.values():
        shares = priority_shares(group.budget, {id(line): (line.priority, line.demand) for line in group.lines
                                                if line.demand is not None})
        for line in group.lines:
            if line.demand is not None:
                line.coverage = shares[id(line)] / line.demand if line.demand else 1.0
    _set_freshness([line for group in groups.values() for line in group.lines])
    return sorted(groups.values(), key=lambda g: (g.owner, g.group))


def _set_freshness(lines: list[Line]) -> None:
    """An endpoint's coverage is its lowest over the groups it draws from."""
    lowest: dict[tuple[str, str], float | None] = {}
    for line in lines:
        key = (line.account, line.endpoint)
        now = lowest.get(key, math.inf)
        lowest[key] = None if line.coverage is None or now is None else min(now, line.coverage)
    for line in lines:
        line.freshness = freshness(replace(line, coverage=lowest[(line.account, line.endpoint)]))


def page_size(endpoint: Endpoint) -> int | None:
    """Rows a page holds, where the endpoint pages: the paginator's, or the call's `limit`."""
    if isinstance(endpoint.paginator, SinglePage) or endpoint.fetch is None:
        return None
    size = getattr(endpoint.paginator, "page_size", None) or endpoint.fetch.query.get("limit")
    return int(size) if isinstance(size, int | str) else None


def product_column(columns: Iterable[str]) -> str | None:
    return next((c for c in columns if c in PRODUCT_COLUMNS), None)


def lists_products(ids: Ids) -> bool:
    """Whether an id rule's ids are the catalogue: its source table is keyed by a product, and
    that source is not itself sized by something else (campaigns, say)."""
    key = [c.name for c in source_table(ids).primary_key.columns]
    source = get_endpoint(ids.source).ids
    return product_column(key) is not None and (source is None or lists_products(source))


def assumed_size(endpoint: Endpoint, products: int) -> Size | None:
    """The window's work for a catalogue of `products`, where it scales with the catalogue:
    one request per id chunk (a chunk never spans two products when grouped by product), or
    one per page of a list keyed by product. None where the catalogue size says nothing."""
    ids = endpoint.ids
    if ids is not None:
        if not lists_products(ids):
            return None
        calls = products if ids.group in PRODUCT_COLUMNS else math.ceil(products / ids.per_call)
        return Size(calls, products)
    rows = page_size(endpoint)
    if rows and product_column(endpoint.natural_key):
        return Size(max(1, math.ceil(products / rows)), products)
    return None


def stored_size(session: Session, account: Account, endpoint: Endpoint) -> Size:
    """The window's work as the store knows it: the id chunks its source stored, or the pages
    of the products its own table lists; a dependent whose source stored nothing is unknown."""
    if endpoint.ids is not None:
        return _stored_chunks(session, account, endpoint.ids)
    rows, column = page_size(endpoint), product_column(endpoint.natural_key)
    if not rows or column is None:
        return Size()
    table = table_of(endpoint.model)
    listed = session.execute(select(func.count(func.distinct(table.c[column])))
                             .where(table.c.account_id == account.id)).scalar_one()
    return Size(max(1, math.ceil(listed / rows)), max(1, listed))


def _stored_chunks(session: Session, account: Account, ids: Ids) -> Size:
    rows = id_rows(session, source_table(ids), account, ids)
    if not rows:
        return Size(unknown=ids.source)
    group = ids.columns.index(ids.group) if ids.group else None
    return Size(len(chunks(rows, ids.per_call, group)), len(rows))


def sizer(session: Session | None, products: int | None) -> Callable[[Account, Endpoint], Size]:
    """Sizes from `--products` where it applies, else from the store (when there is one)."""
    def size_of(account: Account, endpoint: Endpoint) -> Size:
        assumed = assumed_size(endpoint, products) if products is not None else None
        if assumed is not None:
            return assumed
        if session is not None:
            return stored_size(session, account, endpoint)
        return Size(unknown=endpoint.ids.source) if endpoint.ids else Size()
    return size_of


def as_rows(groups: list[GroupPlan]) -> list[dict[str, object]]:
    """One JSON object per budget owner × limit group, its endpoints inside."""
    return [{
        "owner": g.owner, "group": g.group, "budget_per_day": round(g.budget, 1), "per_entity": g.per_entity,
        "demand_per_day": round(g.demand, 1), "utilization": round(g.utilization, 4), "over_budget": g.over,
        "endpoints": [{"account": line.account, "endpoint": line.endpoint,
                       "demand_per_day": None if line.demand is None else round(line.demand, 1),
                       "coverage": None if line.coverage is None else round(line.coverage, 4),
                       "freshness": line.freshness} for line in g.lines],
    } for g in groups]


def selected(accounts: Mapping[str, Account], account_id: str | None) -> tuple[list[Account], list[str]]:
    """The accounts to plan (one, with every entry sharing its budget) and the problems of those
    whose token cannot say whose budget they spend."""
    usable, problems = [], []
    for account in accounts.values():
        try:
            usable.append((account, account.budget_owner(), account.limit_tier()))
        except TokenError as exc:
            problems.append(str(exc))
    if account_id is None:
        return [a for a, _, _ in usable], problems
    owners = {owner for a, owner, _ in usable if a.id == account_id}
    return [a for a, owner, _ in usable if owner in owners], problems


def render(groups: list[GroupPlan]) -> list[str]:
    """The plan as a table people read: each budget, then what each endpoint asks of it."""
    lines: list[str] = []
    for i, g in enumerate(groups):
        if i == 0 or groups[i - 1].owner != g.owner:
            accounts = sorted({line.account for h in groups if h.owner == g.owner for line in h.lines})
            lines.append(f"{g.owner}  (accounts: {', '.join(accounts)})")
        unknown = " + unknown" if any(line.demand is None for line in g.lines) else ""
        entity = " per store/cabinet" if g.per_entity else ""
        flag = "  OVER BUDGET" if g.over else ""
        lines.append(f"  {g.group:32} budget {_count(g.budget):>11}/day{entity}  "
                     f"demand {_count(g.demand):>11}/day{unknown}  use {g.utilization:>6.0%}{flag}")
        for line in g.lines:
            demand = "?" if line.demand is None else _count(line.demand)
            coverage = "?" if line.coverage is None else f"{line.coverage:.1%}"
            lines.append(f"    {line.account:16} {line.endpoint:34} {demand:>9}/day  coverage {coverage:>6}  "
                         f"{line.freshness}")
    return lines


def _count(n: float) -> str:
    """Thousands separated; a fraction kept where it is all there is (a weekly report: 0.4/day)."""
    return f"{n:,.1f}" if 0 < n < 10 and n != int(n) else f"{n:,.0f}"
