"""The emulator's HTTP server: one loopback server answers for every WB host and for Yandex
Market (their paths do not collide). It serves the route tables joined in ROUTES; each WB data
request goes through WB's pipeline (wb.http: auth -> rate limit -> fault injection -> handler),
each YM one through YM's (ym.http), control routes straight to their handler. The server is the
state the handlers are typed against (common.host, wb.host, ym.host)."""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from emulator.common import control
from emulator.common.clock import Clock
from emulator.common.faults import Faults
from emulator.common.router import Request, Response, Route, Router, json_response
from emulator.wb.auth import seller_id
from emulator.wb.error_bodies import path_not_found
from emulator.wb.http import serve_wb
from emulator.wb.routes import acceptance, analytics, csv_reports, funnel, paid_storage, ping, promotion, search, stocks
from emulator.wb.routes import control as wb_control
from emulator.wb.state.async_tasks import Task, TaskStore
from emulator.wb.state.buckets import LIMITS, Limiter
from emulator.wb.state.report_store import ReportStore
from emulator.ym.http import serve_ym
from emulator.ym.routes import auth as ym_auth
from emulator.ym.routes import control as ym_control
from emulator.ym.routes import offers, reports
from emulator.ym.state import YmState
from emulator.ym.state.reports import YmReports

# Every route the server answers, and the only place routes are put together.
ROUTES = Router.join(
    control.router,
    stocks.router, paid_storage.router, acceptance.router, ping.router, analytics.router, csv_reports.router,
    funnel.router, promotion.router, search.router, wb_control.router,
    offers.router, reports.router, ym_auth.router, ym_control.router,
)


@dataclass(frozen=True)
class Exchange:
    """One data request as received and the answer sent, for schema checks in tests."""

    route: str  # the route's "METHOD /template", e.g. "GET /adv/v3/fullstats"
    request: Request
    response: Response
    at: float = 0.0  # when it was received, real epoch seconds


