"""Promotion routes (wb-api.md §4): campaign discovery, fullstats v2 and v3, the retired
keyword reports and their search-cluster replacements, and WB Media. Statistics exist only
for campaigns in statuses 7, 9 and 11; other ids are left out (or "not found" where the
route answers for one campaign). Bad requests get each route's own documented 400 body."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Any

from emulator.common.params import is_int, parse_day
from emulator.common.router import Request, Response, Router, json_response
from emulator.wb.data import promotion as advdata
from emulator.wb.host import WbHost

router = Router()

SCOPE = "promotion"
CAMP_ORIGIN = "camp-api-public-cache"
MAX_V3_IDS, MAX_V3_DAYS = 50, 31
MAX_ITEMS = 100  # v2 fullstats, normquery and media request arrays
MAX_KEYWORD_DAYS = 7
NOT_FOUND = "Не найдено"
BAD_BODY = "Некорректное тело запроса"
BAD_ID = "Invalid Params: invalid advert ID"


def camp_error(detail: str) -> Response:
    """The campaign service's 400 (v3 fullstats, normquery): note the snake_case request_id."""
    body = {"detail": detail, "origin": CAMP_ORIGIN, "request_id": secrets.token_hex(16), "status": 400,
            "title": "invalid payload"}
    return json_response(400, body)


def adv_error(text: str) -> Response:
    """The legacy promotion 400 `{error}` (v2 fullstats, stat-words, stat/words, media)."""
    return json_response(400, {"error": text})


def keywords_error(status: int, kind: str, message: str) -> Response:
    """GET /adv/v0/stats/keywords errors: `{type, message}`."""
    return json_response(status, {"type": kind, "message": message})


def _query_int(req: Request, name: str) -> int | None:
    raw = req.query.get(name, "")
    return int(raw) if raw.lstrip("-").isdigit() else None


def _json(req: Request) -> Any:
    try:
        return req.json()
    except ValueError:
        return None


@router.route("GET", "/adv/v1/promotion/count", group="wb.adv.count", scope=SCOPE)
def promotion_count(emu: WbHost, req: Request) -> Response:
    return json_response(200, advdata.campaign_count(emu.seed, req.sid))


# --- fullstats -----------------------------------------------------------------------------------


@router.route("GET", "/adv/v3/fullstats", group="wb.adv.fullstats", scope=SCOPE)
def fullstats_v3(emu: WbHost, req: Request) -> Response:
    raw = [part.strip() for part in req.query.get("ids", "").split(",")]
    if not all(part.isdigit() for part in raw) or len(raw) > MAX_V3_IDS:
        return camp_error("invalid ids")
    begin, end = parse_day(req.query.get("beginDate")), parse_day(req.query.get("endDate"))
    if begin is None:
        return camp_error("invalid beginDate")
    if end is None:
        return camp_error("invalid endDate")
    if begin > end:
        return camp_error("beginDate must not be later than endDate")
    if (end - begin).days >= MAX_V3_DAYS:
        return camp_error(f"the period must not exceed {MAX_V3_DAYS} days")
    days = advdata.days(begin, end)
    found = [advdata.fullstats(emu.seed, req.sid, advert_id, days) for advert_id in sorted({int(p) for p in raw})]
    return json_response(200, [item for item in found if item])


def _v2_days(item: object, today: date) -> list[date] | str:
    """The days one v2 request item asks for, or the legacy error text."""
    if not isinstance(item, dict) or not is_int(item.get("id")) or ("dates" in item and "interval" in item):
        return BAD_BODY
    if "dates" in item:
        days = [parse_day(d) for d in item["dates"]] if isinstance(item["dates"], list) else [None]
        if not days or None in days:
            return BAD_BODY
        return sorted({d for d in days if d is not None})
    if "interval" not in item:
        return [today]  # {id} alone: the last 24 hours
    interval = item["interval"] if isinstance(item["interval"], dict) else {}
    begin, end = parse_day(interval.get("begin")), parse_day(interval.get("end"))
    if begin is None:
        return "Некорректная дата начала"
    if end is None or end < begin:
        return "Некорректная дата конца"
    return advdata.days(begin, end)


