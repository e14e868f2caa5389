"""Yandex Market token info (yandex-market-api.md §2.2): `POST /v2/auth/token` tells a client
what its Api-Key may do, so it can say which methods a key cannot serve before it calls them."""

from __future__ import annotations

from emulator.common.router import Request, Response, Router
from emulator.ym.auth import SCOPES, YmKey
from emulator.ym.host import YmHost
from emulator.ym.http import ok

router = Router()


@router.route("POST", "/v2/auth/token", group="ym.auth_token", scope="any", marketplace="ym")
def token_info(emu: YmHost, req: Request) -> Response:
    """The key's name and scopes, spelt and ordered as the spec's ApiKeyScopeType enum
    (`all-methods:read-only` is `ALL_METHODS_READ_ONLY`)."""
    key: YmKey = req.key
    return ok({"apiKey": {"name": f"emulated key of business {key.business_id}",
                          "authScopes": [enum_name(scope) for scope in SCOPES if scope in key.scopes]}})


def enum_name(scope: str) -> str:
    return scope.replace(":", "_").replace("-", "_").upper()
