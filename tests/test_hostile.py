"""What the API sends is data: hostile report ids never become paths, keys never follow a redirect
off their host, and array parameters are sent as the specs declare them."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import requests

from harvester.catalog import get_endpoint
from harvester.core.accounts import Account
from harvester.core.errors import BadRequest, Fatal
from harvester.core.request import Request
from harvester.core.settings import Settings
from harvester.models import JobStatus
from harvester.pipeline.client import Client
from tests.test_flows import StubGate, _job, _step, answer

HOSTILE = ["../../../../../tmp/hv-evil/pwned", "..", "a/../../b", "x" * 5000, "отчёт-№1", "%2e%2e%2f"]

pytestmark = pytest.mark.usefixtures("store")  # the flows run against the test database


@pytest.mark.parametrize("value", [*HOSTILE, "nul\x00byte"])  # (PostgreSQL cannot even store a NUL)
def test_an_id_in_a_path_stays_one_segment_of_data(value: str) -> None:
    call = get_endpoint("wb.csv.detail_history").flow.file  # type: ignore[union-attr]
    if value == "..":  # URL normalisation would make it the parent: refused outright
        with pytest.raises(Fatal, match="cannot name a resource"):
            Request.from_call(call, report_id=value)
        return
    request = Request.from_call(call, report_id=value)
    prefix = "/api/v2/nm-report/downloads/file/"
    assert request.path.startswith(prefix)
    segment = request.path[len(prefix):]
    assert "/" not in segment and "\x00" not in segment and unquote(segment) == value


class RecordingGate(StubGate):
    """Answers every call with `body` and keeps the requests as sent."""

    def __init__(self, body: Any) -> None:
        super().__init__({})
        self.body, self.requests = body, []  # type: ignore[var-annotated]

    def send(self, account: Account, request: Any, call: Any, stream: bool = False) -> requests.Response:
        self.requests.append(request)
        if isinstance(self.body, dict):
            return answer(200, self.body)
        response = answer(200)
        response._content = self.body
        response.raw = None
        return response


# The flows' download steps, each fed an id from the API as hostile as it comes.
FLOWS = {
    "wb.csv.detail_history": b"not a zip",
    "wb.paid_storage": {"data": []},
    "ym.report.united_marketplace_services": {"result": {"status": "DONE", "file": "/files/report.zip"}},
}


@pytest.mark.parametrize("endpoint", list(FLOWS))
@pytest.mark.parametrize("value", ["ABSOLUTE", *HOSTILE])
def test_a_hostile_report_id_goes_through_every_flow_as_data(endpoint: str, value: str, tmp_path: Path) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    remote_id = str(evil / "pwned") if value == "ABSOLUTE" else value
    gate = RecordingGate(FLOWS[endpoint])
    job_id = _job(endpoint, status=JobStatus.DOWNLOADING, remote_id=remote_id)
    with suppress(Exception):  # a body that is not a report fails the step; what matters is where it went
        _step(endpoint, job_id, gate)  # type: ignore[arg-type]
    assert list(evil.iterdir()) == []  # nothing written where the id pointed
    assert not Path("/tmp/hv-evil").exists()
    for request in gate.requests:
        if request.path.startswith("/api/") or request.path.startswith("/v2/"):
            assert "\x00" not in request.path and "/../" not in request.path + "/"


class _Capture(http.server.BaseHTTPRequestHandler):
    """Redirects /redirect to `target`; records the headers of every other request."""

    target = ""
    seen: list[dict[str, str]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.target)
            self.end_headers()
            return
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A server on another port (another origin): what reaches it must carry no key."""
    _Capture.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Capture.seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("marketplace", "header"), [("wb", "Authorization"), ("ym", "Api-Key")])
def test_a_redirect_to_another_host_never_carries_the_key(
        other_host: tuple[str, list[dict[str, str]]], monkeypatch: pytest.MonkeyPatch, marketplace: str,
        header: str) -> None:
    target, seen = other_host
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    _Capture.target = target + "/landed"
    try:
        monkeypatch.setenv("HV_HOSTILE_TOKEN", "secret-token")
        settings = Settings(_env_file=None, emulator_url=f"http://127.0.0.1:{api.server_port}")  # type: ignore[call-arg]
        account = Account(id="a1", marketplace=marketplace, token_env="HV_HOSTILE_TOKEN")
        Client(settings).send(account, Request("GET", {"wb": "wb.analytics", "ym": "ym.api"}[marketplace], "/redirect"))
    finally:
        api.shutdown()
        api.server_close()
    assert len(seen) == 1  # the redirect was followed, to the other origin
    assert header not in seen[0] and "secret-token" not in str(seen[0])


def test_an_array_parameter_is_repeated_once_per_value() -> None:
    """`filter[downloadIds]` is an array (form style, exploded): one parameter per id."""
    call = get_endpoint("wb.csv.detail_history").flow.list  # type: ignore[union-attr]
    ids = ["0b4e6f8c-5d1a-4c3e-9a7b-2f1e0d9c8b7a", "1c5f7a9d-6e2b-4d4f-8b8c-3a2f1e0d9c8b"]
    request = Request.from_call(call, ids=ids)
    prepared = requests.Request("GET", "http://api" + request.path, params=request.params).prepare()
    assert prepared.url == ("http://api/api/v2/nm-report/downloads?filter%5BdownloadIds%5D=" + ids[0]
                            + "&filter%5BdownloadIds%5D=" + ids[1])
    fullstats = get_endpoint("wb.adv.fullstats").fetch  # a string parameter: comma-joined, as its spec says
    assert Request.from_call(fullstats, **{"ids.advert_id": [1, 2], "start": "s", "end": "e"}).params["ids"] == "1,2"


@pytest.mark.parametrize("link", ["@evil.example/report.zip", "file:///etc/passwd", "evil.example/x"])
def test_a_file_link_that_is_no_path_or_http_link_is_never_sent(link: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HV_HOSTILE_TOKEN", "ym-key-value")
    settings = Settings(_env_file=None, emulator_url="http://127.0.0.1:9")  # type: ignore[call-arg]  # nothing there
    account = Account(id="ym-1", marketplace="ym", token_env="HV_HOSTILE_TOKEN")
    with pytest.raises(BadRequest, match="never sent"):
        Client(settings).send(account, Request("GET", "ym.api", link))
