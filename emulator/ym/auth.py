"""Yandex Market Api-Keys (yandex-market-api.md §2.2): `ACMA:<payload>:<check>`, bound to one
cabinet (business) and all its stores, scoped to method groups, never expiring.

The emulator cannot know Yandex's keys, so the payload carries what a real key stands for: the
business, its campaigns (stores), the catalogue size per campaign, the scopes and the seller's
subscription tier. Ids are stable functions of the account name, so an accounts file can name
them before the emulator runs. All keys of one business must describe it the same way.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from emulator.common.seeded import keyed_hash

# ApiKeyScopeType as the Api-Key scopes are spelt in the docs and the x-auth-scopes lists.
SCOPES = (
    "all-methods",
    "all-methods:read-only",
    "inventory-and-order-processing",
    "inventory-and-order-processing:read-only",
    "pricing",
    "pricing:read-only",
    "offers-and-cards-management",
    "offers-and-cards-management:read-only",
    "promotion",
    "promotion:read-only",
    "finance-and-accounting",
    "communication",
    "settings-management",
    "supplies-management:read-only",
)
# A route's `scope` names one of these x-auth-scopes lists of the official path files.
ROUTE_SCOPES: dict[str, frozenset[str]] = {
    "any": frozenset(SCOPES),  # GET /v2/campaigns, GET /v2/reports/info/{reportId}
    "offers": frozenset(("all-methods", "all-methods:read-only", "offers-and-cards-management",
                         "offers-and-cards-management:read-only")),
    "finance": frozenset(("all-methods", "all-methods:read-only", "finance-and-accounting")),
}
TIERS = ("none", "medium")  # no subscription, "Medium" subscription (x-resource-limit-config blocks)
PREFIX = "ACMA"


@dataclass(frozen=True)
class YmKey:
    """What an Api-Key stands for."""

    business_id: int
    campaign_ids: tuple[int, ...]
    skus: int  # SKUs placed in each campaign
    scopes: frozenset[str]
    tier: str

    @property
    def sid(self) -> str:
        """The account's name in the emulator's stats."""
        return f"ym:{self.business_id}"


def ym_business_id(account: str) -> int:
    """The business (cabinet) id of an account: stable, 8 digits like real ones."""
    return 10_000_000 + keyed_hash("ym-business", account) % 89_999_999


def ym_campaign_ids(business_id: int, count: int) -> tuple[int, ...]:
    """The campaign (store) ids of a business, ascending."""
    base = 20_000_000 + keyed_hash("ym-campaigns", business_id) % 70_000_000
    return tuple(base + 7 * i for i in range(count))


def make_ym_key(
    account: str,
    scopes: Iterable[str] = ("all-methods:read-only",),
    tier: str = "none",
    campaigns: int = 2,
    skus: int = 1200,
) -> str:
    """Issue an Api-Key for `account`'s cabinet with `campaigns` stores of `skus` SKUs each."""
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    if tier not in TIERS:
        raise ValueError(f"tier must be one of {TIERS}")
    if campaigns < 1 or skus < 0:
        raise ValueError("need campaigns >= 1 and skus >= 0")
    business = ym_business_id(account)
    payload = {"b": business, "c": list(ym_campaign_ids(business, campaigns)), "k": skus, "s": scopes, "t": tier}
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{PREFIX}:{body}:{zlib.crc32(body.encode()):08x}"


def parse_ym_key(raw: str) -> YmKey:
    """The key's meaning; ValueError if it is not one the emulator issued (never quoting it)."""
    parts = raw.split(":")
    if len(parts) != 3 or parts[0] != PREFIX or parts[2] != f"{zlib.crc32(parts[1].encode()):08x}":
        raise ValueError("Api-Key token is invalid")
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return YmKey(int(payload["b"]), tuple(int(c) for c in payload["c"]), int(payload["k"]),
                     frozenset(payload["s"]), str(payload["t"]))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError("Api-Key token is invalid") from exc
