"""Wildberries promotion endpoints (reference/wb-api.md §4), token category "promotion".

Campaign discovery runs first; every statistics call reads its ids from what discovery
stored, and statistics exist only for campaigns in statuses 7, 9 and 11 (finished, running,
paused). Day-level figures are the durable data: WB revises the last days, so fullstats
re-reads three of them every hour.
"""

from functools import partial

from harvester.catalog import limits
from harvester.catalog.model import SNAPSHOT, Call, Child, Endpoint, Ids, Window
from harvester.catalog.paging import OffsetPaginator
from harvester.models.wb_promotion import (
    WbAdvBooster,
    WbAdvCampaign,
    WbAdvCampaignGroup,
    WbAdvFullstats,
    WbAdvFullstatsApp,
    WbAdvFullstatsDay,
    WbAdvFullstatsNm,
    WbAdvKeyword,
    WbAdvKeywordsDay,
    WbAdvMediaCampaign,
    WbAdvMediaStat,
    WbAdvNormquery,
    WbAdvNormqueryPair,
    WbAdvStatWords,
    WbAdvStatWordsCluster,
)

STAT_STATUSES = (7, 9, 11)
MEDIA_STAT_STATUSES = (6, 7, 9, 10, 11)  # WB Media: running, finished, paused (three kinds)
_INTERVAL_ITEM = {"id": "{id.advert_id}", "interval": {"begin": "{start}", "end": "{end}"}}

# Every promotion endpoint (hourly unless it says otherwise) and every call to advert-api.
_promotion = partial(Endpoint, marketplace="wb", scope="promotion", cadence="hourly")
_advert = partial(Call, host="wb.advert")

# §4.8. The campaign list is a snapshot: groups by (type, status), campaigns inside.
CAMPAIGNS = _promotion(
    name="wb.adv.campaigns",
    model=WbAdvCampaignGroup,
    window=SNAPSHOT,
    fetch=_advert("GET", "/adv/v1/promotion/count", limits.WB_ADV_COUNT, records="adverts"),
    children=(Child(WbAdvCampaign, "advert_list", carry={"type": "type", "status": "status"}),),
)


def _campaign_ids(per_call: int, types: tuple[int, ...] = (), item: dict | None = None) -> Ids:
    """The campaigns that have statistics (of some types only, where a report is type-specific)."""
    where = {"status": STAT_STATUSES, **({"type": types} if types else {})}
    return Ids(source="wb.adv.campaigns", table=WbAdvCampaign.__tablename__, columns=("advert_id",),
               per_call=per_call, where=where, item=item)


def _fullstats_days(products: str) -> tuple[Child, ...]:
    """campaign → days → apps → products, plus booster positions; v2 spells products `nm`, v3 `nms`."""
    return (
        Child(WbAdvFullstatsDay, "days", carry={"advert_id": "advertId"}, children=(
            Child(WbAdvFullstatsApp, "apps", carry={"date": "date"}, children=(
                Child(WbAdvFullstatsNm, products, carry={"app_type": "appType"}),
            )),
        )),
        Child(WbAdvBooster, "boosterStats", carry={"advert_id": "advertId"}),
    )


# §4.1, §4.2. The retired POST v2 (≤100 campaigns, an interval each) and its GET v3
# replacement (≤50 ids, ≤31 days) fill the same tables.
_FULLSTATS_WINDOW = Window(max_days=31, history_days=90, lookback_days=3, lag_days=0)
FULLSTATS_SEED = _promotion(
    name="wb.adv.fullstats.seed",
    model=WbAdvFullstats,
    window=_FULLSTATS_WINDOW,
    generation="seed",
    fetch=_advert("POST", "/adv/v2/fullstats", limits.WB_ADV_FULLSTATS_V2, body="{items}"),
    ids=_campaign_ids(per_call=100, item=_INTERVAL_ITEM),
    children=_fullstats_days("nm"),
)
FULLSTATS = _promotion(
    name="wb.adv.fullstats",
    model=WbAdvFullstats,
    window=_FULLSTATS_WINDOW,
    generation="current",
    fetch=_advert("GET", "/adv/v3/fullstats", limits.WB_ADV_FULLSTATS,
                  query={"ids": "{ids.advert_id}", "beginDate": "{start}", "endDate": "{end}"}),
    ids=_campaign_ids(per_call=50),
    children=_fullstats_days("nms"),
)

