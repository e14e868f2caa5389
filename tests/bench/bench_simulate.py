"""A simulated agency: the real worker and beat over simulated days against the emulator.

Small sellers, and big ones of 20,000 and 100,000 products, harvested for `--days` simulated
days at `--time-scale`, the harvester's calendar shared with the emulator's clock
(`HARVESTER_CLOCK_ORIGIN`) so that beat's crontabs fire and windows come due on simulated
days. The run starts at 06:00 and the figures of coverage are the last 24 hours' (the whole run
when it is a day or less): the steady state `harvester plan` predicts. Prints requests and
429s, budget use per bucket, broker messages and worker CPU per API request, the CPU a simulated
day costs (workers, emulator, its builders, PostgreSQL) and the share of the machine it took,
each endpoint's share of its demand served (and of its products read) against the plan's,
dispatch time per cycle, ledger and run-log rows per cycle, Redis and database size, and peak
worker RSS.

Why one day at 72×: the default mix costs about 1,560 s of CPU a simulated day (2026-12-07,
PostgreSQL), and 2 cores have 2,400 s in 20 minutes, so one day, with its daily reports and
every hour's snapshots, is what fits. At 72× the 100,000-product seller's paged lists fall
short of the plan: its buckets' tokens come every 0.28 real seconds, less than a page's round
trip under that load (its products snapshot read 0.645 of its hours on 2026-12-07).
`--days 0.25 --time-scale 18` (six hours in 20 minutes) gives the plan's figures within 2 % on
average, that seller's products snapshot included (0.999); without that seller
(`--small 5 --big 20000 --days 1.5 --time-scale 120`, 18 minutes) this machine keeps up too.

    python tests/bench/bench_simulate.py [--small 10] [--big 20000 100000] [--days 1]
        [--time-scale 72] [--workers 4] [--report-workers 2]

Uses an embedded Redis and, when HARVESTER_TEST_DATABASE_URL is set, that database (else SQLite).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from emulator.wb.data.seller import big_seller, small_sellers  # noqa: E402
from harvester.catalog import endpoints_for  # noqa: E402
from harvester.catalog.model import Call, Endpoint  # noqa: E402
from harvester.core import clock  # noqa: E402
from harvester.core.accounts import get_accounts  # noqa: E402
from harvester.core.settings import get_settings  # noqa: E402
from harvester.models import HarvestRun, WorkUnit  # noqa: E402
from harvester.ops.plan import GroupPlan, plan, sizer, windows_per_day  # noqa: E402
from harvester.ops.status import rotation  # noqa: E402
from tests.bench.stage import Stage, builders_cpu_seconds, cpu_seconds, open_stage, postgres_cpu_seconds  # noqa: E402

SEED = 3
SCOPES = ("analytics", "promotion")
DAY = 86400.0


def route(method: str, template: str) -> str:
    """A route as the emulator's stats name it, placeholders blanked (ours and its differ)."""
    return f"{method} {re.sub(r'{[^}]+}', '{}', template)}"


def routes(endpoint: Endpoint) -> dict[str, set[str]]:
    """The routes of every call an endpoint makes, by limit group."""
    found = [endpoint.fetch] if endpoint.fetch else [getattr(endpoint.flow, f.name)
                                                      for f in dataclasses.fields(endpoint.flow)]  # type: ignore[arg-type]
    by_group: dict[str, set[str]] = defaultdict(set)
    for call in found:
        if isinstance(call, Call):
            by_group[call.limit.name].add(route(call.method, call.path))
    return by_group


def emulator_stats(url: str) -> dict[str, dict]:
    """The emulator's figures so far, by seller."""
    return requests.get(f"{url}/__emulator/stats", timeout=30).json()["sellers"]


def emulator_counts(sellers: dict[str, dict]) -> dict[str, Counter[str]]:
    """Requests by seller and route, from `emulator_stats`."""
    return {sid: Counter({route(*key.split(" ", 1)): n for key, n in s["by_route"].items()})
            for sid, s in sellers.items()}


