"""Limit groups: one line of data each, from reference/wb-api.md §11.

`default` is the Personal / Service / Base-with-secret row (2025-12 and 2026-08 tables
agree); `base` is the Base-token row of the 2026-08 tables.
"""

from harvester.catalog.model import LimitGroup, Rate

MINUTE, HOUR = 60.0, 3600.0

WB_STOCKS_REPORT = LimitGroup("wb.stocks_report", Rate(MINUTE, 3, 3), base=Rate(HOUR, 2, 1))
WB_PAID_STORAGE_CREATE = LimitGroup("wb.paid_storage.create", Rate(MINUTE, 1, 5), base=Rate(HOUR, 1, 1))
WB_PAID_STORAGE_STATUS = LimitGroup("wb.paid_storage.status", Rate(5.0, 1, 5), base=Rate(HOUR, 2, 2))
WB_PAID_STORAGE_DOWNLOAD = LimitGroup("wb.paid_storage.download", Rate(MINUTE, 1, 1), base=Rate(HOUR, 2, 1))
# §8: create, list, retry and file of seller-analytics CSV reports share one bucket.
WB_NM_REPORT_DOWNLOADS = LimitGroup("wb.nm_report_downloads", Rate(MINUTE, 3, 3), base=Rate(HOUR, 1, 1))
# §9.3: paid acceptance, the retired synchronous report and the current async task.
WB_ACCEPTANCE_SYNC = LimitGroup("wb.acceptance_report_sync", Rate(MINUTE, 1, 1))
WB_ACCEPTANCE_CREATE = LimitGroup("wb.acceptance_report.create", Rate(MINUTE, 1, 1), base=Rate(3 * HOUR, 1, 1))
WB_ACCEPTANCE_STATUS = LimitGroup("wb.acceptance_report.status", Rate(5.0, 1, 1), base=Rate(HOUR, 2, 1))
WB_ACCEPTANCE_DOWNLOAD = LimitGroup("wb.acceptance_report.download", Rate(MINUTE, 1, 1), base=Rate(HOUR, 2, 1))

# §4: promotion (advert-api). Retired methods keep the last published row for every token type.
SECOND = 1.0
WB_ADV_COUNT = LimitGroup("wb.adv.count", Rate(SECOND, 5, 5), base=Rate(HOUR, 4, 1))
WB_ADV_FULLSTATS_V2 = LimitGroup("wb.adv.fullstats_v2", Rate(MINUTE, 1, 5))
WB_ADV_FULLSTATS = LimitGroup("wb.adv.fullstats", Rate(MINUTE, 3, 1), base=Rate(HOUR, 1, 1))
WB_ADV_STAT_WORDS = LimitGroup("wb.adv.stat_words", Rate(SECOND, 4, 4))  # auto/stat-words
WB_ADV_WORDS = LimitGroup("wb.adv.words", Rate(SECOND, 4, 4))  # stat/words
WB_ADV_KEYWORDS = LimitGroup("wb.adv.keywords", Rate(SECOND, 4, 4))  # v0/stats/keywords
WB_ADV_NORMQUERY = LimitGroup("wb.adv.normquery", Rate(MINUTE, 10, 20), base=Rate(HOUR, 5, 1))
WB_ADV_NORMQUERY_DAILY = LimitGroup("wb.adv.normquery_daily", Rate(MINUTE, 10, 20), base=Rate(HOUR, 2, 1))
WB_ADV_MEDIA_STATS = LimitGroup("wb.adv.media_stats", Rate(SECOND, 10, 10), base=Rate(HOUR, 1, 1))
# §5: sales funnel, v2 (retired) and v3, and §6 search queries (Jam): 3 a minute each.
WB_FUNNEL_V2 = LimitGroup("wb.funnel_v2", Rate(MINUTE, 3, 3))
WB_FUNNEL = LimitGroup("wb.funnel", Rate(MINUTE, 3, 3), base=Rate(HOUR, 2, 1))
WB_SEARCH_REPORT = LimitGroup("wb.search_report", Rate(MINUTE, 3, 3), base=Rate(HOUR, 1, 1))
# §9: the "Reports" section.
WB_EXCISE = LimitGroup("wb.excise", Rate(5 * HOUR, 10, 10), base=Rate(24 * HOUR, 2, 1))
WB_ANTIFRAUD = LimitGroup("wb.antifraud", Rate(10 * MINUTE, 1, 10), base=Rate(HOUR, 1, 1))
WB_INCORRECT_ATTACHMENTS = LimitGroup("wb.incorrect_attachments", Rate(MINUTE, 1, 10))
WB_DEDUCTIONS = LimitGroup("wb.deductions", Rate(MINUTE, 1, 1), base=Rate(HOUR, 4, 1))
WB_STORAGE_COEFFICIENT = LimitGroup("wb.storage_coefficient", Rate(MINUTE, 1, 1))
# penalties and measurements
WB_MEASUREMENTS = LimitGroup("wb.measurements", Rate(MINUTE, 1, 1), base=Rate(6 * HOUR, 1, 1))
WB_GOODS_LABELING = LimitGroup("wb.goods_labeling", Rate(MINUTE, 1, 10), base=Rate(HOUR, 1, 1))

# Yandex Market (yandex-market-api.md §2.4, x-resource-limit-config of each path file): windows
# of units per entity of the URL; the default row is "no subscription", `medium` the Medium one.
YM_CAMPAIGNS = LimitGroup("ym.campaigns", Rate(HOUR, 1000, 0), window=True)
YM_OFFER_MAPPINGS = LimitGroup("ym.offer_mappings", Rate(MINUTE, 100, 0), medium=Rate(MINUTE, 600, 0),
                               window=True, per_entity=True)
# charged by the products in each answer, at most 500 a request
YM_STATS_SKUS = LimitGroup("ym.stats_skus", Rate(MINUTE, 2000, 0), medium=Rate(MINUTE, 5000, 0),
                           window=True, per_entity=True)
# each report's generate call has its own quota, per cabinet of the key
YM_STOCKS_REPORT = LimitGroup("ym.report.stocks_on_warehouses", Rate(2 * MINUTE, 1, 0), medium=Rate(MINUTE, 1, 0),
                              window=True)
YM_SERVICES_REPORT = LimitGroup("ym.report.united_marketplace_services", Rate(2 * MINUTE, 1, 0),
                                medium=Rate(MINUTE, 1, 0), window=True)
YM_REPORT_INFO = LimitGroup("ym.report_info", Rate(MINUTE, 100, 0), window=True)
YM_PARALLEL = 4  # requests in flight per campaign, business or key (§2.4 "global")
