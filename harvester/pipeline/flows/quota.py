"""WB's 20-reports-a-day budget per seller, kept in SQL so every worker and every restart sees it.

A slot is taken before a report's UUID is even saved, in one atomic statement, so the budget
is never exceeded, whatever crashes or retries follow; a slot taken for a create that never
reached WB is lost, which errs on the safe side. WB counts successful generations only, so a
report that WB failed to build, however often it was asked to rebuild it, gives its slot back
(to today's budget: a report created yesterday may lend today one it did not take, and WB's
429 on the create, believed at once, covers that).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel import Session

from harvester.core import clock

_TAKE = text(
    "INSERT INTO report_quota (account_id, day, used) VALUES (:account, :day, 1) "
    "ON CONFLICT (account_id, day) DO UPDATE SET used = report_quota.used + 1 "
    "WHERE report_quota.used < :limit RETURNING used"
)
_GIVE_BACK = text(
    "UPDATE report_quota SET used = used - 1 WHERE account_id = :account AND day = :day AND used > 0"
)
_SPEND_ALL = text(
    "INSERT INTO report_quota (account_id, day, used) VALUES (:account, :day, :limit) "
    "ON CONFLICT (account_id, day) DO UPDATE SET used = :limit"
)


def quota_day() -> dt.date:
    return clock.today()


def take(session: Session, account_id: str, limit: int) -> bool:
    """Take one report slot of today's budget; False when it is spent."""
    row = session.execute(_TAKE, {"account": account_id, "day": quota_day(), "limit": limit}).first()
    return row is not None


def give_back(session: Session, account_id: str) -> None:
    """A report WB failed to build for good: WB counts it not, so neither do we."""
    session.execute(_GIVE_BACK, {"account": account_id, "day": quota_day()})


def spend_all(session: Session, account_id: str, limit: int) -> None:
    """The API says today's budget is spent (another tool used it, say): believe it."""
    session.execute(_SPEND_ALL, {"account": account_id, "day": quota_day(), "limit": limit})


def seconds_to_next_day() -> float:
    """Real seconds until the budget renews at Moscow midnight (our day's turn, a little after)."""
    return clock.seconds_to_tomorrow()