def rss_kib(pgids: list[int]) -> tuple[int, int]:
    """Resident memory of these process groups: (the largest process, all together), KiB."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or os.getpgid(int(proc.name)) not in pgids:
                continue
            status = (proc / "status").read_text()
        except (OSError, ProcessLookupError):
            continue
        match = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
        found.append(int(match.group(1)) if match else 0)
    return (max(found), sum(found)) if found else (0, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10, help="small sellers (at most 300 products)")
    parser.add_argument("--big", type=int, nargs="*", default=[20_000, 100_000], help="big sellers' catalogue sizes")
    parser.add_argument("--days", type=float, default=1.0, help="simulated days; the last 24 hours are measured")
    parser.add_argument("--time-scale", type=float, default=72.0)
    parser.add_argument("--workers", type=int, default=4, help="processes of the sync worker (wb, ym, control)")
    parser.add_argument("--report-workers", type=int, default=2,
                        help="processes of the report worker (wb.reports, ym.reports), as deploy/ ships them")
    parser.add_argument("--initial-days", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the worker's log in this file")
    args = parser.parse_args()
    day_s = DAY / args.time_scale

    with ExitStack() as stack:
        # The simulation starts at 06:00 of today in Moscow on both clocks, so the last 24 hours
        # measured hold a whole day and its 04:17 daily dispatch.
        api_start = dt.datetime.combine(clock.today(), dt.time(6), clock.MOSCOW)
        origin = json.dumps([dt.datetime.now(dt.UTC).isoformat(), api_start.isoformat()])
        stage = open_stage(stack, args.time_scale, {
            "HARVESTER_CLOCK_ORIGIN": origin, "HARVESTER_INITIAL_DAYS": str(args.initial_days),
            "HARVESTER_DISPATCH_AT_START": "true"}, seed=SEED, start=api_start.timestamp())
        engine, harness, emulator, client = stage.engine, stage.harness, stage.harness.emulator, stage.broker
        sids = {harness.add_wb_account(name, scopes=SCOPES): name
                for name in small_sellers(SEED, "sim", args.small, most=300)}
        for size in args.big:
            name = f"big-{size}"
            sids[harness.add_wb_account(name, scopes=SCOPES, seller=big_seller(name, size))] = name
        print(f"{args.small} small sellers and {len(args.big)} big ones ({', '.join(f'{n:,}' for n in args.big)} "
              f"products), {args.days:g} simulated days at time scale {args.time_scale:g} "
              f"({day_s:.0f} s a day); the shipped pair of workers: {args.workers} processes on the sync "
              f"queues with beat, {args.report_workers} on the report queues", flush=True)

        client.config_resetstat()
        database_before = postgres_cpu_seconds()
        workers = [harness.start_worker(concurrency=args.workers, beat=True, queues="wb,ym,control"),
                   harness.start_worker(concurrency=args.report_workers, queues="wb.reports,ym.reports")]
        pids = [worker.pid for worker in workers]
        started = time.monotonic()
        peak_one = peak_all = 0
        last_day: dict[str, Counter[str]] | None = None
        while (elapsed := time.monotonic() - started) < args.days * day_s:
            if any(worker.poll() is not None for worker in workers):
                raise SystemExit(f"the worker exited:\n{harness.logs(beat=False)[-3000:]}")
            if last_day is None and elapsed >= (args.days - 1) * day_s:
                last_day = emulator_counts(emulator_stats(emulator.url))
                last_day_at, since = time.monotonic(), dt.datetime.now(dt.UTC)
            one, together = rss_kib(pids)
            peak_one, peak_all = max(peak_one, one), max(peak_all, together)
            time.sleep(1)
        assert last_day is not None
        measured_s = time.monotonic() - last_day_at
        cpu, wall = cpu_seconds(pids), time.monotonic() - started
        emulator_cpu = sum(os.times()[:2])  # this process: the emulator's threads, and little else
        builders_cpu = builders_cpu_seconds()
        database_cpu = postgres_cpu_seconds() - database_before if engine.dialect.name == "postgresql" else 0.0
        messages = int(client.info("commandstats").get("cmdstat_lpush", {}).get("calls", 0))
        redis_bytes = int(client.info("memory")["used_memory"])
        every = emulator_stats(emulator.url)
        counts = emulator_counts(every)
        harness.stop_all()
        if args.logs:
            args.logs.write_text(harness.logs())

        total = sum(s.get("requests", 0) for s in every.values())
        limited = sum(s.get("429", 0) for s in every.values())
        print(f"requests: {total:,}, 429s: {limited}; per request: {messages / max(total, 1):.2f} broker messages, "
              f"{1000 * cpu / max(total, 1):.1f} ms worker CPU (parse and load included)")
        spent = cpu + emulator_cpu + builders_cpu + database_cpu
        print(f"CPU over {wall:.0f} s on {os.cpu_count()} cores: {cpu:.0f} s the workers and beat, "
              f"{emulator_cpu:.0f} s the emulator (one core at most: its threads share one interpreter), "
              f"{builders_cpu:.0f} s its builders (report files, big sellers' answers) and {database_cpu:.0f} s "
              f"PostgreSQL ({1000 * database_cpu / max(total, 1):.1f} ms a request); {spent / args.days:.0f} s a "
              f"simulated day, {spent / (wall * (os.cpu_count() or 1)):.0%} of the machine: where that nears "
              f"100 %, the figures below say what the machine could do, not the budgets")
        print(f"peak worker RSS: {peak_one / 1024:.0f} MiB the largest process, {peak_all / 1024:.0f} MiB all "
              f"{args.workers + args.report_workers + 3} together; Redis {redis_bytes / 2**20:.1f} MiB")
        _print_store(stage)
        groups = _plan(engine)
        per_day = DAY / (measured_s * args.time_scale)
        _print_budget_use(groups, sids, (last_day, counts), per_day)
        _print_coverage(engine, groups, sids, (last_day, counts), since, per_day)


def _print_store(stage: Stage) -> None:
    with Session(stage.engine) as session:
        runs = session.execute(select(func.count()).select_from(HarvestRun)).scalar_one()
        units = session.execute(select(func.count()).select_from(WorkUnit)).scalar_one()
        size = (session.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
                if stage.engine.dialect.name == "postgresql" else (stage.tmp / "bench.db").stat().st_size)
    logged = (json.loads(line) for line in stage.harness.logs(beat=False).splitlines() if line.startswith("{"))
    cycles = [(e["cadence"], e["seconds"]) for e in logged if e.get("event") == "dispatched" and "account" not in e]
    if cycles:
        took = [seconds for _, seconds in cycles]
        print(f"dispatch: {len(cycles)} cycles ({dict(Counter(str(c) for c, _ in cycles))}), "
              f"{sum(took) / len(took):.2f} s on average, {max(took):.2f} s the longest; ledger {units:,} units, "
              f"run log {runs:,} rows ({units / len(cycles):.0f} and {runs / len(cycles):.0f} a cycle)")
    print(f"database: {size / 2**20:.1f} MiB ({stage.engine.dialect.name})")


def _landed(engine, since: dt.datetime) -> Counter[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Windows harvested since then, by account × endpoint."""
    with Session(engine) as session:
        runs = session.execute(select(HarvestRun.account_id, HarvestRun.endpoint, HarvestRun.finished_at)
                               .where(HarvestRun.status == "ok")).all()
    return Counter((a, e) for a, e, at in runs if (at if at.tzinfo else at.replace(tzinfo=dt.UTC)) >= since)


