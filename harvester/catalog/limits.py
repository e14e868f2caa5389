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
