import time

import pytest
import requests

from emulator import make_wb_token

from .conftest import STOCKS, stocks_body

GATEWAY_KEYS = {"title", "detail", "code", "requestId", "origin", "status", "statusText", "timestamp"}


def _post(emu, headers):
    return requests.post(emu.url + STOCKS, json=stocks_body(emu), headers=headers)


def _assert_401(resp, detail_start, token=None):
    assert resp.status_code == 401
    body = resp.json()
    assert set(body) == GATEWAY_KEYS
    assert (body["title"], body["origin"], body["status"], body["statusText"]) == (
        "unauthorized",
        "s2s-api-auth-catalog",
        401,
        "Unauthorized",
    )
    assert body["detail"].startswith(detail_start)
    if token:
        assert token not in resp.text
        assert all(part not in resp.text for part in token.split(".") if len(part) > 8)


def test_missing_token(fast):
    _assert_401(_post(fast, {}), "empty Authorization header")


@pytest.mark.parametrize("token", ["garbage-token-value", "aaaa.bbbb.cccc", "e30.e30.!!!!"])
def test_malformed_token(fast, token):
    _assert_401(_post(fast, {"Authorization": token}), "token problem; token is malformed: ", token)


def test_expired_token(fast):
    token = make_wb_token("acme", ["analytics"], expires_days=-1)
    _assert_401(_post(fast, {"Authorization": token}), "token problem; token is expired", token)


def test_expiry_uses_real_time_not_emulated(fast):
    token = make_wb_token("acme", ["analytics"], now=time.time() - 179 * 86400)
    assert _post(fast, {"Authorization": token}).status_code == 200


def test_wrong_scope(fast):
    token = make_wb_token("acme", ["promotion", "statistics"])
    _assert_401(_post(fast, {"Authorization": token}), "token scope not allowed for this API route", token)


def test_raw_and_bearer_tokens_are_accepted(fast):
    token = make_wb_token("acme", ["analytics"])
    assert _post(fast, {"Authorization": token}).status_code == 200
    assert _post(fast, {"Authorization": "Bearer " + token}).status_code == 200


def test_unknown_path_and_method(fast):
    token = make_wb_token("acme", ["analytics"])
    for resp in (
        requests.get(fast.url + "/api/v9/nothing", headers={"Authorization": token}),
        requests.get(fast.url + STOCKS, headers={"Authorization": token}),
    ):
        assert resp.status_code == 404
        body = resp.json()
        assert set(body) == GATEWAY_KEYS
        assert body["title"] == "path not found"
        assert body["detail"] == "Please consult the https://dev.wildberries.ru/openapi/api-information"
        assert (body["status"], body["statusText"]) == (404, "Not Found")
