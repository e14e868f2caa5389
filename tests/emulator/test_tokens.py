import base64
import json
import uuid

import pytest

from emulator import make_wb_token, seller_id
from emulator.wb.auth import SCOPE_BITS, parse_wb_token, token_kind


def _segment(token: str, index: int) -> dict:
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_round_trip_and_scope_bits():
    token = make_wb_token("acme", ["analytics"])
    assert "=" not in token and token.count(".") == 2
    assert _segment(token, 0) == {"alg": "ES256", "kid": "20260301v1", "typ": "JWT"}
    claims = parse_wb_token(token)
    assert claims["s"] == 4
    assert claims["sid"] == seller_id("acme") == str(uuid.uuid5(uuid.NAMESPACE_URL, "wb-seller:acme"))
    assert uuid.UUID(claims["id"]).version == 4
    assert (claims["acc"], claims["for"], claims["t"]) == (3, "self", False)
    assert parse_wb_token(make_wb_token("acme", ["analytics", "promotion"]))["s"] == 68
    assert len(base64.urlsafe_b64decode(token.split(".")[2] + "==")) == 64


def test_all_categories_match_real_payload_value():
    everything = [name for name in SCOPE_BITS if name != "readonly"]
    assert parse_wb_token(make_wb_token("x", everything))["s"] == 81662


@pytest.mark.parametrize(
    ("token_type", "acc", "for_"),
    [("base", 1, None), ("test", 2, None), ("personal", 3, "self"), ("service", 4, "asid:emulator")],
)
def test_token_types(token_type, acc, for_):
    claims = parse_wb_token(make_wb_token("acme", ["analytics"], token_type=token_type))
    assert claims["acc"] == acc
    assert claims.get("for") == for_
    assert token_kind(claims) == token_type


def test_uuid_seller_is_its_own_sid_and_expiry():
    sid = str(uuid.uuid4())
    claims = parse_wb_token(make_wb_token(sid, ["analytics"], expires_days=1, now=1_000_000))
    assert claims["sid"] == sid
    assert claims["exp"] == 1_000_000 + 86400
    assert token_kind({k: v for k, v in claims.items() if k != "acc"}) == "personal"


@pytest.mark.parametrize("raw", ["", "abc", "a.b", "a.b.c.d", "!!.e30.sig", "e30.bm90anNvbg.c2ln", "e30.W10.c2ln"])
def test_malformed_tokens_are_rejected(raw):
    with pytest.raises(ValueError):
        parse_wb_token(raw)


def test_unknown_scope_or_type():
    with pytest.raises(ValueError):
        make_wb_token("acme", ["telepathy"])
    with pytest.raises(ValueError):
        make_wb_token("acme", ["analytics"], token_type="vip")
