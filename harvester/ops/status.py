"""Per account × endpoint health, read from the store: what `harvester status` prints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from harvester.core.accounts import Account
from harvester.catalog import endpoints_for
from harvester.models import HarvestRun, Watermark


def status_rows(engine: Engine, accounts: dict[str, Account]) -> list[dict[str, Any]]:
    """One object per account × endpoint: last_success, rows stored, last_error since then."""
    out = []
    with Session(engine) as session:
        for account in accounts.values():
            for endpoint in endpoints_for(account.marketplace, account.wb_api_generation):
                mark = session.get(Watermark, (account.id, endpoint.name))
                table = endpoint.model.__table__  # type: ignore[attr-defined]
                rows = session.execute(
                    select(func.count()).select_from(table).where(table.c.account_id == account.id)
                ).scalar_one()
                failed = session.execute(
                    select(HarvestRun.error, HarvestRun.finished_at)
                    .where(HarvestRun.account_id == account.id, HarvestRun.endpoint == endpoint.name,
                           HarvestRun.status == "failed")
                    .order_by(HarvestRun.finished_at.desc())  # type: ignore[attr-defined]
                    .limit(1)
                ).first()
                last_success = mark.last_success_at if mark else None
                recent_error = failed is not None and (last_success is None or failed[1] > last_success)
                out.append({
                    "account": account.id,
                    "endpoint": endpoint.name,
                    "last_success": last_success.isoformat() if last_success else None,
                    "rows": rows,
                    "last_error": failed[0] if recent_error else None,
                })
    return out
