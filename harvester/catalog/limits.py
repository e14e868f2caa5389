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
