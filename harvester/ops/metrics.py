"""Prometheus metrics: counters every worker adds to in Redis, served by one small exporter.

Workers are prefork processes on several hosts, so counters live in Redis hashes (one per
metric, one field per label set) rather than in process memory; `harvester metrics` renders
them, the queue lengths and today's report quota left, in Prometheus's text format.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis
from sqlalchemy import select
from sqlalchemy.engine import Engine

from harvester.core.counters import COUNTERS, PREFIX
from harvester.worker.routing import QUEUES


def _labels(labels: dict[str, object]) -> str:
    body = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                    for k, v in sorted(labels.items()))
    return "{" + body + "}" if body else ""


def render(client: redis.Redis, engine: Engine | None, quota: int = 20) -> str:
    """Every metric in Prometheus text format."""
    lines: list[str] = []
    for name, help_text in COUNTERS.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
        for labels, value in sorted(client.hgetall(PREFIX + name).items()):
            lines.append(f"{name}{_labels(json.loads(labels))} {int(value)}")
    lines += ["# HELP harvester_queue_length Messages waiting in each Celery queue",
              "# TYPE harvester_queue_length gauge"]
    lines += [f'harvester_queue_length{{queue="{q}"}} {client.llen(q)}' for q in QUEUES]
    if engine is not None:
        from sqlmodel import col

        from harvester.models import ReportQuota
        from harvester.pipeline.flows.quota import quota_day

        lines += ["# HELP harvester_report_quota_left WB CSV reports an account may still create today",
                  "# TYPE harvester_report_quota_left gauge"]
        with engine.connect() as conn:
            used = conn.execute(select(col(ReportQuota.account_id), col(ReportQuota.used))
                                .where(col(ReportQuota.day) == quota_day())).all()
        lines += [f'harvester_report_quota_left{{account="{a}"}} {max(0, quota - u)}' for a, u in used]
    return "\n".join(lines) + "\n"


def serve(port: int, client: redis.Redis, engine: Engine | None, address: str = "127.0.0.1") -> None:
    """Serve /metrics until interrupted."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] != "/metrics":
                self.send_error(404)
                return
            body = render(client, engine).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    ThreadingHTTPServer((address, port), Handler).serve_forever()
