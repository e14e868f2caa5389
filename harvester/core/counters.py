"""Counters every worker process adds to, kept in Redis hashes (one per metric, one field per
label set) because workers are prefork processes on several hosts; `harvester metrics` serves them."""

from __future__ import annotations

import contextlib
import json

import redis

COUNTERS = {
    "harvester_requests_total": "API requests by marketplace, path and HTTP status",
    "harvester_request_seconds_total": "Seconds spent waiting for API answers, by marketplace, path and HTTP "
                                       "status (over harvester_requests_total: the mean latency)",
    "harvester_rate_limited_total": "429 (WB) and 420 (YM) answers by marketplace and limit group",
    "harvester_rows_total": "Rows landed by endpoint",
    "harvester_load_cpu_seconds_total": "CPU seconds spent decoding answers, turning them into rows and "
                                        "upserting them (a report flow: loading its report), by endpoint, "
                                        "counted when a window lands (over harvester_rows_total: the cost "
                                        "of a row)",
    "harvester_failures_total": "Units of work that ended failed, by endpoint and error kind",
}
PREFIX = "hv:metrics:"


def count(client: redis.Redis, name: str, n: float = 1, **labels: str) -> None:
    """Add `n` to a counter; never lets a metrics hiccup fail a harvest."""
    count_all(client, {name: n}, **labels)


def landed(client: redis.Redis, endpoint: str, rows: int, load_cpu: float) -> None:
    """The rows a harvest or a report flow landed, and the CPU their decoding, parsing and upsert took."""
    count_all(client, {"harvester_rows_total": rows, "harvester_load_cpu_seconds_total": load_cpu}, endpoint=endpoint)


def count_all(client: redis.Redis, amounts: dict[str, float], **labels: str) -> None:
    """Add to several counters of the same labels in one round trip (every API request adds to two)."""
    assert set(amounts) <= set(COUNTERS), amounts
    field = json.dumps(labels, sort_keys=True)
    with contextlib.suppress(redis.RedisError):
        pipe = client.pipeline(transaction=False)
        for name, n in amounts.items():
            pipe.hincrbyfloat(PREFIX + name, field, n)
        pipe.execute()
