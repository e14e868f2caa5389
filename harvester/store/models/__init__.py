"""Every table: the run log and flow state (`core`) and one model per report (`wb`, later `ym`)."""

from harvester.store.models.core import HarvestRun, JobStatus, ReportJob, Watermark
from harvester.store.models.wb import WbPaidStorage, WbStocksProduct

__all__ = ["HarvestRun", "JobStatus", "ReportJob", "Watermark", "WbPaidStorage", "WbStocksProduct"]
