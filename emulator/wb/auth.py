"""WB-shaped API tokens (wb-api.md §3.2): a JWT whose payload carries the seller id (`sid`),
the category bitmask (`s`), expiry and token type. The signature is random and never
verified, as the emulator cannot know WB's keys."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
import uuid
from collections.abc import Iterable

# Zero-based bit positions of the `s` claim (verified against decoded real payloads).
SCOPE_BITS: dict[str, int] = {
    "content": 1,
    "analytics": 2,
    "prices": 3,
    "marketplace": 4,
    "statistics": 5,
    "promotion": 6,
    "feedbacks": 7,
    "chat": 9,
    "supplies": 10,
    "returns": 11,
    "documents": 12,
    "finance": 13,
    "users": 16,
    "readonly": 30,
}

# The `acc` claim; tokens issued before the 4-type system have none and count as personal.
TOKEN_TYPES: dict[str, int] = {"base": 1, "test": 2, "personal": 3, "service": 4}
_ACC_NAMES = {v: k for k, v in TOKEN_TYPES.items()}

_HEADER = {"alg": "ES256", "kid": "20260301v1", "typ": "JWT"}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def seller_id(seller: str) -> str:
    """The `sid` for a seller: the seller itself if it is a UUID, else a stable UUIDv5 of its name."""
    try:
        return str(uuid.UUID(seller))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "wb-seller:" + seller))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str, part: str) -> bytes:
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError(f"could not base64 decode {part}: illegal base64 data")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"could not base64 decode {part}: illegal base64 data") from exc


def make_wb_token(
    seller: str,
    scopes: Iterable[str],
    token_type: str = "personal",
    expires_days: float = 180,
    now: float | None = None,
) -> str:
    """Issue a token for `seller` with the given categories; `exp` is in real epoch seconds."""
    if token_type not in TOKEN_TYPES:
        raise ValueError(f"unknown token type {token_type!r}")
    scopes = set(scopes)
    unknown = scopes - SCOPE_BITS.keys()
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    issued = time.time() if now is None else now
    claims: dict[str, object] = {
        "id": str(uuid.uuid4()),
        "s": sum(1 << SCOPE_BITS[name] for name in scopes),
        "sid": seller_id(seller),
        "exp": int(issued + expires_days * 86400),
        "acc": TOKEN_TYPES[token_type],
        "t": token_type == "test",
    }
    if token_type == "personal":
        claims["for"] = "self"
    elif token_type == "service":
        claims["for"] = "asid:emulator"
    parts = [json.dumps(_HEADER, separators=(",", ":")), json.dumps(claims, separators=(",", ":"))]
    encoded = [_b64encode(p.encode()) for p in parts]
    return ".".join([*encoded, _b64encode(os.urandom(64))])


def parse_wb_token(raw: str) -> dict:
    """Decode the payload of a token; ValueError says why it is malformed (never quoting it)."""
    segments = raw.split(".")
    if len(segments) != 3:
        raise ValueError("token contains an invalid number of segments")
    decoded = []
    for part, text in zip(("header", "claims"), segments[:2], strict=True):
        try:
            value = json.loads(_b64decode(text, part))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"could not JSON decode {part}") from exc
        if not isinstance(value, dict):
            raise ValueError(f"could not JSON decode {part}")
        decoded.append(value)
    _b64decode(segments[2], "signature")
    claims = decoded[1]
    if not isinstance(claims.get("sid"), str) or not claims["sid"]:
        raise ValueError("token has no seller id")
    for name in ("s", "exp"):
        if not isinstance(claims.get(name), int) or isinstance(claims[name], bool):
            raise ValueError(f"token claim {name} is not an integer")
    return claims


def token_kind(claims: dict) -> str:
    """base | test | personal | service, from the `acc` claim (absent or unknown: personal)."""
    acc = claims.get("acc")
    return _ACC_NAMES.get(acc, "personal") if isinstance(acc, int) else "personal"
