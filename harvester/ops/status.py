"""Per account × endpoint health, read from the store: what `harvester status` prints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from harvester.catalog import endpoints_for, source_table
from harvester.catalog.model import Endpoint
from harvester.core.accounts import Account
from harvester.models import HarvestRun, Watermark, WorkState, WorkUnit
from harvester.models.tables import table_of
from harvester.pipeline.store.ids import coverage


def status_rows(engine: Engine, accounts: dict[str, Account]) -> list[dict[str, Any]]:
    """One object per account × endpoint: last_success, rows stored, last_error since then, its
    windows in the ledger still to do (queued, parked or running) and failed for good, and for an
    endpoint read in rotation, how far it has read the account's ids (`rotation`)."""
    out = []
    with Session(engine) as session:
        windows: dict[tuple[str, str], dict[str, int]] = {}
        for account_id, endpoint_name, state, n in session.execute(
                select(col(WorkUnit.account_id), col(WorkUnit.endpoint), col(WorkUnit.state), func.count())
                .where(col(WorkUnit.state) != WorkState.DONE)
                .group_by(col(WorkUnit.account_id), col(WorkUnit.endpoint), col(WorkUnit.state))):
            counts = windows.setdefault((account_id, endpoint_name), {"pending": 0, "failed": 0})
            counts["failed" if state == WorkState.FAILED else "pending"] += n
        for account in accounts.values():
            for endpoint in endpoints_for(account.marketplace, account.wb_api_generation):
                mark = session.get(Watermark, (account.id, endpoint.name))
                table = table_of(endpoint.model)
                rows = session.execute(
                    select(func.count()).select_from(table).where(table.c.account_id == account.id)
                ).scalar_one()
                failed = session.execute(
                    select(col(HarvestRun.error), col(HarvestRun.finished_at))
                    .where(col(HarvestRun.account_id) == account.id, col(HarvestRun.endpoint) == endpoint.name,
                           col(HarvestRun.status) == "failed")
                    .order_by(col(HarvestRun.finished_at).desc())
                    .limit(1)
                ).first()
                last_success = mark.last_success_at if mark else None
                last_error = None
                if failed is not None and (last_success is None or failed[1] > last_success):
                    last_error = failed[0]
                out.append({
                    "account": account.id,
                    "marketplace": account.marketplace,
                    "endpoint": endpoint.name,
                    "last_success": last_success.isoformat() if last_success else None,
                    "complete_until": mark.complete_until.isoformat() if mark and mark.complete_until else None,
                    "rows": rows,
                    "last_error": last_error,
                    **windows.get((account.id, endpoint.name), {"pending": 0, "failed": 0}),
                    **rotation(session, account, endpoint),
                })
    return out


def rotation(session: Session, account: Account, endpoint: Endpoint) -> dict[str, Any]:
    """Of an endpoint read in rotation: its ids now, the share read in its newest window, how many
    were never read, and the day of the stalest last read (the oldest product not read since).
    Null for the rest, which read all their ids in each window."""
    if endpoint.ids is None or not endpoint.ids.rotate:
        return dict.fromkeys(("ids", "coverage", "never_read", "oldest_read"))
    found = coverage(session, source_table(endpoint.ids), table_of(endpoint.model), account, endpoint.ids)
    return {"ids": found.ids, "coverage": round(found.read / found.ids, 4) if found.ids else None,
            "never_read": found.never, "oldest_read": found.oldest.isoformat() if found.oldest else None}
