"""Every table: the harvester's own state (`state`: ledger, run log, flows) and the report tables of each family.

Importing this package registers every table in the metadata migrations compare against.
"""

from sqlmodel import SQLModel

from harvester.models import comments, lineage, state, wb_analytics, wb_funnel, wb_promotion, wb_search, ym  # noqa: F401
from harvester.models.state import (
    AccountState,
    EndpointBlock,
    HarvestRun,
    JobStatus,
    ReportJob,
    ReportQuota,
    Watermark,
    WorkState,
    WorkUnit,
)
from harvester.models.tables import keys_first
from harvester.models.wb import WbAcceptanceReport, WbPaidStorage, WbStocksProduct
from harvester.models.wb_csv import (
    WbFunnelDetailHistory,
    WbFunnelGroupedHistory,
    WbSearchQueriesGroup,
    WbSearchQueriesProduct,
    WbSearchQueriesText,
    WbStockDaily,
    WbStockHistory,
)

__all__ = [
    "AccountState",
    "EndpointBlock",
    "HarvestRun",
    "JobStatus",
    "ReportJob",
    "ReportQuota",
    "Watermark",
    "WbAcceptanceReport",
    "WbFunnelDetailHistory",
    "WbFunnelGroupedHistory",
    "WbPaidStorage",
    "WbSearchQueriesGroup",
    "WbSearchQueriesProduct",
    "WbSearchQueriesText",
    "WbStockDaily",
    "WbStockHistory",
    "WbStocksProduct",
    "WorkState",
    "WorkUnit",
]

lineage.apply(SQLModel.metadata, state.__name__)
keys_first(SQLModel.metadata)  # after lineage, which appends its columns
comments.apply(SQLModel.metadata)  # every table and column says what it is, in the database too