def _v2_items(emu: WbHost, req: Request, error: str | None = None) -> list[tuple[dict, list[date]]] | Response:
    """The items of a v2-style body (fullstats v2, media stats) with their days, or the error
    answer; `error` replaces the per-item text where the method gives one message for all."""
    body = _json(req)
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_ITEMS:
        return adv_error(BAD_BODY)
    items = []
    for item in body:
        days = _v2_days(item, emu.clock.today())
        if isinstance(days, str):
            return adv_error(error or days)
        items.append((item, days))
    return items


@router.route("POST", "/adv/v2/fullstats", group="wb.adv.fullstats_v2", scope=SCOPE)
def fullstats_v2(emu: WbHost, req: Request) -> Response:
    items = _v2_items(emu, req)
    if isinstance(items, Response):
        return items
    answer = []
    for item, days in items:
        found = advdata.fullstats(emu.seed, req.sid, item["id"], days)
        if found:
            period = {"interval": item["interval"]} if "interval" in item else {"dates": [d.isoformat() for d in days]}
            answer.append({**period, **advdata.fullstats_v2(found)})
    return json_response(200, answer) if answer else adv_error(NOT_FOUND)


# --- keywords (retired) and search clusters ----------------------------------------------------


@router.route("GET", "/adv/v2/auto/stat-words", group="wb.adv.stat_words", scope=SCOPE)
def auto_stat_words(emu: WbHost, req: Request) -> Response:
    advert_id = _query_int(req, "id")
    if advert_id is None:
        return adv_error(BAD_ID)
    campaign = advdata.stat_campaign(emu.seed, req.sid, advert_id)
    if campaign is None:
        return Response(204, content_type="")
    if campaign["type"] != 8:
        return adv_error("доступно только для кампаний с единой ставкой")
    return json_response(200, advdata.stat_words(emu.seed, req.sid, advert_id))


@router.route("GET", "/adv/v1/stat/words", group="wb.adv.words", scope=SCOPE)
def stat_words(emu: WbHost, req: Request) -> Response:
    advert_id = _query_int(req, "id")
    if advert_id is None:
        return adv_error(BAD_ID)
    campaign = advdata.stat_campaign(emu.seed, req.sid, advert_id)
    if campaign is None:
        return adv_error(NOT_FOUND)
    if campaign["type"] == 8:
        return adv_error("доступно только для кампаний с ручной ставкой")
    return json_response(200, advdata.stat_words_manual(emu.seed, req.sid, advert_id))


@router.route("GET", "/adv/v0/stats/keywords", group="wb.adv.keywords", scope=SCOPE)
def stats_keywords(emu: WbHost, req: Request) -> Response:
    advert_id = _query_int(req, "advert_id")
    begin, end = parse_day(req.query.get("from")), parse_day(req.query.get("to"))
    if advert_id is None or begin is None or end is None or begin > end:
        return keywords_error(400, "bad request", "invalid query parameters")
    if (end - begin).days >= MAX_KEYWORD_DAYS:
        return keywords_error(400, "bad request", "the period of stats cannot be more than one week")
    if advdata.stat_campaign(emu.seed, req.sid, advert_id) is None:
        return keywords_error(404, "not found", "campaign not found")
    return json_response(200, {"keywords": advdata.keywords(emu.seed, req.sid, advert_id, begin, end)})