def _plan(engine) -> list[GroupPlan]:  # type: ignore[no-untyped-def]
    """`harvester plan` of every account, its catalogues sized from the store."""
    settings = get_settings()
    with Session(engine) as session:
        return plan(get_accounts().values(), sizer(session, None),
                    lambda a: endpoints_for(a.marketplace, a.wb_api_generation, settings))


def _requests(counts: tuple[dict[str, Counter[str]], dict[str, Counter[str]]], sid: str, on: Iterable[str]) -> int:
    """A seller's requests on these routes between the two counts."""
    before, after = (c.get(sid, Counter()) for c in counts)
    return sum(after[r] - before[r] for r in on)


def _print_budget_use(groups: list[GroupPlan], sids: dict[str, str],
                      counts: tuple[dict[str, Counter[str]], dict[str, Counter[str]]], per_day: float) -> None:
    """Each WB bucket's requests over the last day against what it affords, and against what
    the plan expects of it (its demand, capped by the budget)."""
    by_name = {e.name: e for a in get_accounts().values() for e in endpoints_for(a.marketplace, a.wb_api_generation)}
    rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for group in groups:
        sid = group.owner.removeprefix("seller:")
        if sid not in sids or not group.budget:
            continue
        on = {r for line in group.lines for r in routes(by_name[line.endpoint]).get(group.group, ())}
        if not on:  # a CSV report quota: no route of its own
            continue
        used = _requests(counts, sid, on) * per_day / group.budget
        rows[group.group].append((min(1.0, group.utilization), used))
    print("budget use per bucket on the last day (requests ÷ budget), planned → measured (lowest; mean; "
          "buckets whose demand is over their budget)")
    for name, found in sorted(rows.items()):
        full = [used for planned, used in found if planned >= 1.0]
        print(f"  {name:<40} {min(p for p, _ in found):6.3f} → {min(u for _, u in found):6.3f}; "
              f"{sum(p for p, _ in found) / len(found):6.3f} → {sum(u for _, u in found) / len(found):6.3f}"
              + (f"; full {len(full)}: {min(full):.3f} lowest" if full else ""))


