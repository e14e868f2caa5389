"""Promotion tables (reference/wb-api.md §4): campaigns, their daily statistics by platform
and product, keyword and search-cluster figures, and WB Media.

Statistics are stored per day wherever WB reports days, because a day's figures are the same
whatever window asked for them; window totals are kept only for reconciliation. Child tables
hold their parent's key, carried down from the parent record (`ctx`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import Index
from sqlmodel import SQLModel

from harvester.models._fields import JSON_DOC, ctx, src


class WbAdvCampaignGroup(SQLModel, table=True):
    """Campaign counts by type and status per day (GET /adv/v1/promotion/count `adverts`)."""

    __tablename__ = "wb_adv_campaign_groups"

    account_id: str = ctx("account_id")
    date: dt.date = ctx("window_start")
    type: int = src("type", key=True)
    status: int = src("status", key=True)
    count: int = src("count")


class WbAdvCampaign(SQLModel, table=True):
    """The seller's campaigns (`advert_list` of each group), the ids every statistics call needs.

    Keyed by the campaign alone, not by its group: a campaign that changes status is one row
    whose status follows, so `status in (7, 9, 11)` always picks the current ones.
    """

    __tablename__ = "wb_adv_campaigns"

    account_id: str = ctx("account_id")
    advert_id: int = src("advertId", key=True, big=True)
    type: int = ctx("type", key=False)
    status: int = ctx("status", key=False)
    change_time: dt.datetime = src("changeTime")


class _AdvFigures(SQLModel):
    """The figures fullstats gives at every level (campaign, day, platform, product)."""

    views: int = src("views", big=True)
    clicks: int = src("clicks", big=True)
    ctr: float = src("ctr")
    cpc: Decimal = src("cpc", money=True)
    cr: float = src("cr")
    cart_count: int = src("atbs", big=True)
    order_count: int = src("orders", big=True)
    shks: int = src("shks", big=True)
    cancel_count: int | None = src("canceled", big=True, default=None)  # v3 only
    spend: Decimal = src("sum", money=True)
    order_sum: Decimal = src("sum_price", money=True)


class WbAdvFullstats(_AdvFigures, table=True):
    """Campaign totals over one harvested window, as WB computed them (for reconciliation)."""

    __tablename__ = "wb_adv_fullstats"

    account_id: str = ctx("account_id")
    advert_id: int = src("advertId", key=True, big=True)
    window_start: dt.date = ctx("window_start")
    window_end: dt.date = ctx("window_end")


class WbAdvFullstatsDay(_AdvFigures, table=True):
    """A campaign's statistics of one day (`days`)."""

    __tablename__ = "wb_adv_fullstats_days"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = src("date", key=True)


class WbAdvFullstatsApp(_AdvFigures, table=True):
    """One day of a campaign on one platform (`apps`: 1 site, 32 Android, 64 iOS)."""

    __tablename__ = "wb_adv_fullstats_apps"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = ctx("date")
    app_type: int = src("appType", key=True)


class WbAdvFullstatsNm(_AdvFigures, table=True):
    """One product of one day and platform (`nms`, spelt `nm` in v2)."""

    __tablename__ = "wb_adv_fullstats_nms"
    # the (campaign, product) pairs the search clusters ask for, read past the last pair
    # without reading every day of the campaigns' statistics (`catalog.Ids`)
    __table_args__ = (Index("ix_wb_adv_fullstats_nms_account_id_advert_id_nm_id", "account_id", "advert_id",
                            "nm_id"),)

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = ctx("date")
    app_type: int = ctx("app_type")
    nm_id: int = src("nmId", key=True, big=True)
    name: str | None = src("name", default=None)


class WbAdvBooster(SQLModel, table=True):
    """Average search and catalog position of a unified-bid campaign's product per day (`boosterStats`)."""

    __tablename__ = "wb_adv_fullstats_booster"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = src("date", key=True)
    nm_id: int = src("nm", key=True, big=True)
    avg_position: int = src("avg_position")


class WbAdvStatWordsCluster(SQLModel, table=True):
    """Phrase clusters of a unified-bid campaign, a daily snapshot (GET /adv/v2/auto/stat-words)."""

    __tablename__ = "wb_adv_stat_words_clusters"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = ctx("window_start")
    cluster: str = src("cluster", key=True)
    count: int = src("count", big=True)
    keywords: list[str] | None = src("keywords", sa_type=JSON_DOC, default=None)