def _normquery_request(req: Request, advert_key: str, nm_key: str) -> tuple[date, date, list[tuple[int, int]]] | str:
    """from, to and the (campaign, product) pairs of a normquery body, or the error detail."""
    body = _json(req)
    if not isinstance(body, dict):
        return "invalid request body"
    begin, end = parse_day(body.get("from")), parse_day(body.get("to"))
    if begin is None or end is None or begin > end:
        return "invalid period: from and to must be dates YYYY-MM-DD, from not later than to"
    items = body.get("items")
    if not isinstance(items, list) or not items:
        return "items are required"
    if len(items) > MAX_ITEMS:
        return f"too many items: at most {MAX_ITEMS}"
    if not all(isinstance(i, dict) and is_int(i.get(advert_key)) and is_int(i.get(nm_key)) for i in items):
        return f"every item needs integer {advert_key} and {nm_key}"
    return begin, end, [(i[advert_key], i[nm_key]) for i in items]


def _normquery(emu: WbHost, req: Request, advert_key: str, nm_key: str, answer_key: str, stats_key: str,
               stats: Callable[..., list]) -> Response:
    """v0 and v1 differ only in spelling (advert_id / advertId) and in totals versus days."""
    parsed = _normquery_request(req, advert_key, nm_key)
    if isinstance(parsed, str):
        return camp_error(parsed)
    begin, end, pairs = parsed
    items = [{advert_key: a, nm_key: n, stats_key: stats(emu.seed, req.sid, a, n, begin, end)} for a, n in pairs]
    return json_response(200, {answer_key: items})


@router.route("POST", "/adv/v0/normquery/stats", group="wb.adv.normquery", scope=SCOPE)
def normquery_stats(emu: WbHost, req: Request) -> Response:
    return _normquery(emu, req, "advert_id", "nm_id", "stats", "stats", advdata.normquery_v0)


@router.route("POST", "/adv/v1/normquery/stats", group="wb.adv.normquery_daily", scope=SCOPE)
def normquery_daily(emu: WbHost, req: Request) -> Response:
    """Added 2026-02, after the vendored 2025-12 spec: shaped as wb-api.md §4.6 describes."""
    return _normquery(emu, req, "advertId", "nmId", "items", "dailyStats", advdata.normquery_v1)


# --- WB Media (advert-media-api) ---------------------------------------------------------------
# The discovery list has no limit group of its own in the tables we keep: it shares the media
# statistics bucket, whose published row (1 s / 10 / burst 10; Base 1 h / 1) it repeats.


@router.route("GET", "/adv/v1/adverts", group="wb.adv.media_stats", scope=SCOPE)
def media_adverts(emu: WbHost, req: Request) -> Response:
    numbers = {name: _query_int(req, name) for name in ("status", "type", "limit", "offset")}
    if any(numbers[n] is None for n in numbers if n in req.query) or req.query.get("order", "id") not in (
        "create", "id") or req.query.get("direction", "asc") not in ("asc", "desc"):
        return adv_error("Некорректные параметры запроса")
    found = [m for m in advdata.media_campaigns(emu.seed, req.sid)
             if all(numbers[k] is None or m[k] == numbers[k] for k in ("status", "type"))]
    key = "createTime" if req.query.get("order") == "create" else "advertId"
    found.sort(key=lambda m: m[key], reverse=req.query.get("direction") == "desc")
    offset = numbers["offset"] or 0
    page = found[offset: offset + numbers["limit"] if numbers["limit"] is not None else None]
    return json_response(200, page) if page else Response(204, content_type="")


@router.route("POST", "/adv/v1/stats", group="wb.adv.media_stats", scope=SCOPE)
def media_stats(emu: WbHost, req: Request) -> Response:
    items = _v2_items(emu, req, error=BAD_BODY)
    if isinstance(items, Response):
        return items
    answer = []
    for item, days in items:
        by_dates = "dates" in item
        stats = advdata.media_stats(emu.seed, req.sid, item["id"], days, by_dates)
        if "interval" in item:
            answer.append({"interval": item["interval"], "stats": stats})
        elif by_dates:
            answer.append({"dates": [d.isoformat() for d in days], "stats": stats})
        else:
            answer.append({"stats": stats})
    return json_response(200, answer)
