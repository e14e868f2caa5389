"""Every table: the run log and flow state (`core`) and one model per report (`wb`, later `ym`)."""

from harvester.store.models.core import AccountState, HarvestRun, JobStatus, ReportJob, ReportQuota, Watermark
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
    "AccountState", "HarvestRun", "JobStatus", "ReportJob", "ReportQuota", "Watermark",
    "WbAcceptanceReport", "WbPaidStorage", "WbStocksProduct",
    "WbFunnelDetailHistory", "WbFunnelGroupedHistory", "WbSearchQueriesGroup", "WbSearchQueriesProduct",
    "WbSearchQueriesText", "WbStockDaily", "WbStockHistory",
]
