"""What the harvester remembers about an account's token: refused by the API, and which token.

A 401 marks the token invalid, once; dispatch then skips the account until the token in its
env var or file changes (compared by fingerprint: a hash, never the token), so a bad token is
one recorded failure and one log line, not a failure every cycle.
"""

from __future__ import annotations

import hashlib

import structlog
from sqlmodel import Session

from harvester.store.models import AccountState
from harvester.store.models.core import utcnow

log = structlog.get_logger(__name__)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def mark_token_invalid(session: Session, account_id: str, token: str, error: str) -> None:
    """Record a refused token; logs only the first time for that token."""
    state = session.get(AccountState, account_id) or AccountState(account_id=account_id)
    print_ = fingerprint(token)
    if state.token_invalid_at is None or state.token_fingerprint != print_:
        log.error("token_invalid", account=account_id, error=error,
                  action="schedules for this account stop until its token changes")
    state.token_invalid_at, state.token_error, state.token_fingerprint = utcnow(), error, print_
    session.add(state)


def token_blocked(session: Session, account_id: str, token: str) -> bool:
    """True while the account's current token is the one the API refused; a new token clears it."""
    state = session.get(AccountState, account_id)
    if state is None or state.token_invalid_at is None:
        return False
    if state.token_fingerprint == fingerprint(token):
        return True
    log.info("token_changed", account=account_id, detail="the refused token was replaced; schedules resume")
    state.token_invalid_at = state.token_error = state.token_fingerprint = None
    session.add(state)
    return False
