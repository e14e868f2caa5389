"""Every table: the run log and flow state (`core`) and the report tables of each family.

Importing this package registers every table in the metadata migrations compare against.
"""

from harvester.store.models.core import AccountState, EndpointBlock, HarvestRun, JobStatus, ReportJob, ReportQuota, Watermark
from harvester.store.models import wb_analytics, wb_funnel, wb_promotion, wb_search, ym  # noqa: F401  (register tables)
from harvester.store.models.wb import WbAcceptanceReport, WbPaidStorage, WbStocksProduct
from harvester.store.models.wb_csv import (
    WbFunnelDetailHistory,
    WbFunnelGroupedHistory,
    WbSearchQueriesGroup,
    WbSearchQueriesProduct,
    WbSearchQueriesText,
    WbStockDaily,
    WbStockHistory,
)

__all__ = [
    "AccountState", "EndpointBlock", "HarvestRun", "JobStatus", "ReportJob", "ReportQuota", "Watermark",
    "WbAcceptanceReport", "WbPaidStorage", "WbStocksProduct",
    "WbFunnelDetailHistory", "WbFunnelGroupedHistory", "WbSearchQueriesGroup", "WbSearchQueriesProduct",
    "WbSearchQueriesText", "WbStockDaily", "WbStockHistory",
]
