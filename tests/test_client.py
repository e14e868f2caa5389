"""The HTTP stage: the error table, paging, request filling, and the Client against the emulator."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from emulator import Emulator, make_wb_token
from harvester.catalog import get_endpoint
from harvester.catalog.limits import WB_STOCKS_REPORT
from harvester.catalog.model import Call
from harvester.catalog.paging import OffsetPaginator, PagePaginator, TokenPaginator
from harvester.core.accounts import Account
from harvester.core.errors import (
    BadRequest,
    Forbidden,
    HarvestError,
    PaymentRequired,
    RateLimited,
    Transient,
    Unauthorized,
    error_for,
)
from harvester.core.logs import register_secret
from harvester.core.request import Request
from harvester.core.settings import Settings
from harvester.pipeline.client import Client, decode_json
from harvester.pipeline.parse import records_at


def answer(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    response.headers = CaseInsensitiveDict(headers or {})
    return response


@pytest.mark.parametrize(
    ("marketplace", "status", "kind"),
    [("wb", 400, BadRequest), ("wb", 401, Unauthorized), ("ym", 401, Unauthorized), ("wb", 402, PaymentRequired),
     ("wb", 403, Forbidden), ("ym", 403, Forbidden), ("wb", 404, BadRequest), ("wb", 409, BadRequest),
     ("wb", 413, BadRequest), ("wb", 422, BadRequest), ("wb", 429, RateLimited), ("ym", 420, RateLimited),
     ("ym", 429, RateLimited), ("wb", 420, BadRequest), ("wb", 500, Transient), ("wb", 503, Transient),
     ("ym", 502, Transient)],
)
def test_error_for_maps_each_status_to_its_error(marketplace: str, status: int, kind: type[HarvestError]) -> None:
    error = error_for(marketplace, answer(status), "GET /x")
    assert type(error) is kind and error.status == status


@pytest.mark.parametrize("status", [200, 204, 302])
def test_error_for_a_success_is_none(status: int) -> None:
    assert error_for("wb", answer(status), "GET /x") is None


@pytest.mark.parametrize(
    ("marketplace", "status", "headers", "wait"),
    [("wb", 429, {"X-Ratelimit-Retry": "7"}, 7.0), ("wb", 429, {"Retry-After": "3"}, 3.0),
     ("wb", 429, {"X-Ratelimit-Retry": "soon"}, 60.0), ("wb", 429, {}, 60.0)],
)
def test_rate_limited_waits_as_the_headers_say(marketplace: str, status: int, headers: dict[str, str],
                                               wait: float) -> None:
    error = error_for(marketplace, answer(status, headers=headers), "GET /x")
    assert isinstance(error, RateLimited) and error.wait == wait


def test_an_error_body_that_echoes_a_token_is_scrubbed_from_the_message() -> None:
    register_secret("ym-key-0123456789abcdef")
    jwt = make_wb_token("echo", ["analytics"])
    error = error_for("ym", answer(400, {"detail": f"bad key ym-key-0123456789abcdef; {jwt[:120]}"}), "GET /x")
    assert error is not None and "ym-key-0123456789abcdef" not in str(error) and jwt[:60] not in str(error)


def test_ym_420_waits_until_x_ratelimit_resource_until() -> None:
    until = formatdate(time.time() + 120, usegmt=True)
    error = error_for("ym", answer(420, headers={"X-RateLimit-Resource-Until": until}), "GET /x")
    assert isinstance(error, RateLimited) and error.wait == pytest.approx(120, abs=2)


@pytest.mark.parametrize(
    ("body", "detail"),
    [({"title": "unauthorized", "detail": "token is expired"}, "token is expired"),
     ({"errorText": "bad dates"}, "bad dates"), ({"errors": [{"code": "X1"}]}, "X1"),
     (b"upstream said no", "upstream said no")],
)
def test_the_message_names_the_call_the_status_and_the_detail(body: Any, detail: str) -> None:
    message = str(error_for("wb", answer(400, body), "GET /api/v1/paid_storage"))
    assert message.startswith("GET /api/v1/paid_storage: HTTP 400") and detail in message


@pytest.mark.parametrize("in_body", [True, False])
def test_offset_paginator_pages_until_a_short_page_and_resumes_from_a_cursor(in_body: bool) -> None:
    pager = OffsetPaginator(page_size=2, in_body=in_body)
    first = pager.first(Request("POST", "h", "/p", params={"q": 1}, json={"a": 1}))
    page = {"limit": 2, "offset": 0}
    assert (first.json, first.params) == (({"a": 1, **page}, {"q": 1}) if in_body else ({"a": 1}, {"q": 1, **page}))
    assert pager.cursor(first) == page
    second = pager.next(first, 2, None)
    assert second is not None and pager.cursor(second) == {"limit": 2, "offset": 2}
    assert pager.next(second, 1, None) is None
    resumed = pager.first(Request("POST", "h", "/p", json={"a": 1}), pager.cursor(second))
    assert pager.cursor(resumed) == {"limit": 2, "offset": 2}


def test_request_from_call_fills_path_query_and_nested_body() -> None:
    call = Call("POST", "/tasks/{task_id}/x", WB_STOCKS_REPORT, query={"from": "{start}", "n": "5"},
                body={"period": {"start": "{start}", "list": [{"end": "{end}"}, "{task_id}"]}, "keep": "{other}"})
    request = Request.from_call(call, start="2024-03-01", end="2024-03-02", task_id="t-1")
    assert (request.path, request.params) == ("/tasks/t-1/x", {"from": "2024-03-01", "n": "5"})
    assert request.json == {"period": {"start": "2024-03-01", "list": [{"end": "2024-03-02"}, "t-1"]},
                            "keep": "{other}"}
    assert request.label == "POST /tasks/t-1/x"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(time_scale=3600.0, seed=3) as e:
        yield e


def client_for(url: str) -> Client:
    return Client(Settings(_env_file=None, emulator_url=url, connect_timeout=2, request_timeout=10))  # type: ignore[call-arg]


def wb_account(monkeypatch: pytest.MonkeyPatch, token: str) -> Account:
    monkeypatch.setenv("HV_CLIENT_TOKEN", token)
    return Account(id="c1", marketplace="wb", token_env="HV_CLIENT_TOKEN")


def stocks_request(emu: Emulator) -> Request:
    endpoint, day = get_endpoint("wb.stocks_products"), emu.clock.today().isoformat()
    assert endpoint.fetch is not None
    return endpoint.paginator.first(Request.from_call(endpoint.fetch, start=day, end=day))


def test_a_stocks_page_from_the_emulator_decodes_into_records(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    request = stocks_request(emu)
    response = client_for(emu.url).send(wb_account(monkeypatch, make_wb_token("page", ["analytics"])), request)
    records = records_at(decode_json(response, request.label), "data.items", request.label)
    assert 0 < len(records) <= 1000 and all("nmID" in r and "metrics" in r for r in records)


def test_a_wrong_scope_token_is_unauthorized_and_the_error_never_contains_it(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = make_wb_token("scope", ["content"])
    with pytest.raises(Unauthorized) as info:
        client_for(emu.url).send(wb_account(monkeypatch, token), stocks_request(emu))
    assert info.value.status == 401 and "HTTP 401" in str(info.value) and "scope" in str(info.value)
    assert token not in str(info.value) and token not in repr(info.value.args)


def test_a_malformed_body_is_transient(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu.set_faults(malformed_rate=1)
    try:
        request = stocks_request(emu)
        response = client_for(emu.url).send(wb_account(monkeypatch, make_wb_token("bad", ["analytics"])), request)
    finally:
        emu.set_faults(malformed_rate=0)
    with pytest.raises(Transient, match="malformed JSON body"):
        decode_json(response, request.label)


def test_a_refused_connection_is_transient_without_the_token(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nothing listens there
    token = make_wb_token("refused", ["analytics"])
    with pytest.raises(Transient) as info:
        client_for(f"http://127.0.0.1:{port}").send(wb_account(monkeypatch, token), stocks_request(emu))
    assert info.value.status is None and "ConnectionError" in str(info.value) and token not in str(info.value)


def test_an_emulated_outage_is_transient_with_its_status(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu.set_faults(error_rate=1)
    try:
        with pytest.raises(Transient, match="HTTP 503") as info:
            client_for(emu.url).send(wb_account(monkeypatch, make_wb_token("down", ["analytics"])), stocks_request(emu))
    finally:
        emu.set_faults(error_rate=0)
    assert info.value.status == 503


def test_page_paginator_follows_is_next_page_and_resumes() -> None:
    pager = PagePaginator()
    first = pager.first(Request("POST", "h", "/p", json={"period": {}}))
    assert first.json == {"period": {}, "page": 1}
    second = pager.next(first, 1, {"data": {"isNextPage": True}})
    assert second is not None and second.json == {"period": {}, "page": 2}
    assert pager.next(second, 1, {"data": {"isNextPage": False}}) is None
    assert pager.next(second, 0, {"data": {"isNextPage": True}}) is None  # an empty page ends it too
    assert pager.first(Request("POST", "h", "/p", json={}), pager.cursor(second)).json == {"page": 2}


def test_token_paginator_follows_next_page_token_until_there_is_none() -> None:
    pager = TokenPaginator()
    first = pager.first(Request("GET", "h", "/v2/campaigns"))
    assert first.params == {} and pager.cursor(first) == {}
    second = pager.next(first, 1, {"result": {"paging": {"nextPageToken": "abc"}}})
    assert second is not None and second.params == {"page_token": "abc"}
    assert pager.next(second, 1, {"result": {"paging": {}}}) is None
    assert pager.first(Request("GET", "h", "/v2/campaigns"), pager.cursor(second)).params == {"page_token": "abc"}


def test_request_from_call_joins_id_lists_in_a_query_and_keeps_them_lists_in_a_body() -> None:
    call = Call("GET", "/v2/campaigns/{id.campaign_id}/x", WB_STOCKS_REPORT,
                query={"ids": "{ids.advert_id}"}, body={"nmIDs": "{ids.advert_id}"})
    request = Request.from_call(call, **{"ids.advert_id": [1, 2, 3], "id.campaign_id": 77})
    assert (request.path, request.params, request.json) == (
        "/v2/campaigns/77/x", {"ids": "1,2,3"}, {"nmIDs": [1, 2, 3]})


def test_a_call_of_the_other_marketplace_is_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its key would be the wrong one or none, and the 401 would blame the account's good token."""
    monkeypatch.setenv("HV_YM_KEY", "ym-key")
    settings = Settings(_env_file=None, emulator_url="http://127.0.0.1:9")  # type: ignore[call-arg]  # nothing there
    account = Account(id="ym-x", marketplace="ym", token_env="HV_YM_KEY")
    with pytest.raises(BadRequest, match="is never sent"):
        Client(settings).send(account, Request("GET", "wb.analytics", "/api/v2/nm-report/downloads"))