class Emulator:
    """A WB API emulator on a real loopback port; see the package docs for the routes."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        time_scale: float = 1.0,
        seed: int = 0,
        faults: Faults | None = None,
        task_new_s: float = 5.0,
        task_ready_s: float = 60.0,
        report_wait_s: float = 5.0,
        report_ready_s: float = 60.0,
        record: bool = False,
        start: float | None = None,
    ) -> None:
        self.seed = seed
        # Data exchanges (request and answer) kept for tests that check both against the
        # marketplace's OpenAPI files; off in production-like runs, where it would only grow.
        self.record = record
        self.exchanges: list[Exchange] = []
        self.clock = Clock(time_scale, start)
        self.faults = faults or Faults()
        self.limiter = Limiter()
        self.tasks = TaskStore(task_new_s, task_ready_s)
        self.reports = ReportStore(report_wait_s, report_ready_s)
        self.ym = YmState(reports=YmReports(report_wait_s, report_ready_s))
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._stats: dict[str, dict] = {}
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.emulator = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]  # an AF_INET address: (str, int)
        return f"http://{host!s}:{port}"

    def start(self) -> Emulator:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="wb-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()

    def __enter__(self) -> Emulator:
        return self if self._thread else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state used by routes and control routes ------------------------------------------

    def reset(self) -> None:
        """Forget buckets, throttles, tasks, reports (with quotas, Jam and forced failures), counters
        and faults; replay the seeded RNG."""
        self.limiter.clear()
        self.tasks.clear()
        self.reports.clear()
        self.ym.clear()
        with self._lock:
            self._stats.clear()
            self.exchanges.clear()
            self._rng = random.Random(self.seed)
            self.faults = Faults()

    def set_faults(self, **changes: float) -> Faults:
        """Change some fault settings at run time; returns the current ones."""
        with self._lock:
            self.faults = self.faults.updated(changes)
            return self.faults

    def throttle(self, seller: str, group: str, retry_after: float) -> str:
        """Refuse the seller's requests to a limit group for `retry_after` emulated seconds."""
        if group not in LIMITS:
            raise ValueError(f"unknown limit group {group!r}")
        if not isinstance(retry_after, int | float) or isinstance(retry_after, bool) or retry_after < 0:
            raise ValueError("retry_after must be a non-negative number")
        sid = seller_id(seller)
        self.limiter.throttle(sid, group, float(retry_after), self.clock.now())
        return sid

    def stats(self) -> dict:
        with self._lock:
            sellers = {sid: {**s, "by_route": dict(s["by_route"])} for sid, s in self._stats.items()}
        return {"time_scale": self.clock.time_scale, "now": self.clock.now(), "sellers": sellers}

    def create_task(self, sid: str, date_from: date, date_to: date, kind: str = "paid_storage") -> Task:
        canceled = self.chance(self.faults.cancel_rate)
        task = Task(str(uuid.uuid4()), sid, date_from, date_to, self.clock.now(), canceled, kind)
        self.tasks.add(task)
        self.count(sid, "tasks_created")
        return task

    def report_fails(self) -> bool:
        """Whether a CSV report generation fails at random (Faults.report_fail_rate)."""
        return self.chance(self.faults.report_fail_rate)

    def count(self, sid: str, counter: str) -> None:
        """Bump one of a seller's event counters in the stats."""
        with self._lock:
            self._seller(sid)[counter] += 1

    def chance(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def _seller(self, sid: str) -> dict:
        return self._stats.setdefault(
            sid, {"requests": 0, "429": 0, "401": 0, "tasks_created": 0, "reports_created": 0, "by_route": {}}
        )

    def count_request(self, sid: str, key: str, limited: bool = False, unauthorized: bool = False) -> None:
        with self._lock:
            entry = self._seller(sid)
            entry["requests"] += 1
            entry["429"] += limited
            entry["401"] += unauthorized
            entry["by_route"][key] = entry["by_route"].get(key, 0) + 1

    # --- request pipeline ------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: Message, body: bytes) -> Response:
        parts = urlsplit(target)
        found = ROUTES.match(method, parts.path)
        if found is None:
            return path_not_found(self.clock)
        found_route, params = found
        args = parse_qs(parts.query, keep_blank_values=True)
        params = {k: unquote(v) for k, v in params.items()}
        req = Request(method, parts.path, {k: v[0] for k, v in args.items()}, headers, body, params, args=args)
        try:
            if found_route.is_control:
                return self._control(found_route, req)
            resp = self._data(found_route, req)
            if self.record:
                resp = resp.whole()
                with self._lock:
                    self.exchanges.append(Exchange(found_route.key, req, resp, time.time()))
            return resp
        except Exception as exc:  # a bug must surface as a 500, not as a dropped connection
            return json_response(500, {"title": "internal error", "detail": f"emulator error: {exc!r}"})

    def _control(self, found_route: Route, req: Request) -> Response:
        try:
            return found_route.handler(self, req)
        except (ValueError, TypeError) as exc:
            return json_response(400, {"error": str(exc)})

    def _data(self, found_route: Route, req: Request) -> Response:
        if found_route.marketplace == "ym":
            return serve_ym(self, found_route, req)
        return serve_wb(self, found_route, req)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: every answer carries a Content-Length or is chunked
    server_version = "wb-emulator"
    # Headers and body leave in one flush with no Nagle delay: otherwise delayed ACKs add
    # ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    wbufsize = 1 << 16

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr line."""

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The `Date` header in emulated time: clients date YM's `X-RateLimit-Resource-Until` by it."""
        return formatdate(self.server.emulator.clock.now() if timestamp is None else timestamp, usegmt=True)  # type: ignore[attr-defined]

    def _serve(self) -> None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self.close_connection = True
            self._send(json_response(411, {"error": "send a Content-Length"}))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self._send(self.server.emulator.dispatch(self.command, self.path, self.headers, body))  # type: ignore[attr-defined]

    def _send(self, resp: Response) -> None:
        try:
            self.send_response(resp.status)
            if resp.content_type:
                self.send_header("Content-Type", resp.content_type)
            if resp.chunks is None:
                self.send_header("Content-Length", str(len(resp.body)))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            for name, value in resp.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if resp.chunks is not None:
                for chunk in resp.chunks:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            elif resp.body:
                self.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (its timeout): no error here
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


def serve(port: int, time_scale: float, seed: int) -> None:
    """Run the emulator on 127.0.0.1:port until interrupted (for the CLI)."""
    emulator = Emulator(port=port, time_scale=time_scale, seed=seed)
    with contextlib.suppress(KeyboardInterrupt):
        emulator.serve_forever()
