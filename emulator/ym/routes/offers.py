"""Yandex Market offer routes (yandex-market-api.md §1, §5; the official OpenAPI path files):
stores, the offer catalogue and stats/skus. Auth, limits and faults are ym.http's; data is
data.catalogue's."""

from __future__ import annotations

from emulator.common.router import Request, Response, Router, json_response
from emulator.ym import checks
from emulator.ym.auth import YmKey
from emulator.ym.data import catalogue as ymdata
from emulator.ym.host import YmHost, today
from emulator.ym.http import bad_request, ok

router = Router()


@router.route("GET", "/v2/campaigns", group="ym.campaigns", scope="any", marketplace="ym")
def get_campaigns(emu: YmHost, req: Request) -> Response:
    """Token paging (pageToken + limit, no default: all at once) or the legacy page/pageSize pager."""
    key: YmKey = req.key
    limit, page, size = (checks.int_param(req, *spec) for spec in
                         (("limit", 1, 100), ("page", 1, 10_000), ("pageSize", 1, None)))
    offset = checks.page_offset(req)
    stores = ymdata.campaigns(emu.seed, key.business_id, key.campaign_ids)
    if limit is None and (page is not None or size is not None):  # the deprecated pager
        size = size or 10
        offset, limit = ((page or 1) - 1) * size, size
    limit = limit or len(stores)
    chunk = stores[offset : offset + limit]
    body = {
        "campaigns": chunk,
        "pager": {"total": len(stores), "from": offset + 1, "to": offset + len(chunk), "pageSize": limit,
                  "currentPage": offset // limit + 1, "pagesCount": -(-len(stores) // limit)},
        "paging": {"nextPageToken": checks.page_token(offset + limit)} if offset + limit < len(stores) else {},
    }
    return json_response(200, body)


def _offer_filter(body: dict) -> str | None:
    for name, check in (("cardStatuses", lambda v: v in ymdata.CARD_STATUS_ENUM),
                        ("categoryIds", checks.positive_int),
                        ("vendorNames", lambda v: isinstance(v, str)), ("tags", lambda v: isinstance(v, str))):
        problem = checks.list_problem(body, name, check)
        if problem:
            return problem
    if body.get("archived") is not None and not isinstance(body["archived"], bool):
        return "archived must be a boolean"
    return None


@router.route("POST", "/v2/businesses/{businessId}/offer-mappings", group="ym.offer_mappings", scope="offers",
       marketplace="ym")
def offer_mappings(emu: YmHost, req: Request) -> Response:
    """By offerIds (up to 100, one answer) or by filters, paged by page_token; limit over 100 is truncated."""
    key: YmKey = req.key
    body = checks.body_object(req, required=False)
    limit = checks.int_param(req, "limit", 1, None)
    offset = checks.page_offset(req)
    wanted = checks.shop_sku_list(body, "offerIds", 100)
    checks.enum_param(req, "language", ("RU", "UZ"))
    problem = _offer_filter(body)
    if problem:
        return bad_request(problem)
    offers = ymdata.catalogue(emu.seed, key.business_id, key.campaign_ids, key.skus)
    if wanted:
        where = dict(offers)
        chosen = [(sku, where[sku]) for sku in wanted if sku in where]
        offset, limit = 0, len(chosen) or 1
    else:
        chosen = [o for o in offers if _matches(emu.seed, key.business_id, o[0], body)]
        limit = min(limit or 50, 100)
    day = today(emu)
    page = [ymdata.offer_mapping(emu.seed, key.business_id, sku, cid, day)
            for sku, cid in chosen[offset : offset + limit]]
    result: dict = {"offerMappings": page}
    result["paging"] = {"nextPageToken": checks.page_token(offset + limit)} if offset + limit < len(chosen) else {}
    return ok(result)


def _matches(seed: int, business_id: int, sku: str, body: dict) -> bool:
    if body.get("archived") or body.get("tags"):  # emulated offers are never archived and carry no tags
        return False
    card = ymdata.product(seed, business_id, sku)
    return all(
        not body.get(name) or value in body[name]
        for name, value in (("cardStatuses", card["cardStatus"]), ("categoryIds", card["categoryId"]),
                            ("vendorNames", card["vendor"]))
    )


@router.route("POST", "/v2/campaigns/{campaignId}/stats/skus", group="ym.stats_skus", scope="offers", marketplace="ym")
def stats_skus(emu: YmHost, req: Request) -> Response:
    """Up to 500 unique shopSkus; unknown ones are left out of the answer (and so not charged)."""
    key: YmKey = req.key
    body = checks.body_object(req, required=True)
    if body.get("shopSkus") is None:
        return bad_request("shopSkus is required")
    wanted = checks.shop_sku_list(body, "shopSkus", 500)
    campaign_id = int(req.params["campaignId"])
    placed = set(ymdata.shop_skus(emu.seed, key.business_id, campaign_id, key.skus))
    day = today(emu)
    items = [ymdata.goods_stats(emu.seed, key.business_id, campaign_id, sku, day, emu.ym.novel)
             for sku in wanted if sku in placed]
    return ok({"shopSkus": items})
