"""What one dispatch cycle costs at agency scale: seconds, SQL statements and wake-ups per cycle,
and the plans of the queries it runs against a big run log and ledger (issue 12, item 6).

N accounts (a mix of WB tokens and YM keys) are dispatched in-process for every cadence at
once (`dispatch()`, what beat's entries add up to), against a PostgreSQL database of the
bench's own, optionally seeded with a run log of `--runs` rows, and a Redis database of its
own as the broker. Three cycles are timed:

    fresh    every account new: every endpoint's first windows are written and sent
    again    the same cycle at once: everything is still queued, nothing is due
    steady   after every unit is simulated harvested a day ago (units DONE, watermarks at their
             newest day): the snapshots and lookback windows due again, the daily cost

Goal: the steady cycle of 5,000 accounts in ≤ 10 s on a 2-core machine, and no plan that scans
the whole run log or ledger.

    python tests/bench/bench_dispatch.py [--accounts 5000] [--ym-share 0.2] [--runs 1000000]
        [--cycles fresh,again,steady] [--no-explain] [--profile PATH]

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379; creates
and drops the database `hv_bench_dispatch` and flushes Redis database 12.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from emulator import make_wb_token, make_ym_key, ym_business_id  # noqa: E402
from harvester.catalog import endpoints  # noqa: E402
from harvester.core.clock import today  # noqa: E402
from harvester.core.settings import get_settings  # noqa: E402
from harvester.pipeline.store import ledger  # noqa: E402
from harvester.pipeline.store.db import get_engine, reset_engines  # noqa: E402
from harvester.pipeline.store.runlog import advance_watermark  # noqa: E402
from harvester.worker.routing import QUEUES  # noqa: E402
from harvester.worker.runtime import get_runtime  # noqa: E402

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "hv_bench_dispatch"
BROKER = "redis://127.0.0.1:6379/12"
# A Seq Scan of these grows with history. `watermark` holds a row per account × endpoint, which a
# cycle of every account reads whole: it grows with the accounts, not with history.
SCANNED = ("harvest_run", "work_unit", "report_job")


@dataclass
class Statements:
    """Every SQL statement the engine sends (an executemany counts once), with one example each."""

    count: int = 0
    examples: dict[str, Any] = field(default_factory=dict)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
                 executemany: bool) -> None:
        self.count += 1
        example = parameters[0] if executemany and isinstance(parameters, list | tuple) else parameters
        self.examples.setdefault(statement, example)


def _accounts_file(tmp: Path, n: int, ym_share: float) -> str:
    """N accounts, every `1/ym_share`-th a YM cabinet and every tenth WB one on the seed
    generation; their tokens in env vars, as in production."""
    lines, every_ym = [], round(1 / ym_share) if ym_share else 0
    for i in range(n):
        account, var = f"acct-{i:05d}", f"HV_BENCH_TOKEN_{i}"
        if every_ym and i % every_ym == 0:
            os.environ[var] = make_ym_key(account)
            lines.append(f'[[accounts]]\nid = "{account}"\nmarketplace = "ym"\ntoken_env = "{var}"\n'
                         f"business_id = {ym_business_id(account)}\n")
        else:
            os.environ[var] = make_wb_token(account, ["analytics", "statistics", "promotion", "content"])
            generation = "seed" if i % 10 == 1 else "current"
            lines.append(f'[[accounts]]\nid = "{account}"\nmarketplace = "wb"\ntoken_env = "{var}"\n'
                         f'wb_api_generation = "{generation}"\n')
    path = tmp / "accounts.toml"
    path.write_text("\n".join(lines))
    return str(path)


@contextmanager
def _database() -> Iterator[str]:
    """A database of the bench's own, dropped at the end."""
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    try:
        yield f"{SERVER}/{DATABASE}"
    finally:
        reset_engines()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        admin.dispose()