class WbAdvStatWords(SQLModel, table=True):
    """Keyword statistics of a manual-bid campaign over its life, a daily snapshot
    (GET /adv/v1/stat/words `stat`; the keyword "Всего по кампании" is the campaign total)."""

    __tablename__ = "wb_adv_stat_words"

    account_id: str = ctx("account_id")
    advert_id: int = src("advertId", key=True, big=True)
    date: dt.date = ctx("window_start")
    keyword: str = src("keyword", key=True)
    campaign_name: str | None = src("campaignName", default=None)
    begin: dt.datetime | None = src("begin", default=None)
    end: dt.datetime | None = src("end", default=None)
    views: int = src("views", big=True)
    clicks: int = src("clicks", big=True)
    frq: int | None = src("frq", default=None)
    ctr: float = src("ctr")
    cpc: Decimal = src("cpc", money=True)
    duration: int | None = src("duration", big=True, default=None)
    spend: Decimal = src("sum", money=True)


class WbAdvKeywordsDay(SQLModel, table=True):
    """Days WB reported keyword statistics for (GET /adv/v0/stats/keywords `keywords`): tells a
    day without keyword clicks from a day not harvested."""

    __tablename__ = "wb_adv_keywords_days"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = src("date", key=True)


class WbAdvKeyword(SQLModel, table=True):
    """One keyword of one campaign and day (`keywords[].stats`)."""

    __tablename__ = "wb_adv_keywords"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    date: dt.date = ctx("date")
    keyword: str = src("keyword", key=True)
    views: int = src("views", big=True)
    clicks: int = src("clicks", big=True)
    ctr: float = src("ctr")
    spend: Decimal = src("sum", money=True)


class WbAdvNormqueryPair(SQLModel, table=True):
    """Campaign and product pairs WB answered search-cluster statistics for (POST /adv/v1/normquery/stats `items`)."""

    __tablename__ = "wb_adv_normquery_pairs"

    account_id: str = ctx("account_id")
    advert_id: int = src("advertId", key=True, big=True)
    nm_id: int = src("nmId", key=True, big=True)


class WbAdvNormquery(SQLModel, table=True):
    """One search cluster of one campaign, product and day (`dailyStats`). Views, CTR and CPM
    are null for cost-per-click campaigns."""

    __tablename__ = "wb_adv_normquery"

    account_id: str = ctx("account_id")
    advert_id: int = ctx("advert_id", big=True)
    nm_id: int = ctx("nm_id", big=True)
    date: dt.date = src("date", key=True)
    norm_query: str = src("stat.normQuery", key=True)
    views: int | None = src("stat.views", big=True, default=None)
    clicks: int = src("stat.clicks", big=True)
    cart_count: int = src("stat.atbs", big=True)
    order_count: int = src("stat.orders", big=True)
    ctr: float | None = src("stat.ctr", default=None)
    cpc: Decimal = src("stat.cpc", money=True)
    cpm: Decimal | None = src("stat.cpm", default=None, money=True)
    avg_position: float = src("stat.avgPos")
    shks: int | None = src("stat.shks", big=True, default=None)
    spend: Decimal | None = src("stat.spend", default=None, money=True)
    currency: str | None = src("stat.currency", default=None)


class WbAdvMediaCampaign(SQLModel, table=True):
    """WB Media campaigns (GET /adv/v1/adverts on advert-media-api)."""

    __tablename__ = "wb_adv_media_campaigns"

    account_id: str = ctx("account_id")
    advert_id: int = src("advertId", key=True, big=True)
    name: str = src("name")
    brand: str | None = src("brand", default=None)
    type: int = src("type")
    status: int = src("status")
    create_time: dt.datetime = src("createTime")
    end_time: dt.datetime | None = src("endTime", default=None)


class WbAdvMediaStat(SQLModel, table=True):
    """One banner's statistics of one day (POST /adv/v1/stats, one day per request).

    WB answers per banner (`item_id`) without the campaign id, and its per-platform block is a
    list without a key of its own, so that block stays JSON (`daily_stats`).
    """

    __tablename__ = "wb_adv_media_stats"

    account_id: str = ctx("account_id")
    item_id: int = src("item_id", key=True, big=True)
    date: dt.date = ctx("window_start")
    item_name: str | None = src("item_name", default=None)
    category_name: str | None = src("category_name", default=None)
    subject_name: str | None = src("subject_name", default=None)
    advert_type: int = src("advert_type")
    place: int | None = src("place", default=None)
    status: int = src("status")
    views: int = src("views", big=True)
    clicks: int = src("clicks", big=True)
    cart_count: int = src("atbs", big=True)
    order_count: int = src("orders", big=True)
    ctr: float = src("ctr")
    cr: float = src("cr")
    cr1: float | None = src("cr1", default=None)
    cr2: float | None = src("cr2", default=None)
    cpc: Decimal = src("cpc", money=True)
    price: Decimal = src("price", money=True)
    spend: Decimal = src("expenses", money=True)
    date_from: dt.datetime | None = src("date_from", default=None)
    date_to: dt.datetime | None = src("date_to", default=None)
    daily_stats: list[dict[str, Any]] | None = src("daily_stats", sa_type=JSON_DOC, default=None)
