"""Check requests and answers against the marketplaces' own OpenAPI files (vendored in tests/openapi).

`check_exchange` validates one recorded emulator exchange both ways: the request as the
harvester (or a test) sent it against the operation's parameters and request body, and the
answer against the operation's response schema. The files are WB's 2025-12 set (current
endpoints, and the retired ones it still lists as deprecated), WB's 2024-06 merge, a derived
file for the retired sales funnel v2 that no vendored file describes, and Yandex Market's
official spec; an operation is looked up in that order. Validation is openapi-core's.

WB's files use `oneOf` in a few places where the alternatives overlap (a search-texts `limit`
of 1..30 or 1..100; fullstats items with dates or an interval), so a legal value matches two
branches and fails `oneOf`. Those, named in `OVERLAPPING`, are read as `anyOf`, which is what
the prose means; every other `oneOf` is read strictly.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from emulator.server import Exchange

ROOT = Path(__file__).resolve().parent / "openapi"
# Most specific first: an operation found in an earlier file wins.
SPEC_FILES = (
    *sorted((ROOT / "wb" / "2025-12").glob("*.yaml")),
    ROOT / "wb" / "2024-06" / "openapi-merged.yaml",
    ROOT / "wb" / "derived" / "nm-report-v2.yaml",
    ROOT / "ym" / "openapi" / "openapi.yaml",
)
_CONFIG = Config(spec_validator_cls=None,  # the 2024-06 merge names responses "Response401"; its schemas are fine
                 extra_media_type_deserializers={"application/problem+json": json.loads})


@cache
def _raw(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# The alternatives of each overlapping `oneOf`, by schema name.
OVERLAPPING = (
    {"StandardTariff", "AdvancedTariff"},  # search texts: limit 1..30 or 1..100
    {"RequestWithDate", "RequestWithInterval", "RequestWithCampaignID"},  # fullstats v2 items
    {"ResponseWithDate", "ResponseWithInterval"},
    {"StatInterval", "StatDate"},
)


def _overlaps(alternatives: list[Any]) -> bool:
    names = {str(a.get("$ref", "")).rsplit("/", 1)[-1] for a in alternatives if isinstance(a, dict)}
    return any(names <= group for group in OVERLAPPING)


def _any_of(node: Any) -> Any:
    """The spec with each overlapping `oneOf` read as `anyOf`."""
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" and _overlaps(v) else k): _any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_of(v) for v in node]
    return node


@cache
def _api(path: Path) -> OpenAPI:
    if "wb" in path.relative_to(ROOT).parts:  # one file each, no outside refs
        return OpenAPI.from_dict(_any_of(_raw(path)), config=_CONFIG)
    return OpenAPI.from_file_path(str(path), config=_CONFIG)


def _path_item(path: Path, template: str) -> dict[str, Any]:
    """A path item of the file; Yandex's openapi.yaml keeps each in its own file behind a `$ref`."""
    item = (_raw(path).get("paths") or {}).get(template) or {}
    if "$ref" in item:
        item = _raw((path.parent / item["$ref"]).resolve())
    return item


def spec_for(route: str) -> Path | None:
    """The first spec file that describes `route` ("METHOD /path/{template}"), or None."""
    method, template = route.split(" ", 1)
    for path in SPEC_FILES:
        if method.lower() in _path_item(path, template):
            return path
    return None


def _server(path: Path, route: str) -> str:
    """The operation's server URL: WB declares servers per path, Yandex once per file
    (https://api.partner.market.yandex.ru)."""
    method, template = route.split(" ", 1)
    item = _path_item(path, template)
    servers = item[method.lower()].get("servers") or item.get("servers") or _raw(path)["servers"]
    return servers[0]["url"].rstrip("/")


def check_exchange(exchange: Exchange, request: bool = True, response: bool = True) -> None:
    """Raise if the exchange's request or answer breaks the operation's schema."""
    path = spec_for(exchange.route)
    if path is None:
        raise LookupError(f"no vendored OpenAPI file describes {exchange.route}")
    req = exchange.request
    content_type = (req.headers.get("Content-Type") or "application/json").split(";")[0]
    mock_request = MockRequest(
        _server(path, exchange.route), req.method.lower(), req.path,
        args=dict(req.args.items()),  # every value: an array parameter is the parameter repeated
        headers=dict(req.headers.items()),
        data=req.body or None, content_type=content_type,
    )
    api = _api(path)
    if request:
        api.validate_request(mock_request)
    if response:
        resp = exchange.response
        mock_response = MockResponse(resp.body, status_code=resp.status,
                                     content_type=(resp.content_type or "").split(";")[0] or "application/json")
        api.validate_response(mock_request, mock_response)


def check_all(exchanges: list[Exchange], statuses: tuple[int, ...] = (200,)) -> int:
    """Check every exchange answered with one of `statuses`; returns how many were checked."""
    checked = 0
    for exchange in exchanges:
        if exchange.response.status in statuses:
            check_exchange(exchange)
            checked += 1
    return checked