def _print_coverage(engine, groups: list[GroupPlan], sids: dict[str, str],  # type: ignore[no-untyped-def]
                    counts: tuple[dict[str, Counter[str]], dict[str, Counter[str]]], since: dt.datetime,
                    per_day: float) -> None:
    """Each endpoint's share of its demand served over the last day, against the plan's
    prediction. A report's windows landed are counted, not its requests (its status polls
    vary with how long it takes); for the rest, an account × limit group's requests on the
    endpoint's routes."""
    landed = _landed(engine, since)
    reports: dict[tuple[str, str], float] = {}  # account × report endpoint: its planned share
    accounts = get_accounts()
    seller_of = {name: sid for sid, name in sids.items()}
    planned: dict[tuple[str, frozenset[str]], list[float]] = defaultdict(lambda: [0.0, 0.0])  # demand, served
    names: dict[frozenset[str], set[str]] = defaultdict(set)
    read: dict[str, list[float]] = defaultdict(list)
    with Session(engine) as session:
        by_name = {e.name: e for a in accounts.values() for e in endpoints_for(a.marketplace, a.wb_api_generation)}
        for group in groups:
            for line in group.lines:
                if line.demand is None or line.coverage is None or line.period > DAY:
                    continue  # unknown, or weekly: a day says nothing of it
                if by_name[line.endpoint].flow is not None:
                    at = (line.account, line.endpoint)
                    reports[at] = min(reports.get(at, 1.0), line.coverage)  # as its scarcest group allows
                    continue
                key = frozenset(routes(by_name[line.endpoint])[group.group])
                planned[(line.account, key)][0] += line.demand
                planned[(line.account, key)][1] += line.demand * min(1.0, line.coverage)
                names[key].add(line.endpoint)
        for entry in accounts.values():
            for endpoint in endpoints_for(entry.marketplace, entry.wb_api_generation):
                share = rotation(session, entry, endpoint)["coverage"]
                if share is not None:
                    read[endpoint.name].append(share)
    rows: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (account, key), (demand, served) in planned.items():
        if demand:
            done = _requests(counts, seller_of[account], key) * per_day
            rows[", ".join(sorted(names[key]))].append((served / demand, done / demand))
    for (account, name), share in reports.items():
        rows[f"{name} (windows)"].append((min(1.0, share), landed[(account, name)] * per_day
                                          / windows_per_day(by_name[name])))
    print("share of the demand served on the last day, planned → measured (lowest account; mean)")
    for name, found in sorted(rows.items()):
        low_plan, low_done = min(p for p, _ in found), min(min(1.0, d) for _, d in found)
        mean_plan, mean_done = (sum(p for p, _ in found) / len(found), sum(min(1.0, d) for _, d in found) / len(found))
        print(f"  {name:<60} {low_plan:6.3f} → {low_done:6.3f}; {mean_plan:6.3f} → {mean_done:6.3f}")
    for name, shares in sorted(read.items()):
        print(f"  products read in the newest window of {name}: lowest {min(shares):.3f}")


if __name__ == "__main__":
    main()
