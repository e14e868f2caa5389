"""Prometheus metrics, served with `prometheus_client` by one exporter (`harvester metrics`).

Workers are prefork processes on several hosts, so their counters live in Redis hashes (see
`core.counters`); a collector reads them at each scrape, with what waits (queues, parked and
lined wake-ups) and what the store knows (units and report jobs by state, blocks, report quota,
freshness).

Freshness is per endpoint, not per account × endpoint: 5,000 accounts × 47 endpoints would be
235,000 series. `harvester_oldest_success_age_seconds` and `harvester_never_succeeded` per
endpoint say whether any account is behind; `harvester status` names which.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import redis
from prometheus_client import CollectorRegistry, generate_latest, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from harvester.core.counters import COUNTERS, PREFIX
from harvester.models import ReportJob, ReportQuota, Watermark, WorkUnit
from harvester.models.state import utcnow
from harvester.pipeline.flows.quota import quota_day
from harvester.pipeline.store.accounts_state import blocks
from harvester.worker import wakeups
from harvester.worker.routing import QUEUES


class HarvesterCollector(Collector):
    """Everything at scrape time, from Redis and (when given) the store."""

    def __init__(self, client: redis.Redis, engine: Engine | None, quota: int = 20) -> None:
        self._redis, self._engine, self._quota = client, engine, quota

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


def registry(client: redis.Redis, engine: Engine | None) -> CollectorRegistry:
    found = CollectorRegistry(auto_describe=False)
    found.register(HarvesterCollector(client, engine))
    return found


def render(client: redis.Redis, engine: Engine | None) -> str:
    """Every metric in Prometheus text format."""
    return generate_latest(registry(client, engine)).decode()


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every 15 s would fill the log."""


def serve(port: int, client: redis.Redis, engine: Engine | None, address: str = "127.0.0.1") -> None:
    """Serve /metrics until interrupted."""
    make_server(address, port, make_wsgi_app(registry(client, engine)), handler_class=_Quiet).serve_forever()
