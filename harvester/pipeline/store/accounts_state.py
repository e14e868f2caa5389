"""What the harvester remembers about an account: a refused token, and endpoints it may not use.

Every block is visible (`blocks`: `status`, `accounts check`) and can be lifted by hand
(`unblock`: `harvester accounts unblock`).

A 401 marks the token invalid, once; dispatch then skips the account until the token in its
env var or file changes (compared by fingerprint: a hash, never the token), so a bad token is
one recorded failure and one log line, not a failure every cycle. A 403 of an endpoint that
needs a subscription (Jam), or a 401 for a token category the token lacks, blocks just those
endpoints the same way, until the account's entry in the accounts file or its token changes.
"""

from __future__ import annotations

import hashlib

import structlog
from sqlmodel import Session, select

from harvester.models import AccountState, EndpointBlock
from harvester.models.state import utcnow
from harvester.pipeline.store.upsert import get_or_insert

log = structlog.get_logger(__name__)


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def mark_token_invalid(session: Session, account_id: str, token: str, error: str) -> None:
    """Record a refused token; logs only the first time for that token."""
    state = get_or_insert(session, AccountState, {"account_id": account_id})
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


def block_feature(session: Session, account_id: str, feature: str, settings_print: str, reason: str) -> None:
    """Record that the account cannot use `feature`; logs only when this is news."""
    block = get_or_insert(session, EndpointBlock, {"account_id": account_id, "feature": feature},
                          settings_fingerprint="", since=utcnow())  # "": news, whoever inserted it
    if block.settings_fingerprint != settings_print:
        log.warning("endpoint_unavailable", account=account_id, feature=feature, error=reason,
                    action="not scheduled for this account until its settings change")
    block.settings_fingerprint, block.reason, block.since = settings_print, reason, utcnow()
    session.add(block)


def blocked_features(session: Session, account_id: str, settings_print: str) -> set[str]:
    """Features blocked for the account's current settings; a settings change lifts them."""
    blocks = session.exec(select(EndpointBlock).where(EndpointBlock.account_id == account_id)).all()
    lifted = [b for b in blocks if b.settings_fingerprint != settings_print]
    for block in lifted:
        log.info("endpoint_block_lifted", account=account_id, feature=block.feature,
                 detail="the account's settings changed; trying again")
        session.delete(block)
    return {b.feature for b in blocks if b not in lifted}


TOKEN = "token"  # the block of a refused token, as `blocks` and `unblock` name it


def blocks(session: Session) -> list[dict[str, str]]:
    """Every block in force: account, what is blocked (`token` or a feature), since when, why."""
    found = [{"account": s.account_id, "blocked": TOKEN, "since": s.token_invalid_at.isoformat(),
              "reason": s.token_error or ""}
             for s in session.exec(select(AccountState)).all() if s.token_invalid_at is not None]
    found += [{"account": b.account_id, "blocked": b.feature, "since": b.since.isoformat(), "reason": b.reason or ""}
              for b in session.exec(select(EndpointBlock)).all()]
    return sorted(found, key=lambda b: (b["account"], b["blocked"]))


def unblock(session: Session, account_id: str, feature: str | None = None) -> list[str]:
    """Lift the account's blocks (only `feature`, or `token`, when given); what was lifted. The
    next dispatch schedules them again, and a refusal that persists blocks them again."""
    lifted = []
    state = session.get(AccountState, account_id)
    if state is not None and state.token_invalid_at is not None and feature in (None, TOKEN):
        state.token_invalid_at = state.token_error = state.token_fingerprint = None
        session.add(state)
        lifted.append(TOKEN)
    for block in session.exec(select(EndpointBlock).where(EndpointBlock.account_id == account_id)).all():
        if feature in (None, block.feature):
            session.delete(block)
            lifted.append(block.feature)
    if lifted:
        log.info("unblocked", account=account_id, lifted=lifted)
    return lifted
