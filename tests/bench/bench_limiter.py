"""Rate-limit budget utilisation: how close 4 worker processes get to a bucket's ideal pace.

A backlog of 60 single-page harvests for one seller shares one WB bucket of 3 a minute
(burst 3, a token every 20 s) at time scale 60. Ideal time = the time the bucket needs to
release 60 tokens = (60 - 3) × 20 s / 60 = 19 s. Utilisation = ideal / actual, goal ≥ 0.95
with zero 429s at the emulator.

    python tests/bench/bench_limiter.py [--requests 60] [--workers 4] [--time-scale 60]

Uses HARVESTER_TEST_REDIS_URL when set, otherwise an embedded Redis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import redis

from emulator import Emulator, seller_id
from emulator.wb.data import seller as data
from harvester.catalog.wb import STOCKS_PRODUCTS
from harvester.core.clock import today
from harvester.core.settings import get_settings
from harvester.models import HarvestRun
from harvester.ops.embedded import embedded_redis
from harvester.worker.runtime import redis_url
from tests.e2e.conftest import Harness

SEED = 1


def _one_page_seller() -> str:
    """A seller whose catalogue fits one 1,000-row page, so one harvest is one request."""
    return next(f"bench-{i}" for i in range(1000) if len(data.products(SEED, seller_id(f"bench-{i}"))) <= 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--time-scale", type=float, default=60.0)
    args = parser.parse_args()

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = os.environ.get("HARVESTER_TEST_REDIS_URL") or stack.enter_context(embedded_redis(tmp / "redis"))
        redis.Redis.from_url(redis_url(broker)).flushdb()
        emulator = Emulator(port=0, time_scale=args.time_scale, seed=SEED).start()
        stack.callback(emulator.stop)
        (tmp / "accounts.toml").write_text("")
        env = {"HARVESTER_BROKER_URL": broker, "HARVESTER_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
               "HARVESTER_ACCOUNTS_FILE": str(tmp / "accounts.toml"), "HARVESTER_EMULATOR_URL": emulator.url,
               "HARVESTER_TIME_SCALE": str(args.time_scale), "HARVESTER_LOG_FORMAT": "json",
               "HARVESTER_ENV_FILE": "/nonexistent"}
        os.environ.update(env)
        get_settings.cache_clear()
        harness = Harness(tmp, {**os.environ}, emulator)
        stack.callback(harness.stop_all)
        sid = harness.add_wb_account(_one_page_seller())
        account = next(iter(harness.tokens))
        harness.start_worker(concurrency=args.workers)
        harness.wait_for(lambda: "ready" in harness.logs(), 60, "the worker to be ready")

        from harvester.catalog import endpoints
        from harvester.models import Watermark
        from harvester.worker.tasks import harvest

        with harness.session() as session:  # mark the dependents as started, so only the backlog draws on the bucket
            for endpoint in endpoints().values():
                if endpoint.ids is not None and endpoint.ids.source == STOCKS_PRODUCTS.name:
                    session.add(Watermark(account_id=account, endpoint=endpoint.name))
            session.commit()
        rate = STOCKS_PRODUCTS.fetch.limit.default  # type: ignore[union-attr]
        ideal = max(0, args.requests - rate.burst) * rate.interval / args.time_scale
        started = time.monotonic()
        for i in range(args.requests):
            day = (today() - dt.timedelta(days=i)).isoformat()
            harvest.delay(account, STOCKS_PRODUCTS.name, day, day)
        harness.wait_for(lambda: len(harness.all(HarvestRun)) >= args.requests, ideal * 3 + 60, "the backlog",
                         every=0.02)
        actual = time.monotonic() - started
        stats = harness.stats(sid)
        failed = sum(r.status != "ok" for r in harness.all(HarvestRun))

    print(f"backlog: {args.requests} requests, bucket {rate.limit}/{rate.period:g}s burst {rate.burst}, "
          f"{args.workers} worker processes, time scale {args.time_scale:g}")
    print(f"emulator: {stats['requests']} requests, {stats['429']} answered 429; failed harvests: {failed}")
    print(f"ideal {ideal:.2f}s, actual {actual:.2f}s, utilisation {ideal / actual:.3f}")


if __name__ == "__main__":
    main()