# §4.3. Phrase clusters of unified-bid (type 8) campaigns; updated every 15 minutes.
STAT_WORDS = _promotion(
    name="wb.adv.stat_words",
    model=WbAdvStatWordsCluster,
    cadence="15min",
    window=SNAPSHOT,
    generation="seed",
    fetch=_advert("GET", "/adv/v2/auto/stat-words", limits.WB_ADV_STAT_WORDS, query={"id": "{id.advert_id}"},
                  records="clusters"),
    ids=_campaign_ids(per_call=1, types=(8,)),
)

# §4.4. Keyword statistics of search and manual-bid campaigns (types 6, 9); every 30 minutes.
WORDS = _promotion(
    name="wb.adv.words",
    model=WbAdvStatWords,
    cadence="30min",
    window=SNAPSHOT,
    generation="seed",
    fetch=_advert("GET", "/adv/v1/stat/words", limits.WB_ADV_WORDS, query={"id": "{id.advert_id}"}, records="stat"),
    ids=_campaign_ids(per_call=1, types=(6, 9)),
)

# §4.5. Per-day keyword statistics, ≤7 days a request, data hourly.
KEYWORDS = _promotion(
    name="wb.adv.keywords",
    model=WbAdvKeywordsDay,
    window=Window(max_days=7, history_days=30, lookback_days=2, lag_days=0),
    generation="seed",
    fetch=_advert("GET", "/adv/v0/stats/keywords", limits.WB_ADV_KEYWORDS,
                  query={"advert_id": "{id.advert_id}", "from": "{start}", "to": "{end}"}, records="keywords"),
    ids=_campaign_ids(per_call=1),
    children=(Child(WbAdvKeyword, "stats", carry={"date": "date"}),),
)

# §4.6. Search-cluster statistics per day (v1, 2026-02) for the campaign and product pairs
# fullstats reported; ≤100 pairs a request. The period form (v0) gives window totals of
# the same figures, so only the per-day form is harvested.
NORMQUERY = _promotion(
    name="wb.adv.normquery",
    model=WbAdvNormqueryPair,
    window=Window(max_days=7, history_days=30, lookback_days=3, lag_days=0),
    generation="current",
    fetch=_advert("POST", "/adv/v1/normquery/stats", limits.WB_ADV_NORMQUERY_DAILY,
                  body={"from": "{start}", "to": "{end}", "items": "{items}"}, records="items"),
    ids=Ids(source="wb.adv.fullstats", table=WbAdvFullstatsNm.__tablename__, columns=("advert_id", "nm_id"),
            per_call=100,
            item={"advertId": "{id.advert_id}", "nmId": "{id.nm_id}"}),
    children=(Child(WbAdvNormquery, "dailyStats", carry={"advert_id": "advertId", "nm_id": "nmId"}),),
)

# §4.8 (media). WB Media campaigns live on advert-media-api, apart from the campaign list.
MEDIA_CAMPAIGNS = _promotion(
    name="wb.adv.media_campaigns",
    model=WbAdvMediaCampaign,
    cadence="daily",
    window=SNAPSHOT,
    fetch=Call("GET", "/adv/v1/adverts", limits.WB_ADV_MEDIA_STATS, host="wb.advert_media",
               query={"order": "id", "direction": "asc"}),
    paginator=OffsetPaginator(page_size=100, in_body=False),
)

# §4.7. The answer names banners, not campaigns, so a request covers one day and the day
# is the window's: banner and day make the key.
MEDIA_STATS = _promotion(
    name="wb.adv.media_stats",
    model=WbAdvMediaStat,
    cadence="daily",
    window=Window(max_days=1, history_days=90, lookback_days=2, lag_days=0),
    fetch=Call("POST", "/adv/v1/stats", limits.WB_ADV_MEDIA_STATS, host="wb.advert_media", body="{items}",
               records="*.stats"),
    ids=Ids(source="wb.adv.media_campaigns", columns=("advert_id",), per_call=100,
            where={"status": MEDIA_STAT_STATUSES}, item=_INTERVAL_ITEM),
)
