"""What waiting for tokens costs: broker messages and worker CPU per API request, budget use,
and how much one seller's backlog slows the others.

Many small sellers each get a backfill of one-day windows (one request each) on two WB limit
groups (the search report and the sales funnel, 3 a minute, burst 3), run by 8 worker processes
against the emulator at time scale 6. Ideal time = what each bucket needs to release its backlog =
(backlog - burst) × 20 s / scale; budget use = ideal / actual (goal ≥ 0.98, 0 × 429). The
default backlog, 48 days, is a new seller's backfill; what a run loses is its opening (100
buckets full at once, each idle until its first request, 2 to 3 s on 2 cores), so a shorter
backlog shows a lower figure for the same loss (`--backlog 12`: about 0.92). With
`--hot N` one more seller holds N times the backlog (at most the endpoints' year of history:
a backfill further back is refused before anything is queued), and the others' time is compared
with a run without it (goal: at most 10 % slower). Messages are the broker's LPUSH calls (every task
message: the backfills, the harvests they queue, retries and releases); CPU is every worker
process's user + system time. Beside it, the floor one Celery task puts under any such figure:
the same worker's CPU per no-op task (`celery.accumulate`) sent at the run's request rate, a
quarter as many (Celery's receipt, acknowledgement and the events Flower shows, our releaser's
ticks).

    python tests/bench/bench_waiting.py [--sellers 50] [--backlog 48] [--hot 20]
        [--baseline REV]   also run the workers of git revision REV (e.g. 8eee76f, the re-queue design)

Uses an embedded Redis and, when HARVESTER_TEST_DATABASE_URL is set, that database (else SQLite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from harvester.catalog import endpoints  # noqa: E402
from harvester.core.accounts import get_accounts  # noqa: E402
from harvester.core.clock import today  # noqa: E402
from harvester.core.counters import PREFIX  # noqa: E402
from harvester.models import HarvestRun, Watermark  # noqa: E402
from harvester.worker.wakeups import BROKER_RESERVED  # noqa: E402
from tests.bench.stage import cpu_seconds, open_stage, postgres_cpu_seconds  # noqa: E402

SEED = 1
ENDPOINTS = ("wb.search_report", "wb.funnel.products")
BURST = 3  # both groups' burst


@dataclass
class Figures:
    requests: int
    answered_429: int
    messages: int
    cpu_s: float
    load_s: float  # of which parsing and loading the answers (the goal leaves it out), as the workers timed it
    rerun_s: float  # the same parsing and loading re-run in this process (older workers time none)
    others_s: float  # until every seller but the hot one was done
    ideal_s: float
    running: float  # budget use from each bucket's first request to its last
    opening: tuple[float, float]  # seconds from the start to a bucket's first request: median, last
    database_s: float  # PostgreSQL's CPU over the run, this bench's polling for the end included (0 on SQLite)

    def line(self, name: str) -> str:
        per = 1000 / self.requests
        return (f"{name:>10}: {self.requests} requests, {self.answered_429} × 429, "
                f"{self.messages / self.requests:.2f} messages and {per * (self.cpu_s - self.load_s):.1f} ms "
                f"worker CPU per request (+{per * self.load_s:.1f} ms parse and load as the workers timed it; "
                f"{per * self.rerun_s:.1f} ms re-run here), others done in "
                f"{self.others_s:.1f}s (ideal {self.ideal_s:.1f}s, budget use {self.ideal_s / self.others_s:.3f}; "
                f"{self.running:.3f} from each bucket's first request to its last; the first after "
                f"{self.opening[0]:.1f}s median, {self.opening[1]:.1f}s the last)"
                + (f"; PostgreSQL {per * self.database_s:.1f} ms CPU per request, polling included"
                   if self.database_s else ""))


def _running_budget_use(exchanges: list, interval: float) -> float:
    """Ideal over actual time from each bucket's first request to its last, all buckets summed:
    how well waiting keeps a backlogged bucket at its rate once it has started (what a run loses
    before a bucket's first request, the opening, is in the figures beside it)."""
    times: dict[tuple[str, str], list[float]] = {}
    for exchange in exchanges:
        if exchange.response.status == 200:
            times.setdefault((exchange.request.sid, exchange.route), []).append(exchange.at)
    ideal = actual = 0.0
    for found in times.values():
        if len(found) > BURST:
            ideal += (len(found) - BURST) * interval
            actual += max(found) - min(found)
    return ideal / actual if actual else 0.0


def _opening(exchanges: list, started: float) -> tuple[float, float]:
    """How long after the start each bucket sent its first request (median, last): all a
    bucket's budget that a run loses is lost there, while its burst stays unspent."""
    first: dict[tuple[str, str], float] = {}
    for exchange in exchanges:
        key = (exchange.request.sid, exchange.route)
        first[key] = min(first.get(key, exchange.at), exchange.at)
    delays = sorted(at - started for at in first.values())
    return (delays[len(delays) // 2], delays[-1]) if delays else (0.0, 0.0)


def _parse_and_load_seconds(exchanges: list, accounts: dict, engine) -> float:  # type: ignore[no-untyped-def]
    """CPU time of parsing every answer the harvests got and upserting its rows again, in this
    process: the same code the workers ran, whose cost the figures leave out."""
    from harvester.pipeline.parse import records_at, tree_rows
    from harvester.pipeline.store.upsert import upsert
    from tests.e2e.rows import endpoint_of

    candidates = [endpoints()[name] for name in ENDPOINTS]
    started = time.process_time()
    with Session(engine) as session:
        for exchange in exchanges:
            endpoint = endpoint_of(exchange, candidates)
            if endpoint is None or exchange.response.status != 200 or endpoint.fetch is None:
                continue
            body = json.loads(exchange.response.body or b"null", parse_float=Decimal)  # as the workers decode
            records = records_at(body, endpoint.fetch.records, exchange.route, endpoint.fetch.single)
            context = {**accounts[exchange.request.sid].context(), "window_start": today(), "window_end": today()}
            for table, rows in tree_rows(endpoint.model.__table__, endpoint.children, records, context,  # type: ignore[attr-defined]
                                         exchange.route).items():
                upsert(session, table, rows)
            session.commit()
    return time.process_time() - started


def _small_sellers(count: int) -> list[str]:
    """Sellers of at most 60 products: one harvest is one request, and parsing and loading its
    answer (which the figures are not about) costs little."""
    from emulator.wb.data.seller import small_sellers

    found = small_sellers(SEED, "bench", count, most=60)
    assert len(found) == count, f"only {len(found)} small sellers"
    return found


def run(args: argparse.Namespace, hot: int, baseline: Path | None) -> Figures:
    """One run; `hot`: the days of one more seller's backlog (0: none)."""
    with ExitStack() as stack:
        stage = open_stage(stack, args.time_scale, seed=SEED, record=True)
        engine, harness, emulator, client = stage.engine, stage.harness, stage.harness.emulator, stage.broker
        broker = os.environ["HARVESTER_BROKER_URL"]
        sellers = _small_sellers(args.sellers + (1 if hot else 0))
        sids = {harness.add_wb_account(seller): seller for seller in sellers}
        worker = harness.start_worker(concurrency=args.workers, cwd=baseline)
        harness.wait_for(lambda: "ready" in harness.logs() or worker.poll() is not None, 60, "the worker")
        with Session(engine) as session:  # dependents count as started: only the backlog draws on the buckets
            for seller in sellers:
                for endpoint in endpoints().values():
                    if endpoint.ids is not None and endpoint.ids.source in ENDPOINTS:
                        session.merge(Watermark(account_id=seller, endpoint=endpoint.name))
            session.commit()

        from harvester.worker.tasks import backfill

        client.config_resetstat()
        cpu_before, database_before = cpu_seconds([p.pid for p in harness.workers]), postgres_cpu_seconds()
        started, started_at = time.monotonic(), time.time()
        with backfill.app.connection_for_write(broker) as connection:
            for n, seller in enumerate(sellers):  # one backfill per seller × endpoint, as ops would ask
                backlog = hot if hot and n == len(sellers) - 1 else args.backlog
                since, until = today() - dt.timedelta(days=backlog), today() - dt.timedelta(days=1)
                for endpoint in ENDPOINTS:
                    backfill.apply_async((seller, endpoint, since.isoformat(), until.isoformat()),
                                         connection=connection)
        others = set(sellers[:args.sellers])
        wanted = len(others) * args.backlog * len(ENDPOINTS)

        def others_done() -> bool:
            with Session(engine) as session:
                done = session.execute(select(func.count()).select_from(HarvestRun)
                                       .where(HarvestRun.account_id.in_(others))).scalar_one()  # type: ignore[attr-defined]
            return done >= wanted

        interval = 20.0 / args.time_scale
        ideal = max(0, args.backlog - BURST) * interval
        harness.wait_for(others_done, ideal * 4 + 120, "the backlog", every=0.05)
        others_s = time.monotonic() - started
        cpu = cpu_seconds([p.pid for p in harness.workers]) - cpu_before
        database = postgres_cpu_seconds() - database_before if engine.dialect.name == "postgresql" else 0.0
        messages = int(client.info("commandstats").get("cmdstat_lpush", {}).get("calls", 0))
        with Session(engine) as session:
            failed = session.execute(select(HarvestRun.endpoint, HarvestRun.error)
                                     .where(HarvestRun.status != "ok").limit(3)).all()
        if failed:
            raise SystemExit(f"harvests failed, the figures would mean nothing: {failed}")
        every = requests.get(f"{emulator.url}/__emulator/stats", timeout=5).json()["sellers"]
        if hot and not every.get(next(sid for sid, name in sids.items() if name == sellers[-1]), {}).get("requests"):
            raise SystemExit("the hot seller sent no request: its backfill was refused (see the worker's log)")
        accounts = {sid: get_accounts()[seller] for sid, seller in sids.items()}
        rerun = _parse_and_load_seconds(emulator.exchanges, accounts, engine)
        timed = [float(v) for v in client.hvals(f"{PREFIX}harvester_load_cpu_seconds_total")]
        return Figures(requests=sum(s.get("requests", 0) for s in every.values()),
                       answered_429=sum(s.get("429", 0) for s in every.values()), messages=messages, cpu_s=cpu,
                       load_s=sum(timed) if timed else rerun, rerun_s=rerun, others_s=others_s,
                       ideal_s=ideal, running=_running_budget_use(emulator.exchanges, interval),
                       opening=_opening(emulator.exchanges, started_at), database_s=database)


def celery_floor(args: argparse.Namespace, per_second: float, tasks: int) -> float:
    """Worker CPU seconds per no-op task, `tasks` of them sent at `per_second` to the harvest queue."""
    with ExitStack() as stack:
        stage = open_stage(stack, args.time_scale)
        harness, client = stage.harness, stage.broker
        worker = harness.start_worker(concurrency=args.workers)
        harness.wait_for(lambda: "ready" in harness.logs() or worker.poll() is not None, 60, "the worker")
        from harvester.worker.app import app

        before, started = cpu_seconds([p.pid for p in harness.workers]), time.monotonic()
        with app.connection_for_write(os.environ["HARVESTER_BROKER_URL"]) as connection:
            for n in range(tasks):
                app.send_task("celery.accumulate", args=(n,), queue="wb", connection=connection)
                time.sleep(max(0.0, started + (n + 1) / per_second - time.monotonic()))
        harness.wait_for(lambda: not client.llen("wb") and not client.hlen(BROKER_RESERVED), 60, "the no-op tasks")
        return (cpu_seconds([p.pid for p in harness.workers]) - before) / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=48, help="requests per seller and limit group")
    parser.add_argument("--hot", type=int, default=20,
                        help="one more seller with this many times the backlog (0: none)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--time-scale", type=float, default=6.0)
    parser.add_argument("--baseline", help="git revision whose workers run the same load, for comparison")
    args = parser.parse_args()

    designs: list[tuple[str, Path | None]] = [("parked", None)]
    with ExitStack() as stack:
        if args.baseline:
            tree = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), args.baseline],
                           check=True, capture_output=True)
            stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)
            designs.append((args.baseline, tree))
        print(f"{args.sellers} sellers × {args.backlog} requests on each of 2 limit groups (3/min, burst 3), "
              f"{args.workers} worker processes, time scale {args.time_scale:g}")
        for name, tree in designs:
            calm = run(args, 0, tree)
            print(calm.line(name))
            if tree is None:
                floor = celery_floor(args, calm.requests / calm.others_s, calm.requests // 4)
                print(f"{'':>10}  floor: {1000 * floor:.1f} ms worker CPU per no-op task at that rate")
            if args.hot:
                history = min(endpoints()[name].window.history_days for name in ENDPOINTS)
                days = min(args.backlog * args.hot, history)
                busy = run(args, days, tree)
                print(busy.line(f"+hot {days}d"))
                print(f"{'':>10}  the hot seller slows the others by {100 * (busy.others_s / calm.others_s - 1):+.1f}%")


if __name__ == "__main__":
    main()