def _seed_run_log(engine: Engine, rows: int, accounts: int) -> None:
    """`rows` finished runs spread over every account × endpoint and the past days."""
    names = sorted(endpoints())
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO harvest_run (account_id, endpoint, window_start, window_end, status, rows, started_at,
                                     finished_at, duration_ms)
            SELECT 'acct-' || lpad((i % a)::text, 5, '0'), (CAST(:names AS text[]))[1 + (i / a) % n],
                   current_date - 1 - i / (a * n), current_date - 1 - i / (a * n),
                   CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'ok' END, 10, now(), now(), 100
            FROM generate_series(0, CAST(:rows AS integer) - 1) AS i,
                 (SELECT CAST(:accounts AS integer) AS a, CAST(:n AS integer) AS n) AS sizes"""),
                     {"accounts": accounts, "names": names, "n": len(names), "rows": rows})
        conn.execute(text("ANALYZE"))


def _harvest_everything(engine: Engine) -> None:
    """As if every unit ran a day ago and every endpoint (dependents too) is complete to its newest day."""
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(text("UPDATE work_unit SET state = 'DONE', finished_at = :at, updated_at = :at, "
                          "lease_owner = NULL, lease_until = NULL"), {"at": yesterday})
        conn.execute(text("UPDATE report_job SET status = 'DONE'"))
        conn.execute(text("DELETE FROM watermark"))
        for endpoint in endpoints().values():
            newest = today() - dt.timedelta(days=endpoint.window.lag_days)
            conn.execute(text("INSERT INTO watermark (account_id, endpoint, complete_until, last_success_at) "
                              "SELECT DISTINCT account_id, :name, :newest, :at FROM work_unit"),
                         {"name": endpoint.name, "newest": newest, "at": yesterday})
        conn.execute(text("ANALYZE"))


def _in_broker(client: redis.Redis) -> int:
    """Messages in the broker's queues (the other wake-ups wait in their buckets' lines)."""
    return sum(client.llen(q) for q in QUEUES)


def _explain(engine: Engine, examples: dict[str, Any]) -> None:
    """EXPLAIN of every distinct statement, flagging a sequential scan of a table that grows with history."""
    for statement, parameters in examples.items():
        if not statement.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE", "WITH")):
            continue
        with engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("EXPLAIN " + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
            conn.rollback()
        scans = [t for t in SCANNED if any(f"Seq Scan on {t}" in line for line in plan)]
        print(f"\n-- {' '.join(statement.split())[:300]}")
        print("\n".join(f"   {line}" for line in plan))
        if scans:
            print(f"   !! sequential scan of {', '.join(scans)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--ym-share", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=1_000_000, help="run-log rows seeded before the first cycle")
    parser.add_argument("--cycles", default="fresh,again,steady")
    parser.add_argument("--no-explain", action="store_true")
    parser.add_argument("--profile", metavar="PATH", help="write each timed cycle's cProfile to PATH.<cycle>")
    args = parser.parse_args()
    cycles = args.cycles.split(",")

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = stack.enter_context(_database())
        os.environ.update({"HARVESTER_DATABASE_URL": url, "HARVESTER_BROKER_URL": BROKER,
                           "HARVESTER_ACCOUNTS_FILE": _accounts_file(tmp, args.accounts, args.ym_share),
                           "HARVESTER_ENV_FILE": "/nonexistent", "HARVESTER_LOG_LEVEL": "WARNING"})
        get_settings.cache_clear()
        get_runtime.cache_clear()
        broker = redis.Redis.from_url(BROKER)
        broker.flushdb()
        stack.callback(broker.flushdb)
        engine = get_engine()
        if args.runs:
            started = time.perf_counter()
            _seed_run_log(engine, args.runs, args.accounts)
            print(f"seeded {args.runs:,} run-log rows in {time.perf_counter() - started:.1f} s")

        from harvester.worker.tasks import dispatch

        statements = Statements()
        print(f"{args.accounts:,} accounts ({args.ym_share:.0%} YM), every cadence at once")
        print(f"{'cycle':<8}{'seconds':>9}{'units':>9}{'wake-ups':>10}{'broker':>9}{'SQL':>6}")
        for cycle in ("fresh", "again", "steady"):
            if cycle == "steady":
                _harvest_everything(engine)
            if cycle not in cycles:
                continue
            broker_before, units_before, counted = _in_broker(broker), _units(engine), statements.count
            event.listen(engine, "before_cursor_execute", statements)
            profile = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            with profile or nullcontext():
                sent = dispatch.apply(args=(None,)).get()
            seconds = time.perf_counter() - started
            if profile:
                profile.dump_stats(f"{args.profile}.{cycle}")
            event.remove(engine, "before_cursor_execute", statements)
            print(f"{cycle:<8}{seconds:>9.2f}{_units(engine) - units_before:>9,}{sent:>10,}"
                  f"{_in_broker(broker) - broker_before:>9,}{statements.count - counted:>6,}", flush=True)
        if not args.no_explain:
            print("\nThe statements of the cycles:")
            _explain(engine, statements.examples)
            print("\nAround the cycle: the reconciler's page of stranded units, and a finished harvest's watermark:")
            _explain(engine, _worker_statements(engine))


def _worker_statements(engine: Engine) -> dict[str, Any]:
    """The ledger and run-log reads a worker makes per unit, as run (and rolled back)."""
    statements = Statements()
    event.listen(engine, "before_cursor_execute", statements)
    with Session(engine) as session:
        ledger.stranded(session, dt.timedelta(seconds=60))
        day = today() - dt.timedelta(days=2)
        advance_watermark(session, "acct-00001", "wb.paid_storage", (day, day))
        session.flush()
        session.rollback()
    event.remove(engine, "before_cursor_execute", statements)
    return statements.examples


def _units(engine: Engine) -> int:
    """Units written so far, new or queued afresh (each generation counts)."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(sum(generation), 0) FROM work_unit")).scalar_one())


if __name__ == "__main__":
    main()
