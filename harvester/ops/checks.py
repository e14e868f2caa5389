"""`harvester accounts check`: is every account's token readable, valid, long-lived and accepted?

It decodes a WB token's claims (seller, type, categories, expiry; reference/wb-api.md §3.2),
warns 14 days before expiry, and pings the API with it. A Yandex Market key is opaque: it is
asked for its scopes (`POST /v2/auth/token`, 1 of its 100 an hour), and every endpoint no
scope of it grants is named. It never prints a token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from harvester.catalog import endpoints_for, ym
from harvester.core.accounts import Account, TokenError, wb_claims
from harvester.core.errors import HarvestError
from harvester.core.request import Request, dig
from harvester.pipeline.client import Client, decode_json

# WB token category bits (`s` claim, zero-based positions), reference/wb-api.md §3.2.
WB_CATEGORIES = {1: "content", 2: "analytics", 3: "prices", 4: "marketplace", 5: "statistics", 6: "promotion",
                 7: "feedbacks", 9: "chat", 10: "supplies", 11: "returns", 12: "documents", 13: "finance",
                 16: "users", 30: "readonly"}
WARN_BEFORE = dt.timedelta(days=14)


def check(account: Account, client: Client, ping: bool = True) -> dict[str, Any]:
    """What is known about one account's token; `problems` empty means all is well."""
    result: dict[str, Any] = {"account": account.id, "marketplace": account.marketplace, "problems": [], "warnings": []}
    try:
        token = account.token()
    except TokenError as exc:
        result["problems"].append(str(exc))
        return result
    if account.marketplace == "wb":
        try:
            claims = wb_claims(token, account.id)
        except TokenError as exc:
            result["problems"].append(str(exc))
            return result
        bits = int(claims.get("s", 0))
        result["seller_id"] = claims.get("sid")
        result["token_type"] = account.token_type()
        result["categories"] = [name for bit, name in WB_CATEGORIES.items() if bits >> bit & 1]
        if "analytics" not in result["categories"]:
            result["problems"].append("the token lacks the Analytics category every harvested endpoint needs")
        if "promotion" not in result["categories"]:
            result["warnings"].append("the token lacks the Promotion category: campaign statistics will fail")
        if "exp" in claims:
            expires = dt.datetime.fromtimestamp(int(claims["exp"]), dt.UTC)
            result["expires"] = expires.isoformat(timespec="seconds")
            left = expires - dt.datetime.now(dt.UTC)
            if left <= dt.timedelta(0):
                result["problems"].append(f"the token expired on {expires:%Y-%m-%d}")
            elif left <= WARN_BEFORE:
                result["warnings"].append(
                    f"the token expires in {left.days} days ({expires:%Y-%m-%d}): issue a new one")
        probe = Request("GET", "wb.analytics", "/ping")
    else:
        if not account.ym_business_id:
            result["problems"].append("a Yandex Market account needs `business_id` (the cabinet's id)")
        probe = Request("POST", "ym.api", "/v2/auth/token")
    if ping and not result["problems"]:
        try:
            answer = client.send(account, probe)
            result["ping"] = "ok"
        except HarvestError as exc:
            result["problems"].append(f"the API refused the token: {exc}")
            return result
        if account.marketplace == "ym":
            _ym_scopes(account, decode_json(answer, "token info"), result)
    return result


def _ym_scopes(account: Account, answer: Any, result: dict[str, Any]) -> None:
    """Name each endpoint the key has no scope for; the worker would meet a 403 on each."""
    scopes = dig(answer, "result.apiKey.authScopes")
    if not isinstance(scopes, list):
        result["problems"].append("the token info answer carried no scopes")
        return
    result["scopes"] = scopes
    for endpoint in endpoints_for("ym", account.wb_api_generation):
        granting = ym.KEY_SCOPES.get(endpoint.scope)
        if granting is not None and not granting & set(scopes):
            result["problems"].append(f"the key cannot serve {endpoint.name}: it needs one of the scopes "
                                      f"{', '.join(sorted(granting))}")


def shared_budgets(accounts: Iterable[Account]) -> dict[str, list[str]]:
    """For each entry that shares its seller's budget with others (the same seller's token in two
    entries), those others: the API counts one budget, and so does the harvester."""
    owners: dict[str, list[str]] = {}
    for account in accounts:
        try:
            owners.setdefault(account.budget_owner(), []).append(account.id)
        except TokenError:
            continue  # `check` reports the token
    return {a: [b for b in ids if b != a] for ids in owners.values() if len(ids) > 1 for a in ids}
