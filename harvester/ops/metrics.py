"""Prometheus metrics, served with `prometheus_client` by one exporter (`harvester metrics`).

Workers are prefork processes on several hosts, so their counters live in Redis hashes (see
`core.counters`); a collector reads them at each scrape, with what waits (queues, parked and
lined wake-ups) and what the store knows (units and report jobs by state, blocks, report quota,
freshness).

Freshness is per endpoint, not per account × endpoint: 5,000 accounts × 47 endpoints would be
235,000 series. `harvester_oldest_success_age_seconds` and `harvester_never_succeeded` per
endpoint say whether any account is behind; `harvester status` names which. So does the
rotation of endpoints read in rotation (lowest coverage, stalest read, ids never read), which
costs a query per account and is therefore read at most every `ROTATION_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
from prometheus_client import CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from harvester.catalog import endpoints
from harvester.core import clock
from harvester.core.accounts import Account
from harvester.core.counters import COUNTERS, PREFIX
from harvester.models import ReportJob, ReportQuota, Watermark, WorkUnit
from harvester.models.state import utcnow
from harvester.ops.status import rotation
from harvester.pipeline.flows.quota import quota_day
from harvester.pipeline.store.accounts_state import blocks
from harvester.worker import wakeups
from harvester.worker.routing import QUEUES

ROTATION_SECONDS = 600.0
Accounts = Callable[[], Mapping[str, Account]]  # get_accounts: the accounts file as it is now


class HarvesterCollector(Collector):
    """Everything at scrape time, from Redis and (when given) the store."""

    def __init__(self, client: redis.Redis, engine: Engine | None, accounts: Accounts | None = None,
                 quota: int = 20) -> None:
        self._redis, self._engine, self._accounts, self._quota = client, engine, accounts, quota
        self._rotation: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        yield from self._counters()
        yield from self._waiting()
        if self._engine is not None:
            with Session(self._engine) as session:
                yield from self._store(session)

    def _counters(self) -> Iterator[Metric]:
        for name, help_text in COUNTERS.items():
            series = [(json.loads(labels), float(value))
                      for labels, value in sorted(self._redis.hgetall(PREFIX + name).items())]
            names = sorted({key for labels, _ in series for key in labels})
            family = CounterMetricFamily(name.removesuffix("_total"), help_text, labels=names)
            for labels, value in series:
                family.add_metric([str(labels.get(key, "")) for key in names], value)
            yield family

    def _waiting(self) -> Iterator[Metric]:
        queues = GaugeMetricFamily("harvester_queue_length", "Messages waiting in each Celery queue",
                                   labels=["queue"])
        for queue in QUEUES:
            queues.add_metric([queue], self._redis.llen(queue))
        yield queues
        waiting = GaugeMetricFamily("harvester_wakeups_waiting", "Units waiting outside the broker: parked until "
                                    "a due time, or lined up for a token of their bucket", labels=["where"])
        waiting.add_metric(["parked"], self._redis.zcard(wakeups.PARKED))
        waiting.add_metric(["lined"], self._redis.hlen(wakeups.LINED))
        yield waiting

    def _store(self, session: Session) -> Iterator[Metric]:
        units = GaugeMetricFamily("harvester_work_units", "Units of work in the ledger by state", labels=["state"])
        for state, n in session.execute(select(col(WorkUnit.state), func.count()).group_by(col(WorkUnit.state))):
            units.add_metric([state.value], n)
        yield units
        jobs = GaugeMetricFamily("harvester_report_jobs", "Report flows by state", labels=["state"])
        for status, n in session.execute(select(col(ReportJob.status), func.count()).group_by(col(ReportJob.status))):
            jobs.add_metric([status.value], n)
        yield jobs
        blocked = GaugeMetricFamily("harvester_blocked", "Blocks in force (1 each): a refused token or a feature "
                                    "the account cannot use; `harvester accounts unblock` lifts one",
                                    labels=["account", "blocked"])
        for block in blocks(session):
            blocked.add_metric([block["account"], block["blocked"]], 1)
        yield blocked
        quota = GaugeMetricFamily("harvester_report_quota_left", "WB CSV reports an account may still create today",
                                  labels=["account"])
        for account, used in session.execute(select(col(ReportQuota.account_id), col(ReportQuota.used))
                                             .where(col(ReportQuota.day) == quota_day())):
            quota.add_metric([account], max(0, self._quota - used))
        yield quota
        yield from self._freshness(session)
        if self._accounts is None:
            return
        if self._rotation is None or time.monotonic() - self._rotation[0] > ROTATION_SECONDS:
            self._rotation = time.monotonic(), list(self._rotated(session, self._accounts().values()))
        yield from self._rotation[1]

    def _freshness(self, session: Session) -> Iterator[Metric]:
        oldest = GaugeMetricFamily("harvester_oldest_success_age_seconds", "Age of the oldest last success among "
                                   "the accounts harvesting the endpoint", labels=["endpoint"])
        never = GaugeMetricFamily("harvester_never_succeeded", "Accounts whose harvest of the endpoint never "
                                  "succeeded", labels=["endpoint"])
        now = utcnow()
        rows = session.execute(select(col(Watermark.endpoint), func.min(col(Watermark.last_success_at)),
                                      func.count() - func.count(col(Watermark.last_success_at)))
                               .group_by(col(Watermark.endpoint))).all()
        for endpoint, first, missing in rows:
            if first is not None:
                first = first if first.tzinfo else first.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
                oldest.add_metric([endpoint], (now - first).total_seconds())
            never.add_metric([endpoint], missing)
        yield oldest
        yield never


    def _rotated(self, session: Session, accounts: Iterable[Account]) -> Iterator[Metric]:
        lowest = GaugeMetricFamily("harvester_rotation_coverage_ratio", "Lowest share among the accounts of their "
                                   "ids that the endpoint's newest window read", labels=["endpoint"])
        stalest = GaugeMetricFamily("harvester_rotation_oldest_read_age_seconds", "Age of the stalest last read "
                                    "of an id among the accounts (from the start of its day)", labels=["endpoint"])
        never = GaugeMetricFamily("harvester_rotation_never_read", "Ids not read yet, over the accounts",
                                  labels=["endpoint"])
        now = clock.now()  # the days read are the calendar's
        for endpoint in endpoints().values():
            if endpoint.ids is None or not endpoint.ids.rotate:
                continue
            found = [rotation(session, account, endpoint) for account in accounts
                     if account.marketplace == endpoint.marketplace]
            shares = [row["coverage"] for row in found if row["coverage"] is not None]
            days = [dt.date.fromisoformat(row["oldest_read"]) for row in found if row["oldest_read"]]
            if shares:
                lowest.add_metric([endpoint.name], min(shares))
            if days:
                start = dt.datetime.combine(min(days), dt.time(), clock.MOSCOW)
                stalest.add_metric([endpoint.name], (now - start).total_seconds())
            never.add_metric([endpoint.name], sum(row["never_read"] or 0 for row in found))
        yield from (lowest, stalest, never)


def registry(client: redis.Redis, engine: Engine | None, accounts: Accounts | None = None) -> CollectorRegistry:
    """The exporter's metrics; the rotation's only with `accounts` (read at each refresh)."""
    found = CollectorRegistry(auto_describe=False)
    found.register(HarvesterCollector(client, engine, accounts))
    return found


def render(client: redis.Redis, engine: Engine | None, accounts: Accounts | None = None) -> str:
    """Every metric in Prometheus text format."""
    return generate_latest(registry(client, engine, accounts)).decode()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every 15 s would fill the log."""


def serve(port: int, client: redis.Redis, engine: Engine | None, address: str = "127.0.0.1",
          accounts: Accounts | None = None) -> None:
    """Serve /metrics until interrupted."""
    app = make_wsgi_app(registry(client, engine, accounts))
    make_server(address, port, app, handler_class=_Quiet).serve_forever()
